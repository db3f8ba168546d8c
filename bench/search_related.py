#!/usr/bin/env python3
"""What related and similar cost per page (issue 11, item 5).

    .venv/bin/python bench/search_related.py [--docs 5000] [--runs 30]

Loads the demo content into a temporary SQLite database, adds `--docs` synthetic public documents
in four languages (Zipf-distributed words of real public-sector vocabulary) to the Whoosh index
beside the demo's own, then times through the test client, warm:
- the challenge page, a published concept's page and the workspace (signed in) with the receivers
  disconnected (the page alone), with them and the cache off (one more-like-this query per
  view), and with the cache on (repeated views);
- the backend calls alone (similar, similar_to_text) next to a plain two-word search.
Prints the medians and p95 in ms and a summary line. The machine is shared: trust the ratios.
"""
from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORDS = {
    "da": ("kommune borgere skole elever affald sortering klima energi trafik cykel bus ældre ensomhed "
           "sundhed børn unge lokalsamfund borgerinddragelse genbrug vand natur biodiversitet boliger "
           "arbejdspladser digitalisering velfærd forebyggelse fællesskab frivillige idræt kultur "
           "bibliotek madspild plastik byrum parkering grønne områder tryghed beskæftigelse"),
    "nb": ("kommune innbyggere skole elever avfall sortering klima energi trafikk sykkel buss eldre "
           "ensomhet helse barn unge lokalsamfunn medvirkning gjenbruk vann natur boliger "
           "arbeidsplasser digitalisering velferd forebygging fellesskap frivillige idrett kultur "
           "bibliotek matsvinn plast byrom parkering grøntområder trygghet sysselsetting"),
    "sv": ("kommun invånare skola elever avfall sortering klimat energi trafik cykel buss äldre "
           "ensamhet hälsa barn unga lokalsamhälle delaktighet återbruk vatten natur bostäder "
           "arbetsplatser digitalisering välfärd förebyggande gemenskap frivilliga idrott kultur "
           "bibliotek matsvinn plast stadsrum parkering grönområden trygghet sysselsättning"),
    "en": ("council residents school pupils waste sorting climate energy traffic bicycle bus elderly "
           "loneliness health children youth community participation reuse water nature housing "
           "jobs digitalisation welfare prevention fellowship volunteers sport culture library "
           "food waste plastic public space parking green areas safety employment"),
}


SYLLABLES = ("ka", "ro", "sk", "le", "mi", "tor", "an", "ve", "sel", "bo", "un", "da", "fri", "gen", "hus",
             "ing", "ar", "el", "ol", "st", "ny", "lok", "pl", "ud", "by", "vej", "sam", "for", "tr", "ik")
VOCABULARY = 6000


def vocabulary(lang: str) -> tuple[list[str], list[float]]:
    """The language's real head words, then made-up words, Zipf-weighted (word k: 1/(k+1)), so
    that, as in real prose, a few words are everywhere and most are rare."""
    rng = random.Random(lang)
    words = WORDS[lang].split()
    seen = set(words)
    while len(words) < VOCABULARY:
        w = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words, [1.0 / (k + 1) for k in range(len(words))]


def _text(rng: random.Random, vocab: tuple[list[str], list[float]], n: int) -> str:
    return " ".join(rng.choices(vocab[0], weights=vocab[1], k=n))


