#!/usr/bin/env python3
"""How fast our pages are next to the ceiling: a bare Flask page on the same gunicorn settings.

    .venv/bin/python bench/pages.py [--users 1000] [--orgs 200] [--challenges 1000] [--runs 3]
                                    [--duration 4] [--cold 50]
                                    [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]

What it does, all on 127.0.0.1 and inside a temporary directory it removes afterwards:
1. makes a fresh database (a SQLite file, or with --database a scratch database created on that
   PostgreSQL server and dropped afterwards), migrates it with `flask db upgrade`, and seeds N users,
   M organisations and the reader who logs in (BENCH_USER, a participant on no organisation's staff)
   with bulk inserts (one password hash computed once);
2. seeds a tenth of the public challenges (every public state, from timelines around now; tags,
   SDGs, a rubric; questions, announcements and a change log on every tenth), with three concepts
   in each that has opened (drafts while open, submitted versions after; the reader on a few), and
   in results and archived ones a final decision with two placements and the recorded step to
   results, so the winners page and the published concept pages have what publication requires;
   rebuilds the search index; counts the SQL statements of each page in a test-client pass,
   anonymous (the FIRST render after a change: the page cache's generation is bumped before the
   counted request, a miss) and logged in (the reader, through the login form); then seeds the
   rest, reindexes and counts again: the counts must not grow with the number of challenges, nor
   with the cards a page lists (one organisation's short list is counted next to the full page);
3. serves the app (`gunicorn wsgi:app`, the page cache on as in production) and a bare Flask app
   rendering a small template (`bench/bare_app.py`) with the same settings: sync workers,
   127.0.0.1, a free port; logs the reader in through the server's login form;
4. drives with `wrk` (or a slower Python client when wrk is missing) the pages an anonymous reader
   opens (home, the challenge list plain and filtered+sorted, a challenge page, an organisation,
   a published concept, the winners, a search; answered from the page cache after the first
   render) and the pages the logged-in reader opens (the same but the filtered list, plus My
   concepts; never cached; the session cookie sent with `-H 'Cookie: ...'`), in rounds in which
   bare Flask opens each group, so that machine noise hits all of them alike;
5. times the cold cache: the first anonymous request to the challenge page after a commit that
   changes a challenge (as any commit to a public table ends the cached pages), --cold times,
   in-process with the test client (the server's own time: `cold_challenge_ms`) and through
   gunicorn;
6. prints requests per second, p50/p95 latency and the ratio to the bare page (median of the
   per-round ratios, each against the bare figure of its group) for every page, queries per
   request at both sizes, the cold-cache times, the workers' peak memory (VmHWM) and the load
   average, and last a one-line summary:
   `pages: anon_home=..x ... user_search=..x cold_challenge_ms=.. worker_rss=..MB load=.. queries=flat`.

The default run takes about five minutes. The machines are shared and noisy: trust the ratios
more than the absolute figures. bench/profile_pages.py seeds the same data and shows where a
page's time goes, in-process, anonymous or logged in (`--user`).
"""
from __future__ import annotations

import argparse
import contextlib
import html
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
BENCH_USER = "bench-user@example.org"  # the reader of the logged-in runs (a participant, on a few concepts)
BENCH_PASSWORD = "bench password that nobody uses"
SEARCH_WORD = "recycling"  # in the titles and tags of one challenge in thirty and of their concepts
# Every page by name; the {fields} are filled in after seeding (page_targets). Anonymous readers and
# the logged-in reader each get the pages they would open; one organisation's list (a handful of
# cards where the full list has 20) is counted only.
PAGES = {"home": "/", "list": "/challenges/", "filtered": "/challenges/?status=open&sort=prize",
         "challenge": "/challenges/{slug}", "org": "/organisations/{org}",
         "concept": "/challenges/{concept_slug}/concepts/{concept_id}", "mine": "/my/concepts",
         "winners": "/winners", "search": f"/search?q={SEARCH_WORD}"}
ANON_PAGES = ("home", "list", "filtered", "challenge", "org", "concept", "winners", "search")
USER_PAGES = ("home", "list", "challenge", "org", "concept", "mine", "winners", "search")
COUNT_ONLY = {"list_org": "/challenges/?organisation=bench-org-0"}
HOST = {"Host": "127.0.0.1"}

# wrk prints p50/75/90/99 only; this script reports the exact figures we want, in microseconds.
# It also counts the answers the page cache served (X-Page-Cache: hit), over all threads.
WRK_SCRIPT = """
local threads = {}
setup = function(thread) table.insert(threads, thread) end
init = function(args) hits = 0 end
response = function(status, headers, body)
  if headers["X-Page-Cache"] == "hit" then hits = hits + 1 end
end
done = function(summary, latency, requests)
  local e = summary.errors
  local h = 0
  for _, t in ipairs(threads) do h = h + t:get("hits") end
  io.write(string.format("BENCH %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), e.status, e.connect + e.read + e.write + e.timeout, h))
end
"""


@dataclass
class Result:
    rps: float
    p50_ms: float
    p95_ms: float
    bad_status: int
    errors: int
    hits: int = 0       # answers served from the page cache
    requests: int = 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- database and seed
def make_database(tmp: Path, admin_url: str | None) -> tuple[str, Any]:
    """A fresh database URL, and a cleanup function."""
    if not admin_url:
        return f"sqlite:///{tmp / 'bench.sqlite'}", lambda: None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"ca_bench_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def prepare(tmp: Path, admin_url: str | None) -> tuple[dict[str, str], Any]:
    """A fresh, migrated database and the environment the app runs with (also set in os.environ,
    before the app is imported). Returns the environment and the database's cleanup function."""
    url, drop_db = make_database(tmp, admin_url)
    instance = tmp / "instance"
    env = {**os.environ, "APP_ENV": "development", "DATABASE_URL": url, "INSTANCE_PATH": str(instance),
           "SECRET_KEY": secrets.token_urlsafe(48), "DEMO_MODE": "0", "FLASK_DEBUG": "0",
           "SEARCH_INDEX_DIR": str(instance / "index"), "UPLOAD_DIR": str(instance / "uploads"),
           "MAILBOX_DIR": str(instance / "mailbox"), "PYTHONDONTWRITEBYTECODE": "1",
           # app.instance_path is the checkout's instance/ whatever INSTANCE_PATH says: keep the page
           # cache's generation with this run.
           "PAGE_CACHE_GENERATION_FILE": str(instance / "page-cache.generation")}
    env.pop("REDIS_URL", None)
    os.environ.update(env)  # before importing app: config reads the environment at import
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    started = time.perf_counter()
    try:
        subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=180)
    except BaseException:
        drop_db()
        raise
    log(f"migrated {'PostgreSQL' if admin_url else 'SQLite'} in {time.perf_counter() - started:.1f} s")
    return env, drop_db


