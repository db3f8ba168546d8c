#!/usr/bin/env python3
"""A deadline rush: hundreds of teams upload a file and submit in the last minute before the deadline.

    .venv/bin/python bench/rush.py [--database sqlite|postgres] [--clients 20] [--submissions 200]
                                   [--file-mb 1] [--workers 2] [--threads 4] [--window 60] [--keep]

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
6. prints throughput per second, p50/p95/max latency, refusals and errors, and one summary line:
   `rush: db=sqlite accepted=200 refused=0 lost=0 duplicated=0 p95_ms=480 per_min=612`.

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
import shutil
import signal
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

    def __init__(self, env: dict[str, str], workers: int, threads: int, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        cmd = [str(BIN / "gunicorn"), "--workers", str(workers), "--worker-class", "gthread", "--threads",
               str(threads), "--bind", f"127.0.0.1:{self.port}", "--chdir", str(ROOT), "--log-level", "warning",
               "--timeout", "60", "wsgi:app"]
        self._log = open(log_path, "w")  # noqa: SIM115 (kept open for the server's lifetime)
        self.proc = subprocess.Popen(cmd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                Session(self.url, timeout=2).get("/account/login")
                return
            except OSError:
                time.sleep(0.2)
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
            _, _, page = s.get("/account/login")
            status, headers, body = s.post_form("/account/login", {"csrf_token": csrf_of(page), "email": team.email,
                                                                   "password": PASSWORD})
            if status != 302:
                failures.append(f"{team.email}: {status} {reason_of(body)}")
            with lock:
                sessions[team.concept_id] = s

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(f"{len(failures)} logins failed, e.g. {failures[0]}")
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


# ---------------------------------------------------------------- report
def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def report(args: argparse.Namespace, outcomes: list[Outcome], start: float, deadline_in: float,
           checked: dict[str, Any]) -> None:
    accepted = [o for o in outcomes if o.kind == "accepted"]
    refused = [o for o in outcomes if o.kind == "refused"]
    errors = [o for o in outcomes if o.kind == "error"]
    end = max((o.finished for o in outcomes), default=start)
    span = max(end - start, 1e-9)
    latencies = [o.latency_ms for o in accepted]
    print(f"\nDeadline rush on {args.database}: gunicorn {args.workers} gthread workers x {args.threads} threads, "
          f"{args.clients} clients, {args.submissions} teams, {args.file_mb:g} MB PDF each, deadline "
          f"{deadline_in:.0f} s after the start")
    print("\nsubmissions completed per second (accepted / refused / errors):")
    per_second: dict[int, Counter[str]] = {}
    for o in outcomes:
        per_second.setdefault(int(o.finished - start), Counter())[o.kind] += 1
    for second in range(int(span) + 1):
        c = per_second.get(second, Counter())
        print(f"  t={second:3d}s  {c['accepted']:4d} / {c['refused']:3d} / {c['error']:3d}")
    print(f"\naccepted {len(accepted)} in {span:.1f} s ({len(accepted) / span:.1f}/s)")
    if latencies:
        print(f"latency per submission (edit page, upload, submit page, submit): p50 {percentile(latencies, 50):.0f} ms, "
              f"p95 {percentile(latencies, 95):.0f} ms, max {max(latencies):.0f} ms")
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
    p95 = percentile(latencies, 95)
    per_min = len(accepted) / span * 60
    print(f"rush: db={args.database} accepted={len(accepted)} refused={len(refused)} lost={len(checked['lost'])} "
          f"duplicated={len(checked['duplicated'])} p95_ms={p95:.0f} per_min={per_min:.0f}"
          + (f" errors={len(errors)}" if errors else ""))


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
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, database)")
    args = parser.parse_args()
    if args.clients < 1 or args.submissions < 1 or args.file_mb <= 0 or args.window <= 0:
        parser.error("--clients, --submissions, --file-mb and --window must be positive")

    signal.signal(signal.SIGTERM, _interrupt)
    tmp = Path(tempfile.mkdtemp(prefix="ca-rush-"))
    server: Server | None = None
    drop_db: Any = lambda: None  # noqa: E731
    try:
        # Cheap password hashes (seeded and checked alike), no grace after the deadline, and a
        # login limit that lets every team lead log in from 127.0.0.1 before the rush.
        os.environ.update({"ARGON2_MEMORY_COST": "1024", "ARGON2_TIME_COST": "1", "SUBMISSION_GRACE_SECONDS": "0",
                           "LOGIN_LIMIT_PER_IP": "100000 per 15 minutes", "MAIL_BACKEND": "mailbox"})
        env, drop_db = prepare(tmp, PG_ADMIN_URL if args.database == "postgres" else None)
        from app import create_app

        app = create_app()
        started = time.perf_counter()
        teams, challenge_id = seed(args.submissions, app)
        log(f"seeded {len(teams)} teams with drafts in {time.perf_counter() - started:.1f} s")
        server = Server(env, args.workers, args.threads, tmp / "gunicorn.log")
        server.wait_ready()
        started = time.perf_counter()
        sessions = login_all(server.url, teams, args.clients)
        log(f"logged {len(sessions)} team leads in through the login form in {time.perf_counter() - started:.1f} s")
        deadline = set_deadline(app, challenge_id, args.window)
        log(f"deadline set to {deadline.isoformat()} ({args.window:g} s from now); rush starts")
        outcomes, start = rush(sessions, teams, args.clients, int(args.file_mb * 1024 * 1024))
        for s in sessions.values():
            s.close()
        log(f"rush done in {time.perf_counter() - start:.1f} s; checking the database")
        checked = check(app, teams, outcomes, env["UPLOAD_DIR"])
        report(args, outcomes, start, args.window, checked)
        return 0 if not checked["lost"] and not checked["duplicated"] else 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        if server is not None:
            server.stop()
        try:
            drop_db()
        except Exception as exc:  # noqa: BLE001  cleanup must not hide the result
            log(f"could not drop the scratch database: {exc}")
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
