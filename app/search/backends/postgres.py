"""The PostgreSQL backend: full-text search in the app's own database, for several app hosts.

Layout: one row per public document in `search_documents` (migration 7c3d9e5a1f20): the stored
fields a result shows, the document's text search configuration (`config`: english, danish,
norwegian for nb, swedish, chosen by its language) and one tsvector, `tsv`, built with that
configuration from title (weight A), summary (B) and body (C), with a GIN index, and `tsv_head`,
title and summary alone, which ranks (ts_rank must unpack the tsvector of every matched row, and
a body's is TOASTed: ranking on the short one is 5x faster for a word most documents hold; a
document that matches only in its body ranks below every title or summary match). `search_words`
holds the archive's words for "did you mean" (pg_trgm's similarity, when the extension is
installed; without it there is no suggestion).

Folding: PostgreSQL's Snowball stemmers know only their own language's letters, so the text is
written in Python *before* to_tsvector in the alphabet of the configuration that reads it
(fold_for: æ/ä, ø/ö and aa/å as Danish and Norwegian write them for those two, as Swedish writes
them for Swedish, ASCII for English; other accents dropped). The query is written the same way
for each of the four configurations, so the Swedish "kök" finds the Danish "køkken" through the
Danish branch and stemming keeps working (stemming a word in another alphabet's letters would
change its stem).

Querying: the box's ParsedQuery becomes a tsquery built in SQL from bound parameters only (S31):
each word or phrase is `websearch_to_tsquery(cfg, :p)` with the text quoted (so "or" stays a
word and a phrase stays a phrase) in every configuration, OR'ed (`||`); OR-groups are OR'ed, the
groups AND'ed (`&&`), exclusions negated (`!!`). A word that is a stop word in any language is
left out, as the Whoosh backend does. Ranking: ts_rank with weights A > B > C.

Writing: every write holds a session-level advisory lock on a connection of its own
(`writing()`); a rebuild fills `search_documents_next` (indexes built after the load), then
swaps it in with two renames in one transaction, so searches answer from the old rows until the
commit (R08); the changes made meanwhile are replayed under the lock right after the swap, as
the Whoosh backend does.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError

from app.search import analysis
from app.search.backends import Hit, IndexUnavailableError, SearchRequest, SearchResults
from app.search.documents import SearchDocument
from app.search.query import ParsedQuery, Term
from app.search.schema import FACETS

log = logging.getLogger("concept_arena.search")

TABLE = "search_documents"
WORDS = "search_words"
NEXT = "_next"
# Tables that live only on PostgreSQL, outside the models' metadata (migrations/env.py and the
# migration test leave them out of the models-versus-migrations comparison).
SCOPES = {"public": (TABLE, WORDS), "entries": ("search_entries", "search_entry_words")}
PG_ONLY_TABLES = (TABLE, WORDS, "search_entries", "search_entry_words")
CONFIGS = {"en": "english", "da": "danish", "nb": "norwegian", "sv": "swedish"}
# Advisory lock keys (64-bit): the index writer's lock and the rebuild's own.
WRITE_LOCK = 0x5EA2C4_0001
REBUILD_LOCK = 0x5EA2C4_0002
# Private-use characters mark the highlights in ts_headline's raw text; they are stripped from
# stored text, so only PostgreSQL's marks remain, and replaced by <mark> after escaping (S28).
START, STOP = "\ue000", "\ue001"
# ts_headline's parser drops what looks like an HTML tag from the text it returns; the summary's
# own < and > go in as these and come back out as text after escaping.
LT, GT = "\ue002", "\ue003"
HEADLINE_OPTIONS = (f"StartSel={START}, StopSel={STOP}, MaxFragments=2, MaxWords=30, MinWords=12, "
                    "FragmentDelimiter=\" … \"")
BATCH = 500
_WORD_RE = re.compile(r"[^\W\d_]{3,40}", re.UNICODE)
_SNIPPET = 280


def ddl(name: str = TABLE) -> list[str]:
    """The statements that create the documents table `name` without its indexes (a rebuild
    loads first and indexes after). The migration creates the same table; a test compares them."""
    return [f"""CREATE TABLE {name} (
    doc_id varchar(64) NOT NULL,
    type varchar(20) NOT NULL,
    object_id integer NOT NULL,
    challenge_id integer NOT NULL,
    language varchar(5) NOT NULL,
    config regconfig NOT NULL,
    title text NOT NULL,
    summary text NOT NULL,
    url text NOT NULL,
    organisation varchar(120) NOT NULL,
    organisation_name text NOT NULL,
    country varchar(10) NOT NULL,
    year integer NOT NULL,
    date timestamp with time zone,
    state varchar(20) NOT NULL,
    challenge_title text NOT NULL,
    tags text[] NOT NULL,
    tag_names text[] NOT NULL,
    sdgs integer[] NOT NULL,
    prize_minor bigint NOT NULL,
    currency varchar(3) NOT NULL,
    winner boolean NOT NULL,
    imported boolean NOT NULL,
    tsv tsvector NOT NULL,
    tsv_head tsvector NOT NULL
)"""]


def index_ddl(name: str, final: str = TABLE) -> list[str]:
    """The indexes of a documents table, named for `final` plus the table's suffix."""
    sfx = name[len(final):]
    return [f"ALTER TABLE {name} ADD CONSTRAINT pk_{final}{sfx} PRIMARY KEY (doc_id)",
            f"CREATE INDEX ix_{final}_tsv{sfx} ON {name} USING gin (tsv)",
            f"CREATE INDEX ix_{final}_date{sfx} ON {name} (date)",
            f"CREATE INDEX ix_{final}_challenge_id{sfx} ON {name} (challenge_id)"]