def seed(n_users: int, n_orgs: int) -> Any:
    """Bulk-insert users (one precomputed argon2 hash) and organisations with owners. Returns the app."""
    from sqlalchemy import insert, select

    from app import create_app
    from app.accounts.models import ParticipantKind, TermsAcceptance, User
    from app.accounts.passwords import hash_password
    from app.core.timeutil import utcnow
    from app.db import db
    from app.organisations.models import (
        Country,
        Membership,
        Organisation,
        OrganisationKind,
        OrganisationStatus,
        Role,
    )

    app = create_app()
    now = utcnow()
    password_hash = hash_password(BENCH_PASSWORD)
    locales, kinds = ("en", "da", "nb", "sv"), list(ParticipantKind)
    towns = ("Aarhus", "Bergen", "Uppsala", "Odense", "Tromsø", "Lund", "Aalborg", "Stavanger", "Umeå", "Vejle")
    with app.app_context():
        db.session.execute(insert(User), [
            {"email": f"bench-{i}@example.org", "password_hash": password_hash, "display_name": f"Bench user {i}",
             "locale": locales[i % 4], "timezone": "Europe/Copenhagen", "participant_kind": kinds[i % len(kinds)],
             "email_verified_at": now, "created_at": now, "password_changed_at": now}
            for i in range(n_users)])
        # The reader who logs in for the logged-in runs: a participant, on no organisation's staff.
        db.session.execute(insert(User), [
            {"email": BENCH_USER, "password_hash": password_hash, "display_name": "Bench reader", "locale": "en",
             "timezone": "Europe/Copenhagen", "participant_kind": kinds[0], "email_verified_at": now,
             "created_at": now, "password_changed_at": now}])
        reader_id = db.session.scalar(select(User.id).where(User.email == BENCH_USER))
        user_ids = db.session.scalars(select(User.id).where(User.id != reader_id).order_by(User.id)).all()
        db.session.execute(insert(TermsAcceptance), [
            {"user_id": uid, "document": doc, "version": app.config[key], "accepted_at": now}
            for uid in (*user_ids, reader_id) for doc, key in (("terms", "TERMS_VERSION"),
                                                                ("privacy", "PRIVACY_VERSION"))])
        org_kinds, countries = list(OrganisationKind), list(Country)
        db.session.execute(insert(Organisation), [
            {"slug": f"bench-org-{i}", "name": f"{towns[i % len(towns)]} {org_kinds[i % len(org_kinds)].value} {i}",
             "kind": org_kinds[i % len(org_kinds)], "country": countries[i % len(countries)],
             "website": f"https://org{i}.example.org", "description": "A benchmark organisation.",
             "status": OrganisationStatus.PENDING if i % 10 == 9 else OrganisationStatus.APPROVED,
             "created_by_id": user_ids[i % len(user_ids)] if user_ids else None, "created_at": now}
            for i in range(n_orgs)])
        org_ids = db.session.scalars(select(Organisation.id).order_by(Organisation.id)).all()
        if user_ids:
            db.session.execute(insert(Membership), [
                {"organisation_id": oid, "user_id": user_ids[(j + k) % len(user_ids)],
                 "role": Role.OWNER if k == 0 else Role.EDITOR, "created_at": now}
                for j, oid in enumerate(org_ids) for k in range(min(2, len(user_ids)))])
        db.session.commit()
        db.engine.dispose()
    return app


TAG_NAMES = ("Recycling", "Mobility", "Elderly care", "Schools", "Energy", "Water", "Housing", "Loneliness",
             "Food waste", "Public health", "Biodiversity", "Tourism", "Digital services", "Culture",
             "Climate adaptation", "Jobs", "Integration", "Sport", "Libraries", "Harbours", "Cycling",
             "Waste", "Circular economy", "Rural life", "Safety", "Winter", "Youth", "Procurement",
             "Open data", "Democracy")
STATE_PATTERN = ("open", "open", "open_by_clock", "scheduled", "closed_by_clock", "closed", "judging",
                 "results", "archived", "cancelled")


