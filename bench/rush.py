#!/usr/bin/env python3
"""A deadline rush: hundreds of teams upload a file and submit in the last minute before the deadline.

    .venv/bin/python bench/rush.py [--database sqlite|postgres] [--clients 20] [--submissions 200]
                                   [--file-mb 1] [--workers 2] [--threads 4] [--window 60]
                                   [--repeat 1] [--keep] [--profile]

What it does, all on 127.0.0.1 and inside a temporary directory it removes afterwards:
1. makes a fresh database (a SQLite file, or a scratch PostgreSQL database on
   postgresql+psycopg://postgres@127.0.0.1:5432, dropped afterwards) and migrates it;
2. seeds one organisation and one open challenge, and N verified users, each the team lead of a
   concept draft with a title, summary and text (rows written directly, as
   tests/concepts/conftest.py does); every fifth team has a second member, who gets a receipt too.
   Passwords are hashed once, with cheap argon2 parameters that the server also uses
   (ARGON2_MEMORY_COST=1024), so logging in costs no more than any other request;
3. serves the app with gunicorn (gthread workers, SUBMISSION_GRACE_SECONDS=0) and logs every
   team lead in through the real login form before the clock starts (real server-side sessions
   and CSRF tokens; the login is not what this bench measures, and the per-IP login limit is
   raised for the bench because every client comes from 127.0.0.1);
4. moves the challenge's deadline to `--window` seconds from now and lets `--clients` threads work
   through the teams as fast as they can: GET /concepts/<id>/edit (CSRF token, lock_version), POST
   the edit form with a `--file-mb` PDF (multipart, the workspace's field names), GET
   /concepts/<id>/submit and POST it (licence, both confirmations, lock_version). A submission's
   latency is those four requests together; a 2xx/3xx on the final POST is "accepted", a 4xx
   "refused" (its reason is read from the page), a 5xx or a broken connection an error;
5. checks the database afterwards: every accepted submission has exactly one frozen version with
   its file row, the file on disk has the SHA-256 the client sent, and a receipt is queued in the
   outbox for every member ("lost" when any of that is missing, "duplicated" when one submit made
   more than one version); a refused one made no version;
6. in the same run, measures a baseline: a bare Flask app (`baseline_app` below, served as
   `rush:baseline_app()` from bench/ by gunicorn with the same workers, threads and gthread class)
   with the same four URLs, driven by the same client code (`rush`, `submit_one`) with the same
   number of clients, teams and file size. Each client's session is opened with one GET before
   the clock starts, as the real rush logs in first. Its endpoints do the least a correct
   submission needs, and no more:
     GET  /concepts/<id>/edit    a small HTML form (Jinja) with a CSRF token kept in Flask's signed
                                 cookie session and lock_version;
     POST /concepts/<id>/edit    checks the token, reads the multipart file, SHA-256, writes it
                                 content-addressed as the app does (temp file, fsync, rename into
                                 files/ab/<hash>), keeps the hash in the session, 303 to the form;
     GET  /concepts/<id>/submit  the same small form;
     POST /concepts/<id>/submit  checks the token and the licence, and inserts one row (concept,
                                 file hash, time) into a SQLite file in one BEGIN IMMEDIATE ...
                                 COMMIT transaction (WAL, synchronous=NORMAL: the app's own SQLite
                                 settings), 303 to /concepts/<id>/versions/1.
   So the baseline pays for HTTP, Flask, multipart parsing, hashing, one fsync'd file and one
   durable row: the floor on this machine. It is the same for `--database sqlite` and `postgres`
   (it measures the machine, not the database), and its rows and files are checked too;
7. prints throughput per second, p50/p95/max latency, refusals and errors, the baseline's p50/p95
   and throughput next to the real ones and their ratios (p95_x = real p95 / baseline p95,
   per_min_x = real per_min / baseline per_min), and one summary line, always the last:
   `rush: db=sqlite accepted=200 refused=0 lost=0 duplicated=0 p95_ms=480 per_min=612
   baseline_p95_ms=120 baseline_per_min=2400 p95_x=4.0 per_min_x=0.26 runs=1 load=1.9`
   (`errors=N` and `baseline_errors=N` are appended when there are any; `load` is the 1-minute
   load average when a run ends).

`--repeat N` repeats the whole measurement (a fresh database, the real rush and the baseline) N
times in one invocation, the baseline first in odd runs and last in even ones so that a drift in
the machine's load does not always favour one side. Each run prints a `rush run i/N:` line with
the same fields, and the summary line gives medians over the runs: of accepted, refused, the
latencies and throughputs, and of each run's own ratio (as bench/pages.py does); lost, duplicated
and the error counts are summed over the runs, so a single loss anywhere shows. The machine is
shared and noisy: quote the medians of several runs, and the ratios rather than the absolute
figures.

`--profile` runs the real server under cProfile (werkzeug's ProfilerMiddleware: one profile per
request, wall-clock time, so waits for a lock show up as time in the call that waits) and prints,
after each real rush, where each of the four requests spends its time (the functions with the most
cumulative time, summed over all requests of that kind). cProfile slows Python code down, so the
latencies of a profiled run are not comparable with an unprofiled one; use it to find the costs.

Only the Python standard library is used on the client side (http.client with keep-alive).
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import html
import http.client
import os
import re
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "rush password that nobody uses"
LICENCE = "cc-by-4.0"
TITLE, SUMMARY = "Deadline rush concept {n}", "A concept submitted in the final minute before the deadline, number {n}."
BODY = "## The idea\n\nEvery team in this bench submits in the last minute.\n\n## Why\n\nTo see nothing is lost.\n"

sys.path.insert(0, str(BENCH))
from pages import free_port, log, prepare  # noqa: E402  (bench/pages.py: database, migration, logging)

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
INPUT_RE = re.compile(r"<input\b[^>]*>", re.S)
ERROR_RE = re.compile(r'<(?:div|p|li|span)[^>]*class="[^"]*(?:error|alert|notice|refused)[^"]*"[^>]*>(.*?)</', re.S)
TAG_RE = re.compile(r"<[^>]+>")


# ---------------------------------------------------------------- a small HTTP client with cookies
class Session:
    """One browser: a keep-alive connection and its cookies (the session cookie, nothing else)."""

    def __init__(self, base: str, timeout: float = 60) -> None:
        parts = urlsplit(base)
        self.host, self.port, self.timeout = parts.hostname or "127.0.0.1", parts.port or 80, timeout
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        hdrs = {"Host": f"{self.host}:{self.port}", "Accept": "text/html", **(headers or {})}
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                response = self.conn.getresponse()
                data = response.read()
            except (ConnectionError, http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                # A keep-alive connection the server closed while idle: retry once, but only for a GET
                # (a POST that may have arrived is never sent twice).
                if attempt == 1 and method == "GET":
                    continue
                raise
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    cookie = value.split(";", 1)[0]
                    key, _, val = cookie.partition("=")
                    if "max-age=0" in value.lower() or "expires=thu, 01 jan 1970" in value.lower():
                        self.cookies.pop(key.strip(), None)
                    else:
                        self.cookies[key.strip()] = val.strip()
            if response.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        raise AssertionError("unreachable")

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        return self.request("POST", path, urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def post_multipart(self, path: str, fields: dict[str, str],
                       files: dict[str, tuple[str, bytes, str]]) -> tuple[int, dict[str, str], bytes]:
        boundary = f"----rush{uuid.uuid4().hex}"
        chunks: list[bytes] = []
        for name, value in fields.items():
            chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, data, mimetype) in files.items():
            chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                          f"Content-Type: {mimetype}\r\n\r\n".encode() + data + b"\r\n")
        chunks.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, b"".join(chunks),
                            {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def csrf_of(page: bytes) -> str:
    match = CSRF_RE.search(page.decode("utf-8", "replace"))
    if not match:
        raise ValueError("no CSRF token in the page")
    return html.unescape(match.group(1) or match.group(2))


def input_value(page: bytes, name: str) -> str:
    for tag in INPUT_RE.findall(page.decode("utf-8", "replace")):
        if re.search(rf'\bname="{re.escape(name)}"', tag):
            value = re.search(r'\bvalue="([^"]*)"', tag)
            return html.unescape(value.group(1)) if value else ""
    raise ValueError(f"no input {name!r} in the page")


def reason_of(page: bytes) -> str:
    """The message a refusal shows (the first error/notice box), as one short line of text."""
    text = page.decode("utf-8", "replace")
    for match in ERROR_RE.finditer(text):
        words = " ".join(html.unescape(TAG_RE.sub(" ", match.group(1))).split())
        if len(words) > 8:
            return words[:160]
    title = re.search(r"<title>(.*?)</title>", text, re.S)
    return " ".join(html.unescape(title.group(1)).split())[:160] if title else "(no message found)"


def make_pdf(concept_id: int, size: int) -> bytes:
    """A valid PDF of about `size` bytes, unique per concept (so content addressing stores each one)."""
    head = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
            b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n")
    tail = b"\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    comment = f"% rush concept {concept_id} {uuid.uuid4().hex}\n".encode()
    filler_len = max(0, size - len(head) - len(tail) - len(comment))
    line = b"% " + b"x" * 98 + b"\n"
    filler = (line * (filler_len // len(line) + 1))[:filler_len]
    return head + comment + filler + tail


# ---------------------------------------------------------------- seed
@dataclass
class Team:
    concept_id: int
    email: str
    member_emails: list[str]


def seed(n: int, app: Any) -> tuple[list[Team], int]:
    """One organisation, one open challenge (deadline set later), n teams with a draft each."""
    from datetime import timedelta

    from sqlalchemy import insert, select

    from app.accounts.models import TermsAcceptance, User
    from app.accounts.passwords import hash_password
    from app.challenges.models import Challenge, ChallengeState, Criterion
    from app.concepts.models import Concept, ConceptMember, ConceptState, MemberRole
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

    now = utcnow()
    with app.app_context():
        password_hash = hash_password(PASSWORD)
        extra = n // 5  # every fifth team has a second member
        emails = [f"rush-lead-{i}@example.org" for i in range(n)] + [f"rush-mate-{i}@example.org" for i in range(extra)]
        db.session.execute(insert(User), [
            {"email": e, "password_hash": password_hash, "display_name": e.split("@")[0], "locale": "en",
             "timezone": "Europe/Copenhagen", "participant_kind": "student", "email_verified_at": now,
             "created_at": now, "password_changed_at": now} for e in [*emails, "rush-owner@example.org"]])
        ids = dict(db.session.execute(select(User.email, User.id)).tuples().all())
        db.session.execute(insert(TermsAcceptance), [
            {"user_id": uid, "document": doc, "version": app.config[key], "accepted_at": now}
            for uid in ids.values() for doc, key in (("terms", "TERMS_VERSION"), ("privacy", "PRIVACY_VERSION"))])
        org = Organisation(slug="rush-org", name="Rush Kommune", kind=OrganisationKind.MUNICIPALITY, country=Country.DK,
                           website="https://rush.example.org", description="The deadline rush bench.",
                           contact_email="contact@rush.example.org", timezone="Europe/Copenhagen",
                           status=OrganisationStatus.APPROVED, created_by_id=ids["rush-owner@example.org"],
                           created_at=now)
        db.session.add(org)
        db.session.flush()
        db.session.add(Membership(organisation_id=org.id, user_id=ids["rush-owner@example.org"], role=Role.OWNER,
                                  created_at=now))
        challenge = Challenge(
            organisation_id=org.id, slug="deadline-rush", title="The deadline rush", summary="Submit in time.",
            problem_md="Everyone submits at the last minute.", background_md="", language="en",
            prize_minor=1_000_000, currency="DKK", prize_count=1, prize_split=[100], eligibility=["anyone"],
            allow_individuals=True, allow_teams=True, max_team_size=5, accepted_licences=[LICENCE],
            max_concept_files=5, max_concept_file_mb=10, timezone="Europe/Copenhagen",
            opens_at=now - timedelta(days=7), deadline_at=now + timedelta(days=1),
            judging_ends_at=now + timedelta(days=14), results_at=now + timedelta(days=21),
            state=ChallengeState.OPEN, published_at=now - timedelta(days=8), created_by_id=ids["rush-owner@example.org"],
            criteria=[Criterion(position=0, name="Impact", description="How much it helps", weight=100,
                                scale_min=1, scale_max=5)])
        db.session.add(challenge)
        db.session.flush()
        db.session.execute(insert(Concept), [
            {"challenge_id": challenge.id, "owner_id": ids[f"rush-lead-{i}@example.org"], "title": TITLE.format(n=i),
             "summary": SUMMARY.format(n=i), "body_md": BODY, "language": "en", "state": ConceptState.DRAFT,
             "lock_version": 1, "created_at": now, "updated_at": now} for i in range(n)])
        concept_of = dict(db.session.execute(select(Concept.owner_id, Concept.id)).tuples().all())
        teams, members = [], []
        for i in range(n):
            lead = f"rush-lead-{i}@example.org"
            team = [lead] + ([f"rush-mate-{i // 5}@example.org"] if i % 5 == 0 and i // 5 < extra else [])
            cid = concept_of[ids[lead]]
            for j, email in enumerate(team):
                members.append({"concept_id": cid, "challenge_id": challenge.id, "user_id": ids[email],
                                "role": MemberRole.OWNER if j == 0 else MemberRole.MEMBER, "joined_at": now})
            teams.append(Team(cid, lead, team))
        db.session.execute(insert(ConceptMember), members)
        db.session.commit()
        challenge_id = challenge.id
        db.engine.dispose()
    return teams, challenge_id


def set_deadline(app: Any, challenge_id: int, seconds: float) -> Any:
    from datetime import timedelta

    from app.challenges.models import Challenge
    from app.core.timeutil import utcnow
    from app.db import db

    with app.app_context():
        challenge = db.session.get(Challenge, challenge_id)
        challenge.deadline_at = utcnow() + timedelta(seconds=seconds)
        deadline = challenge.deadline_at
        db.session.commit()
        db.engine.dispose()
    return deadline


# ---------------------------------------------------------------- server
class Server:
    """gunicorn with gthread workers, in its own process group so that stopping it stops its workers."""

    def __init__(self, env: dict[str, str], workers: int, threads: int, log_path: Path, *,
                 app_spec: str = "wsgi:app", chdir: Path = ROOT, ready_path: str = "/account/login") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.ready_path = ready_path
        # The real app and the baseline differ only in what they serve: same gunicorn, same settings.
        cmd = [str(BIN / "gunicorn"), "--workers", str(workers), "--worker-class", "gthread", "--threads",
               str(threads), "--bind", f"127.0.0.1:{self.port}", "--chdir", str(chdir), "--log-level", "warning",
               "--timeout", "60", app_spec]
        self._log = open(log_path, "w")  # noqa: SIM115 (kept open for the server's lifetime)
        self.proc = subprocess.Popen(cmd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log_path.read_text()[-3000:]}")
            probe = Session(self.url, timeout=2)
            try:
                probe.get(self.ready_path)
                return
            except OSError:
                time.sleep(0.2)
            finally:
                probe.close()
        raise RuntimeError(f"server did not answer within {timeout:.0f} s")

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


# ---------------------------------------------------------------- profiling (--profile)
PROFILE_ENV = "RUSH_PROFILE_DIR"


def profiled_app() -> Any:
    """The real app (wsgi:app) under werkzeug's ProfilerMiddleware, one .prof file per request in
    RUSH_PROFILE_DIR, named by method and route (ids replaced by N), for `profile_report`."""
    from werkzeug.middleware.profiler import ProfilerMiddleware

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from wsgi import app

    def name(environ: dict[str, Any]) -> str:  # werkzeug passes the WSGI environ
        route = re.sub(r"/\d+", "/N", environ.get("PATH_INFO", "")).strip("/").replace("/", ".") or "root"
        return f"{environ['REQUEST_METHOD']}.{route}.{uuid.uuid4().hex}.prof"

    return ProfilerMiddleware(app, stream=None, profile_dir=os.environ[PROFILE_ENV], filename_format=name)


def profile_report(profile_dir: Path, top: int = 30) -> None:
    """Per kind of request, the functions with the most cumulative (wall-clock) time."""
    import io
    import pstats

    groups: dict[str, list[str]] = {}
    for path in sorted(profile_dir.glob("*.prof")):
        groups.setdefault(path.name.rsplit(".", 2)[0], []).append(str(path))
    for kind, paths in sorted(groups.items()):
        out = io.StringIO()
        stats = pstats.Stats(paths[0], stream=out)
        for more in paths[1:]:
            stats.add(more)
        out.truncate(0)  # the header pstats prints per file added
        print(f"\nprofile {kind}: {len(paths)} requests, {stats.total_tt / len(paths) * 1000:.0f} ms each on average "
              f"(wall clock); the top {top} by cumulative time and the top {top // 2} by own time, summed over them:")
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top // 2)
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip() and ".prof" not in line
                        and not line.lstrip().startswith(("Ordered by", "List reduced", "ncalls"))
                        and "function calls" not in line))


# ---------------------------------------------------------------- the rush
@dataclass
class Outcome:
    concept_id: int
    kind: str                  # accepted, refused, error
    status: int = 0
    reason: str = ""
    started: float = 0.0
    finished: float = 0.0
    upload_ms: float = 0.0
    submit_ms: float = 0.0
    file_sha256: str = ""
    steps: list[str] = field(default_factory=list)

    @property
    def latency_ms(self) -> float:
        return (self.finished - self.started) * 1000


def login_all(base: str, teams: list[Team], clients: int) -> dict[int, Session]:
    """Every team lead logs in through the real login form (session cookie, open connection)."""

    def login(s: Session, team: Team) -> str | None:
        _, _, page = s.get("/account/login")
        status, _, body = s.post_form("/account/login", {"csrf_token": csrf_of(page), "email": team.email,
                                                         "password": PASSWORD})
        return None if status == 302 else f"{team.email}: {status} {reason_of(body)}"

    return open_sessions(base, teams, clients, login, "logins")


def open_sessions(base: str, teams: list[Team], clients: int, first: Any, what: str) -> dict[int, Session]:
    """One Session per team, each opened by `first(session, team)` (None, or what went wrong)."""
    sessions: dict[int, Session] = {}
    lock = threading.Lock()
    queue = list(teams)
    failures: list[str] = []

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                team = queue.pop()
            s = Session(base)
            problem = first(s, team)
            with lock:
                if problem:
                    failures.append(problem)
                sessions[team.concept_id] = s

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(f"{len(failures)} {what} failed, e.g. {failures[0]}")
    return sessions


def submit_one(s: Session, team: Team, file_bytes: bytes) -> Outcome:
    cid = team.concept_id
    out = Outcome(cid, "error", started=time.perf_counter())
    n = team.email.split("-")[2].split("@")[0]
    try:
        status, _, page = s.get(f"/concepts/{cid}/edit")
        out.steps.append(f"GET edit {status}")
        if status != 200:
            out.kind = "refused" if 400 <= status < 500 else "error"
            out.status, out.reason = status, reason_of(page)
            return out
        try:
            base_version = input_value(page, "lock_version")
        except ValueError:  # past the deadline the workspace is read-only: the page says why, no form
            out.kind, out.status, out.reason = "refused", status, "read-only edit page: " + reason_of(page)
            return out
        fields = {"csrf_token": csrf_of(page), "lock_version": base_version,
                  "title": TITLE.format(n=n), "summary": SUMMARY.format(n=n), "body_md": BODY, "language": "en",
                  "tags": "rush", "cover_alt": ""}
        t0 = time.perf_counter()
        status, _, page = s.post_multipart(f"/concepts/{cid}/edit", fields,
                                           {"attachment": (f"concept-{cid}.pdf", file_bytes, "application/pdf")})
        out.upload_ms = (time.perf_counter() - t0) * 1000
        out.steps.append(f"POST edit {status}")
        if status >= 400:
            out.kind = "refused" if status < 500 else "error"
            out.status, out.reason = status, reason_of(page)
            return out
        out.file_sha256 = hashlib.sha256(file_bytes).hexdigest()
        t0 = time.perf_counter()
        status, _, page = s.get(f"/concepts/{cid}/submit")
        out.steps.append(f"GET submit {status}")
        if status != 200:
            out.kind = "refused" if 400 <= status < 500 else "error"
            out.status, out.reason = status, reason_of(page)
            return out
        try:
            base_version = input_value(page, "lock_version")
        except ValueError:  # the deadline passed between the upload and this page: no form, a notice
            out.kind, out.status, out.reason = "refused", status, "submit page without a form: " + reason_of(page)
            return out
        status, headers, page = s.post_form(f"/concepts/{cid}/submit", {
            "csrf_token": csrf_of(page), "licence": LICENCE, "confirm_eligible": "y", "confirm_terms": "y",
            "lock_version": base_version})
        out.submit_ms = (time.perf_counter() - t0) * 1000
        out.steps.append(f"POST submit {status}")
        out.status = status
        if 200 <= status < 400 and (status == 200 or "/versions/" in headers.get("location", "")):
            out.kind = "accepted"
        elif 400 <= status < 500:
            out.kind, out.reason = "refused", reason_of(page)
        elif status < 400:
            out.kind, out.reason = "error", f"unexpected redirect to {headers.get('location')}"
        else:
            out.kind, out.reason = "error", f"HTTP {status}"
    except (OSError, http.client.HTTPException, ValueError) as exc:
        out.kind, out.reason = "error", f"{type(exc).__name__}: {exc}"
    finally:
        out.finished = time.perf_counter()
    return out


def rush(sessions: dict[int, Session], teams: list[Team], clients: int, file_size: int) -> tuple[list[Outcome], float]:
    queue = list(teams)
    lock = threading.Lock()
    outcomes: list[Outcome] = []
    files = {t.concept_id: make_pdf(t.concept_id, file_size) for t in teams}  # built before the clock starts

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                team = queue.pop(0)
            result = submit_one(sessions[team.concept_id], team, files[team.concept_id])
            with lock:
                outcomes.append(result)

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes, start


# ---------------------------------------------------------------- the count check
def check(app: Any, teams: list[Team], outcomes: list[Outcome], upload_dir: str) -> dict[str, Any]:
    """Compare what the clients were told with what the database and the disk hold."""
    from sqlalchemy import select

    from app.concepts.models import Concept, ConceptVersion
    from app.core.files import document_path
    from app.db import db
    from app.mail.models import OutboxMessage

    by_id = {t.concept_id: t for t in teams}
    lost: list[str] = []
    duplicated: list[int] = []
    refused_with_version: list[int] = []
    with app.app_context():
        versions: dict[int, list[Any]] = {}
        for v in db.session.scalars(select(ConceptVersion)):
            versions.setdefault(v.concept_id, []).append(v)
        receipts = Counter((m.to_addr, m.body_text) for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == "concepts/receipt")))
        receipt_to: dict[str, list[str]] = {}
        for (to, body), _count in receipts.items():
            receipt_to.setdefault(to, []).append(body)
        states = dict(db.session.execute(select(Concept.id, Concept.submitted_version_no)).tuples().all())
        for out in outcomes:
            vs = versions.get(out.concept_id, [])
            if out.kind != "accepted":
                if out.kind == "refused" and vs:
                    refused_with_version.append(out.concept_id)
                continue
            if len(vs) > 1:
                duplicated.append(out.concept_id)
            if not vs:
                lost.append(f"C-{out.concept_id}: no version")
                continue
            v = vs[-1]
            problems = []
            if states.get(out.concept_id) != v.number:
                problems.append("not the counting version")
            if len(v.files) != 1:
                problems.append(f"{len(v.files)} file rows")
            for f in v.files:
                path = document_path(upload_dir, f.content_hash)
                if not path.is_file():
                    problems.append("file missing on disk")
                elif hashlib.sha256(path.read_bytes()).hexdigest() != f.content_hash:
                    problems.append("file bytes do not match their hash")
                elif f.content_hash != out.file_sha256:
                    problems.append("stored file is not the one uploaded")
            for email in by_id[out.concept_id].member_emails:
                if not any(v.fingerprint in body for body in receipt_to.get(email, [])):
                    problems.append(f"no receipt for {email}")
            if problems:
                lost.append(f"C-{out.concept_id}: " + ", ".join(problems))
        db.engine.dispose()
    return {"lost": lost, "duplicated": duplicated, "refused_with_version": refused_with_version}


# ---------------------------------------------------------------- the baseline
BASELINE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1>
<form method="post" action="{{ action }}" enctype="{{ enctype }}">
<input type="hidden" name="csrf_token" value="{{ token }}">
<input type="hidden" name="lock_version" value="1">
{% for name in fields %}<p><label>{{ name }} <input type="text" name="{{ name }}" value=""></label></p>
{% endfor %}<button type="submit">{{ button }}</button>
</form></main></body></html>
"""


