#!/usr/bin/env python3
"""How fast the chair's deliberation table answers (issue 10: under 200 ms p95).

    .venv/bin/python bench/judging.py [--requests 30] [--concepts 150] [--jurors 7] [--criteria 6]

What it does, inside a temporary directory it removes afterwards:
1. makes a fresh SQLite database, migrates it (`flask db upgrade`), and seeds two challenges in
   judging: one with N concepts (150) and one with a third as many (50), each with J jurors (7,
   the first the chair) and K criteria (6), one rubric round with everyone, every sheet submitted
   (seeded scores with a harsh and a lenient juror and some noise, so the figures are not trivial);
2. logs the chair in through the real form and requests the table of each challenge with Flask's
   test client: the first request (it computes the aggregation and fills the cache) is timed on
   its own, then R more are timed (p50/p95 of the server's time in this process), counting the SQL
   statements each request issues (a before_cursor_execute listener): the count must be the same
   for 50 and 150 concepts;
3. times the aggregation itself, without the cache: the median of several aggregate() calls on
   the round's data;
4. measures a baseline in the same run: the chair's home (/jury), a light page behind the same
   login and layout, so that a noisy machine shows in both;
5. ends with one summary line:
   judging: table_p50_ms=.. table_p95_ms=.. queries=.. aggregate_ms=.. concepts=150 jurors=7 criteria=6
   baseline_p50_ms=.. table_x=.. (the table's p50 over the baseline's)
"""
from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "bench password that nobody uses"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def prepare(tmp: Path) -> None:
    instance = tmp / "instance"
    env = {**os.environ, "APP_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite'}",
           "INSTANCE_PATH": str(instance), "SECRET_KEY": secrets.token_urlsafe(48), "DEMO_MODE": "0",
           "FLASK_DEBUG": "0", "SEARCH_INDEX_DIR": str(instance / "index"), "UPLOAD_DIR": str(instance / "uploads"),
           "MAILBOX_DIR": str(instance / "mailbox"), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("REDIS_URL", None)
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=180)