def seed_challenges(app: Any, start: int, count: int, *, now: Any = None) -> str:
    """Bulk-insert `count` public challenges (numbered from `start`) across the approved organisations,
    in every public state (timelines relative to now), with tags, SDGs, a three-criterion rubric,
    and on every tenth one questions, announcements and a change log entry.

    Returns the slug of the richest one (the first open challenge with Q&A), for the challenge page."""
    from datetime import timedelta

    from sqlalchemy import insert, select

    from app.accounts.models import User
    from app.challenges.models import (
        Announcement,
        Challenge,
        ChallengeSDG,
        ChangeLogEntry,
        Criterion,
        Question,
        Tag,
        challenge_tags,
    )
    from app.core.timeutil import utcnow
    from app.db import db
    from app.organisations.models import Organisation, OrganisationStatus

    now = now or utcnow()
    day = timedelta(days=1)
    languages, currencies = ("en", "da", "nb", "sv"), ("DKK", "NOK", "SEK", "EUR")
    eligibility = (["anyone"], ["student"], ["student", "young_professional"], ["startup", "young_professional"])
    with app.app_context():
        org_ids = db.session.scalars(select(Organisation.id).where(
            Organisation.status == OrganisationStatus.APPROVED).order_by(Organisation.id)).all()
        reader_id = db.session.scalar(select(User.id).where(User.email == BENCH_USER))
        everyone = db.session.scalars(select(User.id).where(User.id != reader_id).order_by(User.id)).all()
        user_ids = everyone[:50]
        tag_ids = db.session.scalars(select(Tag.id).order_by(Tag.id)).all()
        if not tag_ids:
            db.session.execute(insert(Tag), [{"slug": name.lower().replace(" ", "-"), "name": name}
                                             for name in TAG_NAMES])
            tag_ids = db.session.scalars(select(Tag.id).order_by(Tag.id)).all()
        rows = []
        for i in range(start, start + count):
            kind = STATE_PATTERN[i % len(STATE_PATTERN)]
            spread = (i * 37 % 60) * day + (i % 97) * timedelta(minutes=13)
            if kind == "scheduled":
                opens, deadline, state = now + 2 * day + spread, now + 30 * day + spread, "scheduled"
            elif kind in ("open", "open_by_clock"):
                opens, deadline = now - 10 * day - spread, now + day + spread
                state = "open" if kind == "open" else "scheduled"
            elif kind == "closed_by_clock":
                opens, deadline, state = now - 40 * day - spread, now - day - spread / 30, "open"
            else:
                opens = now - 120 * day - spread
                deadline = opens + 30 * day
                state = {"closed": "closed", "judging": "judging", "results": "results",
                         "archived": "archived", "cancelled": "cancelled"}[kind]
            lang = languages[i % 4]
            prize = ((i * 7919) % 200 + 1) * 1000
            split = ([100], [60, 40], [50, 30, 20])[i % 3]
            rows.append({
                "organisation_id": org_ids[i % len(org_ids)], "slug": f"bench-challenge-{i:05d}",
                "title": f"Bench challenge {i}: how can we cut {TAG_NAMES[i % len(TAG_NAMES)].lower()} costs?",
                "summary": "A benchmark challenge with a summary of about the length a real one has, shown on "
                           "every card in the lists.",
                "problem_md": "## The problem\n\nWe want **fewer** trips and *better* service.\n\n"
                              "- one point\n- another point\n\nSee [our site](https://example.org).\n" * 3,
                "background_md": "Some background, with a list:\n\n1. first\n2. second\n",
                "language": lang, "prize_minor": prize * 100, "currency": currencies[i % 4],
                "prize_count": len(split), "prize_split": split, "eligibility": eligibility[i % 4],
                "allow_individuals": i % 5 != 0, "allow_teams": True, "max_team_size": 2 + i % 5,
                "timezone": ("Europe/Copenhagen", "Europe/Oslo", "Europe/Stockholm", "Europe/Helsinki")[i % 4],
                "opens_at": opens, "deadline_at": deadline, "judging_ends_at": deadline + 14 * day,
                "results_at": deadline + 21 * day if state in ("results", "archived") else None,
                "state": state, "state_changed_at": min(opens, now), "published_at": opens - 7 * day,
                "cancel_reason": "The budget was cut." if state == "cancelled" else None,
                # Most publish the winners only (the default), every twentieth all entered concepts.
                "concept_publication": "all" if i % 20 == 17 else "winners",
                "created_by_id": user_ids[i % len(user_ids)] if user_ids else None,
                "created_at": opens - 8 * day, "updated_at": opens - 7 * day,
            })
        db.session.execute(insert(Challenge), rows)
        ids = dict(db.session.execute(select(Challenge.slug, Challenge.id).where(
            Challenge.slug.in_([r["slug"] for r in rows]))).all())
        numbered = [(i, ids[f"bench-challenge-{i:05d}"]) for i in range(start, start + count)]
        db.session.execute(insert(challenge_tags), [
            {"challenge_id": cid, "tag_id": tag_ids[(i * 7 + k * 11) % len(tag_ids)]}
            for i, cid in numbered for k in range(1 + i % 3)])
        db.session.execute(insert(ChallengeSDG), [
            {"challenge_id": cid, "goal": 1 + (i * 5 + k * 6) % 17} for i, cid in numbered for k in range(1 + i % 3)])
        anchors = {"1": "Not shown", "3": "Partly shown", "5": "Convincingly shown"}
        db.session.execute(insert(Criterion), [
            {"challenge_id": cid, "position": k, "name": name, "description": f"How well the concept does {name}.",
             "weight": weight, "scale_min": 1, "scale_max": 5, "anchors": anchors}
            for _i, cid in numbered for k, (name, weight) in enumerate(
                (("impact", 40), ("feasibility", 35), ("originality", 25)))])
        rich = [(i, cid) for i, cid in numbered if i % 10 == 0]
        if rich and user_ids:
            db.session.execute(insert(Question), [
                {"challenge_id": cid, "asked_by_id": user_ids[(i + k) % len(user_ids)],
                 "body": f"Question {k} about challenge {i}: may we use open data from the municipality?",
                 "status": "answered" if k < 4 else "pending",
                 "answer": "Yes, **any** open data. See the attachments." if k < 4 else None,
                 "answered_by_id": user_ids[0] if k < 4 else None,
                 "answered_at": now - (k + 1) * day if k < 4 else None, "created_at": now - (k + 2) * day}
                for i, cid in rich for k in range(5)])
            db.session.execute(insert(Announcement), [
                {"challenge_id": cid, "author_id": user_ids[0], "title": f"Announcement {k}",
                 "body_md": "An *update* for everyone taking part.", "created_at": now - (k + 1) * day}
                for _i, cid in rich for k in range(2)])
            db.session.execute(insert(ChangeLogEntry), [
                {"challenge_id": cid, "changes": {"deadline_at": {"old": "1 March", "new": "8 March"}},
                 "reason": "More time after the questions.", "is_rubric_amendment": False,
                 "actor_id": user_ids[0], "created_at": now - 3 * day}
                for _i, cid in rich])
        _seed_concepts([(i, cid, STATE_PATTERN[i % len(STATE_PATTERN)], rows[i - start]) for i, cid in numbered],
                       everyone, reader_id, now)
        db.session.commit()
        db.engine.dispose()
    return "bench-challenge-00000"


