#!/usr/bin/env python3
"""How fast our pages are next to the ceiling: a bare Flask page on the same gunicorn settings.

    .venv/bin/python bench/pages.py [--users 1000] [--orgs 200] [--challenges 1000] [--runs 3]
                                    [--duration 5]
                                    [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]

What it does, all on 127.0.0.1 and inside a temporary directory it removes afterwards:
1. makes a fresh database (a SQLite file, or with --database a scratch database created on that
   PostgreSQL server and dropped afterwards), migrates it with `flask db upgrade`, and seeds N users
   and M organisations with bulk inserts (one password hash computed once);
2. seeds a tenth of the public challenges (every public state, from timelines around now; tags,
   SDGs, a rubric; questions, announcements and a change log on every tenth), counts the SQL
   statements each page issues in a test-client pass, seeds the rest and counts again: the counts
   must not grow with the number of challenges, nor with the cards a page lists (one organisation's
   short list is counted next to the full page of 20);
3. serves the app (`gunicorn wsgi:app`) and a bare Flask app rendering a small template
   (`bench/bare_app.py`) with the same settings: sync workers, 127.0.0.1, a free port;
4. drives each page (home, login, the challenge list plain and filtered+sorted, a challenge page)
   with `wrk` (or a slower Python client when wrk is missing) several times, in rounds that
   interleave the bare page and ours so that machine noise hits all of them alike;
5. prints requests per second, p50/p95 latency, the ratio to the bare page (median of the per-round
   ratios), queries per request at both sizes, the workers' peak memory (VmHWM) and the load
   average, and a one-line summary.

The machines are shared and noisy: trust the ratios more than the absolute figures.
bench/profile_pages.py seeds the same data and shows where a page's time goes, in-process.
"""
from __future__ import annotations

import argparse
import contextlib
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

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
# The pages measured under load (the challenge page's slug is filled in after seeding), and a page
# counted only: one organisation's list, with a handful of cards where the full list has 20.
PAGES = {"home": "/", "login": "/account/login", "list": "/challenges/",
         "filtered": "/challenges/?status=open&sort=prize", "challenge": "/challenges/{slug}"}
COUNT_ONLY = {"list_org": "/challenges/?organisation=bench-org-0"}

# wrk prints p50/75/90/99 only; this script reports the exact figures we want, in microseconds.
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), e.status, e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass
class Result:
    rps: float
    p50_ms: float
    p95_ms: float
    bad_status: int
    errors: int


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
           "MAILBOX_DIR": str(instance / "mailbox"), "PYTHONDONTWRITEBYTECODE": "1"}
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
    password_hash = hash_password("bench password that nobody uses")
    locales, kinds = ("en", "da", "nb", "sv"), list(ParticipantKind)
    towns = ("Aarhus", "Bergen", "Uppsala", "Odense", "Tromsø", "Lund", "Aalborg", "Stavanger", "Umeå", "Vejle")
    with app.app_context():
        db.session.execute(insert(User), [
            {"email": f"bench-{i}@example.org", "password_hash": password_hash, "display_name": f"Bench user {i}",
             "locale": locales[i % 4], "timezone": "Europe/Copenhagen", "participant_kind": kinds[i % len(kinds)],
             "email_verified_at": now, "created_at": now, "password_changed_at": now}
            for i in range(n_users)])
        user_ids = db.session.scalars(select(User.id).order_by(User.id)).all()
        db.session.execute(insert(TermsAcceptance), [
            {"user_id": uid, "document": doc, "version": app.config[key], "accepted_at": now}
            for uid in user_ids for doc, key in (("terms", "TERMS_VERSION"), ("privacy", "PRIVACY_VERSION"))])
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
        user_ids = db.session.scalars(select(User.id).order_by(User.id).limit(50)).all()
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
        db.session.commit()
        db.engine.dispose()
    return "bench-challenge-00000"


@dataclass
class Count:
    queries: int
    status: int
    items: int  # challenges linked from the page (cards and result lists)


CHALLENGE_LINK = re.compile(r'href="/challenges/(bench-challenge-\d+)"')