def baseline_app() -> Any:
    """The bare Flask app the rush is compared with: the same four URLs, the least work a correct
    submission needs (see the module docstring). gunicorn runs it as `rush:baseline_app()` from
    bench/, with RUSH_BASELINE_DIR (files and baseline.sqlite, made by `make_baseline_db`) and
    SECRET_KEY in the environment. It never imports the real app."""
    from flask import Flask, abort, redirect, request, session

    root = Path(os.environ["RUSH_BASELINE_DIR"])
    app = Flask(__name__)
    app.secret_key = os.environ["SECRET_KEY"]
    page = app.jinja_env.from_string(BASELINE_PAGE)  # compiled once, autoescaped
    local = threading.local()

    def database() -> sqlite3.Connection:
        conn = getattr(local, "conn", None)
        if conn is None:  # one connection per server thread, with the app's own SQLite settings
            conn = sqlite3.connect(root / "baseline.sqlite", isolation_level=None, timeout=10,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=10000")
            conn.execute("PRAGMA synchronous=NORMAL")
            local.conn = conn
        return conn

    def token() -> str:
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        return str(session["csrf"])

    def check_token() -> None:
        if not secrets.compare_digest(request.form.get("csrf_token", ""), str(session.get("csrf", ""))):
            abort(400)

    def form(cid: int, what: str, enctype: str, fields: tuple[str, ...], button: str) -> str:
        return page.render(title=f"{what} concept {cid}", action=f"/concepts/{cid}/{what.lower()}",
                           enctype=enctype, token=token(), fields=fields, button=button)

    @app.get("/concepts/<int:cid>/edit")
    def edit_page(cid: int) -> str:
        return form(cid, "Edit", "multipart/form-data", ("title", "summary", "body_md", "tags"), "Save")

    @app.post("/concepts/<int:cid>/edit")
    def upload(cid: int) -> Any:
        check_token()
        data = request.files["attachment"].read()
        if not data:
            abort(400)
        digest = hashlib.sha256(data).hexdigest()
        target = root / "files" / digest[:2] / digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        session["file"] = digest
        return redirect(f"/concepts/{cid}/edit", 303)

    @app.get("/concepts/<int:cid>/submit")
    def submit_page(cid: int) -> str:
        return form(cid, "Submit", "application/x-www-form-urlencoded", ("licence",), "Submit")

    @app.post("/concepts/<int:cid>/submit")
    def submit(cid: int) -> Any:
        check_token()
        if request.form.get("licence") != LICENCE or not request.form.get("confirm_terms"):
            abort(400)
        digest = session.get("file")
        if not digest:
            abort(409)
        conn = database()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("INSERT INTO submission (concept_id, content_hash, submitted_at) VALUES (?, ?, ?)",
                         (cid, digest, time.time()))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return redirect(f"/concepts/{cid}/versions/1", 303)

    return app


def make_baseline_db(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE submission (id INTEGER PRIMARY KEY, concept_id INTEGER NOT NULL UNIQUE, "
                     "content_hash TEXT NOT NULL, submitted_at REAL NOT NULL)")
        conn.commit()


def check_baseline(root: Path, outcomes: list[Outcome]) -> list[str]:
    """Every accepted baseline submission has its row, and its file on disk has the hash the client sent."""
    with contextlib.closing(sqlite3.connect(root / "baseline.sqlite")) as conn:
        rows = dict(conn.execute("SELECT concept_id, content_hash FROM submission").fetchall())
    problems = []
    for out in outcomes:
        if out.kind != "accepted":
            continue
        digest = rows.get(out.concept_id)
        path = root / "files" / out.file_sha256[:2] / out.file_sha256
        if digest != out.file_sha256:
            problems.append(f"C-{out.concept_id}: row {'missing' if digest is None else 'with another hash'}")
        elif not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            problems.append(f"C-{out.concept_id}: file missing or not the one uploaded")
    return problems


# ---------------------------------------------------------------- report
@dataclass
class Figures:
    accepted: int
    refused: int
    errors: int
    lost: int
    duplicated: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    per_min: float
    span_s: float


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def figures(outcomes: list[Outcome], start: float, lost: int = 0, duplicated: int = 0) -> Figures:
    accepted = [o for o in outcomes if o.kind == "accepted"]
    end = max((o.finished for o in outcomes), default=start)
    span = max(end - start, 1e-9)
    latencies = [o.latency_ms for o in accepted]
    return Figures(accepted=len(accepted), refused=sum(o.kind == "refused" for o in outcomes),
                   errors=sum(o.kind == "error" for o in outcomes), lost=lost, duplicated=duplicated,
                   p50_ms=percentile(latencies, 50), p95_ms=percentile(latencies, 95),
                   max_ms=max(latencies, default=0.0), per_min=len(accepted) / span * 60, span_s=span)


def report(args: argparse.Namespace, outcomes: list[Outcome], start: float, deadline_in: float,
           checked: dict[str, Any]) -> Figures:
    fig = figures(outcomes, start, len(checked["lost"]), len(checked["duplicated"]))
    accepted = [o for o in outcomes if o.kind == "accepted"]
    refused = [o for o in outcomes if o.kind == "refused"]
    errors = [o for o in outcomes if o.kind == "error"]
    print(f"\nDeadline rush on {args.database}: gunicorn {args.workers} gthread workers x {args.threads} threads, "
          f"{args.clients} clients, {args.submissions} teams, {args.file_mb:g} MB PDF each, deadline "
          f"{deadline_in:.0f} s after the start")
    print("\nsubmissions completed per second (accepted / refused / errors):")
    per_second: dict[int, Counter[str]] = {}
    for o in outcomes:
        per_second.setdefault(int(o.finished - start), Counter())[o.kind] += 1
    for second in range(int(fig.span_s) + 1):
        c = per_second.get(second, Counter())
        print(f"  t={second:3d}s  {c['accepted']:4d} / {c['refused']:3d} / {c['error']:3d}")
    print(f"\naccepted {fig.accepted} in {fig.span_s:.1f} s ({fig.accepted / fig.span_s:.1f}/s)")
    if accepted:
        print(f"latency per submission (edit page, upload, submit page, submit): p50 {fig.p50_ms:.0f} ms, "
              f"p95 {fig.p95_ms:.0f} ms, max {fig.max_ms:.0f} ms")
        print(f"  upload POST p50 {statistics.median(o.upload_ms for o in accepted):.0f} ms, "
              f"submit (page + POST) p50 {statistics.median(o.submit_ms for o in accepted):.0f} ms")
    if refused:
        print(f"refused {len(refused)} (4xx, or a page that shows the deadline passed instead of the form):")
        for (status, reason), count in Counter((o.status, o.reason) for o in refused).most_common(5):
            print(f"  {count} x {status}: {reason}")
    if errors:
        print(f"errors {len(errors)} (5xx or connection):")
        for (status, reason), count in Counter((o.status, o.reason) for o in errors).most_common(5):
            print(f"  {count} x {status or '-'}: {reason}")
    for item in checked["lost"][:10]:
        print(f"LOST {item}")
    for cid in checked["duplicated"][:10]:
        print(f"DUPLICATED C-{cid}")
    for cid in checked["refused_with_version"][:10]:
        print(f"REFUSED BUT STORED C-{cid}")
    return fig


def report_baseline(fig: Figures, outcomes: list[Outcome], problems: list[str]) -> None:
    print(f"\nbaseline (bare Flask, same gunicorn settings and client): accepted {fig.accepted} in {fig.span_s:.1f} s "
          f"({fig.accepted / fig.span_s:.1f}/s), p50 {fig.p50_ms:.0f} ms, p95 {fig.p95_ms:.0f} ms, "
          f"max {fig.max_ms:.0f} ms" + (f", refused {fig.refused}" if fig.refused else "")
          + (f", errors {fig.errors}" if fig.errors else ""))
    for (kind, status, reason), count in Counter((o.kind, o.status, o.reason) for o in outcomes
                                                 if o.kind != "accepted").most_common(5):
        print(f"  {count} x {kind} {status or '-'}: {reason}")
    for item in problems[:10]:
        print(f"BASELINE LOST {item}")


@dataclass
class Run:
    real: Figures
    base: Figures
    load: float
    order: str

    @property
    def p95_x(self) -> float:
        return self.real.p95_ms / self.base.p95_ms if self.base.p95_ms else 0.0

    @property
    def per_min_x(self) -> float:
        return self.real.per_min / self.base.per_min if self.base.per_min else 0.0


def fields_line(db: str, real: Figures, base: Figures, p95_x: float, per_min_x: float, load: float,
                runs: int | None = None) -> str:
    """The required fields first (never reordered: scripts read them), then the baseline's."""
    line = (f"db={db} accepted={real.accepted:.0f} refused={real.refused:.0f} lost={real.lost} "
            f"duplicated={real.duplicated} p95_ms={real.p95_ms:.0f} per_min={real.per_min:.0f} "
            f"baseline_p95_ms={base.p95_ms:.0f} baseline_per_min={base.per_min:.0f} "
            f"p95_x={p95_x:.1f} per_min_x={per_min_x:.2f}")
    if runs is not None:
        line += f" runs={runs}"
    line += f" load={load:.1f}"
    if real.errors:
        line += f" errors={real.errors}"
    if base.errors or base.lost:
        line += f" baseline_errors={base.errors + base.lost}"
    return line


def summarize(args: argparse.Namespace, runs: list[Run]) -> str:
    def med(values: Any) -> float:
        return statistics.median(list(values))

    def combine(figs: list[Figures]) -> Figures:
        return Figures(accepted=med(f.accepted for f in figs), refused=med(f.refused for f in figs),  # type: ignore[arg-type]
                       errors=sum(f.errors for f in figs), lost=sum(f.lost for f in figs),
                       duplicated=sum(f.duplicated for f in figs), p50_ms=med(f.p50_ms for f in figs),
                       p95_ms=med(f.p95_ms for f in figs), max_ms=med(f.max_ms for f in figs),
                       per_min=med(f.per_min for f in figs), span_s=med(f.span_s for f in figs))

    real, base = combine([r.real for r in runs]), combine([r.base for r in runs])
    print(f"\nReal rush vs the bare Flask baseline, {len(runs)} run(s) ({args.database}, {args.clients} clients, "
          f"{args.submissions} teams, {args.file_mb:g} MB, gunicorn {args.workers}x{args.threads} gthread); "
          "latency = the four requests of one submission")
    print(f"{'run':<8}{'first':<10}{'p50 ms':>8}{'p95 ms':>8}{'/min':>7}  |{'base p50':>9}{'base p95':>9}"
          f"{'base /min':>10}  |{'p95_x':>7}{'/min_x':>8}{'load':>6}")
    rows = [(f"{i + 1}/{len(runs)}", r.order, r.real, r.base, r.p95_x, r.per_min_x, r.load) for i, r in enumerate(runs)]
    if len(runs) > 1:
        rows.append(("median", "", real, base, med(r.p95_x for r in runs), med(r.per_min_x for r in runs),
                     med(r.load for r in runs)))
    for name, order, rf, bf, p95_x, per_min_x, load in rows:
        print(f"{name:<8}{order:<10}{rf.p50_ms:>8.0f}{rf.p95_ms:>8.0f}{rf.per_min:>7.0f}  |{bf.p50_ms:>9.0f}"
              f"{bf.p95_ms:>9.0f}{bf.per_min:>10.0f}  |{p95_x:>7.1f}{per_min_x:>8.2f}{load:>6.1f}")
    if len(runs) > 1:
        for i, r in enumerate(runs):
            print(f"rush run {i + 1}/{len(runs)}: " + fields_line(args.database, r.real, r.base, r.p95_x,
                                                                   r.per_min_x, r.load))
    return "rush: " + fields_line(args.database, real, base, med(r.p95_x for r in runs),
                                  med(r.per_min_x for r in runs), med(r.load for r in runs), len(runs))


# ---------------------------------------------------------------- one run
def run_real(args: argparse.Namespace, tmp: Path) -> Figures:
    """A fresh database and server, the logins, the rush, the check and its report."""
    tmp.mkdir(parents=True, exist_ok=True)
    server: Server | None = None
    drop_db: Any = lambda: None  # noqa: E731
    try:
        try:
            env, drop_db = prepare(tmp, PG_ADMIN_URL if args.database == "postgres" else None)
        except subprocess.CalledProcessError as exc:  # the migration: show why, not only its exit status
            log((exc.stderr or b"").decode("utf-8", "replace")[-3000:])
            raise
        from app import create_app

        app = create_app()
        started = time.perf_counter()
        teams, challenge_id = seed(args.submissions, app)
        log(f"seeded {len(teams)} teams with drafts in {time.perf_counter() - started:.1f} s")
        if args.profile:
            (tmp / "profile").mkdir()
            server = Server({**env, PROFILE_ENV: str(tmp / "profile")}, args.workers, args.threads,
                            tmp / "gunicorn.log", app_spec="rush:profiled_app()", chdir=BENCH)
        else:
            server = Server(env, args.workers, args.threads, tmp / "gunicorn.log")
        server.wait_ready()
        started = time.perf_counter()
        sessions = login_all(server.url, teams, args.clients)
        log(f"logged {len(sessions)} team leads in through the login form in {time.perf_counter() - started:.1f} s")
        for stale in (tmp / "profile").glob("*.prof") if args.profile else ():
            stale.unlink()  # the logins are not what is measured
        deadline = set_deadline(app, challenge_id, args.window)
        log(f"deadline set to {deadline.isoformat()} ({args.window:g} s from now); rush starts")
        outcomes, start = rush(sessions, teams, args.clients, int(args.file_mb * 1024 * 1024))
        for s in sessions.values():
            s.close()
        log(f"rush done in {time.perf_counter() - start:.1f} s; checking the database")
        checked = check(app, teams, outcomes, env["UPLOAD_DIR"])
        fig = report(args, outcomes, start, args.window, checked)
        if args.profile:
            server.stop()
            profile_report(tmp / "profile")
        return fig
    finally:
        if server is not None:
            server.stop()
        try:
            drop_db()
        except Exception as exc:  # noqa: BLE001  cleanup must not hide the result
            log(f"could not drop the scratch database: {exc}")


def run_baseline(args: argparse.Namespace, tmp: Path) -> tuple[Figures, list[Outcome], list[str]]:
    """The bare Flask app through the same gunicorn settings, client code, clients, teams and file size."""
    tmp.mkdir(parents=True, exist_ok=True)
    make_baseline_db(tmp / "baseline.sqlite")
    env = {**os.environ, "RUSH_BASELINE_DIR": str(tmp), "SECRET_KEY": secrets.token_urlsafe(48),
           "PYTHONDONTWRITEBYTECODE": "1"}
    teams = [Team(i + 1, f"rush-lead-{i}@example.org", [f"rush-lead-{i}@example.org"])
             for i in range(args.submissions)]
    server = Server(env, args.workers, args.threads, tmp / "gunicorn.log", app_spec="rush:baseline_app()",
                    chdir=BENCH, ready_path="/concepts/0/edit")
    try:
        server.wait_ready()

        def open_form(s: Session, team: Team) -> str | None:  # what the login is to the real rush
            status, _, _ = s.get(f"/concepts/{team.concept_id}/edit")
            return None if status == 200 else f"C-{team.concept_id}: {status}"

        sessions = open_sessions(server.url, teams, args.clients, open_form, "baseline session openings")
        log("baseline: bare Flask rush starts")
        outcomes, start = rush(sessions, teams, args.clients, int(args.file_mb * 1024 * 1024))
        for s in sessions.values():
            s.close()
        log(f"baseline rush done in {time.perf_counter() - start:.1f} s")
    finally:
        server.stop()
    problems = check_baseline(tmp, outcomes)
    return figures(outcomes, start, lost=len(problems)), outcomes, problems


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (threads)")
    parser.add_argument("--submissions", type=int, default=200, help="teams, each submitting once")
    parser.add_argument("--file-mb", type=float, default=1.0, help="size of each team's PDF")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn gthread workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--window", type=float, default=60.0, help="seconds from the start to the deadline")
    parser.add_argument("--repeat", type=int, default=1,
                        help="repeat the whole measurement (baseline + real) N times; the summary gives medians")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, database)")
    parser.add_argument("--profile", action="store_true",
                        help="profile the real server's requests (cProfile) and print where each kind spends its time")
    args = parser.parse_args()
    if args.clients < 1 or args.submissions < 1 or args.file_mb <= 0 or args.window <= 0 or args.repeat < 1:
        parser.error("--clients, --submissions, --file-mb, --window and --repeat must be positive")

    signal.signal(signal.SIGTERM, _interrupt)
    tmp = Path(tempfile.mkdtemp(prefix="ca-rush-"))
    runs: list[Run] = []
    try:
        # Cheap password hashes (seeded and checked alike), no grace after the deadline, and a
        # login limit that lets every team lead log in from 127.0.0.1 before the rush.
        os.environ.update({"ARGON2_MEMORY_COST": "1024", "ARGON2_TIME_COST": "1", "SUBMISSION_GRACE_SECONDS": "0",
                           "LOGIN_LIMIT_PER_IP": "100000 per 15 minutes", "MAIL_BACKEND": "mailbox"})
        for n in range(args.repeat):
            run_dir = tmp / f"run-{n + 1}"
            order = ("baseline", "real") if n % 2 == 0 else ("real", "baseline")
            log(f"run {n + 1}/{args.repeat}: {order[0]} first")
            for which in order:
                if which == "real":
                    real = run_real(args, run_dir / "real")
                else:
                    base, base_outcomes, problems = run_baseline(args, run_dir / "baseline")
            report_baseline(base, base_outcomes, problems)
            runs.append(Run(real, base, os.getloadavg()[0], order[0]))
            print(f"run {n + 1}/{args.repeat}: p50 {real.p50_ms:.0f} ms vs baseline {base.p50_ms:.0f} ms, "
                  f"p95 {real.p95_ms:.0f} ms vs {base.p95_ms:.0f} ms (p95_x {runs[-1].p95_x:.1f}), "
                  f"{real.per_min:.0f}/min vs {base.per_min:.0f}/min (per_min_x {runs[-1].per_min_x:.2f}); "
                  f"load {runs[-1].load:.2f}", flush=True)
            if not args.keep:
                shutil.rmtree(run_dir, ignore_errors=True)
        print(summarize(args, runs))
        return 0 if not any(r.real.lost or r.real.duplicated for r in runs) else 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