CONCEPT_BODY = ("## The idea\n\nA shared service run with the municipality: **fewer** trips, *better* help, and "
                "open data anyone may reuse.\n\n## How it works\n\n1. residents sign up\n2. volunteers match "
                "them\n3. the service reports monthly\n\n## Why it will last\n\nIt pays for itself within two "
                "years. See [the pilot](https://example.org/pilot).\n") * 2
READER_CHALLENGES = frozenset({0, 37, 81})  # the reader is on a concept in challenges 10*n + (1, 5, 7)


def _seed_concepts(challenges: list[tuple[int, int, str, dict[str, Any]]], user_ids: list[int], reader_id: int | None,
                   now: Any) -> None:
    """Three concepts in every challenge that has opened (drafts while open, submitted versions
    after), and in results and archived ones a final decision with two placements (the winners
    page, the published concept page: published_at from a recorded step to results). The reader
    (BENCH_USER) is on a concept in three challenges per hundred: a draft, an entry, a result."""
    from datetime import timedelta

    from sqlalchemy import insert, select

    from app.challenges.models import StateTransition
    from app.concepts.models import Concept, ConceptMember, ConceptVersion
    from app.db import db
    from app.judging.models import Decision, Placement

    if not user_ids:
        return
    day = timedelta(days=1)
    licences = ("cc-by-4.0", "cc-by-sa-4.0", "reserved-summary")
    ideas = ("a shared cargo bike pool", "a neighbourhood repair café", "an app for lifts to the clinic")
    concepts, members, versions, decisions, transitions = [], [], [], [], []
    plan: dict[tuple[int, int], dict[str, Any]] = {}
    for i, cid, kind, row in challenges:
        if kind in ("scheduled", "cancelled"):
            continue
        topic = TAG_NAMES[i % len(TAG_NAMES)].lower()
        for k in range(3):
            submitted = kind not in ("open", "open_by_clock") or k == 2
            at = min(row["deadline_at"] - day, now - day / 24)
            team = [user_ids[(6 * i + 2 * k) % len(user_ids)], user_ids[(6 * i + 2 * k + 1) % len(user_ids)]]
            with_reader = reader_id is not None and k == 2 and i % 10 in (1, 5, 7) and i // 10 in READER_CHALLENGES
            title = f"{ideas[k].capitalize()} for {topic} ({i}-{k})"
            summary = f"How {ideas[k]} cuts {topic} costs for everyone, in one paragraph a jury reads first."
            plan[(i, k)] = {"team": team + ([reader_id] if with_reader else []), "submitted": submitted, "at": at,
                            "title": title, "summary": summary}
            concepts.append({
                "challenge_id": cid, "owner_id": team[0], "team_name": f"Team {i}-{k}", "title": title,
                "summary": summary, "body_md": CONCEPT_BODY, "language": row["language"], "licence": licences[k],
                "state": "submitted" if submitted else "draft", "lock_version": 2 if submitted else 1,
                "submitted_version_no": 1 if submitted else None, "submitted_at": at if submitted else None,
                "created_at": at - 5 * day, "updated_at": at})
    if not concepts:
        return
    db.session.execute(insert(Concept), concepts)
    ids = dict(db.session.execute(select(Concept.team_name, Concept.id).where(
        Concept.team_name.in_([c["team_name"] for c in concepts]))).all())
    by_challenge = {i: (cid, kind, row) for i, cid, kind, row in challenges}
    for (i, k), p in plan.items():
        concept_id, (cid, kind, row) = ids[f"Team {i}-{k}"], by_challenge[i]
        members.extend({"concept_id": concept_id, "challenge_id": cid, "user_id": uid,
                        "role": "owner" if n == 0 else "member", "show_name_publicly": k != 1,
                        "joined_at": p["at"] - 5 * day} for n, uid in enumerate(p["team"]))
        if p["submitted"]:
            versions.append({
                "concept_id": concept_id, "number": 1, "source_lock_version": 1, "submitted_at": p["at"],
                "submitted_by_id": p["team"][0], "team_name": f"Team {i}-{k}",
                "title": p["title"], "summary": p["summary"],
                "body_md": CONCEPT_BODY, "language": row["language"], "licence": licences[k],
                "tag_names": [TAG_NAMES[i % len(TAG_NAMES)]], "member_ids": p["team"],
                "fingerprint": f"{concept_id:064x}", "total_bytes": 0})
        if k == 0 and kind in ("results", "archived"):
            results_at = row["results_at"]
            decisions.append({"challenge_id": cid, "state": "final", "report_md": "The jury met twice.",
                              "finalised_at": results_at - day / 24, "updated_at": results_at - day / 24})
            transitions.append({"challenge_id": cid, "from_state": "judging", "to_state": "results",
                                "reason": None, "at": results_at})
            if kind == "archived":
                transitions.append({"challenge_id": cid, "from_state": "results", "to_state": "archived",
                                    "reason": None, "at": min(results_at + 30 * day, now - day)})
    db.session.execute(insert(ConceptMember), members)
    if versions:
        db.session.execute(insert(ConceptVersion), versions)
    if decisions:
        db.session.execute(insert(Decision), decisions)
        db.session.execute(insert(StateTransition), transitions)
        decision_ids = dict(db.session.execute(select(Decision.challenge_id, Decision.id).where(
            Decision.challenge_id.in_([d["challenge_id"] for d in decisions]))).all())
        placements = []
        for i, (cid, _kind, row) in by_challenge.items():
            if cid not in decision_ids:
                continue
            split = row["prize_split"]
            for k in (0, 1):
                prize = k < len(split)
                placements.append({
                    "decision_id": decision_ids[cid], "concept_id": ids[f"Team {i}-{k}"],
                    "kind": "prize" if prize else "mention", "position": k + 1,
                    "prize_minor": row["prize_minor"] * split[k] // 100 if prize else 0,
                    "citation": "A clear, well-argued concept the organisation can start with next year."})
        db.session.execute(insert(Placement), placements)


