"""The chair's deliberation table (issue 10, item 8): a round's aggregation with names attached,
its flags, charts and exports' rows.

The aggregation (app/judging/aggregate.py) of 150 concepts x 7 jurors x 6 criteria with 1000
resamples takes about a quarter of a second, more than the table's whole budget (200 ms p95).
So the computed result is kept in a small process-local LRU cache, keyed by a fingerprint of
the round's data read in ONE query: the number and latest change of submitted sheets, of
conflicts, of assignments, of round entries, of the round's jurors and of submitted ballots.
Whenever any of those changes the key changes, so a stale entry is never read again; that is
also why the cache is correct with several worker processes or hosts, each keeping its own: no
process can serve a result for data it has not fingerprinted (an entry for an old key is simply
never asked for again and falls out of the LRU). The rubric is frozen once scoring has started;
its criteria (ids, weights, scales) are part of the key anyway.

Names (labels, titles, teams, jurors) are read on every request, in a fixed number of queries,
and joined to the cached figures here: nothing about identities is cached.
"""
from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from app.challenges.models import Challenge
from app.concepts.models import Concept
from app.db import db
from app.judging import aggregate, queries
from app.judging.models import (
    CONFLICT_IN_FORCE,
    Assignment,
    Conflict,
    EntryLabel,
    JudgingRound,
    RankingBallot,
    RoundEntry,
    RoundJuror,
    RoundMethod,
    ScoreSheet,
    SheetState,
)
from app.judging.permissions import hides_identities

CACHE_SIZE = 32
RESAMPLES = aggregate.DEFAULT_RESAMPLES
TOP_N = aggregate.DEFAULT_TOP_N
# A criterion scale with more points than this is shown in this many buckets in the chart.
MAX_BARS = 11


# ---------------------------------------------------------------- the cache
class _LRU:
    """A tiny thread-safe LRU: the computed figures of the last few rounds asked for."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Any) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
            self.misses += 1
            return None

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0


CACHE = _LRU(CACHE_SIZE)


def fingerprint(judging_round: JudgingRound) -> tuple[Any, ...]:
    """What the round's figures depend on, in one query (counts and latest changes)."""
    rid, cid = judging_round.id, judging_round.challenge_id
    submitted = (ScoreSheet.round_id == rid, ScoreSheet.state == SheetState.SUBMITTED)
    in_force = (Conflict.challenge_id == cid, Conflict.status.in_([s.value for s in CONFLICT_IN_FORCE]))
    ballots = (RankingBallot.round_id == rid, RankingBallot.state == SheetState.SUBMITTED)
    parts = [
        select(func.count(ScoreSheet.id)).where(*submitted),
        select(func.max(ScoreSheet.updated_at)).where(*submitted),
        select(func.count(Conflict.id)).where(*in_force),
        select(func.max(func.coalesce(Conflict.decided_at, Conflict.created_at))).where(Conflict.challenge_id == cid),
        select(func.count(Assignment.id)).where(Assignment.round_id == rid),
        select(func.max(Assignment.created_at)).where(Assignment.round_id == rid),
        select(func.count(RoundEntry.id)).where(RoundEntry.round_id == rid),
        select(func.max(RoundEntry.added_at)).where(RoundEntry.round_id == rid),
        select(func.count(RoundJuror.id)).where(RoundJuror.round_id == rid),
        select(func.max(RoundJuror.id)).where(RoundJuror.round_id == rid),
        select(func.count(RankingBallot.id)).where(*ballots),
        select(func.max(RankingBallot.updated_at)).where(*ballots),
    ]
    row = db.session.execute(select(*[p.scalar_subquery() for p in parts])).one()
    return tuple(str(v) if v is not None else None for v in row)


# ---------------------------------------------------------------- computed figures (cached)
@dataclass(frozen=True)
class JurorStats:
    seat_id: int
    n: int
    low: float | None
    mean: float | None
    high: float | None


@dataclass(frozen=True)
class Histogram:
    criterion_id: int
    bars: tuple[tuple[str, int], ...]  # (scale value or range, number of scores)
    n: int

    @property
    def peak(self) -> int:
        return max((count for _label, count in self.bars), default=0)


