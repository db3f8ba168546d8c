"""The embedded backend: a Whoosh index under instance/, swapped whole on a rebuild.

Layout: SEARCH_INDEX_DIR/current -> ix-<stamp>/ (a symlink replaced atomically, so a rebuild
never leaves searchers without an index), compounds.txt beside the segments, and .write.lock,
the one lock every write holds across processes (Whoosh allows one writer: STYLE pitfall 4).
Segments are non-compound (TOOLS.md: a compound segment is copied into memory on every open).
Each thread keeps one searcher and refreshes it when the index changed.

Speed (bench/search.py): the matched documents, the filters and the facet counts are bit masks
(Python ints, one bit per document): a query's matches are read straight from the posting blocks,
each facet value's documents are computed once per segment (keyed by the segment's id, so a
commit only computes its new segment) and shifted into place per searcher, and counting a facet
value is one AND and a popcount. Whoosh itself only ranks the top hits.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import gzip
import os
import pickle
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from markupsafe import Markup, escape
from whoosh import highlight, index
from whoosh import query as wq
from whoosh.analysis import Analyzer
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.idsets import DocIdSet
from whoosh.matching.wrappers import FilterMatcher
from whoosh.searching import Results, Searcher

from app.search import analysis
from app.search.backends import Hit, IndexUnavailableError, SearchRequest, SearchResults
from app.search.documents import SearchDocument
from app.search.query import ParsedQuery, Term
from app.search.schema import FACETS, TEXT_PARTS, build_schema

CURRENT = "current"
LOCK = ".write.lock"
DICTIONARY = "compounds.txt"
# Index errors that mean "no usable index here": missing directory or segment, corrupt TOC.
_BROKEN = (index.EmptyIndexError, OSError, EOFError, ValueError, KeyError, index.IndexError)


class _Snippets(highlight.HtmlFormatter):
    """<mark> around matched terms; everything else escaped (S28)."""

    def __init__(self) -> None:
        super().__init__(tagname="mark", classname="hl", termclass="t", maxclasses=1)


def _facet_value(facet: str, value: str) -> wq.Query:
    field = FACETS_FIELDS[facet]
    if facet == "year":
        return wq.NumericRange("year", int(value), int(value))
    if facet == "winner":
        return wq.Term("winner", True)
    if facet == "sdg" or facet == "tag":
        return wq.Term(field, value.lower() if facet == "tag" else value)
    return wq.Term(field, value)


def _facet_key(facet: str, value: str) -> str:
    """The key a filter value has in the facet masks (the index's own spelling of it)."""
    if facet == "tag":
        return value.lower()
    if facet == "year":
        return str(int(value))
    return value


FACETS_FIELDS = {"type": "type", "organisation": "organisation", "country": "country", "year": "year",
                 "language": "language", "tag": "tag", "sdg": "sdg", "winner": "winner"}


def _ids_mask(ids: Iterable[int] | np.ndarray, size: int) -> int:
    """A bit mask (bit d set for document d) of `size` bits from document numbers."""
    arr = ids if isinstance(ids, np.ndarray) else np.fromiter(ids, dtype=np.int64)
    if not len(arr) or size <= 0:
        return 0
    bits = np.zeros(size, dtype=np.bool_)
    bits[arr] = True
    return int.from_bytes(np.packbits(bits, bitorder="little").tobytes(), "little")


def _mask_bools(mask: int, size: int) -> np.ndarray:
    raw = np.frombuffer(mask.to_bytes((size >> 3) + 1, "little"), dtype=np.uint8)
    return np.unpackbits(raw, bitorder="little")[:size].astype(np.bool_)


def _posting_ids(reader: Any, field: str, btext: bytes) -> list[int]:
    """A term's document numbers in one segment, read block by block (Whoosh's own all_ids()
    steps through them one Python call per document). Deleted documents are included: callers
    AND the result with the searcher's live mask."""
    if (field, btext) not in reader:
        return []
    m = reader.postings(field, btext)
    if isinstance(m, FilterMatcher):      # the segment has deletions: read the raw postings
        m = m.child
    if not isinstance(m, W3LeafMatcher):
        return list(m.all_ids())
    out: list[int] = []
    while m.is_active():
        m._read_ids()
        out.extend(m._ids)
        m._next_block()
    return out


class _Allowed(DocIdSet):
    """A filter for Whoosh's collector backed by a bit mask (O(1) membership)."""

    def __init__(self, mask: int, size: int) -> None:
        self.bits = mask.to_bytes((size >> 3) + 1, "little")
        self.n = mask.bit_count()

    def __contains__(self, i: object) -> bool:
        d = int(i)  # type: ignore[call-overload]
        return (d >> 3) < len(self.bits) and bool(self.bits[d >> 3] >> (d & 7) & 1)

    def __len__(self) -> int:
        return self.n

    def __bool__(self) -> bool:
        return True

    def __iter__(self) -> Iterator[int]:
        return iter(np.flatnonzero(np.unpackbits(np.frombuffer(self.bits, np.uint8), bitorder="little")).tolist())


# Per segment and shared by every thread of the process: {facet: {value: mask}} and the date
# column, keyed by (index directory, segment id). A segment's documents never change (deletions
# are masked per searcher), so these stay valid until the segment is merged away.
_SEGMENTS: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
_SEGMENTS_LOCK = threading.Lock()
_SEGMENTS_KEEP = 64


class _State:
    """One thread's open index and searcher, with the masks cached for that searcher."""

    def __init__(self, path: Path, ix: index.Index, schema: Any) -> None:
        self.path = path
        self.ix = ix
        self.schema = schema
        self._open()

    def _open(self) -> None:
        self.searcher: Searcher = self.ix.searcher()
        reader = self.searcher.reader()
        self.leaves: list[tuple[Any, int]] = list(reader.leaf_readers())
        self.size: int = reader.doc_count_all()
        self.docsets: dict[Any, int] = {}
        self.facet_masks: dict[str, dict[str, int]] = {}
        self.term_masks: OrderedDict[tuple[str, str], int] = OrderedDict()
        self.vocab_cache: dict[tuple[str, str], bool] = {}
        self._alive: int | None = None
        self._date_order: np.ndarray | None = None

    def refresh(self) -> None:
        if not self.searcher.up_to_date():
            # A new searcher, not Searcher.refresh(): whoosh-reloaded's refresh reuses the reader
            # of a segment whose deletions changed (the old version of an updated document stays
            # findable) and fails outright on an index that had no segment. The per-segment
            # caches survive: only new segments are computed.
            self.searcher.close()
            self._open()

    # -- per segment
    def _segment(self, reader: Any) -> dict[str, Any]:
        key = (str(self.path), reader.segment().segment_id())
        with _SEGMENTS_LOCK:
            found = _SEGMENTS.get(key)
            if found is not None:
                _SEGMENTS.move_to_end(key)
                return found
        found = {}
        with _SEGMENTS_LOCK:
            _SEGMENTS[key] = found
            while len(_SEGMENTS) > _SEGMENTS_KEEP:
                _SEGMENTS.popitem(last=False)
        return found

    def _segment_facet(self, reader: Any, facet: str) -> dict[str, int]:
        cache = self._segment(reader)
        if facet not in cache:
            n = reader.doc_count_all()
            values: dict[str, int] = {}
            if facet == "winner":
                values["true"] = _ids_mask(_posting_ids(reader, "winner", self.schema["winner"].to_bytes(True)), n)
            else:
                field = FACETS_FIELDS[facet]
                fobj = self.schema[field]
                for btext in fobj.sortable_terms(reader, field):
                    values[str(fobj.from_bytes(btext))] = _ids_mask(_posting_ids(reader, field, btext), n)
            cache[facet] = values
        return cache[facet]

    def _segment_dates(self, reader: Any) -> np.ndarray:
        cache = self._segment(reader)
        if "date" not in cache:
            n = reader.doc_count_all()
            if reader.has_column("date"):
                col = reader.column_reader("date", translate=False)
                cache["date"] = np.fromiter((col[i] or 0 for i in range(n)), dtype=np.int64, count=n)
            else:
                cache["date"] = np.zeros(n, dtype=np.int64)
        return cache["date"]

    # -- per searcher
    def facet(self, facet: str) -> dict[str, int]:
        """{value: mask of the documents that have it} over the whole searcher."""
        if facet not in self.facet_masks:
            values: dict[str, int] = {}
            for reader, offset in self.leaves:
                for value, mask in self._segment_facet(reader, facet).items():
                    values[value] = values.get(value, 0) | (mask << offset)
            self.facet_masks[facet] = values
        return self.facet_masks[facet]

    @property
    def alive(self) -> int:
        """The documents not deleted."""
        if self._alive is None:
            alive = 0
            for reader, offset in self.leaves:
                n = reader.doc_count_all()
                seg = (1 << n) - 1
                if reader.has_deletions():
                    seg &= ~_ids_mask(sorted(reader.deleted_docs_set), n)
                alive |= seg << offset
            self._alive = alive
        return self._alive

    def term(self, field: str, text: str) -> int:
        key = (field, text)
        found = self.term_masks.get(key)
        if found is None:
            btext = self.schema[field].to_bytes(text)
            found = 0
            for reader, offset in self.leaves:
                ids = _posting_ids(reader, field, btext)
                if ids:
                    found |= _ids_mask(ids, reader.doc_count_all()) << offset
            self.term_masks[key] = found
            if len(self.term_masks) > 512:
                self.term_masks.popitem(last=False)
        return found

    def mask(self, q: wq.Query) -> int:
        """The documents a query matches, as a mask (deleted documents included: AND with alive)."""
        if isinstance(q, wq.Term):
            return self.term(q.fieldname, q.text)
        if isinstance(q, wq.Or):
            out = 0
            for sub in q.subqueries:
                out |= self.mask(sub)
            return out
        if isinstance(q, wq.And):
            out = -1
            for sub in q.subqueries:
                out &= self.mask(sub)
                if not out:
                    return 0
            return out if out != -1 else self.alive
        if isinstance(q, wq.AndNot):
            return self.mask(q.a) & ~self.mask(q.b)
        if isinstance(q, wq.Every):
            return self.alive
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return 0
        # Phrases, fuzzy terms and anything else: Whoosh's own matching (only live documents).
        return _ids_mask(self.searcher.docs_for_query(q), self.size)

    def date_order(self) -> np.ndarray:
        """Every document number, newest first (for sorting by date without a sort per search)."""
        if self._date_order is None:
            if not self.leaves:
                self._date_order = np.zeros(0, dtype=np.int64)
            else:
                dates = np.concatenate([self._segment_dates(r) for r, _ in self.leaves])
                # newest first; ties by document number, as Whoosh's own sort gives them
                self._date_order = np.lexsort((np.arange(len(dates)), -dates)).astype(np.int64)
        return self._date_order


class _Spool:
    """Documents read once from the database, kept in a compressed file for a second pass."""

    def __init__(self, docs: Iterator[SearchDocument], path: Path) -> None:
        self.docs = iter(docs)
        self.path = path
        self.fh: Any = None
        self.count = 0

    def texts(self) -> Iterator[tuple[str, str]]:
        self.fh = gzip.open(self.path, "wb", compresslevel=1)  # noqa: SIM115  (closed by replay())
        for d in self.docs:
            pickle.dump(d, self.fh, protocol=pickle.HIGHEST_PROTOCOL)
            self.count += 1
            yield d.language, f"{d.title} {d.summary} {d.body}"

    def replay(self) -> Iterator[SearchDocument]:
        if self.fh is not None:
            self.fh.close()
            with gzip.open(self.path, "rb") as fh:
                for _ in range(self.count):
                    yield pickle.load(fh)  # noqa: S301  (our own file, written just above)
        yield from self.docs               # what the first pass did not read (none, or all)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


class WhooshBackend:
    name = "whoosh"

    def __init__(self, root: str | Path, *, analysis_mode: str = "full") -> None:
        self.root = Path(root)
        self.analysis_mode = analysis_mode
        make = analysis.analyzer if analysis_mode == "full" else analysis.plain_analyzer
        self.schema = build_schema(make)
        self.analyzers: dict[str, Analyzer] = {lang: self.schema[f"title_{lang}"].analyzer
                                               for lang in analysis.LANGUAGES}
        # One searcher per thread (Whoosh searchers are not shared between threads), kept by thread
        # id so that those of finished threads (a threaded server starts many) are closed.
        self._states: dict[int, _State] = {}
        self._states_lock = threading.Lock()

    # ------------------------------------------------------------------ opening
    def _current_path(self) -> Path:
        link = self.root / CURRENT
        try:
            return self.root / os.readlink(link)
        except OSError as exc:
            raise IndexUnavailableError(f"no index at {link}") from exc

    def _state(self) -> _State:
        path = self._current_path()
        ident = threading.get_ident()
        state = self._states.get(ident)
        try:
            if state is None or state.path != path:
                if state is not None:
                    state.searcher.close()
                self._load_dictionary(path)
                state = _State(path, index.open_dir(str(path)), self.schema)
                with self._states_lock:
                    self._sweep()
                    self._states[ident] = state
            else:
                state.refresh()
        except _BROKEN as exc:
            self._drop(ident)
            raise IndexUnavailableError(f"the index at {path} cannot be opened: {exc!r}") from exc
        return state

    def _sweep(self) -> None:
        alive = {t.ident for t in threading.enumerate()}
        for ident in [i for i in self._states if i not in alive]:
            self._states.pop(ident).searcher.close()

    def _drop(self, ident: int) -> None:
        with self._states_lock:
            state = self._states.pop(ident, None)
        if state is not None:
            with contextlib.suppress(Exception):  # a broken index may fail to close too
                state.searcher.close()

    def _load_dictionary(self, path: Path) -> None:
        if self.analysis_mode != "full":
            return
        file = path / DICTIONARY
        analysis.set_dictionary(analysis.CompoundDictionary.load(file) if file.exists() else None)

    def close(self) -> None:
        """Close every thread's searcher (an app shutting down, a test finishing)."""
        with self._states_lock:
            states, self._states = list(self._states.values()), {}
        for state in states:
            with contextlib.suppress(Exception):
                state.searcher.close()

    # ------------------------------------------------------------------ querying
    def _tokens(self, lang: str, text: str) -> list[str]:
        seen: list[str] = []
        for t in self.analyzers[lang](text, mode="query"):
            if t.text not in seen:
                seen.append(t.text)
        return seen

    def _known(self, state: _State, field: str, token: str) -> bool:
        key = (field, token)
        if key not in state.vocab_cache:
            state.vocab_cache[key] = state.searcher.doc_frequency(field, token) > 0
        return state.vocab_cache[key]

    def _term_query(self, state: _State, term: Term, *, fuzzy: bool) -> tuple[wq.Query | None, bool]:
        """The query for one word or phrase over every language's fields, and whether any field
        knows it. None when the word is a stop word in one of the languages (it would otherwise
        demand a Danish "og" of a Swedish text)."""
        text = " ".join(term.words)
        subs: list[wq.Query] = []
        known = False
        per_lang = {lang: self._tokens(lang, text) for lang in analysis.LANGUAGES}
        if not term.phrase and any(not toks for toks in per_lang.values()):
            return None, True
        for lang, toks in per_lang.items():
            if not toks:
                continue
            for part in TEXT_PARTS:
                field = f"{part}_{lang}"
                if term.phrase and len(toks) > 1:
                    subs.append(wq.Phrase(field, toks, slop=1))
                    continue
                field_known = all(self._known(state, field, t) for t in toks)
                known |= field_known
                if len(toks) == 1:
                    subs.append(wq.Term(field, toks[0]))
                else:
                    subs.append(wq.And([wq.Term(field, t) for t in toks]))
        if term.phrase:
            known = True
        if not known and fuzzy and not term.phrase:
            # A typo: accept one edit (never in the first letter) in stems of four letters or more,
            for lang, toks in per_lang.items():
                for part in TEXT_PARTS:
                    field = f"{part}_{lang}"
                    for t in toks:
                        if len(t) >= 4:
                            subs.append(wq.FuzzyTerm(field, t, maxdist=1, prefixlength=1))
            # and correct the word as typed against the archive's own words (one edit, two from
            # eight letters), analysed like a typed word: a typo that changes the stem
            # ("klimatilpasnig" stems three edits away from klimatilpasning) is found this way.
            corrector = state.searcher.corrector("words")
            for word in term.words:
                typed = analysis.lower(word)
                for fixed in corrector.suggest(typed, limit=1, maxdist=1 if len(typed) < 8 else 2, prefix=1):
                    sub, _ = self._term_query(state, Term((fixed,)), fuzzy=False)
                    if sub is not None:
                        subs.append(sub)
        return (wq.Or(subs) if subs else wq.NullQuery), known

    def _build(self, state: _State, parsed: ParsedQuery, *, fuzzy: bool = True) -> tuple[wq.Query, list[str]]:
        musts: list[wq.Query] = []
        unknown: list[str] = []
        for group in parsed.required:
            alts = []
            for term in group:
                q, known = self._term_query(state, term, fuzzy=fuzzy)
                if q is None:
                    continue
                if not known:
                    unknown.extend(term.words)
                alts.append(q)
            if alts:
                musts.append(alts[0] if len(alts) == 1 else wq.Or(alts))
        positive: wq.Query = wq.And(musts) if musts else wq.Every()
        nots = [q for q, _ in (self._term_query(state, t, fuzzy=False) for t in parsed.excluded) if q is not None]
        if nots:
            positive = wq.AndNot(positive, wq.Or(nots))
        return positive, unknown

    def _filter(self, state: _State, request: SearchRequest) -> int | None:
        """The documents the filters allow, as a mask (None: no filter), cached per searcher.
        Within a facet the values are ORed, across facets ANDed, from the facet masks."""
        chosen = tuple((f, tuple(sorted(set(v)))) for f, v in sorted(request.filters.items())
                       if f in FACETS_FIELDS and v)
        if not chosen and request.only_ids is None:
            return None
        key = (chosen, request.only_ids and tuple(sorted(request.only_ids)))
        if key not in state.docsets:
            docs = -1
            for facet, values in chosen:
                masks = state.facet(facet)
                allowed = 0
                for v in values:
                    allowed |= masks.get(_facet_key(facet, v), 0)
                docs &= allowed
            if request.only_ids is not None:
                ids = request.only_ids
                allowed = state.mask(wq.Or([wq.Term("doc_id", i) for i in ids])) if ids else 0
                docs &= allowed
            state.docsets[key] = docs & state.alive
        return state.docsets[key]

    def _facet_sets(self, state: _State, facet: str) -> dict[str, int]:
        """{value: mask of the documents that have it}, per searcher, from per-segment caches."""
        return state.facet(facet)

    def _hit(self, hit: Any) -> Hit:
        lang = hit.get("language") or "en"
        summary = hit.get(f"summary_{lang}") or ""
        snippet = ""
        try:
            snippet = hit.highlights(f"summary_{lang}", top=2)
        except (KeyError, ValueError):
            snippet = ""
        if not snippet:
            snippet = str(escape(summary[:280] + ("…" if len(summary) > 280 else "")))
        title = hit.get(f"title_{lang}") or ""
        return Hit(doc_id=hit["doc_id"], type=hit["type"], object_id=hit["object_id"], title=title,
                   snippet=Markup(snippet), url=hit["url"], language=lang, organisation=hit["organisation"],
                   organisation_name=hit.get("organisation_name") or "", challenge_id=hit["challenge_id"],
                   challenge_title=hit.get("challenge_title") or "", year=hit["year"], date=hit.get("date"),
                   winner=bool(hit.get("winner")), imported=bool(hit.get("imported")),
                   tag_names=tuple(hit.get("tag_names") or ()), score=float(hit.score or 0.0))

    def search(self, request: SearchRequest) -> SearchResults:
        try:
            state = self._state()
            return self._search(state, request)
        except IndexUnavailableError:
            raise
        except _BROKEN as exc:  # a segment deleted under us (R08)
            self._drop(threading.get_ident())
            raise IndexUnavailableError(repr(exc)) from exc

    def _search(self, state: _State, request: SearchRequest) -> SearchResults:
        searcher = state.searcher
        q, unknown = self._build(state, request.query)
        allowed = self._filter(state, request)
        matched = state.mask(q) & state.alive
        if allowed is not None:
            matched &= allowed
        total = matched.bit_count()
        facets: dict[str, list[tuple[str, int]]] = {}
        if request.facets:
            for facet in FACETS:
                counts = ((v, (matched & m).bit_count()) for v, m in state.facet(facet).items()) if total else ()
                facets[facet] = sorted(((v, n) for v, n in counts if n), key=lambda vn: (-vn[1], vn[0]))
        suggestion = self._suggest(state, request.query, unknown) if request.suggest and unknown else None
        if not total:
            return SearchResults(hits=[], total=0, page=request.page, per_page=request.per_page,
                                 facets=facets, suggestion=suggestion, corrected=False)
        limit = request.page * request.per_page
        start = (request.page - 1) * request.per_page
        if request.sort == "date" or request.query.is_empty:
            # Newest first: walk the cached date order and keep the matched documents.
            order = state.date_order()
            picked = order[_mask_bools(matched, state.size)[order]][:limit]
            results = Results(searcher, q, [(0.0, int(d)) for d in picked])
        else:
            results = searcher.search(q, limit=limit, terms=False,
                                      filter=_Allowed(matched, state.size) if allowed is not None else None)
        results.fragmenter = highlight.ContextFragmenter(maxchars=240, surround=60)
        results.formatter = _Snippets()
        hits = [self._hit(h) for h in results[start:limit]]
        return SearchResults(hits=hits, total=total, page=request.page, per_page=request.per_page,
                             facets=facets, suggestion=suggestion, corrected=bool(unknown) and total > 0)

    def _suggest(self, state: _State, parsed: ParsedQuery, unknown: list[str]) -> str | None:
        corrector = state.searcher.corrector("words")
        changed = False
        parts: list[str] = []
        for group in parsed.required:
            texts = []
            for term in group:
                words = []
                for w in term.words:
                    if w in unknown:
                        found = corrector.suggest(analysis.lower(w), limit=1, maxdist=2, prefix=1)
                        if found and found[0] != analysis.lower(w):
                            words.append(found[0])
                            changed = True
                            continue
                    words.append(w)
                texts.append(Term(tuple(words), term.phrase).text())
            parts.append(" OR ".join(texts))
        parts.extend("-" + t.text() for t in parsed.excluded)
        return " ".join(parts) if changed else None

    def _like(self, state: _State, q: wq.Query, *, limit: int, types: tuple[str, ...],
              exclude: wq.Query | None, min_shared: int = 1, min_score: float = 0.0) -> list[Hit]:
        # The type filter's document set is cached per searcher (as the search page's filters are).
        mask = self._filter(state, SearchRequest(filters={"type": tuple(types)})) if types else None
        if mask is not None and not mask:
            return []
        docset = _Allowed(mask, state.size) if mask is not None else None
        if exclude is not None:
            q = wq.AndNot(q, exclude)
        # Fetch a few more than asked: hits that share fewer than `min_shared` distinctive words
        # with the text are dropped (one common word in common is not "similar").
        results = state.searcher.search(q, limit=limit * 3 if min_shared > 1 else limit, filter=docset, terms=True)
        results.formatter = _Snippets()
        kept = [h for h in results if len({text for _field, text in h.matched_terms()}) >= min_shared
                and (h.score or 0.0) >= min_score]
        return [self._hit(h) for h in kept[:limit]]

    def similar(self, doc_id: str, *, limit: int = 5, types: tuple[str, ...] = (),
                exclude_challenge: int | None = None) -> list[Hit]:
        try:
            state = self._state()
            docnum = state.searcher.document_number(doc_id=doc_id)
            if docnum is None:
                return []
            stored = state.searcher.stored_fields(docnum)
            lang = stored.get("language") or "en"
            title = stored.get(f"title_{lang}") or ""
            # The title twice: it says best what a document is about (the body is not stored).
            text = " ".join(filter(None, (title, title, stored.get(f"summary_{lang}"),
                                          " ".join(stored.get("tag_names") or ()))))
            exclude: wq.Query = wq.Term("doc_id", doc_id)
            if exclude_challenge is not None:
                exclude = wq.Or([exclude, wq.Term("challenge_id", exclude_challenge)])
            q, words = self._text_query(state, text, lang, in_index=True)
            # How well the document matches its own query: a neighbour scoring under 0.4 of it
            # shares only a word or two in passing (measured on the demo archive: true
            # neighbours, also across languages, score 0.6-1.7 of it; chance ones 0.3-0.45).
            itself = state.searcher.search(wq.And([q, wq.Term("doc_id", doc_id)]), limit=1)
            floor = 0.4 * (itself[0].score or 0.0) if len(itself) else 0.0
            return self._like(state, q, limit=limit, types=types, exclude=exclude,
                              min_shared=2 if words >= 4 else 1, min_score=floor)
        except IndexUnavailableError:
            raise
        except _BROKEN as exc:
            self._drop(threading.get_ident())
            raise IndexUnavailableError(repr(exc)) from exc

    def similar_to_text(self, text: str, language: str, *, limit: int = 5,
                        types: tuple[str, ...] = ()) -> list[Hit]:
        try:
            state = self._state()
            q, words = self._text_query(state, text, language)
            return self._like(state, q, limit=limit, types=types, exclude=None, min_shared=2 if words >= 4 else 1)
        except IndexUnavailableError:
            raise
        except _BROKEN as exc:
            self._drop(threading.get_ident())
            raise IndexUnavailableError(repr(exc)) from exc

    def _text_query(self, state: _State, text: str, language: str, *, keep: int = 15,
                    in_index: bool = False) -> tuple[wq.Query, int]:
        """More-like-this: the text's most distinctive stems (tf-idf: how often the text uses a
        word, how few documents of a language have it), looked for in the title, summary and body
        of every language, so a Danish text finds Swedish and Norwegian neighbours where their
        stems meet ("skolerne" and "skolorna" both give "skol"). The text is analysed in its own
        language only (another language's stemmer makes noise of it), and words that are a stop
        word in any of the four ("kan", "ved", "gör") never count. Returns the query and how many
        distinct stems it looks for.

        `in_index`: the text is a document of the index, in `language`; its own occurrences are
        not counted (a word only it has finds nothing else)."""
        import math  # here, not at the top: this method's edits stay within it
        import re
        from collections import Counter

        own = language if language in self.analyzers else "en"
        stop = frozenset().union(*(analysis.stop_words(lang) for lang in analysis.LANGUAGES))
        words = [w for w in re.findall(r"\w+", text[:5000]) if analysis.fold(w) not in stop]
        tokens = Counter(t.text for t in self.analyzers[own](" ".join(words), mode="query") if len(t.text) >= 3)
        searcher = state.searcher
        scored: dict[tuple[str, str], float] = {}
        for lang in analysis.LANGUAGES:
            # Each language's fields hold only that language's documents: its own count decides.
            total = searcher.doc_frequency("language", lang)
            if not total:
                continue
            # Too common to tell documents apart (at least 4 documents, so a small archive keeps its words).
            common = max(3.0, total * 0.1)
            for token, tf in tokens.items():
                df = max(searcher.doc_frequency(f"{part}_{lang}", token) for part in TEXT_PARTS)
                if in_index and lang == own:
                    df -= 1
                if df <= 0 or df > common:
                    continue
                scored[(lang, token)] = (1.0 + math.log(tf)) * math.log(1.0 + total / df)
        # The `keep` most distinctive stems, each in every language where it occurs.
        weight: dict[str, float] = {}
        for (_lang, token), w in scored.items():
            weight[token] = max(weight.get(token, 0.0), w)
        chosen = set(sorted(weight, key=lambda t: (-weight[t], t))[:keep])
        subs = [wq.Term(f"{part}_{lang}", token) for (lang, token) in sorted(scored) if token in chosen
                for part in TEXT_PARTS]
        if not subs:
            return wq.NullQuery, 0
        # One flat disjunction: nesting an Or per word, or a coordination bonus (scale), made the
        # search two to four times slower in Whoosh (measured; bench/search_related.py).
        return wq.Or(subs), len(chosen)

    # ------------------------------------------------------------------ writing
    @contextmanager
    def writing(self, timeout: float = 10.0) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK, "a+") as fh:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                        raise TimeoutError("the search index is being written by another process") from exc
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    @staticmethod
    def _fields(d: SearchDocument) -> dict[str, Any]:
        extra = " ".join((d.organisation_name, *d.tag_names))
        fields: dict[str, Any] = {
            "doc_id": d.doc_id, "type": d.type, "object_id": d.object_id, "challenge_id": d.challenge_id,
            "organisation": d.organisation, "country": d.country, "language": d.language,
            "tag": ",".join(d.tags), "sdg": ",".join(str(s) for s in d.sdgs), "year": d.year,
            "winner": d.winner, "imported": d.imported, "date": d.date.replace(tzinfo=None) if d.date else None,
            "state": d.state, "prize_minor": d.prize_minor, "currency": d.currency, "url": d.url,
            "organisation_name": d.organisation_name, "challenge_title": d.challenge_title,
            "tag_names": list(d.tag_names), "words": " ".join((d.title, d.summary, d.body)),
            f"title_{d.language}": d.title, f"summary_{d.language}": d.summary,
            f"body_{d.language}": f"{d.body} {extra}".strip(),
        }
        return {k: v for k, v in fields.items() if v is not None}

    def write(self, upserts: Iterable[SearchDocument], deletes: Iterable[str]) -> None:
        path = self._current_path()
        try:
            ix = index.open_dir(str(path))
        except _BROKEN as exc:
            raise IndexUnavailableError(repr(exc)) from exc
        writer = ix.writer(timeout=10.0, compound=False)
        try:
            for key in deletes:
                writer.delete_by_term("doc_id", key)
            for d in upserts:
                writer.update_document(**self._fields(d))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def rebuild(self, documents: Callable[[], Iterator[SearchDocument]], *, replay: Callable[[], None]) -> int:
        self.root.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        name = f"ix-{stamp}-{os.getpid()}"
        path = self.root / name
        path.mkdir()
        try:
            # One pass over the database: the compound dictionary needs every text before the
            # first document is analysed, so the documents it reads are spooled to a file and
            # read back for writing (the second pass over the database and the Markdown
            # rendering cost as much as Whoosh's own work: bench/search.py).
            spool = _Spool(documents(), path / ".documents.spool")
            if self.analysis_mode == "full":
                dictionary = analysis.CompoundDictionary.from_texts(spool.texts())
                dictionary.save(path / DICTIONARY)
                analysis.set_dictionary(dictionary)
            ix = index.create_in(str(path), self.schema)
            writer = ix.writer(limitmb=256, compound=False)
            count = 0
            for d in spool.replay():
                writer.add_document(**self._fields(d))
                count += 1
            writer.commit(optimize=True)
            spool.remove()
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        with self.writing(timeout=60.0):
            tmp = self.root / f".{CURRENT}.{os.getpid()}"
            if tmp.is_symlink() or tmp.exists():
                tmp.unlink()
            tmp.symlink_to(name)
            os.replace(tmp, self.root / CURRENT)     # atomic: searchers see the old or the new index
            replay()
        self._prune(keep={name})
        return count

    def _prune(self, keep: set[str]) -> None:
        """Remove old index directories, keeping the newest previous one (a searcher in another
        process may still read it for a moment)."""
        olds = sorted(p for p in self.root.glob("ix-*") if p.name not in keep)
        for p in olds[:-1]:
            shutil.rmtree(p, ignore_errors=True)

    # ------------------------------------------------------------------ reporting
    def doc_ids(self) -> set[str]:
        state = self._state()
        return {f["doc_id"] for f in state.searcher.all_stored_fields()}

    def count(self) -> int:
        return self._state().searcher.doc_count()

    def status(self) -> dict[str, object]:
        try:
            n = self.count()
        except IndexUnavailableError as exc:
            return {"ok": False, "backend": self.name, "error": str(exc)[:200]}
        return {"ok": True, "backend": self.name, "documents": n}
