#!/usr/bin/env python3
"""How fast the archive's search is, through the app and next to raw Whoosh (issue 11, Performance).

    .venv/bin/python bench/search.py [--docs 100000] [--challenges N] [--backend whoosh|postgres]
                                     [--runs 3] [--queries 8] [--duration 5] [--profile] [--keep]

What it does, inside a temporary directory it removes afterwards:
1. makes a fresh database (SQLite; with --backend postgres a scratch database on 127.0.0.1:5432,
   dropped afterwards), migrates it, and bulk-inserts (SQLAlchemy Core) --docs published concepts
   and --challenges challenges (default docs/50) in four languages: challenges in results or
   archived with concept_publication "all", each concept with its submitted version under an
   open licence, three placed winners per challenge. Text is generated deterministically from
   word lists built from real prose and drawn Zipf-distributed (bench/search_words.py);
2. rebuilds the index through the app, `flask search rebuild` under /usr/bin/time -v (the
   documents come from documents.py, as in production): wall time, documents per second, peak
   memory, index size on disk;
3. builds the same documents with raw Whoosh (the same schema and writer settings, no app, no
   database; text generation is not timed) for the "at least 80 % of raw Whoosh" goal;
4. searches through the app (Flask test client, warm) for single words, two words, phrases,
   faceted queries (a word and one chosen facet value, with every facet's counts) and filtered
   ones (a word and three filters, or no word at all: browsing), and runs the same queries against
   the raw index with no app around them: the query object the backend builds, the filters as a
   Whoosh filter query, the exact total, the top 20 hits' stored fields and summary highlights;
   app and raw alternate, query by query, so machine noise hits both alike;
5. serves the app with gunicorn (2 sync workers) and drives each kind of query with wrk
   (a Lua script cycles through the queries), then reads the workers' peak RSS (VmHWM);
6. ends with one summary line:
   search: docs=.. p50_ms=.. p95_ms=.. raw_p95_ms=.. p95_x=.. facet_p95_ms=.. build_docs_s=.. worker_rss_mb=..

The machine is shared and noisy: run it a few times and quote medians with the load average.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(BENCH))

from pages import Server  # noqa: E402  (bench/pages.py: gunicorn in its own process group)
from search_words import LANGS, Vocabulary, text, vocabularies  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TOWNS = {"DK": ("Aarhus", "Odense", "Aalborg", "Vejle", "Ballerup", "Gentofte", "Horsens", "Roskilde"),
         "NO": ("Bergen", "Stavanger", "Tromsø", "Bærum", "Drammen", "Bodø", "Ålesund", "Hamar"),
         "SE": ("Uppsala", "Lund", "Umeå", "Malmö", "Örebro", "Växjö", "Luleå", "Gävle"),
         "other": ("Tampere", "Reykjavík", "Tórshavn", "Oulu")}
COUNTRY_OF = {"da": "DK", "nb": "NO", "sv": "SE"}
TAG_NAMES = ("Recycling", "Mobility", "Elderly care", "Schools", "Energy", "Water", "Housing", "Loneliness",
             "Food waste", "Public health", "Biodiversity", "Tourism", "Digital services", "Culture",
             "Climate adaptation", "Jobs", "Integration", "Sport", "Libraries", "Harbours")
KINDS = ("single", "two", "phrase", "faceted", "filtered")
WRK_SCRIPT = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %%d %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))] if ordered else 0.0


# ---------------------------------------------------------------- database
def make_database(tmp: Path, backend: str) -> tuple[str, Any]:
    if backend != "postgres":
        return f"sqlite:///{tmp / 'bench.sqlite'}", lambda: None
    from sqlalchemy import create_engine
    from sqlalchemy import text as sql
    from sqlalchemy.engine import make_url

    name = f"ca_bench_search_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sql(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False), drop


def prepare(tmp: Path, backend: str) -> tuple[dict[str, str], Any]:
    url, drop_db = make_database(tmp, backend)
    instance = tmp / "instance"
    env = {**os.environ, "APP_ENV": "development", "DATABASE_URL": url, "INSTANCE_PATH": str(instance),
           "SECRET_KEY": secrets.token_urlsafe(48), "DEMO_MODE": "0", "FLASK_DEBUG": "0",
           "SEARCH_INDEX_DIR": str(instance / "index"), "SEARCH_BACKEND": backend,
           "UPLOAD_DIR": str(instance / "uploads"), "MAILBOX_DIR": str(instance / "mailbox"),
           "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("REDIS_URL", None)
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    try:
        subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=300)
    except BaseException:
        drop_db()
        raise
    return env, drop_db


def challenge_seed(i: int) -> int:
    return 1_000_000_000 + i


def concept_seed(i: int) -> int:
    return i


def concept_language(i: int, challenge_lang: str) -> str:
    # Most teams write in the challenge's language; one in five in another of the four.
    return challenge_lang if i % 5 else LANGS[(i // 5) % 4]


def layout(n_docs: int, n_challenges: int) -> list[tuple[int, int]]:
    """(challenge number, concept number) for every concept: spread evenly over the challenges."""
    return [(i % n_challenges, i) for i in range(n_docs)]


def seed(app: Any, vocab: dict[str, Vocabulary], n_docs: int, n_challenges: int) -> None:
    from sqlalchemy import insert, select
    from sqlalchemy import text as sql

    from app.challenges.models import Challenge, ChallengeSDG, Tag, challenge_tags
    from app.concepts.models import Concept, ConceptVersion
    from app.db import db
    from app.judging.models import Decision, Placement
    from app.organisations.models import Organisation

    base = datetime(2019, 1, 15, 9, 0, tzinfo=UTC)
    with app.app_context():
        orgs = []
        for country, towns in TOWNS.items():
            for j, town in enumerate(towns):
                orgs.append({"slug": f"{town.lower().replace('ø', 'o').replace('æ', 'ae').replace('å', 'a').replace('ö', 'o').replace('ä', 'a').replace('í', 'i').replace('ó', 'o')}-{j}",
                             "name": f"{town} {'Kommune' if country != 'SE' else 'kommun'}",
                             "kind": "municipality", "country": country, "status": "approved",
                             "timezone": "Europe/Copenhagen", "created_at": base})
        db.session.execute(insert(Organisation), orgs)
        org_rows = db.session.execute(select(Organisation.id, Organisation.country).order_by(Organisation.id)).all()
        by_country: dict[str, list[int]] = {}
        for oid, country in org_rows:
            by_country.setdefault(str(country), []).append(oid)
        db.session.execute(insert(Tag), [{"slug": n.lower().replace(" ", "-"), "name": n} for n in TAG_NAMES])
        tag_ids = list(db.session.scalars(select(Tag.id).order_by(Tag.id)))
        ch_rows, ch_lang = [], {}
        for c in range(n_challenges):
            lang = LANGS[c % 4]
            country = COUNTRY_OF.get(lang, ("DK", "SE", "NO", "other")[(c // 4) % 4])
            owners = by_country[country]
            g = text(vocab[lang], challenge_seed(c), paragraphs=(4, 7))
            opened = base + timedelta(days=(c * 1373) % 2500)
            deadline = opened + timedelta(days=45)
            ch_lang[c] = lang
            ch_rows.append({
                "id": c + 1, "organisation_id": owners[c % len(owners)], "slug": f"bench-search-{c:05d}",
                "title": g.title[:200], "summary": g.summary[:500], "problem_md": g.body_md, "background_md": "",
                "language": lang, "prize_minor": ((c * 7919) % 200 + 1) * 100_000, "currency": "DKK",
                "prize_count": 3, "prize_split": [50, 30, 20], "eligibility": ["anyone"],
                "concept_publication": "all", "opens_at": opened, "deadline_at": deadline,
                "judging_ends_at": deadline + timedelta(days=14), "results_at": deadline + timedelta(days=21),
                "state": "archived" if c % 4 == 3 else "results", "state_changed_at": deadline + timedelta(days=21),
                "published_at": opened - timedelta(days=7), "created_at": opened - timedelta(days=8),
                "updated_at": opened - timedelta(days=7), "timezone": "Europe/Copenhagen"})
        for k in range(0, len(ch_rows), 500):
            db.session.execute(insert(Challenge), ch_rows[k:k + 500])
        db.session.execute(insert(challenge_tags), [
            {"challenge_id": c + 1, "tag_id": tag_ids[(c * 7 + k * 11) % len(tag_ids)]}
            for c in range(n_challenges) for k in range(1 + c % 3)])
        db.session.execute(insert(ChallengeSDG), [
            {"challenge_id": c + 1, "goal": 1 + (c * 5 + k * 6) % 17} for c in range(n_challenges) for k in range(1 + c % 3)])
        db.session.commit()
        started = time.perf_counter()
        chunk: list[tuple[int, int]] = []
        placed: dict[int, list[int]] = {}

        def flush(rows: list[tuple[int, int]]) -> None:
            concepts, versions = [], []
            for c, i in rows:
                lang = concept_language(i, ch_lang[c])
                g = text(vocab[lang], concept_seed(i))
                deadline = ch_rows[c]["deadline_at"]
                when = deadline - timedelta(minutes=(i * 37) % 5000)
                concepts.append({"id": i + 1, "challenge_id": c + 1, "team_name": f"Team {i}", "title": g.title[:200],
                                 "summary": g.summary[:1000], "body_md": g.body_md, "language": lang,
                                 "licence": "cc-by-4.0", "state": "submitted", "lock_version": 1,
                                 "submitted_version_no": 1, "submitted_at": when, "created_at": when,
                                 "updated_at": when})
                versions.append({"id": i + 1, "concept_id": i + 1, "number": 1, "source_lock_version": 1,
                                 "submitted_at": when, "team_name": f"Team {i}", "title": g.title[:200],
                                 "summary": g.summary[:1000], "body_md": g.body_md, "language": lang,
                                 "licence": "cc-by-4.0", "tag_names": g.tags, "member_ids": [],
                                 "fingerprint": "0" * 64, "total_bytes": len(g.body_md)})
                if len(placed.setdefault(c, [])) < 3:
                    placed[c].append(i + 1)
            db.session.execute(insert(Concept), concepts)
            db.session.execute(insert(ConceptVersion), versions)
            db.session.commit()

        for pair in layout(n_docs, n_challenges):
            chunk.append(pair)
            if len(chunk) == 2000:
                flush(chunk)
                chunk = []
                log(f"  seeded {pair[1] + 1} concepts ({time.perf_counter() - started:.0f} s)")
        if chunk:
            flush(chunk)
        db.session.execute(insert(Decision), [
            {"id": c + 1, "challenge_id": c + 1, "state": "final", "report_md": "", "lock_version": 1,
             "finalised_at": ch_rows[c]["results_at"], "updated_at": ch_rows[c]["results_at"]}
            for c in placed])
        db.session.execute(insert(Placement), [
            {"decision_id": c + 1, "concept_id": cid, "kind": "prize", "position": p + 1, "prize_minor": 0,
             "citation": ""} for c, ids in placed.items() for p, cid in enumerate(ids)])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            for table in ("challenges", "concepts", "concept_versions", "judging_decisions"):
                db.session.execute(sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                       f"(SELECT max(id) FROM {table}))"))
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sql("ANALYZE"))
        db.engine.dispose()


# ---------------------------------------------------------------- building
def time_v(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """Run a command under /usr/bin/time -v: wall seconds, CPU seconds (user + system), peak RSS
    in MB, its stdout. CPU time is what the build rates are compared by: on a shared machine the
    wall time depends on who else is running."""
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", *cmd], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    cpu = sum(float(m) for m in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", done.stderr))
    return wall, cpu, int(match.group(1)) / 1024 if match else 0.0, done.stdout


def du_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def raw_build(vocab: dict[str, Vocabulary], n_docs: int, n_challenges: int, where: Path,
              dictionary_from: Path | None) -> tuple[float, float, int]:
    """The same documents written by plain Whoosh: the app's schema and writer settings, the text
    generated here (generation is not timed). Returns (wall and CPU seconds spent in Whoosh,
    documents)."""
    from whoosh import index

    from app.search import analysis
    from app.search.schema import build_schema

    if dictionary_from is not None and hasattr(analysis, "CompoundDictionary"):
        # The same compound dictionary the app's build made, so the analysis is the same.
        analysis.set_dictionary(analysis.CompoundDictionary.load(dictionary_from))
    where.mkdir(parents=True)
    ix = index.create_in(str(where), build_schema())
    spent = cpu = 0.0
    t0, c0 = time.perf_counter(), time.process_time()
    writer = ix.writer(limitmb=256, compound=False)
    spent, cpu = spent + time.perf_counter() - t0, cpu + time.process_time() - c0
    base = datetime(2019, 1, 15, 9, 0)
    count = 0
    for c in range(n_challenges):
        lang = LANGS[c % 4]
        g = text(vocab[lang], challenge_seed(c), paragraphs=(4, 7))
        fields = {"doc_id": f"challenge:{c + 1}", "type": "challenge", "object_id": c + 1, "challenge_id": c + 1,
                  "organisation": f"org-{c % 28}", "country": COUNTRY_OF.get(lang, "DK"), "language": lang,
                  "tag": ",".join(TAG_NAMES[(c * 7 + k * 11) % len(TAG_NAMES)].lower().replace(" ", "-")
                                  for k in range(1 + c % 3)),
                  "sdg": ",".join(str(1 + (c * 5 + k * 6) % 17) for k in range(1 + c % 3)),
                  "year": (base + timedelta(days=(c * 1373) % 2500)).year, "winner": False, "imported": False,
                  "date": base + timedelta(days=(c * 1373) % 2500 + 45), "state": "results",
                  "prize_minor": ((c * 7919) % 200 + 1) * 100_000, "currency": "DKK",
                  "url": f"/challenges/bench-search-{c:05d}", "organisation_name": "Bench Kommune",
                  "challenge_title": g.title, "tag_names": [], "words": f"{g.title} {g.summary} {g.body_plain}",
                  f"title_{lang}": g.title, f"summary_{lang}": g.summary, f"body_{lang}": g.body_plain}
        t0, c0 = time.perf_counter(), time.process_time()
        writer.add_document(**fields)
        spent, cpu = spent + time.perf_counter() - t0, cpu + time.process_time() - c0
        count += 1
    for c, i in layout(n_docs, n_challenges):
        lang = concept_language(i, LANGS[c % 4])
        g = text(vocab[lang], concept_seed(i))
        when = base + timedelta(days=(c * 1373) % 2500 + 45) - timedelta(minutes=(i * 37) % 5000)
        fields = {"doc_id": f"concept:{i + 1}", "type": "concept", "object_id": i + 1, "challenge_id": c + 1,
                  "organisation": f"org-{c % 28}", "country": COUNTRY_OF.get(LANGS[c % 4], "DK"), "language": lang,
                  "tag": ",".join(g.tags), "sdg": ",".join(str(1 + (c * 5 + k * 6) % 17) for k in range(1 + c % 3)),
                  "year": when.year, "winner": i < 3 * n_challenges, "imported": False, "date": when,
                  "state": "results", "prize_minor": 0, "currency": "", "url": f"/c/{i + 1}",
                  "organisation_name": "Bench Kommune", "challenge_title": "A challenge", "tag_names": g.tags,
                  "words": f"{g.title} {g.summary} {g.body_plain}",
                  f"title_{lang}": g.title, f"summary_{lang}": g.summary,
                  f"body_{lang}": f"{g.body_plain} Bench Kommune {' '.join(g.tags)}"}
        t0, c0 = time.perf_counter(), time.process_time()
        writer.add_document(**fields)
        spent, cpu = spent + time.perf_counter() - t0, cpu + time.process_time() - c0
        count += 1
    t0, c0 = time.perf_counter(), time.process_time()
    writer.commit(optimize=True)
    spent, cpu = spent + time.perf_counter() - t0, cpu + time.process_time() - c0
    return spent, cpu, count


# ---------------------------------------------------------------- queries
def make_queries(vocab: dict[str, Vocabulary], n: int, n_docs: int, n_challenges: int,
                 org_slugs: list[str], years: list[int]) -> dict[str, list[dict[str, Any]]]:
    """n query-string dicts per kind, deterministic: words from the frequent, middle and rare
    bands of each language's ranking; phrases taken from generated titles (so they match)."""
    import random

    rng = random.Random(11)
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in KINDS}
    bands = ((0, 30), (30, 200), (200, 2000))

    def word(lang: str, j: int) -> str:
        lo, hi = bands[j % 3]
        words = vocab[lang].rank_band(lo, hi) or vocab[lang].content
        return rng.choice(words)

    for j in range(n):
        lang = LANGS[j % 4]
        out["single"].append({"q": word(lang, j)})
        out["two"].append({"q": f"{word(lang, j)} {word(lang, j + 1)}"})
        c, i = layout(n_docs, n_challenges)[rng.randrange(n_docs)]
        title = text(vocab[concept_language(i, LANGS[c % 4])], concept_seed(i)).title.split()
        k = rng.randrange(max(1, len(title) - 1))
        out["phrase"].append({"q": '"' + " ".join(title[k:k + 2]).lower() + '"'})
        facet = ("language", "organisation", "year", "country")[j % 4]
        value = {"language": lang, "organisation": rng.choice(org_slugs), "year": str(rng.choice(years)),
                 "country": ("DK", "NO", "SE")[j % 3]}[facet]
        out["faceted"].append({"q": word(lang, j), facet: value})
        filtered = {"year": str(rng.choice(years)), "country": ("DK", "NO", "SE")[j % 3], "type": "concept"}
        out["filtered"].append(filtered if j % 3 == 2 else {"q": word(lang, j + 2), **filtered})
    return out