@dataclass(frozen=True)
class Computed:
    method: RoundMethod
    result: aggregate.Aggregate | None = None
    schulze: aggregate.SchulzeResult | None = None
    ballots: int = 0
    invalid_ballots: tuple[int, ...] = ()  # seat ids whose ballot could not be counted
    dropped_scores: int = 0  # scores on a concept the juror has since recused from
    juror_stats: tuple[JurorStats, ...] = ()
    histograms: tuple[Histogram, ...] = ()
    n_scores: int = 0
    failed: bool = False


def _histograms(data: aggregate.RoundScores) -> tuple[Histogram, ...]:
    out = []
    for crit in data.criteria:
        values = [s.value for s in data.scores if s.criterion_id == crit.id]
        lo, hi = int(crit.scale_min), int(crit.scale_max)
        points = hi - lo + 1
        if points <= MAX_BARS:
            bars = tuple((str(v), sum(1 for x in values if x == v)) for v in range(lo, hi + 1))
        else:
            width = math.ceil(points / MAX_BARS)
            bars = tuple((f"{a}–{min(a + width - 1, hi)}", sum(1 for x in values if a <= x <= a + width - 1))
                         for a in range(lo, hi + 1, width))
        out.append(Histogram(criterion_id=crit.id, bars=bars, n=len(values)))
    return tuple(out)


def _juror_stats(data: aggregate.RoundScores, result: aggregate.Aggregate) -> tuple[JurorStats, ...]:
    per: dict[Any, list[float]] = {j.id: [] for j in data.jurors}
    for spread in result.agreement.concepts:
        for juror_id, value in spread.juror_scores:
            per.setdefault(juror_id, []).append(value)
    return tuple(JurorStats(seat_id=j, n=len(v), low=min(v) if v else None,
                            mean=math.fsum(v) / len(v) if v else None, high=max(v) if v else None)
                 for j, v in per.items())


def _compute_rubric(judging_round: JudgingRound) -> Computed:
    found = queries.round_input(judging_round)
    data = found.data
    try:
        result = aggregate.aggregate(data, top_n=TOP_N, resamples=RESAMPLES)
    except ValueError:
        current_app.logger.exception("Aggregation of round %s failed", judging_round.id)
        return Computed(method=RoundMethod.RUBRIC, failed=True)
    return Computed(method=RoundMethod.RUBRIC, result=result, juror_stats=_juror_stats(data, result),
                    histograms=_histograms(data), n_scores=len(data.scores),
                    dropped_scores=found.dropped_scores)


def _compute_ranking(judging_round: JudgingRound) -> Computed:
    found = queries.round_ballots(judging_round)
    if not found.candidates:
        return Computed(method=RoundMethod.RANKING)
    return Computed(method=RoundMethod.RANKING, schulze=aggregate.schulze(found.candidates, found.ballots),
                    ballots=len(found.ballots), invalid_ballots=found.invalid_seat_ids)


def figures_key(judging_round: JudgingRound) -> tuple[Any, ...]:
    """The cache key of the round's figures: the round, its rubric and the fingerprint of its data."""
    criteria = tuple((c.id, c.weight, c.scale_min, c.scale_max) for c in judging_round.criteria())
    return ("figures", current_app.config.get("SQLALCHEMY_DATABASE_URI"), judging_round.id,
            str(judging_round.method), criteria, fingerprint(judging_round))


def computed(judging_round: JudgingRound, key: tuple[Any, ...] | None = None) -> Computed:
    """The round's figures, from the cache when its data has not changed."""
    key = key or figures_key(judging_round)
    found = CACHE.get(key)
    if found is None:
        found = (_compute_ranking(judging_round) if judging_round.method == RoundMethod.RANKING
                 else _compute_rubric(judging_round))
        CACHE.put(key, found)
    return found


# ---------------------------------------------------------------- the table with names
@dataclass(frozen=True)
class Entry:
    concept_id: int
    label: str
    title: str
    team: str | None  # None in a blind challenge (S19)
    mentions: tuple[str, ...]


@dataclass(frozen=True)
class JurorCell:
    """One juror on one concept: a weighted score (0..100), or why there is none."""

    score: float | None
    state: str  # "scored", "partial" (some criteria missing), "missing", "recused", "unassigned"
    missing: int = 0


