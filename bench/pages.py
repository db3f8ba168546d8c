#!/usr/bin/env python3
"""How fast our pages are next to the ceiling: a bare Flask page on the same gunicorn settings.

    .venv/bin/python bench/pages.py [--users 1000] [--orgs 200] [--runs 3] [--duration 5]
                                    [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]

What it does, all on 127.0.0.1 and inside a temporary directory it removes afterwards:
1. makes a fresh database (a SQLite file, or with --database a scratch database created on that
   PostgreSQL server and dropped afterwards), migrates it with `flask db upgrade`, and seeds N users
   and M organisations with bulk inserts (one password hash computed once);
2. counts the SQL statements each page issues, in a test-client pass;
3. serves the app (`gunicorn wsgi:app`) and a bare Flask app rendering a small template
   (`bench/bare_app.py`) with the same settings: sync workers, 127.0.0.1, a free port;
4. drives each with `wrk` (or a slower Python client when wrk is missing) several times, in
   rounds that interleave bare / home / login so that machine noise hits all three alike;
5. prints requests per second, p50/p95 latency, the ratio to the bare page (median of the per-round
   ratios), queries per request and the workers' peak memory (VmHWM), and a one-line summary.

The machines are shared and noisy: trust the ratios more than the absolute figures.
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
PAGES = {"home": "/", "login": "/account/login"}

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


def count_queries(app: Any) -> dict[str, tuple[int, int]]:
    """SQL queries per request for each page (second request, after warm-up), and the status."""
    from sqlalchemy import event

    from app.db import db

    counts: dict[str, tuple[int, int]] = {}
    with app.app_context():
        engine = db.engine
    seen = [0]

    def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # Transaction control (our SQLite BEGIN IMMEDIATE/BEGIN, COMMIT) is not a query.
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            seen[0] += 1

    event.listen(engine, "before_cursor_execute", _count)
    try:
        client = app.test_client()
        for name, path in PAGES.items():
            client.get(path, headers={"Host": "127.0.0.1"})
            seen[0] = 0
            response = client.get(path, headers={"Host": "127.0.0.1"})
            counts[name] = (seen[0], response.status_code)
    finally:
        event.remove(engine, "before_cursor_execute", _count)
        with app.app_context():
            db.engine.dispose()
    return counts


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
        url, drop_db = make_database(tmp, args.database)
        instance = tmp / "instance"
        env = {**os.environ, "APP_ENV": "development", "DATABASE_URL": url, "INSTANCE_PATH": str(instance),
               "SECRET_KEY": secrets.token_urlsafe(48), "DEMO_MODE": "0", "FLASK_DEBUG": "0",
               "SEARCH_INDEX_DIR": str(instance / "index"), "UPLOAD_DIR": str(instance / "uploads"),
               "MAILBOX_DIR": str(instance / "mailbox"), "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("REDIS_URL", None)
        os.environ.update(env)  # before importing app: config reads the environment at import
        sys.path.insert(0, str(ROOT))

        started = time.perf_counter()
        subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=180)
        log(f"migrated {'PostgreSQL' if args.database else 'SQLite'} in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        app = seed(args.users, args.orgs)
        log(f"seeded {args.users} users and {args.orgs} organisations in {time.perf_counter() - started:.1f} s")
        queries = count_queries(app)
        for name, (_n, status) in queries.items():
            if status != 200:
                log(f"warning: {name} ({PAGES[name]}) answers {status}, not 200: its figures measure that response")

        bare = Server("bare", "bare_app:app", BENCH, env, args.workers, tmp / "bare.log")
        real = Server("app", "wsgi:app", ROOT, env, args.workers, tmp / "app.log")
        servers = [bare, real]
        bare.wait_ready("/")
        real.wait_ready("/")

        targets = {"bare flask": bare.url + "/", **{name: real.url + path for name, path in PAGES.items()}}
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
        print_report(args, rounds, queries, rss, use_wrk)
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


def print_report(args: argparse.Namespace, rounds: list[dict[str, Result]],
                 queries: dict[str, tuple[int, int]], rss: dict[str, float], use_wrk: bool) -> None:
    def med(name: str, attr: str) -> float:
        return statistics.median(getattr(r[name], attr) for r in rounds)

    ratio = {name: statistics.median(r[name].rps / r["bare flask"].rps if r["bare flask"].rps else 0.0
                                     for r in rounds) for name in PAGES}
    client = f"wrk -t{args.threads} -c{args.connections}" if use_wrk else f"python client x{args.connections}"
    print(f"\nConcept Arena pages vs a bare Flask page: gunicorn {args.workers} sync workers on 127.0.0.1, "
          f"{client}, {args.duration:g} s x {args.runs} rounds (medians); "
          f"{args.users} users, {args.orgs} organisations, {'PostgreSQL' if args.database else 'SQLite'}")
    print(f"{'page':<12}{'path':<16}{'status':>7}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'x bare':>8}"
          f"{'queries':>9}{'errors':>8}")
    for name in ("bare flask", *PAGES):
        path = PAGES.get(name, "/")
        status = queries[name][1] if name in queries else 200
        n_queries = queries[name][0] if name in queries else 0
        errors = sum(r[name].bad_status + r[name].errors for r in rounds)
        x = ratio.get(name, 1.0)
        print(f"{name:<12}{path:<16}{status:>7}{med(name, 'rps'):>9.0f}{med(name, 'p50_ms'):>9.1f}"
              f"{med(name, 'p95_ms'):>9.1f}{x:>7.2f}x{n_queries:>9}{errors:>8}")
    print(f"worker peak RSS (VmHWM): app {rss['app']:.0f} MB, bare flask {rss['bare flask']:.0f} MB")
    print("pages: " + " ".join(f"{name}={ratio[name]:.2f}x" for name in PAGES)
          + f" of bare flask, worker_rss={rss['app']:.0f}MB")


if __name__ == "__main__":
    sys.exit(main())