class RawSearcher:
    """The same question asked of the index with plain Whoosh: no Flask, no database."""

    def __init__(self, index_root: Path) -> None:
        from whoosh import highlight, index

        from app.search.backends.whoosh import WhooshBackend
        self.backend = WhooshBackend(index_root)          # only to build the same query objects
        self.ix = index.open_dir(str(index_root / os.readlink(index_root / "current")))
        self.searcher = self.ix.searcher()
        self.highlight = highlight

    def prepare(self, params: dict[str, Any]) -> tuple[Any, Any, bool]:
        from whoosh import query as wq

        from app.search.backends.whoosh import _facet_value
        from app.search.query import parse_query
        parsed = parse_query(params.get("q", ""))
        state = self.backend._state()
        q, _unknown = self.backend._build(state, parsed)
        parts = [wq.Or([_facet_value(f, v)]) for f, v in sorted(params.items()) if f != "q"]
        return q, (wq.And(parts) if parts else None), parsed.is_empty

    def run(self, prepared: tuple[Any, Any, bool]) -> int:
        q, filter_q, empty = prepared
        s = self.searcher
        results = s.search(q, limit=20, filter=filter_q, terms=True, sortedby="date" if empty else None,
                           reverse=empty)
        results.fragmenter = self.highlight.ContextFragmenter(maxchars=240, surround=60)
        results.formatter = self.highlight.HtmlFormatter(tagname="mark")
        total = len(results)
        for hit in results:
            lang = hit.get("language") or "en"
            hit.get(f"title_{lang}")
            with contextlib.suppress(KeyError, ValueError):
                hit.highlights(f"summary_{lang}", top=2)
        return total