def count_queries(app: Any, pages: dict[str, str]) -> dict[str, Count]:
    """SQL statements per request for each page (second request, after warm-up), its status, and
    how many challenges it lists. Transaction control (BEGIN/COMMIT/ROLLBACK) is not counted."""
    from sqlalchemy import event

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
        for name, path in pages.items():
            client.get(path, headers={"Host": "127.0.0.1"})
            seen[0] = 0
            response = client.get(path, headers={"Host": "127.0.0.1"})
            items = len(set(CHALLENGE_LINK.findall(response.get_data(as_text=True))))
            counts[name] = Count(seen[0], response.status_code, items)
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
def run_wrk(url: str, script: Path, args: argparse.Namespace, duration: float) -> Result:
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration:g}s", "--timeout", "5s",
           "-s", str(script), url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30, check=True).stdout
    match = re.search(r"^BENCH (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", out, re.M)
    if not match:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    requests, micros, p50, p95, bad, errors = (int(g) for g in match.groups())
    return Result(requests / (micros / 1e6), p50 / 1000, p95 / 1000, bad, errors)


def run_python_client(url: str, args: argparse.Namespace, duration: float) -> Result:
    """Keep-alive HTTP/1.1 from N threads. The GIL makes it a weaker load than wrk."""
    host, port = url.split("//")[1].split("/")[0].split(":")
    path = "/" + url.split("//")[1].split("/", 1)[1] if url.count("/") > 2 else "/"
    latencies: list[float] = []
    bad = [0]
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + duration

    def worker() -> None:
        local: list[float] = []
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    with lock:
                        bad[0] += 1
            except OSError:
                with lock:
                    errors[0] += 1
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=5)
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
    q = statistics.quantiles(latencies, n=100)
    return Result(len(latencies) / elapsed, q[49] * 1000, q[94] * 1000, bad[0], errors[0])


# ---------------------------------------------------------------- main
def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--challenges", type=int, default=1000,
                        help="public challenges seeded; queries are also counted with a tenth of them")
    parser.add_argument("--runs", type=int, default=3, help="rounds of measurement; medians are reported")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of load per page per round")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (both servers)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--database", metavar="URL",
                        help="a PostgreSQL server URL (postgresql+psycopg://user@host:5432/db); the bench "
                             "creates a scratch database there and drops it afterwards. Default: SQLite")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, database)")
    args = parser.parse_args()
    if args.runs < 1 or args.duration <= 0:
        parser.error("--runs must be >= 1 and --duration > 0")
    if args.challenges < 10 or args.orgs < 1 or args.users < 1:
        parser.error("--challenges must be >= 10, --orgs and --users >= 1")

    use_wrk = shutil.which("wrk") is not None
    if not use_wrk:
        log("wrk not found (install it with: apt-get install -y wrk); using a slower Python client, "
            "so absolute figures are lower, ratios still comparable")

    # SIGTERM (e.g. from `timeout`) cleans up like Ctrl+C does.
    signal.signal(signal.SIGTERM, _interrupt)
    tmp = Path(tempfile.mkdtemp(prefix="ca-bench-"))
    servers: list[Server] = []
    drop_db = lambda: None  # noqa: E731
    try:
        env, drop_db = prepare(tmp, args.database)
        started = time.perf_counter()
        app = seed(args.users, args.orgs)
        log(f"seeded {args.users} users and {args.orgs} organisations in {time.perf_counter() - started:.1f} s")
        # Count the queries with a tenth of the challenges, then seed the rest and count again:
        # the count must not grow with the number of challenges (nor with the cards on a page).
        small = args.challenges // 10
        started = time.perf_counter()
        slug = seed_challenges(app, 0, small)
        pages = {name: path.format(slug=slug) for name, path in PAGES.items()}
        counted = {**pages, **COUNT_ONLY}
        analyze(app)
        queries_small = count_queries(app, counted)
        seed_challenges(app, small, args.challenges - small)
        analyze(app)
        log(f"seeded {args.challenges} challenges in {time.perf_counter() - started:.1f} s")
        queries = count_queries(app, counted)
        for name, count in queries.items():
            if count.status != 200:
                log(f"warning: {name} ({counted[name]}) answers {count.status}, not 200: "
                    "its figures measure that response")

        bare = Server("bare", "bare_app:app", BENCH, env, args.workers, tmp / "bare.log")
        real = Server("app", "wsgi:app", ROOT, env, args.workers, tmp / "app.log")
        servers = [bare, real]
        bare.wait_ready("/")
        real.wait_ready("/")

        targets = {"bare flask": bare.url + "/", **{name: real.url + path for name, path in pages.items()}}
        script = tmp / "report.lua"
        script.write_text(WRK_SCRIPT)

        def measure(target: str, duration: float) -> Result:
            if use_wrk:
                return run_wrk(target, script, args, duration)
            return run_python_client(target, args, duration)

        for target in targets.values():  # warm-up: imports, template compilation, connection pools
            measure(target, 1)
        rounds: list[dict[str, Result]] = []
        for n in range(args.runs):
            rounds.append({name: measure(target, args.duration) for name, target in targets.items()})
            log(f"round {n + 1}/{args.runs}: " + ", ".join(f"{k} {v.rps:.0f} req/s" for k, v in rounds[-1].items()))

        rss = {"bare flask": bare.peak_rss_mb(), "app": real.peak_rss_mb()}
        print_report(args, rounds, counted, queries_small, queries, rss, use_wrk)
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