@dataclass(frozen=True)
class CriterionCell:
    mean: float | None
    spread: float | None
    n: int


@dataclass(frozen=True)
class Row:
    entry: Entry
    rank: int
    rank_raw: int
    rank_calibrated: int
    score_raw: float | None
    score_calibrated: float | None
    criteria: tuple[CriterionCell, ...]
    jurors: tuple[JurorCell, ...]
    band_low: int
    band_high: int
    top_share: float
    spread: float | None
    disputed: bool
    close_call: bool  # too close to call with its neighbour above or below
    n_missing: int
    n_recused: int
    unscored_criteria: tuple[str, ...]


@dataclass(frozen=True)
class JurorInfo:
    seat_id: int
    name: str
    removed: bool
    outlier: bool
    correlation: float | None
    stats: JurorStats | None


@dataclass(frozen=True)
class CriterionInfo:
    id: int
    name: str
    weight: int
    scale_min: int
    scale_max: int
    alpha: aggregate.Alpha | None = None
    histogram: Histogram | None = None


@dataclass(frozen=True)
class SensitivityLine:
    criterion: str
    delta: float
    top: tuple[str, ...]


@dataclass(frozen=True)
class CloseCallLine:
    upper: str
    lower: str
    share: float


@dataclass(frozen=True)
class SchulzeView:
    labels: tuple[str, ...]  # candidates in matrix order
    order: tuple[Entry, ...]
    preferences: tuple[tuple[int, ...], ...]
    ballots: int
    invalid: tuple[str, ...]  # juror names


@dataclass(frozen=True)
class Table:
    """Plain values only (no database objects): tables are cached across requests."""

    challenge_id: int
    slug: str
    round_position: int
    basis: aggregate.Basis
    blind: bool
    method: RoundMethod
    criteria: tuple[CriterionInfo, ...] = ()
    jurors: tuple[JurorInfo, ...] = ()
    rows: tuple[Row, ...] = ()
    overall_alpha: aggregate.Alpha | None = None
    sensitivity_stable: bool = True
    sensitivity: tuple[SensitivityLine, ...] = ()
    baseline_top: tuple[str, ...] = ()
    close_calls: tuple[CloseCallLine, ...] = ()
    top_n: int = TOP_N
    resamples: int = RESAMPLES
    n_scores: int = 0
    dropped_scores: int = 0
    failed: bool = False
    schulze: SchulzeView | None = None
    self_identifying: tuple[Entry, ...] = field(default_factory=tuple)
    # What the table was built from (figures, basis, names): the key of its rendered HTML.
    cache_key: tuple[Any, ...] = ()

    @property
    def empty(self) -> bool:
        return self.n_scores == 0


def entries_of(challenge: Challenge, concept_ids: Sequence[int] | None = None) -> dict[int, Entry]:
    """The challenge's labelled entries by concept id, in two queries; the team only when the
    challenge is not blind (S19)."""
    blind = hides_identities(challenge)
    marks = {cid: (EntryLabel(number=n).label, tuple(m or ())) for cid, n, m in db.session.execute(
        select(EntryLabel.concept_id, EntryLabel.number, EntryLabel.mentions)
        .where(EntryLabel.challenge_id == challenge.id))}
    stmt = select(Concept.id, Concept.title, Concept.team_name).where(Concept.id.in_(list(marks)))
    out = {}
    for cid, title, team in db.session.execute(stmt):
        label, mentions = marks[cid]
        out[cid] = Entry(concept_id=cid, label=label, title=title or "", team=None if blind else (team or ""),
                         mentions=mentions)
    if concept_ids is not None:
        return {cid: out[cid] for cid in concept_ids if cid in out}
    return out


def _seat_names(challenge_id: int) -> dict[int, tuple[str, bool]]:
    return {s.id: (s.user.display_name, not s.is_active) for s in queries.seats(challenge_id, include_removed=True)}