# ---------------------------------------------------------------- serving
def run_wrk(url: str, paths: list[str], script: Path, duration: float, connections: int) -> tuple[float, float, float, int]:
    script.write_text(WRK_SCRIPT % ", ".join(f'"{p}"' for p in paths))
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration:g}s", "--timeout", "10s", "-s", str(script), url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    match = re.search(r"^BENCH (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", out, re.M)
    if not match:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    requests, micros, p50, p95, bad, errors = (int(g) for g in match.groups())
    return requests / (micros / 1e6), p50 / 1000, p95 / 1000, bad + errors


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> int:  # noqa: C901  (one linear script, read top to bottom)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000, help="published concepts to seed")
    parser.add_argument("--challenges", type=int, default=0, help="challenges (default: docs / 50)")
    parser.add_argument("--backend", choices=("whoosh", "postgres"), default="whoosh")
    parser.add_argument("--runs", type=int, default=3, help="passes over the queries (medians, p95 over all)")
    parser.add_argument("--queries", type=int, default=8, help="queries per kind")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of wrk per kind per run")
    parser.add_argument("--connections", type=int, default=2, help="wrk connections (2 sync workers)")
    parser.add_argument("--no-raw-build", action="store_true", help="skip the raw Whoosh build")
    parser.add_argument("--no-wrk", action="store_true", help="skip gunicorn and wrk")
    parser.add_argument("--profile", action="store_true", help="also profile an in-process rebuild (cProfile)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    n_challenges = args.challenges or max(4, args.docs // 50)
    if args.backend == "postgres" and not (ROOT / "app" / "search" / "backends" / "postgres.py").exists():
        log("--backend postgres: app/search/backends/postgres.py is not on this branch yet")
        return 2
    use_wrk = shutil.which("wrk") is not None and not args.no_wrk
    signal.signal(signal.SIGTERM, _interrupt)
    tmp = Path(tempfile.mkdtemp(prefix="ca-bench-search-"))
    drop_db: Any = lambda: None  # noqa: E731
    server: Server | None = None
    loads = [os.getloadavg()[0]]
    try:
        env, drop_db = prepare(tmp, args.backend)
        from app import create_app
        from app.db import db
        from app.organisations.models import Organisation

        vocab = vocabularies(ROOT)
        log("vocabulary: " + ", ".join(f"{lang} {len(v.words)} words" for lang, v in vocab.items()))
        app = create_app()
        app.config["RATELIMIT_ENABLED"] = False
        started = time.perf_counter()
        seed(app, vocab, args.docs, n_challenges)
        log(f"seeded {args.docs} concepts and {n_challenges} challenges in {time.perf_counter() - started:.0f} s")

        # -- the app's rebuild
        build_s, build_cpu, build_rss, out = time_v([str(BIN / "flask"), "--app", "wsgi", "search", "rebuild"], env)
        indexed = int(re.search(r"Indexed (\d+)", out).group(1)) if re.search(r"Indexed (\d+)", out) else 0
        index_root = Path(env["SEARCH_INDEX_DIR"])
        if args.backend == "whoosh":
            size = du_mb(index_root / os.readlink(index_root / "current"))
        else:  # the search tables with their GIN and other indexes
            with app.app_context():
                size = db.session.scalar(db.text(
                    "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                    "WHERE c.relkind = 'r' AND c.relname LIKE 'search_%'")) / 2**20
        loads.append(os.getloadavg()[0])
        log(f"rebuild through the app: {indexed} documents in {build_s:.1f} s = {indexed / build_s:.0f} docs/s "
            f"({indexed / build_cpu:.0f} per CPU second), peak RSS {build_rss:.0f} MB, index {size:.0f} MB on disk")
        if args.profile:
            import cProfile
            import pstats

            from app.search import indexing
            prof = cProfile.Profile()
            with app.app_context():
                prof.enable()
                indexing.rebuild()
                prof.disable()
            stats = pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative")
            stats.print_stats(30)
            stats.sort_stats("tottime").print_stats(25)

        raw_s, raw_cpu, raw_n = 0.0, 0.0, 0
        if args.backend == "whoosh" and not args.no_raw_build:
            current = index_root / os.readlink(index_root / "current")
            dictionary = current / "compounds.txt"
            raw_s, raw_cpu, raw_n = raw_build(vocab, args.docs, n_challenges, tmp / "raw-index",
                                     dictionary if dictionary.exists() else None)
            loads.append(os.getloadavg()[0])
            log(f"raw Whoosh build: {raw_n} documents in {raw_s:.1f} s = {raw_n / raw_s:.0f} docs/s "
                f"({raw_n / raw_cpu:.0f} per CPU second), index {du_mb(tmp / 'raw-index'):.0f} MB; the app builds at "
                f"{(indexed / build_cpu) / (raw_n / raw_cpu):.0%} of raw Whoosh's rate (CPU), "
                f"{(indexed / build_s) / (raw_n / raw_s):.0%} (wall)")
            shutil.rmtree(tmp / "raw-index", ignore_errors=True)

        # -- queries
        with app.app_context():
            org_slugs = list(db.session.scalars(db.select(Organisation.slug).order_by(Organisation.id)))
        years = sorted({(datetime(2019, 1, 15) + timedelta(days=(c * 1373) % 2500 + 45)).year
                        for c in range(n_challenges)})
        queries = make_queries(vocab, args.queries, args.docs, n_challenges, org_slugs, years)
        client = app.test_client()
        raw = RawSearcher(index_root) if args.backend == "whoosh" else None
        prepared = {k: [raw.prepare(p) for p in ps] for k, ps in queries.items()} if raw else {}
        app_ms: dict[str, list[float]] = {k: [] for k in KINDS}
        raw_ms: dict[str, list[float]] = {k: [] for k in KINDS}
        totals: dict[str, list[int]] = {k: [] for k in KINDS}

        def total_through_app(params: dict[str, Any]) -> int:
            """The exact total the app reports (the JSON answer of the same search)."""
            response = client.get("/search?" + urlencode(params),
                                  headers={"Host": "127.0.0.1", "Accept": "application/json"})
            return int(response.get_json()["total"])

        def through_app(params: dict[str, Any]) -> float:
            t0 = time.perf_counter()
            response = client.get("/search?" + urlencode(params), headers={"Host": "127.0.0.1"})
            ms = (time.perf_counter() - t0) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"/search?{urlencode(params)} answered {response.status_code}")
            return ms

        for kind in KINDS:  # warm: imports, templates, the searcher and its caches
            for k, params in enumerate(queries[kind]):
                through_app(params)
                totals[kind].append(raw.run(prepared[kind][k]) if raw else total_through_app(params))
        for _ in range(args.runs):
            for kind in KINDS:
                for k, params in enumerate(queries[kind]):
                    app_ms[kind].append(through_app(params))
                    if raw:
                        t0 = time.perf_counter()
                        raw.run(prepared[kind][k])
                        raw_ms[kind].append((time.perf_counter() - t0) * 1000)
        loads.append(os.getloadavg()[0])

        # -- a commit, then the first search: the searcher reopens and only the new segment's
        # facet masks are computed (the old segments' stay cached)
        commit_ms, after_ms, warm_ms = [], [], []
        if args.backend == "whoosh":
            from app.search import indexing
            from app.search.documents import documents_for
            for k in range(3):
                with app.app_context():
                    changes = documents_for({("concept", 1 + k)})
                    search_backend = indexing.backend()
                    t0 = time.perf_counter()
                    with search_backend.writing():
                        search_backend.write(list(changes.upserts.values()), sorted(changes.deletes))
                    commit_ms.append((time.perf_counter() - t0) * 1000)
                after_ms.append(through_app(queries["faceted"][k % len(queries["faceted"])]))
                warm_ms.append(through_app(queries["faceted"][k % len(queries["faceted"])]))

        # -- gunicorn and wrk
        served: dict[str, list[tuple[float, float, float, int]]] = {k: [] for k in KINDS}
        worker_rss = 0.0
        if use_wrk:
            server = Server("app", "wsgi:app", ROOT, env, 2, tmp / "gunicorn.log")
            server.wait_ready("/search?q=kommune", timeout=120)
            paths = {k: ["/search?" + urlencode(p) for p in ps] for k, ps in queries.items()}
            script = tmp / "paths.lua"
            for kind in KINDS:
                run_wrk(server.url, paths[kind], script, 1, args.connections)
            for _ in range(args.runs):
                for kind in KINDS:
                    served[kind].append(run_wrk(server.url, paths[kind], script, args.duration, args.connections))
            worker_rss = server.peak_rss_mb()
            loads.append(os.getloadavg()[0])
        elif not args.no_wrk:
            log("wrk not found (apt-get install -y wrk): the gunicorn figures are skipped")

        # -- report
        all_app = [t for k in KINDS for t in app_ms[k]]
        all_raw = [t for k in KINDS for t in raw_ms[k]]
        print(f"\nConcept Arena search, {args.backend}: {indexed} documents ({args.docs} concepts, {n_challenges} "
              f"challenges); {args.queries} queries per kind x {args.runs} runs; load average "
              f"{min(loads):.2f}-{max(loads):.2f}")
        print(f"rebuild through the app: {build_s:.1f} s, {indexed / build_s:.0f} docs/s ({indexed / build_cpu:.0f} "
              f"per CPU second), peak RSS {build_rss:.0f} MB, index {size:.0f} MB")
        if raw_n:
            print(f"raw Whoosh build (same schema, no app): {raw_s:.1f} s, {raw_n / raw_s:.0f} docs/s "
                  f"({raw_n / raw_cpu:.0f} per CPU second); app/raw rate {(indexed / build_cpu) / (raw_n / raw_cpu):.0%} "
                  f"by CPU time, {(indexed / build_s) / (raw_n / raw_s):.0%} by wall time")
        print(f"{'kind':<10}{'hits(med)':>10}{'app p50':>9}{'app p95':>9}{'raw p50':>9}{'raw p95':>9}{'p95 x':>7}"
              f"{'wrk r/s':>9}{'wrk p50':>9}{'wrk p95':>9}")
        for kind in KINDS:
            a, r = app_ms[kind], raw_ms[kind]
            w = served[kind]
            wrk_cols = (f"{statistics.median(x[0] for x in w):>9.1f}{statistics.median(x[1] for x in w):>9.1f}"
                        f"{statistics.median(x[2] for x in w):>9.1f}") if w else f"{'-':>9}{'-':>9}{'-':>9}"
            raw_cols = (f"{statistics.median(r):>9.1f}{pct(r, 95):>9.1f}{pct(a, 95) / pct(r, 95):>7.2f}"
                        if r else f"{'-':>9}{'-':>9}{'-':>7}")
            print(f"{kind:<10}{statistics.median(totals[kind]) if totals[kind] else 0:>10.0f}"
                  f"{statistics.median(a):>9.1f}{pct(a, 95):>9.1f}{raw_cols}{wrk_cols}")
        errors = sum(x[3] for w in served.values() for x in w)
        if use_wrk:
            print(f"gunicorn: 2 sync workers, wrk -t2 -c{args.connections}, {args.duration:g} s x {args.runs} per kind; "
                  f"errors {errors}; worker peak RSS (VmHWM) {worker_rss:.0f} MB")
        if commit_ms:
            print(f"one document updated: commit {statistics.median(commit_ms):.0f} ms; the first faceted search "
                  f"after it {statistics.median(after_ms):.0f} ms, the next {statistics.median(warm_ms):.0f} ms "
                  f"(medians of {len(commit_ms)})")
        # No raw engine to compare with on PostgreSQL: "-" rather than a zero that reads like a figure.
        raw_p95 = f"{pct(all_raw, 95):.1f}" if all_raw else "-"
        p95_x = f"{pct(all_app, 95) / pct(all_raw, 95):.2f}" if all_raw else "-"
        print(f"search: docs={indexed} p50_ms={statistics.median(all_app):.1f} p95_ms={pct(all_app, 95):.1f} "
              f"raw_p95_ms={raw_p95} p95_x={p95_x} facet_p95_ms={pct(app_ms['faceted'], 95):.1f} "
              f"build_docs_s={indexed / build_s:.0f} worker_rss_mb={worker_rss:.0f}")
        return 0
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