def print_report(args: argparse.Namespace, rounds: list[dict[str, Result]], counted: dict[str, str],
                 small: dict[str, Count], full: dict[str, Count], rss: dict[str, float], use_wrk: bool) -> None:
    def med(name: str, attr: str) -> float:
        return statistics.median(getattr(r[name], attr) for r in rounds)

    measured = [name for name in rounds[0] if name != "bare flask"]
    ratio = {name: statistics.median(r[name].rps / r["bare flask"].rps if r["bare flask"].rps else 0.0
                                     for r in rounds) for name in measured}
    client = f"wrk -t{args.threads} -c{args.connections}" if use_wrk else f"python client x{args.connections}"
    print(f"\nConcept Arena pages vs a bare Flask page: gunicorn {args.workers} sync workers on 127.0.0.1, "
          f"{client}, {args.duration:g} s x {args.runs} rounds (medians); {args.users} users, "
          f"{args.orgs} organisations, {args.challenges} challenges, "
          f"{'PostgreSQL' if args.database else 'SQLite'}; load average {os.getloadavg()[0]:.2f}")
    print(f"{'page':<11}{'path':<40}{'status':>7}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'x bare':>8}"
          f"{'errors':>7}")
    for name in ("bare flask", *measured):
        path = counted.get(name, "/")
        status = full[name].status if name in full else 200
        errors = sum(r[name].bad_status + r[name].errors for r in rounds)
        print(f"{name:<11}{path[:39]:<40}{status:>7}{med(name, 'rps'):>8.0f}{med(name, 'p50_ms'):>8.1f}"
              f"{med(name, 'p95_ms'):>8.1f}{ratio.get(name, 1.0):>7.3f}x{errors:>7}")
    n_small = args.challenges // 10
    print(f"\nSQL statements per request (test client, BEGIN/COMMIT not counted), with {n_small} and "
          f"{args.challenges} challenges seeded; 'cards' = challenges linked from the page")
    print(f"{'page':<11}{'path':<40}{'queries':>9}{'cards':>7}{'queries':>9}{'cards':>7}")
    print(f"{'':<51}{f'@{n_small}':>16}{f'@{args.challenges}':>16}")
    for name, path in counted.items():
        print(f"{name:<11}{path[:39]:<40}{small[name].queries:>9}{small[name].items:>7}"
              f"{full[name].queries:>9}{full[name].items:>7}")
    # Flat: the same count with 10x the challenges, and one organisation's short list costs what the
    # full page of cards costs.
    grows = [name for name in counted if full[name].queries != small[name].queries]
    if "list_org" in full and full["list_org"].queries != full["list"].queries:
        grows.append("list_org")
    print(f"worker peak RSS (VmHWM): app {rss['app']:.0f} MB, bare flask {rss['bare flask']:.0f} MB")
    flat = "(flat)" if not grows else "(GROWS: " + ",".join(grows) + ")"
    print("pages: " + " ".join(f"{name}={ratio[name]:.3f}x" for name in measured) + " of bare flask, queries "
          + " ".join(f"{name}={full[name].queries}" for name in measured if name != "login")
          + f" {flat}, worker_rss={rss['app']:.0f}MB")


if __name__ == "__main__":
    sys.exit(main())