def build_table(challenge: Challenge, judging_round: JudgingRound, basis: aggregate.Basis) -> Table:
    """The chair's table of a round: figures from the cache, names read fresh on every request.
    The joined table is cached too, under the figures' key plus everything it shows besides
    (the names, titles, criteria and blindness read in this request), so that any change to
    those builds it anew."""
    key = figures_key(judging_round)
    blind = hides_identities(challenge)
    entries = entries_of(challenge)
    names = _seat_names(challenge.id)
    shown = (tuple(sorted(entries.items())), tuple(sorted(names.items())), blind, judging_round.position,
             tuple((c.id, c.name) for c in judging_round.criteria()))
    table_key = ("table", key, str(basis), hash(shown), shown)
    found = CACHE.get(table_key)
    if found is None:
        found = _build(challenge, judging_round, basis, computed(judging_round, key), blind, entries, names,
                       table_key)
        CACHE.put(table_key, found)
    return found


def _build(challenge: Challenge, judging_round: JudgingRound, basis: aggregate.Basis, figures: Computed,
           blind: bool, entries: dict[int, Entry], names: dict[int, tuple[str, bool]],
           table_key: tuple[Any, ...]) -> Table:

    def entry(cid: int) -> Entry:
        return entries.get(cid) or Entry(concept_id=cid, label="?", title="", team=None, mentions=())

    base = {"challenge_id": challenge.id, "slug": challenge.slug, "round_position": judging_round.position,
            "basis": basis, "blind": blind, "method": figures.method, "failed": figures.failed,
            "cache_key": table_key}
    if figures.method == RoundMethod.RANKING:
        view = None
        if figures.schulze is not None:
            s = figures.schulze
            view = SchulzeView(labels=tuple(entry(c).label for c in s.candidates),
                               order=tuple(entry(c) for c in s.order), preferences=s.preferences,
                               ballots=figures.ballots, invalid=tuple(names.get(i, ("?", False))[0]
                                                                      for i in figures.invalid_ballots))
        return Table(**base, schulze=view, n_scores=figures.ballots,
                     self_identifying=_self_identifying(blind, entries, view.order if view else ()))
    result = figures.result
    crit_rows = judging_round.criteria()
    if result is None:
        return Table(**base, criteria=tuple(CriterionInfo(c.id, c.name, c.weight, c.scale_min, c.scale_max)
                                            for c in crit_rows))
    crit_names = {c.id: c.name for c in crit_rows}
    alphas = {a.criterion_id: a for a in result.agreement.criteria}
    hists = {h.criterion_id: h for h in figures.histograms}
    criteria = tuple(CriterionInfo(c.id, c.name, c.weight, c.scale_min, c.scale_max, alphas.get(c.id),
                                   hists.get(c.id)) for c in crit_rows)
    agreement = {j.juror_id: j for j in result.agreement.jurors}
    stats = {s.seat_id: s for s in figures.juror_stats}
    juror_ids = sorted(stats) or sorted(agreement)
    jurors = tuple(JurorInfo(seat_id=j, name=names.get(j, ("?", False))[0], removed=names.get(j, ("?", False))[1],
                             outlier=bool(agreement.get(j) and agreement[j].outlier),
                             correlation=agreement[j].correlation if j in agreement else None,
                             stats=stats.get(j)) for j in juror_ids)

    report = result.raw if basis is aggregate.Basis.RAW else result.calibrated
    raw_rank = {e.concept_id: e for e in result.raw.ranking.entries}
    cal_rank = {e.concept_id: e for e in result.calibrated.ranking.entries}
    bands = {b.concept_id: b for b in report.uncertainty.bands}
    coverage = {c.concept_id: c for c in result.coverage}
    spreads = {c.concept_id: c for c in result.agreement.concepts}
    close = set()
    for call in report.uncertainty.close_calls:
        close.update((call.upper_id, call.lower_id))
    rows = []
    for ranked in report.ranking.entries:
        cid = ranked.concept_id
        cov = coverage[cid]
        spread = spreads.get(cid)
        given = dict(spread.juror_scores) if spread else {}
        missing_by = {}
        for juror_id, _criterion in cov.missing:
            missing_by[juror_id] = missing_by.get(juror_id, 0) + 1
        cells = []
        for j in juror_ids:
            if j in cov.recused_jurors:
                cells.append(JurorCell(None, "recused"))
            elif j not in cov.expected_jurors:
                cells.append(JurorCell(None, "unassigned"))
            elif j in given:
                cells.append(JurorCell(given[j], "partial" if missing_by.get(j) else "scored", missing_by.get(j, 0)))
            else:
                cells.append(JurorCell(None, "missing", missing_by.get(j, 0)))
        raw_entry = raw_rank[cid]
        band = bands[cid]
        rows.append(Row(
            entry=entry(cid), rank=ranked.rank, rank_raw=raw_entry.rank, rank_calibrated=cal_rank[cid].rank,
            score_raw=raw_entry.score, score_calibrated=cal_rank[cid].score,
            criteria=tuple(CriterionCell(m.scale_mean, m.spread, m.n_scores) for m in raw_entry.criteria),
            jurors=tuple(cells), band_low=band.low, band_high=band.high, top_share=band.top_share,
            spread=spread.spread if spread else None, disputed=bool(spread and spread.disputed),
            close_call=cid in close, n_missing=cov.n_missing, n_recused=len(cov.recused_jurors),
            unscored_criteria=tuple(crit_names.get(k, "?") for k in cov.unscored_criteria)))
    sens = report.sensitivity
    lines = tuple(SensitivityLine(criterion=crit_names.get(m.criterion_id, "?"), delta=m.applied,
                                  top=tuple(entry(c).label for c in m.top))
                  for m in sens.moves if m.order_changed)
    calls = tuple(CloseCallLine(entry(c.upper_id).label, entry(c.lower_id).label, c.reversed_share)
                  for c in report.uncertainty.close_calls)
    return Table(**base, criteria=criteria, jurors=jurors, rows=tuple(rows),
                 overall_alpha=result.agreement.overall, sensitivity_stable=sens.stable, sensitivity=lines,
                 baseline_top=tuple(entry(c).label for c in sens.baseline), close_calls=calls,
                 n_scores=figures.n_scores, dropped_scores=figures.dropped_scores,
                 self_identifying=_self_identifying(blind, entries, [r.entry for r in rows]))