def synthetic(n: int, start_id: int = 100_000) -> Callable[[], Iterator[Any]]:
    from app.search.documents import SearchDocument

    def docs() -> Iterator[SearchDocument]:
        rng = random.Random(11)
        langs = list(WORDS)
        vocabs = {lang: vocabulary(lang) for lang in langs}
        for i in range(n):
            lang = langs[i % 4]
            words = vocabs[lang]
            kind = "challenge" if i % 20 == 0 else "concept"
            oid = start_id + i
            when = datetime(2018 + i % 8, 1 + i % 12, 1, tzinfo=UTC)
            yield SearchDocument(
                doc_id=f"{kind}:{oid}", type=kind, object_id=oid, language=lang,
                title=_text(rng, words, 5).capitalize(), summary=_text(rng, words, 30),
                body=_text(rng, words, 200), url=f"/x/{oid}", organisation=f"org-{i % 50}",
                organisation_name=f"Org {i % 50}", country="DK", year=when.year, date=when, state="archived",
                challenge_id=start_id + i - i % 20, challenge_title="Synthetic")
    return docs


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    fn()
    fn()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import select

    from app import create_app
    from app.challenges import signals as challenge_signals
    from app.concepts import signals as concept_signals
    from app.concepts.models import Concept, ConceptState
    from app.db import db
    from app.demo import DEMO_PASSWORD, load_demo
    from app.search import indexing, related
    from app.search.backends import SearchRequest
    from app.search.documents import public_documents
    from app.search.query import parse_query

    tmp = Path(tempfile.mkdtemp(prefix="bench-related-"))
    app = create_app({"ENV_NAME": "testing", "TESTING": True, "SECRET_KEY": "bench-" + "x" * 40,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'db.sqlite'}",
                      "SEARCH_INDEX_DIR": str(tmp / "index"), "UPLOAD_DIR": str(tmp / "uploads"),
                      "MAILBOX_DIR": str(tmp / "mail"), "BASE_URL": "http://localhost",
                      "TRUSTED_HOSTS": ["localhost"], "RATELIMIT_ENABLED": False, "DEMO_MODE": False,
                      "SEARCH_AUTO_REBUILD": False, "ARGON2_MEMORY_COST": 1024, "ARGON2_TIME_COST": 1})
    with app.app_context():
        upgrade()
        load_demo()
        db.session.commit()
        extra = synthetic(args.docs)
        t = time.perf_counter()
        count = indexing.backend().rebuild(lambda: iter([*public_documents(), *extra()]), replay=lambda: None)
        build_s = time.perf_counter() - t
        docs = list(public_documents())
        challenge_url = next(d.url for d in docs if d.type == "challenge")
        concept_url = next(d.url for d in docs if d.type == "concept")
        draft = db.session.scalars(select(Concept).where(Concept.state == ConceptState.DRAFT,
                                                         Concept.summary != "")).first()
        owner_email = draft.owner.email if draft is not None else None
        draft_id = draft.id if draft is not None else None
    print(f"index: {count} documents ({args.docs} synthetic), built in {build_s:.1f} s")

    client = app.test_client()
    pages = {"challenge": challenge_url, "concept": concept_url}
    if owner_email:
        html = client.get("/account/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
            re.search(r'name="csrf_token" value="([^"]+)"', html)
        client.post("/account/login", data={"email": owner_email, "password": DEMO_PASSWORD,
                                            "csrf_token": token.group(1) if token else ""})
        pages["workspace"] = f"/concepts/{draft_id}/edit"
    receivers = [(challenge_signals.related_requested, related.related_challenges),
                 (concept_signals.similar_requested, related.similar_concepts),
                 (concept_signals.prior_art_requested, related.prior_art)]

    def get(url: str) -> Callable[[], None]:
        def _get() -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        return _get

    figures: dict[str, dict[str, tuple[float, float]]] = {}
    for name, url in pages.items():
        row: dict[str, tuple[float, float]] = {}
        for signal, receiver in receivers:
            signal.disconnect(receiver)
        row["without"] = timed(get(url), args.runs)
        for signal, receiver in receivers:
            signal.connect(receiver)
        app.config["SEARCH_RELATED_CACHE_SIZE"] = 0
        related._CACHES.pop(app, None)
        row["uncached"] = timed(get(url), args.runs)
        app.config["SEARCH_RELATED_CACHE_SIZE"] = related.CACHE_SIZE
        related._CACHES.pop(app, None)
        row["cached"] = timed(get(url), args.runs)
        figures[name] = row
        page = client.get(url).get_data(as_text=True)
        shown = 'class="related"' in page or 'class="prior-art"' in page
        print(f"{name:10s} without {row['without'][0]:6.1f}/{row['without'][1]:6.1f} ms   "
              f"one query {row['uncached'][0]:6.1f}/{row['uncached'][1]:6.1f} ms   "
              f"cached {row['cached'][0]:6.1f}/{row['cached'][1]:6.1f} ms   (p50/p95; section shown: {shown})")

    with app.app_context():
        backend = indexing.backend()
        some = [d.doc_id for d in docs][:1] or ["concept:100001"]
        raw_similar = timed(lambda: backend.similar(some[0], limit=5), args.runs)
        raw_synth = timed(lambda: backend.similar("concept:100001", limit=5, types=("concept",)), args.runs)
        text = " ".join(WORDS["da"].split()[:40])
        raw_text = timed(lambda: backend.similar_to_text(text, "da", limit=8), args.runs)
        raw_search = timed(lambda: backend.search(SearchRequest(query=parse_query("skole affald"), facets=False)),
                           args.runs)
    print(f"backend: similar {raw_similar[0]:.1f}/{raw_similar[1]:.1f} ms, similar (synthetic doc) "
          f"{raw_synth[0]:.1f}/{raw_synth[1]:.1f} ms, similar_to_text {raw_text[0]:.1f}/{raw_text[1]:.1f} ms, "
          f"search 'skole affald' {raw_search[0]:.1f}/{raw_search[1]:.1f} ms")
    summary = " ".join(f"{n}_add_ms={r['uncached'][0] - r['without'][0]:.1f} {n}_cached_add_ms="
                       f"{r['cached'][0] - r['without'][0]:.1f}" for n, r in figures.items())
    print(f"search-related: docs={count} {summary} similar_p95_ms={raw_synth[1]:.1f} "
          f"text_p95_ms={raw_text[1]:.1f}")
    import shutil
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