def page_targets(app: Any) -> dict[str, str]:
    """What the page paths are filled with: the rich open challenge, its organisation, and the
    first-prize concept (open licence, names shown) of the first challenge in results."""
    from sqlalchemy import select

    from app.concepts.models import Concept
    from app.db import db

    with app.app_context():
        concept_id = db.session.scalar(select(Concept.id).where(Concept.team_name == "Team 7-0"))
        db.session.remove()
    return {"slug": "bench-challenge-00000", "org": "bench-org-0", "concept_slug": "bench-challenge-00007",
            "concept_id": str(concept_id)}


def build_index(app: Any) -> int:
    """The public search index, rebuilt from the database as `flask search rebuild` does (the bulk
    inserts above bypass the ORM events that queue index changes)."""
    from app.db import db
    from app.search import indexing

    with app.app_context():
        count = indexing.rebuild()
        db.session.remove()
        db.engine.dispose()
    return count


@dataclass
class Count:
    queries: int
    status: int
    items: int  # challenges and concepts linked from the page (cards and result lists)
    cache: str  # the counted response's X-Page-Cache ("miss" for anonymous public pages; "-" when absent)


CHALLENGE_LINK = re.compile(r'href="/challenges/(bench-challenge-\d+)"')
CONCEPT_LINK = re.compile(r'href="(?:/challenges/bench-challenge-\d+)?/concepts/(\d+)"')
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_of(page: str) -> str:
    match = CSRF_RE.search(page)
    if not match:
        raise RuntimeError("no CSRF token in the login page")
    return html.unescape(match.group(1) or match.group(2))


def login_test_client(client: Any) -> None:
    """Log the reader in through the real login form (test client; the cookie stays in the client)."""
    page = client.get("/account/login", headers=HOST).get_data(as_text=True)
    response = client.post("/account/login", headers=HOST, data={
        "csrf_token": csrf_of(page), "email": BENCH_USER, "password": BENCH_PASSWORD})
    if response.status_code != 302 or "/account/login" in response.headers.get("Location", ""):
        raise RuntimeError(f"the bench reader could not log in (test client): {response.status_code}")


def count_queries(app: Any, pages: dict[str, str], *, logged_in: bool = False) -> dict[str, Count]:
    """SQL statements per request for each page, its status, and how many challenges and concepts it
    links. Transaction control (BEGIN/COMMIT/ROLLBACK) is not counted.

    Anonymous: the FIRST render after a change (a warm-up request, then a bump of the page cache's
    generation, then the counted request: a cache miss), i.e. what a reader pays after every
    commit. A hit costs no query at all. Logged in (`logged_in`: the reader, through the login
    form): the second request, after a warm-up; these pages are never cached."""
    from sqlalchemy import event

    from app.core import pagecache
    from app.db import db

    counts: dict[str, Count] = {}
    with app.app_context():
        engine = db.engine
    seen = [0]

    def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            seen[0] += 1

    event.listen(engine, "before_cursor_execute", _count)
    try:
        client = app.test_client()
        if logged_in:
            login_test_client(client)
        for name, path in pages.items():
            client.get(path, headers=HOST)  # warm-up: imports, template compilation, per-process caches
            if not logged_in:
                with app.app_context():
                    pagecache.bump()
            seen[0] = 0
            response = client.get(path, headers=HOST)
            body = response.get_data(as_text=True)
            items = len(set(CHALLENGE_LINK.findall(body))) + len(set(CONCEPT_LINK.findall(body)))
            counts[name] = Count(seen[0], response.status_code, items, response.headers.get("X-Page-Cache", "-"))
    finally:
        event.remove(engine, "before_cursor_execute", _count)
        with app.app_context():
            db.engine.dispose()
    return counts


def analyze(app: Any) -> None:
    """Fresh planner statistics after the bulk load (autovacuum would do it soon on a real server)."""
    from sqlalchemy import text

    from app.db import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
        db.engine.dispose()


# ---------------------------------------------------------------- servers
class Server:
    """A gunicorn master in its own process group, so that stopping it stops its workers."""

    def __init__(self, label: str, module: str, chdir: Path, env: dict[str, str], workers: int, log_path: Path):
        self.label = label
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        cmd = [str(BIN / "gunicorn"), "--workers", str(workers), "--worker-class", "sync",
               "--bind", f"127.0.0.1:{self.port}", "--chdir", str(chdir), "--log-level", "warning",
               "--timeout", "30", module]
        self._log = open(log_path, "w")  # noqa: SIM115 (kept open for the server's lifetime)
        self.proc = subprocess.Popen(cmd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.label} server exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answers; the status is reported elsewhere
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.label} server did not answer within {timeout:.0f} s")

    def worker_pids(self) -> list[int]:
        pids = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue
            if re.search(rf"^PPid:\s+{self.proc.pid}$", text, re.M):
                pids.append(int(status.parent.name))
        return pids

    def cpu_ticks(self) -> int:
        """The workers' CPU time so far (utime + stime, in clock ticks)."""
        total = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            total += int(fields[11]) + int(fields[12])
        return total

    def wait_idle(self, timeout: float = 30) -> float:
        """Wait until the workers use no CPU for a moment: a sync worker goes on rendering what wrk
        queued before it stopped, which would otherwise slow the next measurement. Returns seconds."""
        started = time.monotonic()
        quiet, last = 0, self.cpu_ticks()
        while quiet < 2 and time.monotonic() - started < timeout:
            time.sleep(0.15)
            now = self.cpu_ticks()
            quiet = quiet + 1 if now - last <= 1 else 0
            last = now
        return time.monotonic() - started

    def peak_rss_mb(self) -> float:
        """The largest VmHWM (peak resident set) among the workers, in MB."""
        peaks = []
        for pid in self.worker_pids():
            try:
                match = re.search(r"^VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
            except OSError:
                continue
            if match:
                peaks.append(int(match.group(1)) / 1024)
        return max(peaks, default=0.0)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self._log.close()


# ---------------------------------------------------------------- load
def run_wrk(url: str, script: Path, args: argparse.Namespace, duration: float, cookie: str | None) -> Result:
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration:g}s", "--timeout", "5s",
           "-s", str(script), *(["-H", f"Cookie: {cookie}"] if cookie else []), url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30, check=True).stdout
    match = re.search(r"^BENCH (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", out, re.M)
    if not match:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    requests, micros, p50, p95, bad, errors, hits = (int(g) for g in match.groups())
    return Result(requests / (micros / 1e6), p50 / 1000, p95 / 1000, bad, errors, hits, requests)