def words_ddl(name: str = WORDS, final: str = WORDS, *, trigram: bool) -> list[str]:
    sfx = name[len(final):]
    out = [f"CREATE TABLE {name} (word varchar(40) NOT NULL, CONSTRAINT pk_{final}{sfx} PRIMARY KEY (word))"]
    if trigram:
        out.append(f"CREATE INDEX ix_{final}_trgm{sfx} ON {name} USING gin (word gin_trgm_ops)")
    return out


_NATIVE = {"da": str.maketrans("äö", "æø"), "nb": str.maketrans("äö", "æø"), "sv": str.maketrans("æø", "äö")}


def fold_for(lang: str, value: str) -> str:
    """The text as the PostgreSQL configuration of `lang` should read it. PostgreSQL's Snowball
    stemmers know only their own letters and fold nothing, so the folding happens here, before
    to_tsvector: Danish, Norwegian and Swedish text is written in its own alphabet (analysis.lower,
    then ä/ö -> æ/ø for da and nb, æ/ø -> ä/ö for sv, aa -> å), English text folded to ASCII
    (analysis.fold). The query is written the same way for each of the four configurations."""
    if lang in _NATIVE:
        return analysis.lower(value).translate(_NATIVE[lang]).replace("aa", "å")
    return analysis.fold(value)


_NO_TAGS = str.maketrans("<>", "  ")


def _clean(value: str) -> str:
    for ch in (START, STOP, LT, GT, "\x00"):
        value = value.replace(ch, "")
    return value


def _words(value: str) -> set[str]:
    return {w.casefold() for w in _WORD_RE.findall(value)}