def _self_identifying(blind: bool, entries: dict[int, Entry], shown: Sequence[Entry]) -> tuple[Entry, ...]:
    if not blind:
        return ()
    return tuple(e for e in shown if e.mentions)


# ---------------------------------------------------------------- exports
def export_rows(table: Table, *, rank_label: str = "") -> list[list[Any]]:
    """The table as rows for CSV/XLSX: a header, then one row per concept in the table's order.
    Headers are plain English column names (stable for scripts); the team column only when the
    challenge is not blind (S19)."""
    header = ["label", "title"]
    if not table.blind:
        header.append("team")
    header += ["rank_raw", "rank_calibrated", "score", "score_calibrated", "band_low", "band_high",
               f"top{table.top_n}_share"]
    header += [f"mean: {c.name}" for c in table.criteria]
    header += [f"juror: {j.name}" for j in table.jurors]
    rows: list[list[Any]] = [header]
    for row in table.rows:
        line: list[Any] = [row.entry.label, row.entry.title]
        if not table.blind:
            line.append(row.entry.team or "")
        line += [row.rank_raw, row.rank_calibrated, _round(row.score_raw, 2), _round(row.score_calibrated, 3),
                 row.band_low, row.band_high, _round(row.top_share, 3)]
        line += [_round(c.mean, 2) for c in row.criteria]
        line += [_round(cell.score, 2) if cell.score is not None else cell.state for cell in row.jurors]
        rows.append(line)
    if table.schulze is not None:
        rows = [["position", "label", "title"] + ([] if table.blind else ["team"])]
        for n, e in enumerate(table.schulze.order, start=1):
            rows.append([n, e.label, e.title] + ([] if table.blind else [e.team or ""]))
    return rows


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def round_for(challenge: Challenge, number: int | None) -> tuple[list[JudgingRound], JudgingRound | None]:
    """The challenge's rounds and the one asked for by position (the last one by default)."""
    found = queries.rounds(challenge.id)
    if not found:
        return found, None
    if number is None:
        return found, found[-1]
    return found, next((r for r in found if r.position == number), None)