def seed(app: Any, *, tag: str, n_concepts: int, n_jurors: int, n_criteria: int, chair_id: int,
         juror_ids: list[int], owner_id: int, org_id: int) -> tuple[str, int]:
    """One challenge in judging with every sheet submitted. Returns its slug and round id."""
    from sqlalchemy import insert, select

    from app.challenges.models import Challenge, ChallengeState, Criterion
    from app.concepts.models import Concept, ConceptState
    from app.core.timeutil import utcnow
    from app.db import db
    from app.judging.models import (
        EntryLabel,
        JudgingRound,
        JurySeat,
        RoundEntry,
        RoundJuror,
        Score,
        ScoreSheet,
        SheetState,
    )

    rng = random.Random(n_concepts)
    now = utcnow()
    weights = [100 // n_criteria] * n_criteria
    weights[0] += 100 - sum(weights)
    with app.app_context():
        challenge = Challenge(
            organisation_id=org_id, slug=f"bench-judging-{tag}", title=f"Bench judging {tag}", summary="Bench.",
            problem_md="Bench.", background_md="", language="en", prize_minor=10_000_000, currency="DKK",
            prize_count=3, prize_split=[50, 30, 20], eligibility=["anyone"], opens_at=now - timedelta(days=60),
            deadline_at=now - timedelta(days=10), judging_ends_at=now + timedelta(days=10),
            results_at=now + timedelta(days=20), state=ChallengeState.JUDGING, timezone="Europe/Copenhagen",
            published_at=now - timedelta(days=61), created_by_id=owner_id, is_blind=True)
        challenge.criteria = [Criterion(position=k, name=f"Criterion {k + 1}", description="", weight=weights[k],
                                        scale_min=1, scale_max=5 if k % 2 == 0 else 10) for k in range(n_criteria)]
        db.session.add(challenge)
        db.session.flush()
        cid = challenge.id
        db.session.execute(insert(Concept), [
            {"challenge_id": cid, "owner_id": owner_id, "team_name": f"Team {i}", "title": f"Concept {i}",
             "summary": "A concept.", "body_md": "Body.", "language": "en", "licence": "cc-by-4.0",
             "state": ConceptState.SUBMITTED, "lock_version": 1, "created_at": now, "updated_at": now,
             "submitted_at": now - timedelta(minutes=n_concepts - i)} for i in range(n_concepts)])
        concept_ids = list(db.session.scalars(select(Concept.id).where(Concept.challenge_id == cid)
                                              .order_by(Concept.id)))
        numbers = list(range(1, n_concepts + 1))
        rng.shuffle(numbers)
        db.session.execute(insert(EntryLabel), [{"challenge_id": cid, "concept_id": c, "number": n, "mentions": []}
                                                for c, n in zip(concept_ids, numbers, strict=True)])
        users = [chair_id, *juror_ids[:n_jurors - 1]]
        db.session.execute(insert(JurySeat), [{"challenge_id": cid, "user_id": u, "is_chair": i == 0,
                                               "joined_at": now} for i, u in enumerate(users)])
        seat_ids = list(db.session.scalars(select(JurySeat.id).where(JurySeat.challenge_id == cid)
                                           .order_by(JurySeat.id)))
        rnd = JudgingRound(challenge_id=cid, position=1, name="Longlist", criterion_ids=[],
                           deadline_at=now + timedelta(days=5))
        db.session.add(rnd)
        db.session.flush()
        db.session.execute(insert(RoundJuror), [{"round_id": rnd.id, "seat_id": s} for s in seat_ids])
        db.session.execute(insert(RoundEntry), [{"round_id": rnd.id, "concept_id": c, "added_at": now}
                                                for c in concept_ids])
        db.session.execute(insert(ScoreSheet), [
            {"round_id": rnd.id, "seat_id": s, "concept_id": c, "state": SheetState.SUBMITTED, "lock_version": 2,
             "overall_comment": "", "private_note": "", "created_at": now, "updated_at": now, "submitted_at": now}
            for s in seat_ids for c in concept_ids])
        sheets = db.session.execute(select(ScoreSheet.id, ScoreSheet.seat_id, ScoreSheet.concept_id)
                                    .where(ScoreSheet.round_id == rnd.id)).all()
        quality = {c: rng.random() for c in concept_ids}
        bias = {s: (-0.25 if i == 1 else 0.25 if i == 2 else 0.0) for i, s in enumerate(seat_ids)}
        rows = []
        for sheet_id, seat, concept in sheets:
            for crit in challenge.criteria:
                share = min(1.0, max(0.0, quality[concept] + bias[seat] + rng.gauss(0, 0.15)))
                value = round(crit.scale_min + share * (crit.scale_max - crit.scale_min))
                rows.append({"sheet_id": sheet_id, "criterion_id": crit.id, "value": value, "comment": ""})
        db.session.execute(insert(Score), rows)
        db.session.commit()
        return challenge.slug, rnd.id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--concepts", type=int, default=150)
    parser.add_argument("--jurors", type=int, default=7)
    parser.add_argument("--criteria", type=int, default=6)
    parser.add_argument("--aggregate-runs", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-judging-"))
    try:
        started = time.perf_counter()
        prepare(tmp)
        from sqlalchemy import event, insert, select

        from app import create_app
        from app.accounts.models import TermsAcceptance, User
        from app.accounts.passwords import hash_password
        from app.core.timeutil import utcnow
        from app.db import db
        from app.judging import aggregate, queries
        from app.judging.models import JudgingRound
        from app.judging.services.table import CACHE
        from app.organisations.models import Membership, Organisation, OrganisationStatus, Role

        app = create_app()
        app.config["RATELIMIT_ENABLED"] = False
        now = utcnow()
        with app.app_context():
            password_hash = hash_password(PASSWORD)
            db.session.execute(insert(User), [
                {"email": f"bench-{i}@example.org", "password_hash": password_hash, "display_name": f"Juror {i}",
                 "locale": "en", "timezone": "Europe/Copenhagen", "email_verified_at": now, "created_at": now,
                 "password_changed_at": now} for i in range(args.jurors + 1)])
            user_ids = list(db.session.scalars(select(User.id).order_by(User.id)))
            db.session.execute(insert(TermsAcceptance), [
                {"user_id": u, "document": doc, "version": app.config[key], "accepted_at": now}
                for u in user_ids for doc, key in (("terms", "TERMS_VERSION"), ("privacy", "PRIVACY_VERSION"))])
            org = Organisation(slug="bench-org", name="Bench Kommune", kind="municipality", country="DK",
                               status=OrganisationStatus.APPROVED, contact_email="privacy@example.org",
                               timezone="Europe/Copenhagen")
            db.session.add(org)
            db.session.flush()
            db.session.add(Membership(organisation_id=org.id, user_id=user_ids[-1], role=Role.OWNER))
            db.session.commit()
            org_id = org.id
        common = {"n_jurors": args.jurors, "n_criteria": args.criteria, "chair_id": user_ids[0],
                  "juror_ids": user_ids[1:args.jurors], "owner_id": user_ids[-1], "org_id": org_id}
        big_slug, big_round = seed(app, tag="big", n_concepts=args.concepts, **common)
        small_slug, _small_round = seed(app, tag="small", n_concepts=max(args.concepts // 3, 2), **common)
        log(f"seeded in {time.perf_counter() - started:.1f} s")

        counter = {"n": 0}
        with app.app_context():
            engine = db.engine

        @event.listens_for(engine, "before_cursor_execute")
        def _count(*_args: Any, **_kwargs: Any) -> None:
            counter["n"] += 1

        client = app.test_client()
        page = client.get("/account/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        answer = client.post("/account/login", data={"email": "bench-0@example.org", "password": PASSWORD,
                                                     "csrf_token": token})
        assert answer.status_code == 302, answer.get_data(as_text=True)[:500]

        def measure(slug: str, n: int) -> tuple[float, list[float], list[int]]:
            url = f"/challenges/{slug}/jury/table"
            CACHE.clear()
            counter["n"] = 0
            t0 = time.perf_counter()
            first = client.get(url)
            cold_ms = (time.perf_counter() - t0) * 1000
            assert first.status_code == 200, first.status_code
            cold_queries = counter["n"]
            times, counts = [], []
            for _ in range(n):
                counter["n"] = 0
                t0 = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
                counts.append(counter["n"])
                assert response.status_code == 200
            log(f"{slug}: first request (computes, fills the cache) {cold_ms:.0f} ms, {cold_queries} queries")
            return cold_ms, times, counts

        # The baseline, in the same run and process: the chair's home (/jury), a light page behind
        # the same login, session and layout; the table's figures read as a ratio to it.
        base_times = []
        for _ in range(args.requests):
            t0 = time.perf_counter()
            assert client.get("/jury").status_code == 200
            base_times.append((time.perf_counter() - t0) * 1000)
        _cold_small, small_times, small_counts = measure(small_slug, max(args.requests // 3, 5))
        _cold_big, big_times, big_counts = measure(big_slug, args.requests)
        log("times (ms): " + " ".join(f"{t:.0f}" for t in big_times))

        def pct(values: list[float], p: float) -> float:
            ordered = sorted(values)
            return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]

        with app.app_context():
            data = queries.round_scores(db.session.get(JudgingRound, big_round))
            agg_times = []
            for _ in range(args.aggregate_runs):
                t0 = time.perf_counter()
                aggregate.aggregate(data)
                agg_times.append((time.perf_counter() - t0) * 1000)
        small_n = max(args.concepts // 3, 2)
        log(f"table, {small_n} concepts: p50 {statistics.median(small_times):.1f} ms, p95 {pct(small_times, 95):.1f} ms,"
            f" queries per request {sorted(set(small_counts))}")
        log(f"table, {args.concepts} concepts: p50 {statistics.median(big_times):.1f} ms, "
            f"p95 {pct(big_times, 95):.1f} ms, queries per request {sorted(set(big_counts))}")
        log(f"aggregate() without the cache: median {statistics.median(agg_times):.0f} ms over {args.aggregate_runs}")
        if set(small_counts) != set(big_counts):
            log("WARNING: the number of queries differs between the two sizes")
        base_p50 = statistics.median(base_times)
        log(f"baseline (/jury, the chair's home): p50 {base_p50:.1f} ms, p95 {pct(base_times, 95):.1f} ms")
        print(f"judging: table_p50_ms={statistics.median(big_times):.1f} table_p95_ms={pct(big_times, 95):.1f} "
              f"queries={max(big_counts)} aggregate_ms={statistics.median(agg_times):.0f} "
              f"concepts={args.concepts} jurors={args.jurors} criteria={args.criteria} "
              f"baseline_p50_ms={base_p50:.1f} table_x={statistics.median(big_times) / base_p50:.1f}")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