def run_python_client(url: str, args: argparse.Namespace, duration: float, cookie: str | None) -> Result:
    """Keep-alive HTTP/1.1 from N threads. The GIL makes it a weaker load than wrk."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path + (f"?{parts.query}" if parts.query else "") or "/"
    headers = {"Cookie": cookie} if cookie else {}
    latencies: list[float] = []
    bad = [0]
    errors = [0]
    hits = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + duration

    def worker() -> None:
        local: list[float] = []
        conn = http.client.HTTPConnection(host, port, timeout=5)
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.getheader("X-Page-Cache") == "hit":
                    with lock:
                        hits[0] += 1
                if response.status >= 400:
                    with lock:
                        bad[0] += 1
            except (OSError, http.client.HTTPException):
                with lock:
                    errors[0] += 1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=5)
                continue
            local.append(time.perf_counter() - started)
        conn.close()
        with lock:
            latencies.extend(local)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(args.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + 10)
    elapsed = time.perf_counter() - started
    if not latencies:
        return Result(0.0, 0.0, 0.0, bad[0], errors[0])
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return Result(len(latencies) / elapsed, q[49] * 1000, q[94] * 1000, bad[0], errors[0], hits[0], len(latencies))


def http_get(base: str, path: str, cookie: str | None = None) -> tuple[int, dict[str, str], bytes, float]:
    """One GET on a fresh connection: status, headers (lower-case names), body, milliseconds."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
    try:
        started = time.perf_counter()
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body, elapsed
    finally:
        conn.close()


