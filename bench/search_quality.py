"""Relevance of the archive search: plain Snowball against the full Nordic analysis.

Builds indexes over the relevance set (bench/search_corpus/*.txt: challenges and concepts in
da, nb, sv, en) in a temporary directory with the real backend (app/search/backends/whoosh.py),
once with analysis_mode="snowball" (Whoosh's LanguageAnalyzer per language) and once with the
full analysis (app/search/analysis.py), runs every query of bench/search_queries.jsonl through
the search syntax and the backend (fuzzy fallback included), and prints per-query misses,
recall@10 and MRR per query kind and overall, side by side. The last line is the summary:

    search-quality: queries=.. recall10=.. mrr=.. snowball_recall10=.. snowball_mrr=..

    python bench/search_quality.py              # the comparison
    python bench/search_quality.py --variants   # also: no compounds, query-time modes
    python bench/search_quality.py --cost 10    # compound cost on the corpus repeated 10 times
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from app.search import analysis  # noqa: E402
from app.search.backends import SearchRequest  # noqa: E402
from app.search.backends.whoosh import WhooshBackend  # noqa: E402
from app.search.documents import SearchDocument  # noqa: E402
from app.search.query import Term, parse_query  # noqa: E402
from app.search.schema import build_schema  # noqa: E402

CORPUS_DIR = HERE / "search_corpus"
QUERIES = HERE / "search_queries.jsonl"
TOP = 10


@dataclass(frozen=True)
class Query:
    id: str
    q: str
    lang: str
    kind: str
    expect: tuple[str, ...]
    note: str = ""


def load_corpus(directory: Path = CORPUS_DIR) -> list[SearchDocument]:
    """Read the relevance set's documents: "=== id" records of "key: value" lines and a body."""
    docs: list[SearchDocument] = []
    for path in sorted(directory.glob("*.txt")):
        lang = path.stem
        text = path.read_text(encoding="utf-8")
        for chunk in text.split("\n=== ")[1:]:
            head, _, body = chunk.partition("\n\n")
            lines = head.splitlines()
            meta = dict(line.split(": ", 1) for line in lines[1:])
            tags = tuple(t.strip() for t in meta["tags"].split(";") if t.strip())
            year = int(meta["year"])
            n = len(docs) + 1
            docs.append(SearchDocument(
                doc_id=lines[0].strip(), type=meta["type"], object_id=n, language=lang,
                title=meta["title"], summary=meta["summary"], body=body.strip(), url=f"/bench/{n}",
                organisation=meta["organisation"].lower().replace(" ", "-"),
                organisation_name=meta["organisation"], country=meta["country"], year=year,
                date=datetime(year, 6, 1, tzinfo=UTC), state="archived", challenge_id=n,
                challenge_title=meta["title"], tags=tuple(t.lower().replace(" ", "-") for t in tags),
                tag_names=tags,
            ))
    return docs


def load_queries(path: Path = QUERIES) -> list[Query]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            out.append(Query(d["id"], d["q"], d["lang"], d["kind"], tuple(d["expect"]), d.get("note", "")))
    return out


class SurfaceFuzzyBackend(WhooshBackend):
    """A proposal measured here, not the app's backend: a word no field knows is corrected
    against the surface words ("words", the did-you-mean field: one edit, two from eight letters,
    Damerau, first letter kept) and the correction is analysed like a typed word, in every
    language. The backend's own fallback (FuzzyTerm on the stems) stays; it misses typos that
    change the stem ("klimatilpasnig" stems to klimatilpasn, three edits from klimatilpasning)."""

    def _term_query(self, state, term, *, fuzzy):  # type: ignore[no-untyped-def]
        q, known = super()._term_query(state, term, fuzzy=fuzzy)
        if known or not fuzzy or term.phrase or q is None:
            return q, known
        corrector = state.searcher.corrector("words")
        extra = []
        for word in term.words:
            folded = analysis.fold(word)
            maxdist = 1 if len(folded) < 8 else 2
            for fixed in corrector.suggest(folded, limit=1, maxdist=maxdist, prefix=1):
                sub, _ = super()._term_query(state, Term((fixed,)), fuzzy=False)
                if sub is not None:
                    extra.append(sub)
        if extra:
            from whoosh import query as wq
            q = wq.Or([q, *extra])
        return q, known