def _edits(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


class _Sql:
    """A statement being put together: SQL text of our own and bound parameters for user text."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def term(self, term: Term, langs: Iterable[str] = CONFIGS) -> str:
        """One word or phrase in the given languages' configurations, OR'ed."""
        joined = " ".join(term.words)
        parts = [f"websearch_to_tsquery('{CONFIGS[lang]}', {self.bind(chr(34) + fold_for(lang, joined) + chr(34))})"
                 for lang in langs]
        return "(" + " || ".join(parts) + ")"


_COLUMNS = ("doc_id", "type", "object_id", "challenge_id", "language", "title", "summary", "url",
            "organisation", "organisation_name", "country", "year", "date", "state", "challenge_title",
            "tags", "tag_names", "sdgs", "prize_minor", "currency", "winner", "imported")
_HIT_COLUMNS = ("doc_id", "type", "object_id", "title", "summary", "url", "language", "organisation",
                "organisation_name", "challenge_id", "challenge_title", "year", "date", "winner", "imported",
                "tag_names")


def _insert_sql(table: str, *, upsert: bool) -> str:
    cols = ", ".join((*_COLUMNS, "config", "tsv", "tsv_head"))
    values = ", ".join(f":{c}" for c in _COLUMNS)
    cfg = "CAST(:config AS regconfig)"
    head = f"setweight(to_tsvector({cfg}, :t_title), 'A') || setweight(to_tsvector({cfg}, :t_summary), 'B')"
    tsv = f"{head} || setweight(to_tsvector({cfg}, :t_body), 'C')"
    sql = f"INSERT INTO {table} ({cols}) VALUES ({values}, {cfg}, {tsv}, {head})"
    if upsert:
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in (*_COLUMNS[1:], "config", "tsv", "tsv_head"))
        sql += f" ON CONFLICT (doc_id) DO UPDATE SET {sets}"
    return sql


def _row(d: SearchDocument) -> dict[str, Any]:
    lang = d.language if d.language in CONFIGS else "en"
    body = " ".join(filter(None, (d.body, d.organisation_name, *d.tag_names)))
    date = d.date
    if date is not None and date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    return {
        "doc_id": d.doc_id, "type": d.type, "object_id": d.object_id, "challenge_id": d.challenge_id,
        "language": lang, "title": _clean(d.title), "summary": _clean(d.summary), "url": d.url,
        "organisation": d.organisation, "organisation_name": d.organisation_name, "country": d.country,
        "year": d.year, "date": date, "state": d.state, "challenge_title": d.challenge_title,
        "tags": [t.lower() for t in d.tags], "tag_names": list(d.tag_names), "sdgs": [int(s) for s in d.sdgs],
        "prize_minor": d.prize_minor or 0, "currency": d.currency or "", "winner": bool(d.winner),
        "imported": bool(d.imported), "config": CONFIGS[lang],
        # PostgreSQL's parser takes "<img src=x>" for a tag and indexes none of its words; Whoosh
        # reads them as words. Written without the brackets, they are words here too.
        "t_title": _clean(fold_for(lang, d.title)).translate(_NO_TAGS),
        "t_summary": _clean(fold_for(lang, d.summary)).translate(_NO_TAGS),
        "t_body": _clean(fold_for(lang, body)).translate(_NO_TAGS),
    }


def _is_missing(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in ("42P01", "3F000")   # undefined table / schema


class PostgresBackend:
    name = "postgres"

    def __init__(self, url: str, *, scope: str = "public") -> None:
        """`scope` "entries": the jury's entry documents, in tables and under locks of their own,
        never in the public tables (S32; indexing.entries_backend_for)."""
        if scope not in SCOPES:
            raise RuntimeError(f"unknown search scope {scope!r}")
        self.scope = scope
        self.table, self.words = SCOPES[scope]
        offset = 0 if scope == "public" else 0x10
        self.write_lock, self.rebuild_lock = WRITE_LOCK + offset, REBUILD_LOCK + offset
        parsed = make_url(url)
        if parsed.get_backend_name() != "postgresql":
            raise RuntimeError("SEARCH_BACKEND=postgres needs the app's database on PostgreSQL "
                               f"(SQLALCHEMY_DATABASE_URI is {parsed.get_backend_name()})")
        # An engine of its own: the lock and the index writes never share the request's transaction.
        self.engine: Engine = create_engine(parsed, pool_size=5, max_overflow=10, pool_pre_ping=True)
        self._built = False
        self._trigram: bool | None = None
        self._local = threading.local()

    # ------------------------------------------------------------------ connections
    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except DBAPIError as exc:
            if _is_missing(exc):
                self._built = False
                raise IndexUnavailableError(f"the search table is missing: {exc.orig}") from exc
            if exc.connection_invalidated or isinstance(exc.orig, OSError):
                raise IndexUnavailableError(repr(exc.orig)) from exc
            raise

    def _ensure_built(self, conn: Connection) -> None:
        """The table exists and a rebuild has filled it (the migration leaves it empty and unmarked,
        so a fresh deployment rebuilds on its first search, as with a missing Whoosh index)."""
        if self._built:
            return
        comment = conn.execute(text("SELECT obj_description(to_regclass(:t), 'pg_class')"), {"t": self.table}).scalar()
        if not comment or not str(comment).startswith("built"):
            raise IndexUnavailableError("the search table has not been built yet: run `flask search rebuild`")
        self._built = True

    def trigram(self, conn: Connection) -> bool:
        if self._trigram is None:
            self._trigram = bool(conn.execute(text(
                "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')")).scalar())
        return self._trigram

    # ------------------------------------------------------------------ building the query
    def _plan(self, conn: Connection, parsed: ParsedQuery) -> tuple[list[list[tuple[Term, list[str]]]],
                                                                     list[tuple[Term, list[str]]], list[str]]:
        """Which languages each term is asked in (a word that is a stop word in one language is
        left out altogether, a phrase keeps the languages where it has words), and which plain
        words no document holds (for "did you mean"). One round trip."""
        terms = [t for g in parsed.required for t in g] + list(parsed.excluded)
        if not terms:
            return [], [], []
        sql = _Sql()
        cols = []
        for term in terms:
            for lang in CONFIGS:
                cols.append(f"numnode({sql.term(term, (lang,))})")
        row = list(conn.execute(text("SELECT " + ", ".join(cols)), sql.params).one())
        langs_of: dict[int, list[str]] = {}
        for i, term in enumerate(terms):
            counts = row[i * len(CONFIGS):(i + 1) * len(CONFIGS)]
            langs = [lang for lang, n in zip(CONFIGS, counts, strict=True) if n]
            if not term.phrase and len(langs) < len(CONFIGS):
                langs = []
            langs_of[id(term)] = langs
        groups = []
        for g in parsed.required:
            alts = [(t, langs_of[id(t)]) for t in g if langs_of[id(t)]]
            if alts:
                groups.append(alts)
        excluded = [(t, langs_of[id(t)]) for t in parsed.excluded if langs_of[id(t)]]
        # Plain words of the positive part that match nothing anywhere: candidates for a correction.
        words = [(t, langs) for g in groups for t, langs in g if not t.phrase]
        unknown: list[str] = []
        if words:
            sql = _Sql()
            checks = [f"EXISTS (SELECT 1 FROM {self.table} WHERE tsv @@ {sql.term(t, langs)})" for t, langs in words]
            found = conn.execute(text("SELECT " + ", ".join(checks)), sql.params).one()
            unknown = [w for (t, _), ok in zip(words, found, strict=True) if not ok for w in t.words]
        return groups, excluded, unknown

    def _corrections(self, conn: Connection, words: list[str]) -> dict[str, str]:
        """{misspelt word: the archive's closest word} by trigram similarity, kept only within two
        edits and with the same first letter (as the Whoosh corrector); {} without pg_trgm."""
        if not words or not self.trigram(conn):
            return {}
        out: dict[str, str] = {}
        for w in dict.fromkeys(x.casefold() for x in words):
            if len(w) < 4:
                continue
            candidates = conn.execute(text(
                f"SELECT word FROM {self.words} WHERE word % :w AND word <> :w "
                "ORDER BY similarity(word, :w) DESC, word LIMIT 8"), {"w": w}).scalars().all()
            best = [c for c in candidates if c[:1] == w[:1] and _edits(c, w) <= 2]
            if best:
                out[w] = min(best, key=lambda c: (_edits(c, w), candidates.index(c)))
        return out

    def _tsquery(self, sql: _Sql, groups: list[list[tuple[Term, list[str]]]],
                 excluded: list[tuple[Term, list[str]]], corrections: dict[str, str]) -> tuple[str | None, str | None]:
        """(the positive tsquery, the excluded one) as SQL over bound parameters."""
        musts = []
        for alts in groups:
            ors = []
            for t, langs in alts:
                ors.append(sql.term(t, langs))
                fixed = [corrections.get(w.casefold()) for w in t.words]
                if not t.phrase and any(fixed):
                    ors.append(sql.term(Term(tuple(f or w for f, w in zip(fixed, t.words, strict=True)))))
            musts.append(ors[0] if len(ors) == 1 else "(" + " || ".join(ors) + ")")
        positive = " && ".join(musts) if musts else None
        negative = " || ".join(sql.term(t, langs) for t, langs in excluded) if excluded else None
        return positive, negative

    @staticmethod
    def _filters(sql: _Sql, request: SearchRequest) -> list[str]:
        where: list[str] = []
        for facet, values in sorted(request.filters.items()):
            if not values:
                continue
            if facet in ("type", "organisation", "country", "language"):
                where.append(f"d.{facet} = ANY({sql.bind(list(values))})")
            elif facet in ("year", "sdg"):
                nums = [int(v) for v in values if str(v).isdigit()]
                column = "d.year = ANY({})" if facet == "year" else "d.sdgs && {}"
                where.append(column.format(f"CAST({sql.bind(nums)} AS integer[])") if nums else "FALSE")
            elif facet == "tag":
                where.append(f"d.tags && CAST({sql.bind([v.lower() for v in values])} AS text[])")
            elif facet == "winner":
                where.append("d.winner")
        if request.only_ids is not None:
            where.append(f"d.doc_id = ANY(CAST({sql.bind(sorted(request.only_ids))} AS text[]))")
        return where

    # ------------------------------------------------------------------ searching
    def search(self, request: SearchRequest) -> SearchResults:
        with self._begin() as conn:
            self._ensure_built(conn)
            return self._search(conn, request)

    def _search(self, conn: Connection, request: SearchRequest) -> SearchResults:
        groups, excluded, unknown = self._plan(conn, request.query)
        if groups:
            # A word in most documents tempts the planner into a sequential scan that unpacks every
            # row's (TOASTed) tsvector; the GIN bitmap reads only the heap rows: 40 -> 10 ms at 5,000
            # documents for the facet counts. For this transaction only.
            conn.execute(text("SET LOCAL enable_seqscan = off"))
        corrections = self._corrections(conn, unknown) if unknown and request.suggest else {}
        sql = _Sql()
        positive, negative = self._tsquery(sql, groups, excluded, corrections)
        where = self._filters(sql, request)
        # The tsquery is written inline (not in a CTE): PostgreSQL folds it to a constant at planning
        # and estimates how many rows it matches.
        if positive:
            where.append(f"d.tsv @@ ({positive})")
        if negative:
            where.append(f"NOT (d.tsv @@ ({negative}))")
        cond = " AND ".join(where) or "TRUE"
        by_date = request.sort == "date" or request.query.is_empty or not positive
        order = "date DESC NULLS LAST, doc_id" if by_date else "score DESC, date DESC NULLS LAST, doc_id"
        score = f"ts_rank(d.tsv_head, ({positive}))" if positive else "0.0"
        headline = (f"ts_headline(d.config, {self._shielded(sql)}, ({positive}), {sql.bind(HEADLINE_OPTIONS)})"
                    if positive else "NULL")
        sql.params["limit"] = request.per_page
        sql.params["offset"] = (request.page - 1) * request.per_page
        cols = ", ".join(f"d.{c}" for c in _HIT_COLUMNS)
        # The page first (ids, scores and dates only, so the sort stays narrow), then its rows.
        rows = conn.execute(text(
            f"SELECT {cols}, d.config, top.score, {headline} AS headline FROM ("
            f"  SELECT d.doc_id, d.date, {score} AS score FROM {self.table} d WHERE {cond}"
            f"  ORDER BY {order} LIMIT :limit OFFSET :offset) top "
            f"JOIN {self.table} d ON d.doc_id = top.doc_id "
            f"ORDER BY {', '.join('top.' + o for o in order.split(', '))}"), sql.params).mappings().all()
        hits = [self._hit(r) for r in rows]
        facets: dict[str, list[tuple[str, int]]] = {}
        if request.facets:
            total, facets = self._facets(conn, cond, sql.params)
        else:
            total = int(conn.execute(text(f"SELECT count(*) FROM {self.table} d WHERE {cond}"), sql.params).scalar() or 0)
        suggestion = self._suggestion(request.query, corrections) if request.suggest else None
        return SearchResults(hits=hits, total=total, page=request.page, per_page=request.per_page, facets=facets,
                             suggestion=suggestion, corrected=bool(corrections) and total > 0)

    _SCALAR_FACETS = ("type", "organisation", "country", "year", "language")

    def _facets(self, conn: Connection, cond: str, params: dict[str, Any]) -> tuple[int, dict[str, list[tuple[str, int]]]]:
        """The total and every facet's counts over the matched set, in one query: the set is
        computed once, the plain columns counted in one pass (GROUPING SETS, whose empty set is the
        total, with the winners as a filtered count), the tags and SDGs unnested."""
        which = " ".join(f"WHEN GROUPING({f}) = 0 THEN '{f}'" for f in self._SCALAR_FACETS)
        value = "COALESCE(" + ", ".join(f"{f}::text" for f in self._SCALAR_FACETS) + ")"
        sets = ", ".join(f"({f})" for f in self._SCALAR_FACETS)
        rows = conn.execute(text(
            f"WITH m AS MATERIALIZED (SELECT d.type, d.organisation, d.country, d.year, d.language, d.tags, "
            f"d.sdgs, d.winner FROM {self.table} d WHERE {cond}) "
            f"SELECT CASE {which} ELSE '' END, {value}, count(*), count(*) FILTER (WHERE winner) "
            f"FROM m GROUP BY GROUPING SETS ({sets}, ()) "
            "UNION ALL SELECT 'tag', t, count(*), 0 FROM (SELECT unnest(tags) AS t FROM m) x GROUP BY t "
            "UNION ALL SELECT 'sdg', s::text, count(*), 0 FROM (SELECT unnest(sdgs) AS s FROM m) y GROUP BY s"),
            params).all()
        out: dict[str, list[tuple[str, int]]] = {f: [] for f in FACETS}
        total = 0
        for facet, val, n, winners in rows:
            if facet == "":
                total = int(n)
                if winners:
                    out["winner"].append(("true", int(winners)))
            elif val is not None and n:
                out[facet].append((str(val), int(n)))
        for facet in out:
            out[facet].sort(key=lambda vn: (-vn[1], vn[0]))
        return total, out

    @staticmethod
    def _suggestion(parsed: ParsedQuery, corrections: dict[str, str]) -> str | None:
        if not corrections:
            return None
        parts = []
        for group in parsed.required:
            parts.append(" OR ".join(
                Term(tuple(corrections.get(w.casefold(), w) for w in t.words), t.phrase).text() for t in group))
        parts.extend("-" + t.text() for t in parsed.excluded)
        return " ".join(parts)

    @staticmethod
    def _shielded(sql: _Sql) -> str:
        return f"translate(d.summary, '<>', {sql.bind(LT + GT)})"

    @staticmethod
    def _hit(r: Any) -> Hit:
        summary = r["summary"] or ""
        headline = r.get("headline")
        if headline and START in headline:
            snippet = Markup(str(escape(headline)).replace(START, '<mark class="hl">').replace(STOP, "</mark>")
                             .replace(LT, "&lt;").replace(GT, "&gt;"))
        else:
            snippet = escape(summary[:_SNIPPET] + ("…" if len(summary) > _SNIPPET else ""))
        return Hit(doc_id=r["doc_id"], type=r["type"], object_id=r["object_id"], title=r["title"], snippet=snippet,
                   url=r["url"], language=r["language"], organisation=r["organisation"],
                   organisation_name=r["organisation_name"], challenge_id=r["challenge_id"],
                   challenge_title=r["challenge_title"], year=r["year"], date=r["date"], winner=r["winner"],
                   imported=r["imported"], tag_names=tuple(r["tag_names"] or ()), score=float(r["score"] or 0.0))

    # ------------------------------------------------------------------ more like this
    def _like(self, conn: Connection, source: str, *, limit: int, types: tuple[str, ...],
              exclude_ids: tuple[str, ...] = (), exclude_challenge: int | None = None) -> list[Hit]:
        """Documents sharing the most of the text's words, each word asked in every configuration
        (so a Danish text meets Swedish documents where the stems meet). PostgreSQL keeps no
        document frequencies, so the words are weighed by ts_rank only; the longest 24 distinct
        words of the text stand for it (long words are the rarer ones)."""
        words = sorted(_words(source[:5000]), key=lambda w: (-len(w), w))[:24]
        if not words:
            return []
        sql = _Sql()
        # plainto_tsquery ANDs the words; its own output with & turned into | ORs them.
        ors = [f"replace(plainto_tsquery('{cfg}', {sql.bind(fold_for(lang, ' '.join(words)))})::text, '&', '|')"
               "::tsquery" for lang, cfg in CONFIGS.items()]
        q = "(" + " || ".join(ors) + ")"
        where = [f"d.tsv @@ {q}"]
        if types:
            where.append(f"d.type = ANY(CAST({sql.bind(list(types))} AS text[]))")
        if exclude_ids:
            where.append(f"NOT (d.doc_id = ANY(CAST({sql.bind(list(exclude_ids))} AS text[])))")
        if exclude_challenge is not None:
            where.append(f"d.challenge_id <> {sql.bind(exclude_challenge)}")
        sql.params["limit"] = limit
        cols = ", ".join(f"d.{c}" for c in _HIT_COLUMNS)
        conn.execute(text("SET LOCAL enable_seqscan = off"))   # as in _search
        rows = conn.execute(text(
            f"SELECT {cols}, d.config, top.score, ts_headline(d.config, {self._shielded(sql)}, {q}, "
            f"{sql.bind(HEADLINE_OPTIONS)}) AS headline FROM ("
            f"  SELECT d.doc_id, ts_rank(d.tsv_head, {q}, 1) AS score FROM {self.table} d "
            f"  WHERE {' AND '.join(where)} ORDER BY score DESC, d.doc_id LIMIT :limit) top "
            f"JOIN {self.table} d ON d.doc_id = top.doc_id ORDER BY top.score DESC, top.doc_id"), sql.params).mappings().all()
        return [self._hit(r) for r in rows]

    def similar(self, doc_id: str, *, limit: int = 5, types: tuple[str, ...] = (),
                exclude_challenge: int | None = None) -> list[Hit]:
        with self._begin() as conn:
            self._ensure_built(conn)
            row = conn.execute(text(f"SELECT title, summary FROM {self.table} WHERE doc_id = :id"), {"id": doc_id}).first()
            if row is None:
                return []
            return self._like(conn, f"{row.title} {row.summary}", limit=limit, types=types, exclude_ids=(doc_id,),
                              exclude_challenge=exclude_challenge)

    def similar_to_text(self, text: str, language: str, *, limit: int = 5,
                        types: tuple[str, ...] = ()) -> list[Hit]:
        with self._begin() as conn:
            self._ensure_built(conn)
            return self._like(conn, text, limit=limit, types=types)

    # ------------------------------------------------------------------ writing
    @contextmanager
    def _advisory(self, key: int, timeout: float) -> Iterator[None]:
        try:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except DBAPIError as exc:
            raise IndexUnavailableError(repr(exc.orig)) from exc
        try:
            deadline = time.monotonic() + timeout
            while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                if time.monotonic() > deadline:
                    raise TimeoutError("the search index is being written by another process")
                time.sleep(0.05)
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        finally:
            conn.close()

    def writing(self, timeout: float = 10.0) -> Any:
        """The lock every index write holds, across processes and hosts (a session-level advisory
        lock on a connection of its own); TimeoutError after `timeout` seconds."""
        return self._advisory(self.write_lock, timeout)

    def write(self, upserts: Iterable[SearchDocument], deletes: Iterable[str]) -> None:
        rows = [_row(d) for d in upserts]
        gone = sorted(set(deletes) - {r["doc_id"] for r in rows})
        with self._begin() as conn:
            self._ensure_built(conn)
            if gone:
                conn.execute(text(f"DELETE FROM {self.table} WHERE doc_id = ANY(CAST(:ids AS text[]))"), {"ids": gone})
            if rows:
                conn.execute(text(_insert_sql(self.table, upsert=True)), rows)
                if self.trigram(conn):
                    words: set[str] = set()
                    for r in rows:
                        words |= _words(" ".join((r["title"], r["summary"], r["t_body"])))
                    conn.execute(text(f"INSERT INTO {self.words} (word) SELECT unnest(CAST(:w AS text[])) "
                                      "ON CONFLICT DO NOTHING"), {"w": sorted(words)})

    def rebuild(self, documents: Callable[[], Iterator[SearchDocument]], *, replay: Callable[[], None]) -> int:
        nxt, words_nxt = self.table + NEXT, self.words + NEXT
        with self._advisory(self.rebuild_lock, timeout=3600.0):
            with self.engine.begin() as conn:
                trigram = self.trigram(conn)
                conn.execute(text(f"DROP TABLE IF EXISTS {nxt}"))
                conn.execute(text(f"DROP TABLE IF EXISTS {words_nxt}"))
                for stmt in ddl(nxt):
                    conn.execute(text(stmt))
            insert = text(_insert_sql(nxt, upsert=False))
            vocabulary: set[str] = set()
            count = 0
            batch: list[dict[str, Any]] = []

            def flush() -> None:
                with self.engine.begin() as c:
                    c.execute(insert, batch)
                batch.clear()

            for d in documents():
                row = _row(d)
                batch.append(row)
                if trigram:
                    vocabulary |= _words(" ".join((row["title"], row["summary"], row["t_body"])))
                count += 1
                if len(batch) >= BATCH:
                    flush()
            if batch:
                flush()
            with self.engine.begin() as conn:
                for stmt in index_ddl(nxt, self.table):
                    conn.execute(text(stmt))
                for stmt in words_ddl(words_nxt, self.words, trigram=trigram):
                    conn.execute(text(stmt))
                if vocabulary:
                    conn.execute(text(f"INSERT INTO {words_nxt} (word) SELECT unnest(CAST(:w AS text[]))"),
                                 {"w": sorted(vocabulary)})
                conn.execute(text(f"ANALYZE {nxt}"))
            with self.writing(timeout=60.0):
                with self.engine.begin() as conn:
                    conn.execute(text("SET LOCAL lock_timeout = '30s'"))
                    conn.execute(text(f"DROP TABLE IF EXISTS {self.table}, {self.words}"))
                    self._rename(conn, nxt, self.table, index_ddl(nxt, self.table))
                    self._rename(conn, words_nxt, self.words, words_ddl(words_nxt, self.words, trigram=trigram))
                    stamp = datetime.now(UTC).isoformat(timespec="seconds")
                    conn.execute(text(f"COMMENT ON TABLE {self.table} IS 'built {stamp}, {count} documents'"))
                self._built = True
                replay()
        return count

    @staticmethod
    def _rename(conn: Connection, source: str, final: str, statements: list[str]) -> None:
        """Give the loaded table and its indexes their final names (inside the swap's transaction)."""
        conn.execute(text(f"ALTER TABLE {source} RENAME TO {final}"))
        for stmt in statements:
            for name in re.findall(r"\b((?:pk|ix)_\w+" + re.escape(NEXT) + r")\b", stmt):
                target = name[: -len(NEXT)]
                if name.startswith("pk_"):
                    conn.execute(text(f"ALTER TABLE {final} RENAME CONSTRAINT {name} TO {target}"))
                else:
                    conn.execute(text(f"ALTER INDEX {name} RENAME TO {target}"))

    # ------------------------------------------------------------------ reporting
    def doc_ids(self) -> set[str]:
        with self._begin() as conn:
            self._ensure_built(conn)
            return set(conn.execute(text(f"SELECT doc_id FROM {self.table}")).scalars())

    def count(self) -> int:
        with self._begin() as conn:
            self._ensure_built(conn)
            return int(conn.execute(text(f"SELECT count(*) FROM {self.table}")).scalar() or 0)

    def status(self) -> dict[str, object]:
        try:
            n = self.count()
        except IndexUnavailableError as exc:
            return {"ok": False, "backend": self.name, "error": str(exc)[:200]}
        return {"ok": True, "backend": self.name, "documents": n}

    def close(self) -> None:
        """Close the pooled connections (indexing.forget_backend, for an app that is done)."""
        self.engine.dispose()
