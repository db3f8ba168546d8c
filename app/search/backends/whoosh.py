"""The embedded backend: a Whoosh index under instance/, swapped whole on a rebuild.

Layout: SEARCH_INDEX_DIR/current -> ix-<stamp>/ (a symlink replaced atomically, so a rebuild
never leaves searchers without an index), compounds.txt beside the segments, and .write.lock,
the one lock every write holds across processes (Whoosh allows one writer: STYLE pitfall 4).
Segments are non-compound (TOOLS.md: a compound segment is copied into memory on every open).
Each thread keeps one searcher and refreshes it when the index changed.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape
from whoosh import highlight, index
from whoosh import query as wq
from whoosh.analysis import Analyzer
from whoosh.idsets import BitSet
from whoosh.searching import Searcher

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


FACETS_FIELDS = {"type": "type", "organisation": "organisation", "country": "country", "year": "year",
                 "language": "language", "tag": "tag", "sdg": "sdg", "winner": "winner"}


class _State:
    """One thread's open index and searcher, with the doc sets cached for that searcher."""

    def __init__(self, path: Path, ix: index.Index) -> None:
        self.path = path
        self.ix = ix
        self.searcher: Searcher = ix.searcher()
        self.docsets: dict[Any, BitSet] = {}
        self.facet_sets: dict[str, dict[str, frozenset[int]]] = {}
        self.vocab_cache: dict[tuple[str, str], bool] = {}

    def refresh(self) -> None:
        if not self.searcher.up_to_date():
            # A new searcher, not Searcher.refresh(): whoosh-reloaded's refresh reuses the reader
            # of a segment whose deletions changed (the old version of an updated document stays
            # findable) and fails outright on an index that had no segment.
            self.searcher.close()
            self.searcher = self.ix.searcher()
            self.docsets.clear()
            self.facet_sets.clear()
            self.vocab_cache.clear()


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
                state = _State(path, index.open_dir(str(path)))
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

    def _filter(self, state: _State, request: SearchRequest) -> BitSet | None:
        parts: list[wq.Query] = []
        for facet, values in sorted(request.filters.items()):
            if facet in FACETS_FIELDS and values:
                parts.append(wq.Or([_facet_value(facet, v) for v in sorted(values)]))
        key = (tuple((f, tuple(sorted(v))) for f, v in sorted(request.filters.items())),
               request.only_ids and tuple(sorted(request.only_ids)))
        if not parts and request.only_ids is None:
            return None
        if key not in state.docsets:
            docs: set[int] | None = None
            if parts:
                docs = set(state.searcher.docs_for_query(wq.And(parts)))
            if request.only_ids is not None:
                allowed = set(state.searcher.docs_for_query(
                    wq.Or([wq.Term("doc_id", i) for i in request.only_ids]) if request.only_ids else wq.NullQuery))
                docs = allowed if docs is None else docs & allowed
            state.docsets[key] = BitSet(docs or (), size=state.searcher.doc_count_all())
        return state.docsets[key]

    def _facet_sets(self, state: _State, facet: str) -> dict[str, frozenset[int]]:
        """{value: the documents that have it}, built once per searcher (the index's generation)."""
        if facet not in state.facet_sets:
            searcher = state.searcher
            values: dict[str, frozenset[int]] = {}
            if facet == "winner":
                values["true"] = frozenset(searcher.docs_for_query(wq.Term("winner", True)))
            else:
                field = FACETS_FIELDS[facet]
                fobj = self.schema[field]
                for btext in fobj.sortable_terms(searcher.reader(), field):
                    value = str(fobj.from_bytes(btext))
                    values[value] = frozenset(searcher.docs_for_query(_facet_value(facet, value)))
            state.facet_sets[facet] = values
        return state.facet_sets[facet]

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
        docset = self._filter(state, request)
        if docset is not None and not docset:
            # Whoosh reads an empty filter as "no filter": nothing may match, so answer at once.
            return SearchResults(hits=[], total=0, page=request.page, per_page=request.per_page,
                                 facets={f: [] for f in FACETS} if request.facets else {})
        limit = request.page * request.per_page
        sort_by_date = request.sort == "date" or request.query.is_empty
        results = searcher.search(q, limit=limit, filter=docset, terms=True,
                                  sortedby="date" if sort_by_date else None, reverse=sort_by_date)
        results.fragmenter = highlight.ContextFragmenter(maxchars=240, surround=60)
        results.formatter = _Snippets()
        start = (request.page - 1) * request.per_page
        hits = [self._hit(h) for h in results[start:limit]]
        total = len(results)
        facets: dict[str, list[tuple[str, int]]] = {}
        if request.facets:
            matched = set(results.docs()) if total else set()
            for facet in FACETS:
                counts = [(v, len(matched & s)) for v, s in self._facet_sets(state, facet).items()]
                facets[facet] = sorted(((v, n) for v, n in counts if n), key=lambda vn: (-vn[1], vn[0]))
        suggestion = self._suggest(state, request.query, unknown) if request.suggest and unknown else None
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
        docset = self._filter(state, SearchRequest(filters={"type": tuple(types)})) if types else None
        if docset is not None and not docset:
            return []
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
            if self.analysis_mode == "full":
                dictionary = analysis.CompoundDictionary.from_texts(
                    (d.language, f"{d.title} {d.summary} {d.body}") for d in documents())
                dictionary.save(path / DICTIONARY)
                analysis.set_dictionary(dictionary)
            ix = index.create_in(str(path), self.schema)
            writer = ix.writer(limitmb=256, compound=False)
            count = 0
            for d in documents():
                writer.add_document(**self._fields(d))
                count += 1
            writer.commit(optimize=True)
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