def make_backend(root: Path, mode: str) -> WhooshBackend:
    """mode: "snowball", "full", or a variant of the full analysis: "full-nocompounds",
    "full-query-none" (index-time splitting only), "full-query-beside" (the whole word and its
    parts; the backend ANDs a word's tokens), "full-surface-fuzzy" (SurfaceFuzzyBackend)."""
    if mode == "snowball":
        return WhooshBackend(root, analysis_mode="snowball")
    if mode == "full-surface-fuzzy":
        return SurfaceFuzzyBackend(root, analysis_mode="full")
    backend = WhooshBackend(root, analysis_mode="full")
    if mode != "full":
        kwargs: dict[str, object] = {}
        if mode == "full-nocompounds":
            kwargs["compounds"] = False
        elif mode.startswith("full-query-"):
            kwargs["query_compounds"] = mode.removeprefix("full-query-")
        else:
            raise ValueError(mode)
        backend.schema = build_schema(lambda lang: analysis.analyzer(lang, **kwargs))
        backend.analyzers = {lang: backend.schema[f"title_{lang}"].analyzer for lang in analysis.LANGUAGES}
    return backend


def build(root: Path, mode: str, docs: list[SearchDocument]) -> tuple[WhooshBackend, float, int]:
    backend = make_backend(root, mode)
    started = time.perf_counter()
    backend.rebuild(lambda: iter(docs), replay=lambda: None)
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in (root / "current").resolve().rglob("*") if p.is_file())
    return backend, seconds, size


def run_queries(backend: WhooshBackend, queries: Iterable[Query]) -> dict[str, list[str]]:
    ranked: dict[str, list[str]] = {}
    for q in queries:
        request = SearchRequest(query=parse_query(q.q), per_page=TOP, facets=False, suggest=False)
        ranked[q.id] = [h.doc_id for h in backend.search(request).hits]
    backend.close()
    return ranked


def score(q: Query, ranked: list[str]) -> tuple[float, float, list[str]]:
    top = ranked[:TOP]
    missing = [d for d in q.expect if d not in top]
    recall = (len(q.expect) - len(missing)) / len(q.expect)
    rr = next((1.0 / (i + 1) for i, d in enumerate(top) if d in q.expect), 0.0)
    return recall, rr, missing


def evaluate(backend: WhooshBackend, queries: list[Query]) -> dict[str, tuple[float, float, list[str], list[str]]]:
    """{query id: (recall@10, reciprocal rank, missing ids, top ids)}."""
    ranked = run_queries(backend, queries)
    out = {}
    for q in queries:
        recall, rr, missing = score(q, ranked[q.id])
        out[q.id] = (recall, rr, missing, ranked[q.id])
    return out


def summarise(results: dict[str, tuple[float, float, list[str], list[str]]], ids: Iterable[str]) -> tuple[float, float]:
    ids = list(ids)
    if not ids:
        return 0.0, 0.0
    return (statistics.fmean(results[i][0] for i in ids), statistics.fmean(results[i][1] for i in ids))


def compare(modes: list[str], docs: list[SearchDocument], queries: list[Query],
            out: Callable[[str], None] = print) -> dict[str, dict[str, tuple[float, float, list[str], list[str]]]]:
    by_mode: dict[str, dict[str, tuple[float, float, list[str], list[str]]]] = {}
    for mode in modes:
        with tempfile.TemporaryDirectory(prefix=f"search-quality-{mode}-") as tmp:
            backend, seconds, size = build(Path(tmp), mode, docs)
            by_mode[mode] = evaluate(backend, queries)
            out(f"# {mode}: built {len(docs)} documents in {seconds:.2f} s, index {size / 1024:.0f} KiB")
    return by_mode