def http_login(base: str) -> str:
    """Log the reader in through the real login form on the server; returns the Cookie header."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
    cookies: dict[str, str] = {}

    def send(method: str, path: str, body: bytes | None = None, extra: dict[str, str] | None = None) -> Any:
        headers = {**(extra or {})}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, val = value.split(";", 1)[0].partition("=")
                cookies[key.strip()] = val.strip()
        return response, data

    try:
        _, page = send("GET", "/account/login")
        form = urlencode({"csrf_token": csrf_of(page.decode()), "email": BENCH_USER, "password": BENCH_PASSWORD})
        response, _ = send("POST", "/account/login", form.encode(),
                           {"Content-Type": "application/x-www-form-urlencoded"})
        if response.status != 302 or "/account/login" in (response.getheader("Location") or ""):
            raise RuntimeError(f"the bench reader could not log in on the server: {response.status}")
    finally:
        conn.close()
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    status, _, _, _ = http_get(base, "/my/concepts", cookie)
    if status != 200:
        raise RuntimeError(f"logged in, but /my/concepts answers {status} with the session cookie")
    return cookie


def cold_challenge(app: Any, slug: str, path: str, real: Server | None, times: int) -> dict[str, Any]:
    """The first anonymous request to the challenge page after a change: `times` times, commit a
    change to a challenge's summary (which bumps the page cache's generation, as any commit to a
    public table does) and time one GET of the page, in-process with the test client (the
    server's own time) and, with `real`, through gunicorn (fresh connection; then a second GET, a
    hit, for comparison). Medians in ms, and what X-Page-Cache said of each timed request."""
    from sqlalchemy import select

    from app.challenges.models import Challenge
    from app.db import db

    def change(n: int) -> None:
        with app.app_context():
            challenge = db.session.scalar(select(Challenge).where(Challenge.slug == slug))
            challenge.summary = f"A benchmark challenge whose summary changed ({n}), shown on every card."
            db.session.commit()

    client = app.test_client()
    client.get(path, headers=HOST)  # warm-up
    inproc: list[float] = []
    http_ms: list[float] = []
    hit_ms: list[float] = []
    seen: dict[str, int] = {}
    for n in range(times):
        change(n)
        started = time.perf_counter()
        response = client.get(path, headers=HOST)
        inproc.append((time.perf_counter() - started) * 1000)
        tag = f"in-process {response.status_code} {response.headers.get('X-Page-Cache', '-')}"
        seen[tag] = seen.get(tag, 0) + 1
    if real is not None:
        http_get(real.url, path)
        for n in range(times):
            change(times + n)
            status, headers, _, ms = http_get(real.url, path)
            http_ms.append(ms)
            tag = f"gunicorn {status} {headers.get('x-page-cache', '-')}"
            seen[tag] = seen.get(tag, 0) + 1
            hit_ms.append(http_get(real.url, path)[3])
    with app.app_context():
        db.engine.dispose()
    med = lambda xs: statistics.median(xs) if xs else float("nan")  # noqa: E731
    return {"ms": med(inproc), "p95": statistics.quantiles(inproc, n=20)[-1] if len(inproc) > 1 else med(inproc),
            "http_ms": med(http_ms), "hit_ms": med(hit_ms), "seen": seen}


# ---------------------------------------------------------------- main
def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


@dataclass
class Target:
    key: str            # "bare_anon", "anon_home", "user_mine", ...
    group: str          # "anon" or "user"
    path: str
    url: str
    cookie: str | None  # the reader's session cookie for the logged-in runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--challenges", type=int, default=1000,
                        help="public challenges seeded; queries are also counted with a tenth of them")
    parser.add_argument("--runs", type=int, default=3, help="rounds of measurement; medians are reported")
    parser.add_argument("--duration", type=float, default=4.0, help="seconds of load per page per round")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (both servers)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--cold", type=int, default=50, help="changes timed for the cold-cache figure")
    parser.add_argument("--database", metavar="URL",
                        help="a PostgreSQL server URL (postgresql+psycopg://user@host:5432/db); the bench "
                             "creates a scratch database there and drops it afterwards. Default: SQLite")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, database)")
    args = parser.parse_args()
    if args.runs < 1 or args.duration <= 0 or args.cold < 1:
        parser.error("--runs and --cold must be >= 1 and --duration > 0")
    if args.challenges < 100 or args.orgs < 1 or args.users < 10:
        parser.error("--challenges must be >= 100 (a tenth of them has every state), --orgs >= 1, --users >= 10")

    use_wrk = shutil.which("wrk") is not None
    if not use_wrk:
        log("wrk not found (install it with: apt-get install -y wrk); using a slower Python client, "
            "so absolute figures are lower, ratios still comparable")

    # SIGTERM (e.g. from `timeout`) cleans up like Ctrl+C does.
    signal.signal(signal.SIGTERM, _interrupt)
    tmp = Path(tempfile.mkdtemp(prefix="ca-bench-"))
    servers: list[Server] = []
    drop_db = lambda: None  # noqa: E731
    bench_started = time.perf_counter()
    try:
        env, drop_db = prepare(tmp, args.database)
        started = time.perf_counter()
        app = seed(args.users, args.orgs)
        log(f"seeded {args.users} users and {args.orgs} organisations in {time.perf_counter() - started:.1f} s")
        # Count the queries with a tenth of the challenges, then seed the rest and count again:
        # the count must not grow with the number of challenges (nor with the cards on a page).
        small = args.challenges // 10
        started = time.perf_counter()
        seed_challenges(app, 0, small)
        fields = page_targets(app)
        pages = {name: path.format(**fields) for name, path in PAGES.items()}
        anon_counted = {**{n: pages[n] for n in ANON_PAGES}, **COUNT_ONLY}
        user_counted = {**{n: pages[n] for n in USER_PAGES}, **COUNT_ONLY}
        analyze(app)
        build_index(app)
        small_counts = {"anon": count_queries(app, anon_counted),
                        "user": count_queries(app, user_counted, logged_in=True)}
        seed_challenges(app, small, args.challenges - small)
        analyze(app)
        log(f"seeded {args.challenges} challenges with their concepts in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        documents = build_index(app)
        log(f"indexed {documents} public documents in {time.perf_counter() - started:.1f} s")
        full_counts = {"anon": count_queries(app, anon_counted),
                       "user": count_queries(app, user_counted, logged_in=True)}
        for group, counts in full_counts.items():
            for name, count in counts.items():
                if count.status != 200:
                    log(f"warning: {group} {name} ({pages.get(name, COUNT_ONLY.get(name))}) answers "
                        f"{count.status}, not 200: its figures measure that response")

        bare = Server("bare", "bare_app:app", BENCH, env, args.workers, tmp / "bare.log")
        real = Server("app", "wsgi:app", ROOT, env, args.workers, tmp / "app.log")
        servers = [bare, real]
        bare.wait_ready("/")
        real.wait_ready("/")
        cookie = http_login(real.url)

        # Bare Flask opens each group of a round, so each page is compared with a bare figure
        # measured moments before it.
        targets = [Target("bare_anon", "anon", "/", bare.url + "/", None),
                   *(Target(f"anon_{n}", "anon", pages[n], real.url + pages[n], None) for n in ANON_PAGES),
                   Target("bare_user", "user", "/", bare.url + "/", None),
                   *(Target(f"user_{n}", "user", pages[n], real.url + pages[n], cookie) for n in USER_PAGES)]
        # What the server answers each page, and whether an anonymous reader's page is then served
        # from the cache (each worker keeps its own: a few requests reach them all).
        served: dict[str, tuple[int, str]] = {}
        for t in targets:
            if t.key.startswith("bare"):
                continue
            for _ in range(2 * args.workers + 2):
                status, headers, _, _ = http_get(real.url, t.path, t.cookie)
                served[t.key] = (status, headers.get("x-page-cache", "-"))
                if served[t.key][1] == "hit":
                    break
            if status != 200:
                log(f"warning: {t.key} ({t.path}) answers {status} on the server, not 200")
        script = tmp / "report.lua"
        script.write_text(WRK_SCRIPT)

        def measure(t: Target, duration: float) -> Result:
            server = bare if t.key.startswith("bare") else real
            if use_wrk:
                result = run_wrk(t.url, script, args, duration, t.cookie)
            else:
                result = run_python_client(t.url, args, duration, t.cookie)
            server.wait_idle()  # what it queued is rendered before the next page is measured
            return result

        for t in targets:  # warm-up: imports, template compilation, connection pools, the page cache
            measure(t, 1)
        rounds: list[dict[str, Result]] = []
        for n in range(args.runs):
            rounds.append({t.key: measure(t, args.duration) for t in targets})
            log(f"round {n + 1}/{args.runs}: " + ", ".join(f"{k} {v.rps:.0f}" for k, v in rounds[-1].items())
                + " req/s")

        started = time.perf_counter()
        cold = cold_challenge(app, fields["slug"], pages["challenge"], real, args.cold)
        log(f"timed {args.cold} cold renders of the challenge page in {time.perf_counter() - started:.1f} s")
        rss = {"bare flask": bare.peak_rss_mb(), "app": real.peak_rss_mb()}
        print_report(args, targets, rounds, anon_counted, user_counted, small_counts, full_counts, served, cold,
                     rss, use_wrk, time.perf_counter() - bench_started)
        return 0
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        for server in servers:
            server.stop()
        try:
            drop_db()
        except Exception as exc:  # noqa: BLE001  cleanup must not hide the result
            log(f"could not drop the scratch database: {exc}")
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _ratio(value: float) -> str:
    return f"{value:.2f}x" if value >= 0.1 else f"{value:.3f}x"


def print_report(args: argparse.Namespace, targets: list[Target], rounds: list[dict[str, Result]],
                 anon_counted: dict[str, str], user_counted: dict[str, str], small: dict[str, dict[str, Count]],
                 full: dict[str, dict[str, Count]], served: dict[str, tuple[int, str]], cold: dict[str, Any],
                 rss: dict[str, float], use_wrk: bool, elapsed: float) -> None:
    def med(key: str, attr: str) -> float:
        return statistics.median(getattr(r[key], attr) for r in rounds)

    measured = [t for t in targets if not t.key.startswith("bare")]
    ratio = {t.key: statistics.median(r[t.key].rps / r[f"bare_{t.group}"].rps if r[f"bare_{t.group}"].rps else 0.0
                                      for r in rounds) for t in measured}
    bare_rps = statistics.median(r[k].rps for r in rounds for k in ("bare_anon", "bare_user"))
    bare_p50 = statistics.median(r[k].p50_ms for r in rounds for k in ("bare_anon", "bare_user"))
    bare_p95 = statistics.median(r[k].p95_ms for r in rounds for k in ("bare_anon", "bare_user"))
    bare_errors = sum(r[k].bad_status + r[k].errors for r in rounds for k in ("bare_anon", "bare_user"))
    client = f"wrk -t{args.threads} -c{args.connections}" if use_wrk else f"python client x{args.connections}"
    print(f"\nConcept Arena pages vs a bare Flask page: gunicorn {args.workers} sync workers on 127.0.0.1, "
          f"{client}, {args.duration:g} s x {args.runs} rounds (medians; bare Flask measured before each "
          f"group of each round); {args.users} users, {args.orgs} organisations, {args.challenges} challenges, "
          f"{'PostgreSQL' if args.database else 'SQLite'}; load average {os.getloadavg()[0]:.2f}; "
          f"whole run {elapsed / 60:.1f} min")
    print("anon = no cookie, served from the page cache once rendered ('hits': the share of the load's "
          "answers that came from it); user = the reader logged in through the login form, never cached")
    print(f"{'page':<16}{'path':<42}{'status':>7}{'hits':>6}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}"
          f"{'x bare':>8}{'errors':>7}")
    print(f"{'bare flask':<16}{'/ (bench/bare_app.py)':<42}{200:>7}{'-':>6}{bare_rps:>8.0f}{bare_p50:>8.1f}"
          f"{bare_p95:>8.1f}{'1.000x':>8}{bare_errors:>7}")
    for t in measured:
        status, cache = served.get(t.key, (0, "-"))
        errors = sum(r[t.key].bad_status + r[t.key].errors for r in rounds)
        answered = sum(r[t.key].requests for r in rounds)
        hits = sum(r[t.key].hits for r in rounds)
        share = f"{100 * hits / answered:.0f}%" if t.group == "anon" and answered else "-"
        if t.group == "anon" and cache != "hit":
            share += "!"  # the probe before the load never saw a hit
        print(f"{t.key:<16}{t.path[:41]:<42}{status:>7}{share:>6}{med(t.key, 'rps'):>8.0f}"
              f"{med(t.key, 'p50_ms'):>8.1f}{med(t.key, 'p95_ms'):>8.1f}{ratio[t.key]:>7.3f}x{errors:>7}")

    n_small = args.challenges // 10
    print(f"\nSQL statements per request (test client, BEGIN/COMMIT not counted) with {n_small} and "
          f"{args.challenges} challenges seeded. anon: the FIRST render after a change (page cache "
          "generation bumped: a miss; a hit issues none); user: the logged-in reader, second request. "
          "'cards' = challenges and concepts linked from the page")
    print(f"{'page':<11}{'path':<42}{'anon':>6}{'anon':>6}{'user':>6}{'user':>6}{'cards':>7}{'cards':>7}  miss?")
    print(f"{'':<53}{f'@{n_small}':>6}{f'@{args.challenges}':>6}{f'@{n_small}':>6}{f'@{args.challenges}':>6}"
          f"{f'@{n_small}':>7}{f'@{args.challenges}':>7}")
    grows: list[str] = []
    for name in dict.fromkeys([*anon_counted, *user_counted]):
        path = anon_counted.get(name) or user_counted[name]
        cells = []
        for group in ("anon", "user"):
            if name in full[group]:
                a, b = small[group][name], full[group][name]
                cells += [f"{a.queries:>6}", f"{b.queries:>6}"]
                if a.queries != b.queries:
                    grows.append(f"{group}_{name}")
            else:
                cells += [f"{'-':>6}", f"{'-':>6}"]
        items = full["anon"].get(name) or full["user"][name]
        items_small = small["anon"].get(name) or small["user"][name]
        miss = full["anon"][name].cache if name in full["anon"] else "-"
        print(f"{name:<11}{path[:41]:<42}{''.join(cells)}{items_small.items:>7}{items.items:>7}  {miss}")
    # Flat: the same count with 10x the challenges, and one organisation's short list costs what the
    # full page of cards costs.
    for group in ("anon", "user"):
        if "list_org" in full[group] and full[group]["list_org"].queries != full[group]["list"].queries:
            grows.append(f"{group}_list_org")
    flat = "flat" if not grows else "GROWS:" + ",".join(grows)
    print(f"queries per page: {flat}")
    seen = ", ".join(f"{k} x{v}" for k, v in sorted(cold["seen"].items()))
    print(f"\ncold cache, the challenge page's first anonymous request after a committed change "
          f"(x{args.cold}): in-process median {cold['ms']:.1f} ms (p95 {cold['p95']:.1f}), through gunicorn "
          f"median {cold['http_ms']:.1f} ms, a hit right after {cold['hit_ms']:.1f} ms ({seen})")
    print(f"worker peak RSS (VmHWM): app {rss['app']:.0f} MB, bare flask {rss['bare flask']:.0f} MB")
    print("pages: " + " ".join(f"{t.key}={_ratio(ratio[t.key])}" for t in measured)
          + f" cold_challenge_ms={cold['ms']:.1f} worker_rss={rss['app']:.0f}MB load={os.getloadavg()[0]:.1f}"
          + f" queries={flat}")


if __name__ == "__main__":
    sys.exit(main())
