"""Related and similar (issue 11, item 5): the answers to the pages' "what is like this?" signals.

The challenge page asks for related challenges (challenges.signals.related_requested), a published
concept's page for similar concepts (concepts.signals.similar_requested) and the workspace for prior
art while a team writes (concepts.signals.prior_art_requested). The features below never import
search; init_app connects these receivers. Every answer comes from the public index only, so
nothing private can appear: a draft is never a document (documents.py decides), and the draft's
own text is only a query.

A page never fails because of this: a missing or broken index (or any error of the backend) is
logged and the section is left out. Each answer is one more-like-this query; it is kept in a small
LRU per app, keyed by what was asked and the index's generation (the newest change applied to
it, from the change queue, so a concept that becomes private leaves the lists as soon as it leaves
the index, in every process), and dropped after CACHE_SECONDS whatever happens.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from sqlalchemy import func, select

from app.challenges.models import Challenge
from app.concepts.models import Concept
from app.db import db
from app.search import indexing
from app.search.backends import Hit, IndexUnavailableError, SearchBackend
from app.search.documents import CHALLENGE, CONCEPT, DOC_TYPES, doc_id
from app.search.models import IndexChange

log = logging.getLogger("concept_arena.search")

CACHE_SIZE = 512
# Bounds any staleness the generation could miss (the queue's rows are pruned after an hour, and
# SQLite may then reuse an id): far shorter than that hour.
CACHE_SECONDS = 300.0
PRIOR_ART_TEXT = 4000


class _LRU:
    """A small thread-safe LRU with an age limit."""

    def __init__(self, size: int, seconds: float) -> None:
        self.size, self.seconds = size, seconds
        self._items: OrderedDict[tuple[Any, ...], tuple[float, list[Hit]]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple[Any, ...]) -> list[Hit] | None:
        with self._lock:
            item = self._items.get(key)
            if item is None or time.monotonic() - item[0] > self.seconds:
                self._items.pop(key, None)
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[1]

    def put(self, key: tuple[Any, ...], value: list[Hit]) -> None:
        with self._lock:
            self._items[key] = (time.monotonic(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


# One cache per app (tests build many apps over different indexes in one process).
_CACHES: weakref.WeakKeyDictionary[Flask, _LRU] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def cache_for(app: Flask) -> _LRU:
    with _CACHES_LOCK:
        cache = _CACHES.get(app)
        if cache is None:
            size = int(app.config.get("SEARCH_RELATED_CACHE_SIZE", CACHE_SIZE))
            cache = _CACHES[app] = _LRU(size, CACHE_SECONDS)
        return cache


def index_generation() -> int | None:
    """The newest change applied to the index: it moves whenever the index's content does."""
    return db.session.scalar(select(func.max(IndexChange.id)).where(IndexChange.applied_at.is_not(None)))


def _answer(what: str, key: tuple[Any, ...], ask: Callable[[SearchBackend], list[Hit]]) -> list[Hit]:
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        cache = cache_for(app)
        size = cache.size
        full_key = (what, *key, index_generation())
        found = cache.get(full_key) if size else None
        if found is not None:
            return found
        hits = ask(indexing.backend())
        if size:
            cache.put(full_key, hits)
        return hits
    except IndexUnavailableError as exc:
        log.warning("search: %s left out, the index cannot answer (%s)", what, exc)
        indexing.request_rebuild(app)
        return []
    except Exception:  # noqa: BLE001  a page never fails for its related list
        log.exception("search: %s left out after an error", what)
        return []


def related_challenges(challenge: Challenge, *, limit: int = 4, **_: Any) -> list[Hit]:
    """Receiver of challenges.signals.related_requested: other public challenges like this one."""
    key = doc_id(CHALLENGE, challenge.id)
    return _answer("related challenges", (key, limit),
                   lambda b: [h for h in b.similar(key, limit=limit + 1, types=(CHALLENGE,))
                              if h.doc_id != key][:limit])


def similar_concepts(concept: Concept, *, limit: int = 4, **_: Any) -> list[Hit]:
    """Receiver of concepts.signals.similar_requested: published concepts like this one, from
    other challenges (the challenge's own concepts are one link away, on its list)."""
    key = doc_id(CONCEPT, concept.id)
    return _answer("similar concepts", (key, limit),
                   lambda b: [h for h in b.similar(key, limit=limit + 1, types=(CONCEPT,),
                                                   exclude_challenge=concept.challenge_id)
                              if h.doc_id != key][:limit])


def prior_art(concept: Concept, *, text: str, language: str, limit: int = 6, **_: Any) -> list[Hit]:
    """Receiver of concepts.signals.prior_art_requested: published concepts and challenges like a
    draft's text; never the draft's own concept, nor the challenge it is written for."""
    text = (text or "").strip()[:PRIOR_ART_TEXT]
    if not text:
        return []
    own = {doc_id(CONCEPT, concept.id), doc_id(CHALLENGE, concept.challenge_id)}
    digest = hashlib.sha256(f"{language}\x00{text}".encode()).hexdigest()
    return _answer("prior art", (digest, tuple(sorted(own)), limit),
                   lambda b: [h for h in b.similar_to_text(text, language, limit=limit + len(own), types=DOC_TYPES)
                              if h.doc_id not in own][:limit])