def report(by_mode: dict[str, dict[str, tuple[float, float, list[str], list[str]]]], queries: list[Query],
           out: Callable[[str], None] = print) -> None:
    modes = list(by_mode)
    out("")
    out("Misses (expected in the top 10, not found; rank of first hit):")
    for q in queries:
        cells = []
        for mode in modes:
            recall, rr, missing, _ = by_mode[mode][q.id]
            if missing:
                cells.append(f"{mode}: -{','.join(missing)} rr={rr:.2f}")
        if cells:
            out(f"  {q.id} [{q.lang} {q.kind}] {q.q!r}: " + " | ".join(cells))
    out("")
    kinds = sorted({q.kind for q in queries})
    header = f"{'kind':<16}{'n':>4}" + "".join(f"{m + ' R@10':>24}{'MRR':>7}" for m in modes)
    out(header)
    for kind in [*kinds, "all"]:
        ids = [q.id for q in queries if kind in ("all", q.kind)]
        row = f"{kind:<16}{len(ids):>4}"
        for mode in modes:
            r, m = summarise(by_mode[mode], ids)
            row += f"{r:>24.3f}{m:>7.3f}"
        out(row)
    for lang in analysis.LANGUAGES:
        ids = [q.id for q in queries if q.lang == lang]
        row = f"{'lang ' + lang:<16}{len(ids):>4}"
        for mode in modes:
            r, m = summarise(by_mode[mode], ids)
            row += f"{r:>24.3f}{m:>7.3f}"
        out(row)


def cost(docs: list[SearchDocument], repeat: int, runs: int, out: Callable[[str], None] = print) -> None:
    """Index size and build time with and without compound splitting, on the corpus repeated."""
    big = [replace(d, doc_id=f"{d.doc_id}#{i}", object_id=i * 1000 + d.object_id)
           for i in range(repeat) for d in docs]
    started = time.perf_counter()
    analysis.CompoundDictionary.from_texts((d.language, f"{d.title} {d.summary} {d.body}") for d in big)
    dict_s = time.perf_counter() - started
    figures: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for _ in range(runs):
        for mode in ("snowball", "full-nocompounds", "full"):
            analysis.stem.cache_clear()
            with tempfile.TemporaryDirectory(prefix=f"search-cost-{mode}-") as tmp:
                backend, seconds, size = build(Path(tmp), mode, big)
                dict_size = sum(p.stat().st_size for p in (Path(tmp) / "current").resolve().glob("compounds*"))
                backend.close()
                figures[mode].append((seconds, size - dict_size))
    out("")
    out(f"Cost on {len(big)} documents ({repeat} x the corpus), median of {runs} run(s):")
    base_s = statistics.median(s for s, _ in figures["full-nocompounds"])
    base_b = statistics.median(b for _, b in figures["full-nocompounds"])
    for mode, rows in figures.items():
        s = statistics.median(r[0] for r in rows)
        b = statistics.median(r[1] for r in rows)
        out(f"  {mode:<18} build {s:6.2f} s ({len(big) / s:5.0f} docs/s)  index {b / 1024:7.0f} KiB"
            f"  vs full-nocompounds: time x{s / base_s:.2f}, size x{b / base_b:.2f}")
    d = analysis.get_dictionary()
    out(f"  compound dictionary: {len(d) if d else 0} words, built in {dict_s:.2f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", action="store_true", help="also measure the full analysis' variants")
    parser.add_argument("--cost", type=int, default=0, metavar="N",
                        help="measure compound splitting's cost on the corpus repeated N times")
    parser.add_argument("--runs", type=int, default=1, help="runs for the cost figures (median)")
    parser.add_argument("--show", metavar="QUERY_ID", action="append", default=[],
                        help="print the ranking of these queries")
    args = parser.parse_args(argv)

    docs = load_corpus()
    queries = load_queries()
    known = {d.doc_id for d in docs}
    unknown = sorted({e for q in queries for e in q.expect} - known)
    if unknown:
        print(f"search_queries.jsonl expects unknown documents: {unknown}", file=sys.stderr)
        return 2
    modes = ["snowball", "full"]
    if args.variants:
        modes += ["full-nocompounds", "full-query-none", "full-query-beside", "full-surface-fuzzy"]
    by_mode = compare(modes, docs, queries)
    report(by_mode, queries)
    for qid in args.show:
        for mode in modes:
            print(f"  {qid} {mode}: {by_mode[mode][qid][3]}")
    if args.cost:
        cost(docs, args.cost, args.runs)
    full = summarise(by_mode["full"], [q.id for q in queries])
    plain = summarise(by_mode["snowball"], [q.id for q in queries])
    print(f"search-quality: queries={len(queries)} recall10={full[0]:.3f} mrr={full[1]:.3f} "
          f"snowball_recall10={plain[0]:.3f} snowball_mrr={plain[1]:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
