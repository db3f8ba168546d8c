"""Score sheets to rankings: weighted means, calibration, uncertainty, agreement, sensitivity,
published tie-breakers, and the Schulze method for a final round ranked by each juror (issue 10,
item 7).

Pure: no Flask, no database, no app imports. A caller builds the frozen input types from its rows
(`RoundScores` for one round scored with the rubric, `Ballot` for a ranked final) and reads the
frozen output types. Texts here are English: `FORMULA` is for publication, `explain_agreement`
for the chair; a caller that translates shows the enums (`AgreementLevel`, `TieBreaker`, ...)
through its own label mappings instead.

Missing is never zero. A juror who recused from a concept (a declared conflict), was not assigned
to it, or left a criterion unscored simply contributes nothing there: means are taken over the
scores given, the weights over the criteria that have at least one score, and every such gap is
listed in `Coverage`.

Everything is computed in one canonical order (jurors by id, concepts by tie key, criteria in
rubric order), so the order in which a caller lists its rows changes nothing, not even the
bootstrap draws.
"""
from __future__ import annotations

import enum
import math
import random
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

import krippendorff
import numpy as np
import numpy.typing as npt

Id = int | str
TieKey = int | float | str | datetime
FloatArray = npt.NDArray[np.float64]

# Scores are compared after rounding to this many decimals, so that two concepts whose scores
# differ only by floating-point noise (the same marks summed in another order) count as tied and
# the published tie-breakers decide, as they would on paper.
PRECISION = 9

DEFAULT_TOP_N = 3
DEFAULT_RESAMPLES = 1000
DEFAULT_BAND = (5.0, 95.0)
# A lower-ranked neighbour that comes out ahead in this share of the resamples or more makes the
# pair "too close to call": a one-in-four reversal is far from the coin flip a reader of a
# ranking assumes to be settled.
CLOSE_CALL_SHARE = 0.25
WEIGHT_STEP = 10.0

# Krippendorff (2004, Content Analysis, 2nd ed., 12.1): rely on alpha >= .800, draw tentative
# conclusions from .667 <= alpha < .800, and not below.
ALPHA_GOOD = 0.8
ALPHA_TENTATIVE = 0.667

# A juror is an outlier when their weighted scores correlate (Pearson) below this with the mean
# of the other jurors' weighted scores on the same concepts. 0.3 is Cohen's boundary between a
# small and a medium correlation: below it the juror orders the concepts largely unlike the rest.
OUTLIER_CORRELATION = 0.3
# With two concepts any two jurors correlate +1 or -1: at least three are needed to tell.
OUTLIER_MIN_CONCEPTS = 3
# A concept is disputed when the population standard deviation of its jurors' weighted scores
# exceeds this many points of 100. Two jurors then differ by more than 40 points, more than one
# step of a 1-5 scale (25 points) on every criterion.
DISAGREEMENT_SPREAD = 20.0


# ---------------------------------------------------------------------------------------------
# Input


@dataclass(frozen=True)
class Criterion:
    """A rubric criterion. The weight is in percent of the rubric; only the ratios matter."""

    id: Id
    weight: float
    scale_min: float
    scale_max: float


@dataclass(frozen=True)
class Juror:
    id: Id


@dataclass(frozen=True)
class Concept:
    """A concept in the round. `tie_key` decides when everything else is equal: `FORMULA` says
    "the earlier submission first", so pass the submission time (or a label in submission order).
    """

    id: Id
    tie_key: TieKey


@dataclass(frozen=True)
class Score:
    juror_id: Id
    concept_id: Id
    criterion_id: Id
    value: float


@dataclass(frozen=True)
class RoundScores:
    """One round scored with the rubric.

    `recusals` holds (juror id, concept id) pairs of declared conflicts. `assignments` holds the
    (juror id, concept id) pairs a juror is expected to score; None means every juror scores
    every concept (the default assignment). Sequences are stored as tuples.
    """

    criteria: tuple[Criterion, ...]
    jurors: tuple[Juror, ...]
    concepts: tuple[Concept, ...]
    scores: tuple[Score, ...]
    recusals: frozenset[tuple[Id, Id]] = frozenset()
    assignments: frozenset[tuple[Id, Id]] | None = None

    def __post_init__(self) -> None:
        # Callers build these from query results, which are lists; frozen means frozen.
        object.__setattr__(self, "criteria", tuple(self.criteria))
        object.__setattr__(self, "jurors", tuple(self.jurors))
        object.__setattr__(self, "concepts", tuple(self.concepts))
        object.__setattr__(self, "scores", tuple(self.scores))
        object.__setattr__(self, "recusals", frozenset(self.recusals))
        if self.assignments is not None:
            object.__setattr__(self, "assignments", frozenset(self.assignments))


# ---------------------------------------------------------------------------------------------
# Output


class Basis(enum.StrEnum):
    RAW = "raw"
    CALIBRATED = "calibrated"


class TieBreaker(enum.StrEnum):
    """What put a concept above the next one, in the order they are tried."""

    SCORE = "score"
    HEAVIEST_CRITERION = "heaviest_criterion"
    JURORS = "jurors"
    TIE_KEY = "tie_key"


class CalibrationFlag(enum.StrEnum):
    SINGLE_SCORE = "single_score"
    NO_SPREAD = "no_spread"


class AgreementLevel(enum.StrEnum):
    GOOD = "good"
    TENTATIVE = "tentative"
    LOW = "low"


class AlphaUndefined(enum.StrEnum):
    TOO_FEW_JURORS = "too_few_jurors"
    NO_VARIANCE = "no_variance"


@dataclass(frozen=True)
class Coverage:
    """Who scored a concept and what is missing; the same for the raw and calibrated rankings."""

    concept_id: Id
    expected_jurors: tuple[Id, ...]  # assigned and not recused
    scored_jurors: tuple[Id, ...]  # gave at least one score
    recused_jurors: tuple[Id, ...]
    missing: tuple[tuple[Id, Id], ...]  # (juror id, criterion id) expected but not given
    unscored_criteria: tuple[Id, ...]  # no score at all: left out, the others re-weighted
    weights: tuple[tuple[Id, float], ...]  # criterion id -> effective weight in percent

    @property
    def n_jurors(self) -> int:
        return len(self.scored_jurors)

    @property
    def n_missing(self) -> int:
        return len(self.missing)

    @property
    def reweighted(self) -> bool:
        return bool(self.unscored_criteria) and len(self.unscored_criteria) < len(self.weights)


@dataclass(frozen=True)
class CriterionMean:
    """A concept's result on one criterion.

    `value` is what the weights combine: the mean as a share of the scale (0..1) in the raw
    ranking, the mean z-score in the calibrated one. `scale_mean` is the raw mean on the
    criterion's own scale (None in the calibrated ranking); `spread` the population standard
    deviation of the jurors' scores, in the same unit as `scale_mean` (raw) or `value`
    (calibrated), None with fewer than two scores.
    """

    criterion_id: Id
    value: float | None
    scale_mean: float | None
    n_scores: int
    spread: float | None


@dataclass(frozen=True)
class RankedConcept:
    concept_id: Id
    rank: int
    score: float | None  # 0..100 raw; weighted mean z calibrated; None when nobody scored it
    criteria: tuple[CriterionMean, ...]
    n_jurors: int
    decided_by: TieBreaker | None  # against the next concept down; None for the last


@dataclass(frozen=True)
class Ranking:
    basis: Basis
    entries: tuple[RankedConcept, ...]

    @property
    def order(self) -> tuple[Id, ...]:
        return tuple(e.concept_id for e in self.entries)

    def entry(self, concept_id: Id) -> RankedConcept:
        for e in self.entries:
            if e.concept_id == concept_id:
                return e
        raise KeyError(concept_id)


@dataclass(frozen=True)
class JurorCalibration:
    """A juror's mean and population standard deviation on one criterion in the round."""

    juror_id: Id
    criterion_id: Id
    n_scores: int
    mean: float
    sd: float
    flag: CalibrationFlag | None  # their z-scores on this criterion are all 0


@dataclass(frozen=True)
class RankBand:
    concept_id: Id
    rank: int  # in the ranking of the full jury
    low: int  # best rank at the lower percentile of the band (a smaller number)
    high: int  # worst rank at the upper percentile
    top_share: float  # share of resamples with rank <= top_n
    unscored_share: float  # share of resamples in which no drawn juror scored the concept


@dataclass(frozen=True)
class CloseCall:
    upper_id: Id
    lower_id: Id
    reversed_share: float  # share of resamples in which the lower concept ranks above the upper


@dataclass(frozen=True)
class Uncertainty:
    basis: Basis
    resamples: int
    seed: int
    top_n: int
    band: tuple[float, float]
    bands: tuple[RankBand, ...]  # in ranking order
    close_calls: tuple[CloseCall, ...]


@dataclass(frozen=True)
class WeightMove:
    criterion_id: Id
    delta: float  # the move asked for, in percentage points
    applied: float  # the move made once the weight is kept within 0..100
    weights: tuple[tuple[Id, float], ...]  # all weights after the move, in percent
    top: tuple[Id, ...]
    entered: tuple[Id, ...]  # in the top places after the move, not before
    left: tuple[Id, ...]
    order_changed: bool  # the top places differ in set or order

    @property
    def set_changed(self) -> bool:
        return bool(self.entered)


@dataclass(frozen=True)
class Sensitivity:
    basis: Basis
    top_n: int
    step: float
    baseline: tuple[Id, ...]
    moves: tuple[WeightMove, ...]

    @property
    def stable(self) -> bool:
        return not any(m.order_changed for m in self.moves)


@dataclass(frozen=True)
class Alpha:
    """Krippendorff's alpha (interval) for one criterion, or overall when criterion_id is None."""

    criterion_id: Id | None
    value: float | None
    level: AgreementLevel | None
    undefined: AlphaUndefined | None
    n_units: int  # concepts (per criterion) or concept-criterion pairs (overall) with >= 2 scores
    n_scores: int  # scores in those units


@dataclass(frozen=True)
class JurorAgreement:
    juror_id: Id
    correlation: float | None  # None: fewer than OUTLIER_MIN_CONCEPTS shared, or no variation
    n_concepts: int
    outlier: bool


@dataclass(frozen=True)
class ConceptSpread:
    concept_id: Id
    juror_scores: tuple[tuple[Id, float], ...]  # each juror's weighted raw score, 0..100
    spread: float | None  # population standard deviation of those, None with fewer than two
    disputed: bool


@dataclass(frozen=True)
class Agreement:
    overall: Alpha
    criteria: tuple[Alpha, ...]
    jurors: tuple[JurorAgreement, ...]
    concepts: tuple[ConceptSpread, ...]

    @property
    def outliers(self) -> tuple[Id, ...]:
        return tuple(j.juror_id for j in self.jurors if j.outlier)

    @property
    def disputed(self) -> tuple[Id, ...]:
        return tuple(c.concept_id for c in self.concepts if c.disputed)


@dataclass(frozen=True)
class RankingReport:
    ranking: Ranking
    uncertainty: Uncertainty
    sensitivity: Sensitivity


@dataclass(frozen=True)
class Aggregate:
    coverage: tuple[Coverage, ...]  # in tie-key order
    calibration: tuple[JurorCalibration, ...]
    raw: RankingReport
    calibrated: RankingReport
    agreement: Agreement


# ---------------------------------------------------------------------------------------------
# Validation and the canonical arrays


def _id_key(value: Id) -> tuple[bool, Id]:
    # Ints before strings, each in natural order: a total order even over mixed ids.
    return (isinstance(value, str), value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _unique(ids: Iterable[Id], what: str) -> None:
    seen: set[Id] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"{what} {i!r} is listed twice")
        seen.add(i)


def _tie_order(concepts: Sequence[Concept]) -> list[Concept]:
    keys = [c.tie_key for c in concepts]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise ValueError(f"tie key {dup!r} is shared by two concepts: the last tie-breaker must decide")
    try:
        return sorted(concepts, key=lambda c: c.tie_key)
    except TypeError as exc:
        raise ValueError(f"tie keys cannot be compared with one another: {exc}") from None


@dataclass(frozen=True)
class _Prepared:
    criteria: tuple[Criterion, ...]
    jurors: tuple[Id, ...]
    concepts: tuple[Concept, ...]
    weights: FloatArray  # (K,) fractions summing to 1
    raw: FloatArray  # (J, C, K) scale values, nan where missing
    z: FloatArray  # (J, C, K) z-scores, nan where missing
    expected: npt.NDArray[np.bool_]  # (J, C)
    recused: npt.NDArray[np.bool_]  # (J, C)
    calibration: tuple[JurorCalibration, ...]

    @property
    def lows(self) -> FloatArray:
        return np.array([c.scale_min for c in self.criteria], dtype=float)

    @property
    def spans(self) -> FloatArray:
        return np.array([c.scale_max - c.scale_min for c in self.criteria], dtype=float)


def _prepare(data: RoundScores) -> _Prepared:
    if not data.criteria:
        raise ValueError("a rubric needs at least one criterion")
    _unique((c.id for c in data.criteria), "criterion")
    for c in data.criteria:
        if not _is_number(c.weight) or c.weight <= 0:
            raise ValueError(f"criterion {c.id!r} needs a positive weight, not {c.weight!r}")
        if not (_is_number(c.scale_min) and _is_number(c.scale_max) and c.scale_min < c.scale_max):
            raise ValueError(f"criterion {c.id!r} needs a scale with min < max, not {c.scale_min!r}..{c.scale_max!r}")
    _unique((j.id for j in data.jurors), "juror")
    _unique((c.id for c in data.concepts), "concept")
    jurors = tuple(sorted((j.id for j in data.jurors), key=_id_key))
    concepts = tuple(_tie_order(data.concepts))
    ji = {j: n for n, j in enumerate(jurors)}
    ci = {c.id: n for n, c in enumerate(concepts)}
    ki = {c.id: n for n, c in enumerate(data.criteria)}

    def pair_index(pair: tuple[Id, Id], what: str) -> tuple[int, int]:
        juror, concept = pair
        if juror not in ji:
            raise ValueError(f"{what} names unknown juror {juror!r}")
        if concept not in ci:
            raise ValueError(f"{what} names unknown concept {concept!r}")
        return ji[juror], ci[concept]

    n_j, n_c, n_k = len(jurors), len(concepts), len(data.criteria)
    recused = np.zeros((n_j, n_c), dtype=bool)
    for pair in data.recusals:
        recused[pair_index(pair, "a recusal")] = True
    if data.assignments is None:
        assigned = np.ones((n_j, n_c), dtype=bool)
    else:
        assigned = np.zeros((n_j, n_c), dtype=bool)
        for pair in data.assignments:
            assigned[pair_index(pair, "an assignment")] = True
    expected = assigned & ~recused

    raw = np.full((n_j, n_c, n_k), np.nan)
    for s in data.scores:
        j, c = pair_index((s.juror_id, s.concept_id), "a score")
        if s.criterion_id not in ki:
            raise ValueError(f"a score names unknown criterion {s.criterion_id!r}")
        k = ki[s.criterion_id]
        crit = data.criteria[k]
        where = f"juror {s.juror_id!r} on concept {s.concept_id!r}, criterion {s.criterion_id!r}"
        if not _is_number(s.value):
            raise ValueError(f"score of {where} is not a finite number: {s.value!r}")
        if not crit.scale_min <= s.value <= crit.scale_max:
            raise ValueError(f"score {s.value!r} of {where} is outside the scale {crit.scale_min}..{crit.scale_max}")
        if recused[j, c]:
            raise ValueError(f"juror {s.juror_id!r} recused from concept {s.concept_id!r} but has a score on it")
        if not assigned[j, c]:
            raise ValueError(f"juror {s.juror_id!r} is not assigned to concept {s.concept_id!r} but has a score on it")
        if not np.isnan(raw[j, c, k]):
            raise ValueError(f"two scores of {where}")
        raw[j, c, k] = float(s.value)

    z, calibration = _calibrate(raw, jurors, data.criteria)
    weights = np.array([float(c.weight) for c in data.criteria])
    return _Prepared(criteria=data.criteria, jurors=jurors, concepts=concepts, weights=weights / weights.sum(),
                     raw=raw, z=z, expected=expected, recused=recused, calibration=calibration)


def _calibrate(raw: FloatArray, jurors: Sequence[Id],
               criteria: Sequence[Criterion]) -> tuple[FloatArray, tuple[JurorCalibration, ...]]:
    z = np.full(raw.shape, np.nan)
    rows: list[JurorCalibration] = []
    for j, juror in enumerate(jurors):
        for k, crit in enumerate(criteria):
            given = ~np.isnan(raw[j, :, k])
            values = [float(v) for v in raw[j, given, k]]
            if not values:
                continue
            # Population (not sample) deviation: the juror's scores in this round are all there
            # is, not a sample of some larger body of their scores.
            mean = math.fsum(values) / len(values)
            sd = _pstdev(values)
            flag = None
            if len(values) == 1:
                flag = CalibrationFlag.SINGLE_SCORE
            elif len(set(values)) == 1:
                # Compared as values, not sd == 0: a mean of equal non-integers can be off by an
                # ulp, and dividing by that ulp would blow the juror's noise up to huge z-scores.
                flag = CalibrationFlag.NO_SPREAD
            # A juror who cannot be standardised still scored: 0 is "their own average".
            z[j, given, k] = 0.0 if flag else (raw[j, given, k] - mean) / sd
            rows.append(JurorCalibration(juror, crit.id, len(values), mean, sd, flag))
    return z, tuple(rows)


# ---------------------------------------------------------------------------------------------
# Combining, for the full jury (one row of counts) and for many bootstrap resamples at once


@dataclass(frozen=True)
class _Combined:
    means: FloatArray  # (B, C, K) mean per criterion, nan with no score
    counts: FloatArray  # (B, C, K) number of scores (with resampled multiplicity)
    score: FloatArray  # (B, C) weighted mean, nan with no score at all
    jurors: FloatArray  # (B, C) jurors who gave at least one score
    heavy: FloatArray  # (B, C) value on the heaviest criterion


def _combine(values: FloatArray, draws: FloatArray, weights: FloatArray,
             lows: FloatArray | None, spans: FloatArray | None) -> _Combined:
    """Means over jurors weighted by how often each was drawn; `lows`/`spans` map raw means to
    shares of the scale (None for z-scores)."""
    n_b, n_c, n_k = draws.shape[0], values.shape[1], values.shape[2]
    present = ~np.isnan(values)
    filled = np.where(present, values, 0.0)
    sums = np.zeros((n_b, n_c, n_k))
    counts = np.zeros((n_b, n_c, n_k))
    jurors = np.zeros((n_b, n_c))
    scored = present.any(axis=2)
    # A loop over jurors rather than a matrix product: the sums then run in one fixed order
    # whatever the shape, so the same data always gives the same bits (and integer marks sum
    # exactly).
    for j in range(values.shape[0]):
        m = draws[:, j, None, None]
        sums += m * filled[j]
        counts += m * present[j]
        jurors += draws[:, j, None] * scored[j]
    has = counts > 0
    means = np.divide(sums, counts, out=np.full_like(sums, np.nan), where=has)
    if lows is not None and spans is not None:
        means = (means - lows) / spans
    w = np.where(has, weights, 0.0)
    total = w.sum(axis=2)
    weighted = (w * np.where(has, means, 0.0)).sum(axis=2)
    score = np.divide(weighted, total, out=np.full_like(weighted, np.nan), where=total > 0)
    heavy = means[:, :, _heaviest(weights)]
    return _Combined(means=means, counts=counts, score=score, jurors=jurors, heavy=heavy)


def _heaviest(weights: FloatArray) -> int:
    # np.argmax returns the first maximum: the earliest criterion of the rubric among equals.
    return int(np.argmax(weights))


def _scale(basis: Basis) -> float:
    return 100.0 if basis is Basis.RAW else 1.0


def _keys(comb: _Combined, basis: Basis) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Sort keys, smaller first: the score, the heaviest criterion, the number of jurors."""
    score = np.round(comb.score * _scale(basis), PRECISION)
    heavy = np.round(comb.heavy, PRECISION)
    # No score sorts after every score.
    return (np.where(np.isnan(score), np.inf, -score), np.where(np.isnan(heavy), np.inf, -heavy), -comb.jurors)


def _ranks(comb: _Combined, basis: Basis) -> npt.NDArray[np.int64]:
    """(B, C) rank of each concept (1 = first); the concept index is the tie key's order."""
    by_score, by_heavy, by_jurors = _keys(comb, basis)
    tie = np.broadcast_to(np.arange(by_score.shape[1]), by_score.shape)
    order = np.lexsort((tie, by_jurors, by_heavy, by_score), axis=-1)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(1, order.shape[1] + 1), order.shape), axis=-1)
    return ranks


def _ones(prep: _Prepared) -> FloatArray:
    return np.ones((1, len(prep.jurors)))


def _combine_for(prep: _Prepared, basis: Basis, draws: FloatArray, weights: FloatArray) -> _Combined:
    if basis is Basis.RAW:
        return _combine(prep.raw, draws, weights, prep.lows, prep.spans)
    return _combine(prep.z, draws, weights, None, None)


def _pstdev(values: Sequence[float]) -> float:
    mean = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))


def _order(prep: _Prepared, basis: Basis, weights: FloatArray) -> tuple[Id, ...]:
    ranks = _ranks(_combine_for(prep, basis, _ones(prep), weights), basis)[0]
    return tuple(prep.concepts[int(i)].id for i in np.argsort(ranks))


def _optional(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _ranking(prep: _Prepared, basis: Basis, weights: FloatArray | None = None) -> Ranking:
    comb = _combine_for(prep, basis, _ones(prep), prep.weights if weights is None else weights)
    ranks = _ranks(comb, basis)[0]
    keys = [k[0] for k in _keys(comb, basis)]
    order = [int(i) for i in np.argsort(ranks)]
    values = prep.raw if basis is Basis.RAW else prep.z
    entries = []
    for pos, c in enumerate(order):
        decided_by = None
        if pos + 1 < len(order):
            below = order[pos + 1]
            decided_by = next((tb for tb, key in zip(
                (TieBreaker.SCORE, TieBreaker.HEAVIEST_CRITERION, TieBreaker.JURORS), keys, strict=True)
                if key[c] != key[below]), TieBreaker.TIE_KEY)
        criteria = []
        for k, crit in enumerate(prep.criteria):
            given = [float(v) for v in values[:, c, k] if not math.isnan(v)]
            criteria.append(CriterionMean(
                criterion_id=crit.id,
                value=_optional(comb.means[0, c, k]),
                scale_mean=(math.fsum(given) / len(given) if given else None) if basis is Basis.RAW else None,
                n_scores=len(given),
                spread=_pstdev(given) if len(given) >= 2 else None,
            ))
        score = comb.score[0, c]
        entries.append(RankedConcept(
            concept_id=prep.concepts[c].id,
            rank=pos + 1,
            # Rounded as compared, so the figures shown explain each tie-breaker's verdict.
            score=None if math.isnan(score) else round(float(score) * _scale(basis), PRECISION),
            criteria=tuple(criteria),
            n_jurors=int(comb.jurors[0, c]),
            decided_by=decided_by,
        ))
    return Ranking(basis=basis, entries=tuple(entries))


def _coverage(prep: _Prepared) -> tuple[Coverage, ...]:
    rows = []
    for c, concept in enumerate(prep.concepts):
        present = ~np.isnan(prep.raw[:, c, :])  # (J, K)
        has = present.any(axis=0)
        total = float(prep.weights[has].sum())
        rows.append(Coverage(
            concept_id=concept.id,
            expected_jurors=tuple(j for n, j in enumerate(prep.jurors) if prep.expected[n, c]),
            scored_jurors=tuple(j for n, j in enumerate(prep.jurors) if present[n].any()),
            recused_jurors=tuple(j for n, j in enumerate(prep.jurors) if prep.recused[n, c]),
            missing=tuple((j, crit.id) for n, j in enumerate(prep.jurors) if prep.expected[n, c]
                          for k, crit in enumerate(prep.criteria) if not present[n, k]),
            unscored_criteria=tuple(crit.id for k, crit in enumerate(prep.criteria) if not has[k]),
            weights=tuple((crit.id, 100.0 * float(prep.weights[k]) / total if has[k] else 0.0)
                          for k, crit in enumerate(prep.criteria)),
        ))
    return tuple(rows)


# ---------------------------------------------------------------------------------------------
# Uncertainty


def _draws(n_jurors: int, resamples: int, seed: int) -> FloatArray:
    """(resamples, J): how often each juror (canonical order) was drawn in each resample."""
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, not {resamples!r}")
    rng = random.Random(seed)
    draws = np.zeros((resamples, n_jurors))
    if n_jurors:
        for b in range(resamples):
            for _ in range(n_jurors):
                draws[b, rng.randrange(n_jurors)] += 1
    return draws


def _percentile_index(p: float, n: int) -> int:
    # Nearest-rank percentile: the smallest value with at least p% of the values at or below it.
    # Fractions keep e.g. 5% of 1000 from landing on 50.000000001 and so on the 51st value.
    return max(0, math.ceil(Fraction(p) * n / 100) - 1)


def _uncertainty(prep: _Prepared, basis: Basis, ranking: Ranking, draws: FloatArray, *,
                 seed: int, top_n: int, band: tuple[float, float]) -> Uncertainty:
    lo, hi = band
    if not 0 <= lo <= hi <= 100:
        raise ValueError(f"band must be two percentiles with 0 <= low <= high <= 100, not {band!r}")
    comb = _combine_for(prep, basis, draws, prep.weights)
    ranks = _ranks(comb, basis)  # (B, C)
    n_b = ranks.shape[0]
    index = {c.id: n for n, c in enumerate(prep.concepts)}
    bands = []
    for entry in ranking.entries:
        c = index[entry.concept_id]
        ordered = np.sort(ranks[:, c])
        bands.append(RankBand(
            concept_id=entry.concept_id,
            rank=entry.rank,
            low=int(ordered[_percentile_index(lo, n_b)]),
            high=int(ordered[_percentile_index(hi, n_b)]),
            top_share=float(np.count_nonzero(ranks[:, c] <= top_n)) / n_b,
            unscored_share=float(np.count_nonzero(np.isnan(comb.score[:, c]))) / n_b,
        ))
    close = []
    for upper, lower in zip(ranking.entries, ranking.entries[1:], strict=False):
        share = float(np.count_nonzero(ranks[:, index[lower.concept_id]] < ranks[:, index[upper.concept_id]])) / n_b
        if share >= CLOSE_CALL_SHARE:
            close.append(CloseCall(upper.concept_id, lower.concept_id, share))
    return Uncertainty(basis=basis, resamples=n_b, seed=seed, top_n=top_n, band=(float(lo), float(hi)),
                       bands=tuple(bands), close_calls=tuple(close))


# ---------------------------------------------------------------------------------------------
# Sensitivity


def _moved(percent: Sequence[float], k: int, delta: float) -> list[float]:
    """Weights in percent after moving criterion k by delta points, the others rescaled
    proportionally so that the sum stays 100."""
    new_k = min(100.0, max(0.0, percent[k] + delta))
    rest = 100.0 - percent[k]
    factor = (100.0 - new_k) / rest
    return [new_k if n == k else p * factor for n, p in enumerate(percent)]


def _sensitivity(prep: _Prepared, basis: Basis, ranking: Ranking, *, top_n: int, step: float) -> Sensitivity:
    if top_n < 1:
        raise ValueError(f"top_n must be at least 1, not {top_n!r}")
    percent = [100.0 * float(w) for w in prep.weights]
    baseline = ranking.order[:top_n]
    moves = []
    # A single criterion always weighs 100%: there is nothing to move.
    for k, crit in enumerate(prep.criteria if len(prep.criteria) > 1 else ()):
        for delta in (step, -step):
            weights = _moved(percent, k, delta)
            applied = weights[k] - percent[k]
            if applied == 0:
                continue
            top = _order(prep, basis, np.array(weights) / 100.0)[:top_n]
            moves.append(WeightMove(
                criterion_id=crit.id, delta=delta, applied=applied,
                weights=tuple((c.id, w) for c, w in zip(prep.criteria, weights, strict=True)),
                top=top,
                entered=tuple(c for c in top if c not in baseline),
                left=tuple(c for c in baseline if c not in top),
                order_changed=top != baseline,
            ))
    return Sensitivity(basis=basis, top_n=top_n, step=step, baseline=baseline, moves=tuple(moves))


# ---------------------------------------------------------------------------------------------
# Agreement


def _alpha(matrix: FloatArray, criterion_id: Id | None) -> Alpha:
    """Alpha of a (coders, units) matrix with nan for missing."""
    pairable = np.count_nonzero(~np.isnan(matrix), axis=0) >= 2
    data = matrix[:, pairable]
    values = data[~np.isnan(data)]
    n_units, n_scores = int(pairable.sum()), int(values.size)

    def undefined(reason: AlphaUndefined) -> Alpha:
        return Alpha(criterion_id, None, None, reason, n_units, n_scores)

    # Alpha compares disagreement within units to disagreement overall: it needs a unit with two
    # scores, and some variation among the paired scores (else 0/0; the package would warn and
    # return nan).
    if n_units == 0:
        return undefined(AlphaUndefined.TOO_FEW_JURORS)
    if np.all(values == values[0]):
        return undefined(AlphaUndefined.NO_VARIANCE)
    value = float(krippendorff.alpha(reliability_data=data, level_of_measurement="interval"))
    level = (AgreementLevel.GOOD if value >= ALPHA_GOOD
             else AgreementLevel.TENTATIVE if value >= ALPHA_TENTATIVE else AgreementLevel.LOW)
    return Alpha(criterion_id, value, level, None, n_units, n_scores)


def _juror_scores(prep: _Prepared) -> FloatArray:
    """(J, C) each juror's own weighted raw score (0..100) over the criteria they scored."""
    share = (prep.raw - prep.lows) / prep.spans
    present = ~np.isnan(share)
    w = np.where(present, prep.weights, 0.0)
    total = w.sum(axis=2)
    weighted = (w * np.where(present, share, 0.0)).sum(axis=2)
    return 100.0 * np.divide(weighted, total, out=np.full_like(weighted, np.nan), where=total > 0)


def _correlation(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    if len(xs) < OUTLIER_MIN_CONCEPTS or len(set(xs)) < 2 or len(set(ys)) < 2:
        return None
    return statistics.correlation(xs, ys)


def _agreement(prep: _Prepared) -> Agreement:
    criteria = tuple(_alpha(prep.raw[:, :, k], crit.id) for k, crit in enumerate(prep.criteria))
    # Overall: every (concept, criterion) pair is a unit, scores as shares of their scale so
    # that criteria of different scales can be pooled.
    share = (prep.raw - prep.lows) / prep.spans
    overall = _alpha(share.reshape(share.shape[0], share.shape[1] * share.shape[2]), None)

    scores = _juror_scores(prep)
    has = ~np.isnan(scores)
    jurors = []
    for j, juror in enumerate(prep.jurors):
        own, others = [], []
        for c in range(scores.shape[1]):
            rest = [float(scores[o, c]) for o in range(scores.shape[0]) if o != j and has[o, c]]
            if has[j, c] and rest:
                own.append(float(scores[j, c]))
                others.append(math.fsum(rest) / len(rest))
        r = _correlation(own, others)
        jurors.append(JurorAgreement(juror, r, len(own), r is not None and r < OUTLIER_CORRELATION))
    concepts = []
    for c, concept in enumerate(prep.concepts):
        pairs = tuple((juror, float(scores[j, c])) for j, juror in enumerate(prep.jurors) if has[j, c])
        spread = _pstdev([s for _, s in pairs]) if len(pairs) >= 2 else None
        concepts.append(ConceptSpread(concept.id, pairs, spread, spread is not None and spread > DISAGREEMENT_SPREAD))
    return Agreement(overall=overall, criteria=criteria, jurors=tuple(jurors), concepts=tuple(concepts))


# ---------------------------------------------------------------------------------------------
# Public functions


def ranking(data: RoundScores, basis: Basis = Basis.RAW, weights: Mapping[Id, float] | None = None) -> Ranking:
    """The ranking on one basis; `weights` (criterion id -> non-negative numbers, only their
    ratios matter) overrides the rubric's for a what-if. Raises ValueError on invalid input.

    Order: the higher score (compared to PRECISION decimals; a concept nobody scored comes after
    all others), then the higher value on the heaviest criterion (the first in rubric order
    among equal weights; a value beats none), then more jurors who gave at least one score, then
    the earlier tie key. Each entry's `decided_by` names the first of these that differs from
    the next entry down.
    """
    prep = _prepare(data)
    if weights is None:
        return _ranking(prep, basis)
    if set(weights) != {c.id for c in prep.criteria} or not all(_is_number(w) and w >= 0 for w in weights.values()):
        raise ValueError("weights must give a non-negative number for every criterion of the rubric")
    w = np.array([float(weights[c.id]) for c in prep.criteria])
    if w.sum() <= 0:
        raise ValueError("weights must not all be zero")
    return _ranking(prep, basis, w / w.sum())


def coverage(data: RoundScores) -> tuple[Coverage, ...]:
    """Per concept: who was expected, who scored, who recused, what is missing. Raises ValueError."""
    return _coverage(_prepare(data))


def calibration(data: RoundScores) -> tuple[JurorCalibration, ...]:
    """Each juror's mean and spread per criterion, with flags where z-scores are 0. Raises ValueError."""
    return _prepare(data).calibration


def bootstrap(data: RoundScores, basis: Basis = Basis.RAW, *, top_n: int = DEFAULT_TOP_N,
              resamples: int = DEFAULT_RESAMPLES, seed: int = 0,
              band: tuple[float, float] = DEFAULT_BAND) -> Uncertainty:
    """Rank bands, top-N shares and close calls from resampling jurors, as defined in
    `aggregate`. Raises ValueError."""
    prep = _prepare(data)
    draws = _draws(len(prep.jurors), resamples, seed)
    return _uncertainty(prep, basis, _ranking(prep, basis), draws, seed=seed, top_n=top_n, band=band)


def sensitivity(data: RoundScores, basis: Basis = Basis.RAW, *, top_n: int = DEFAULT_TOP_N,
                step: float = WEIGHT_STEP) -> Sensitivity:
    """How the top places change when each criterion's weight moves by +/- step points. Raises ValueError."""
    prep = _prepare(data)
    return _sensitivity(prep, basis, _ranking(prep, basis), top_n=top_n, step=step)


def agreement(data: RoundScores) -> Agreement:
    """Krippendorff's alpha per criterion and overall, outlier jurors, disputed concepts. Raises ValueError."""
    return _agreement(_prepare(data))


def aggregate(data: RoundScores, *, top_n: int = DEFAULT_TOP_N, resamples: int = DEFAULT_RESAMPLES,
              seed: int = 0, band: tuple[float, float] = DEFAULT_BAND) -> Aggregate:
    """Everything the chair's table shows for a round scored with the rubric. Raises ValueError.

    Bootstrap (same draws for both bases):
        Each of `resamples` resamples draws as many jurors as the round has, uniformly with
        replacement, with `random.Random(seed)`; each drawn juror brings all their scores, once
        per draw (for the calibrated ranking, their z-scores from the full round). The juror
        drawn is `jurors[rng.randrange(J)]` over the jurors sorted by id, J draws per resample,
        resample after resample. The concepts are ranked in each resample by the same rules as
        the full jury;
        a concept that no drawn juror scored ranks after every scored one (and the share of such
        resamples is reported). A concept's band runs from the `band[0]`th to the `band[1]`th
        percentile of its ranks (nearest-rank percentiles). `top_share` is the share of resamples
        with rank <= `top_n`.

    Too close to call:
        Two neighbours in the ranking of the full jury are too close to call when the lower one
        ranks above the upper one in at least CLOSE_CALL_SHARE (25%) of the resamples.

    Outliers and disputes:
        A juror is an outlier when the Pearson correlation between their weighted raw scores
        and the mean of the other jurors' weighted raw scores, over the concepts both exist for,
        is below OUTLIER_CORRELATION (0.3), computed only with at least OUTLIER_MIN_CONCEPTS
        such concepts and some variation on both sides. Being harsh or lenient does not make an
        outlier (correlation ignores shifts and scales); ordering the concepts unlike the others
        does. A concept is disputed when the population standard deviation of its jurors'
        weighted raw scores (each 0..100) exceeds DISAGREEMENT_SPREAD (20 points).
    """
    if top_n < 1:
        raise ValueError(f"top_n must be at least 1, not {top_n!r}")
    prep = _prepare(data)
    draws = _draws(len(prep.jurors), resamples, seed)

    def report(basis: Basis) -> RankingReport:
        ranked = _ranking(prep, basis)
        return RankingReport(
            ranking=ranked,
            uncertainty=_uncertainty(prep, basis, ranked, draws, seed=seed, top_n=top_n, band=band),
            sensitivity=_sensitivity(prep, basis, ranked, top_n=top_n, step=WEIGHT_STEP),
        )

    return Aggregate(coverage=_coverage(prep), calibration=prep.calibration, raw=report(Basis.RAW),
                     calibrated=report(Basis.CALIBRATED), agreement=_agreement(prep))


def explain_agreement(alpha: Alpha, subject: str = "the scores overall") -> str:
    """One plain English sentence for the chair about an alpha (`subject` e.g. "Feasibility")."""
    if alpha.undefined is AlphaUndefined.TOO_FEW_JURORS:
        return (f"Agreement on {subject} cannot be measured: no concept was scored on it by at least "
                "two jurors.")
    if alpha.undefined is AlphaUndefined.NO_VARIANCE:
        return (f"Agreement on {subject} cannot be measured: every score given is the same, so there "
                "is no variation to agree on.")
    if alpha.value is None:
        return f"Agreement on {subject} cannot be measured."
    said = f"Krippendorff's alpha is {alpha.value:.2f}"
    if alpha.level is AgreementLevel.GOOD:
        return f"The jurors agree well on {subject}: {said}, and {ALPHA_GOOD:g} or more is good agreement."
    if alpha.level is AgreementLevel.TENTATIVE:
        return (f"The jurors agree only in part on {subject}: {said}, between {ALPHA_TENTATIVE:g} and "
                f"{ALPHA_GOOD:g}, so treat conclusions from these scores as tentative.")
    below = "below 0, less agreement than chance would give" if alpha.value < 0 else f"below {ALPHA_TENTATIVE:g}"
    return f"The jurors disagree on {subject}: {said}, {below}, so discuss these scores before deciding."


# ---------------------------------------------------------------------------------------------
# Schulze method for a final round ranked by each juror


class SchulzeDecision(enum.StrEnum):
    STRONGER_PATH = "stronger_path"
    TIE_KEY = "tie_key"


@dataclass(frozen=True)
class Ballot:
    """A juror's ranking of the shortlist, best first. Each place is a concept id or a group of
    ids the juror ranks equal. `recused` are shortlisted concepts the juror may not rank
    (conflicts); they count for no pair on this ballot.
    """

    juror_id: Id
    groups: tuple[tuple[Id, ...], ...]
    recused: frozenset[Id] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        groups = tuple((g,) if isinstance(g, int | str) else tuple(g) for g in self.groups)
        object.__setattr__(self, "groups", groups)
        object.__setattr__(self, "recused", frozenset(self.recused))


def ballot_from_ranks(juror_id: Id, ranks: Mapping[Id, int], recused: Iterable[Id] = ()) -> Ballot:
    """A ballot from rank numbers (1 = best, equal numbers tie). Raises ValueError on gaps:
    the numbers used must be exactly 1..m (dense, so 1, 1, 2 and not 1, 1, 3)."""
    if any(not isinstance(r, int) or isinstance(r, bool) or r < 1 for r in ranks.values()):
        raise ValueError(f"ranks of juror {juror_id!r} must be whole numbers from 1")
    used = sorted(set(ranks.values()))
    if used != list(range(1, len(used) + 1)):
        missing = sorted(set(range(1, max(used, default=0) + 1)) - set(used))
        raise ValueError(f"ranking of juror {juror_id!r} has a gap: no concept ranked {missing}")
    groups = tuple(tuple(c for c, r in ranks.items() if r == place) for place in used)
    return Ballot(juror_id, groups, frozenset(recused))


@dataclass(frozen=True)
class SchulzeResult:
    candidates: tuple[Id, ...]  # the order of the matrices (tie-key order)
    preferences: tuple[tuple[int, ...], ...]  # [a][b]: ballots ranking a above b
    strengths: tuple[tuple[int, ...], ...]  # [a][b]: strength of the strongest path from a to b
    order: tuple[Id, ...]
    decided_by: tuple[SchulzeDecision, ...]  # for each adjacent pair of `order`

    def preference(self, a: Id, b: Id) -> int:
        return self.preferences[self.candidates.index(a)][self.candidates.index(b)]

    def strength(self, a: Id, b: Id) -> int:
        return self.strengths[self.candidates.index(a)][self.candidates.index(b)]


def _validate_ballot(ballot: Ballot, known: set[Id]) -> None:
    who = f"ranking of juror {ballot.juror_id!r}"
    seen: set[Id] = set()
    for group in ballot.groups:
        if not group:
            raise ValueError(f"{who} has an empty place")
        for c in group:
            if c not in known:
                raise ValueError(f"{who} names {c!r}, which is not on the shortlist")
            if c in seen:
                raise ValueError(f"{who} names {c!r} twice")
            if c in ballot.recused:
                raise ValueError(f"{who} ranks {c!r}, from which the juror recused")
            seen.add(c)
    if unknown := ballot.recused - known:
        raise ValueError(f"{who} recuses from {sorted(unknown, key=_id_key)!r}, not on the shortlist")
    if gaps := known - seen - ballot.recused:
        raise ValueError(f"{who} leaves out {sorted(gaps, key=_id_key)!r}: rank every shortlisted concept")


def schulze(candidates: Sequence[Concept], ballots: Sequence[Ballot]) -> SchulzeResult:
    """The Schulze ranking (winning votes) of a shortlist. Raises ValueError on invalid ballots.

    preferences[a][b] counts the ballots that rank a strictly above b (a ballot recused from
    either counts for neither). A link a -> b has strength preferences[a][b] when that beats
    preferences[b][a], else none; a path is as strong as its weakest link, and a ranks above b
    when its strongest path to b is stronger than b's to a (Schulze 2011). That relation is a
    strict partial order; concepts it leaves unordered are placed by the tie key (the earlier
    submission first): the order is built by taking, each time, the concept with the earliest
    tie key among those that no remaining concept beats.
    """
    if not candidates:
        raise ValueError("the shortlist is empty")
    _unique((c.id for c in candidates), "concept")
    ordered = _tie_order(candidates)
    ids = tuple(c.id for c in ordered)
    _unique((b.juror_id for b in ballots), "ranking of juror")
    known = set(ids)
    for ballot in ballots:
        _validate_ballot(ballot, known)

    n = len(ids)
    pos = {c: i for i, c in enumerate(ids)}
    d = [[0] * n for _ in range(n)]
    for ballot in ballots:
        places = [(pos[c], place) for place, group in enumerate(ballot.groups) for c in group]
        for a, pa in places:
            for b, pb in places:
                if pa < pb:
                    d[a][b] += 1
    p = [[d[a][b] if a != b and d[a][b] > d[b][a] else 0 for b in range(n)] for a in range(n)]
    for k in range(n):
        for a in range(n):
            if a == k:
                continue
            for b in range(n):
                if b not in (a, k):
                    p[a][b] = max(p[a][b], min(p[a][k], p[k][b]))

    remaining = list(range(n))  # in tie-key order
    order: list[int] = []
    while remaining:
        pick = next(a for a in remaining if not any(p[b][a] > p[a][b] for b in remaining if b != a))
        order.append(pick)
        remaining.remove(pick)
    decided = tuple(SchulzeDecision.STRONGER_PATH if p[a][b] > p[b][a] else SchulzeDecision.TIE_KEY
                    for a, b in zip(order, order[1:], strict=False))
    return SchulzeResult(candidates=ids, preferences=tuple(map(tuple, d)), strengths=tuple(map(tuple, p)),
                         order=tuple(ids[i] for i in order), decided_by=decided)


# ---------------------------------------------------------------------------------------------
# The method in words, for the challenge page (before entries open) and the results

FORMULA = f"""\
How the jury's scores become a ranking

1. Each juror scores every concept assigned to them on every criterion of the rubric, on that \
criterion's scale. A juror with a conflict of interest does not score that concept. A score that \
was not given counts as missing, never as zero.

2. For each concept and criterion we take the mean of the scores given and express it as a share \
of the scale (the lowest point counts 0, the highest 1), so that criteria scored 1 to 5 and 0 to \
10 can be combined.

3. The concept's score is the weighted mean of these shares, with the rubric's weights, on a scale \
of 0 to 100. If no juror scored a criterion for a concept, that criterion is left out for that \
concept and the other criteria's weights are scaled up to add up to 100% again. The results show \
where this happened and how many scores were missing.

4. Concepts are ranked by score, highest first. Scores are compared to {PRECISION} decimal places. \
When two are equal, the higher mean on the criterion with the largest weight (the first in the \
rubric if several share it) goes first; then the concept scored by more jurors; then the earlier \
submission.

5. Beside this ranking the jury sees a calibrated one, in which each juror's scores on each \
criterion are standardised: their own mean is subtracted and the result divided by their own \
standard deviation, so that a strict and a generous juror count alike. A juror who gave only one \
score, or the same score throughout, on a criterion counts as average (0) there. The calibrated \
score is the weighted mean of these standardised scores, ranked by the same rules.

6. To show how firm the ranking is, the jury is redrawn at random {DEFAULT_RESAMPLES} times (as \
many jurors as it has, with replacement, from a fixed seed so that anyone can repeat it) and the \
concepts ranked again each time. A concept's rank band runs from the {DEFAULT_BAND[0]:g}th to the \
{DEFAULT_BAND[1]:g}th percentile of its ranks; we also show how often it stays in the top places. \
Two neighbours are too close to call when the lower one comes out ahead in at least \
{CLOSE_CALL_SHARE:.0%} of the draws.

7. Agreement between jurors is measured per criterion and overall with Krippendorff's alpha \
(interval): {ALPHA_GOOD:g} or more is good agreement, {ALPHA_TENTATIVE:g} to {ALPHA_GOOD:g} \
tentative, below that low. Jurors whose scores order the concepts unlike the others (correlation \
below {OUTLIER_CORRELATION:g} with the others' mean), and concepts whose jurors' scores spread \
widely (standard deviation above {DISAGREEMENT_SPREAD:g} points of 100), are discussed by the jury.

8. We check whether the top places change when any criterion's weight moves {WEIGHT_STEP:g} \
points up or down (the other weights rescaled in proportion to keep the total at 100).

9. A small final round may instead be decided by each juror ranking the shortlist. The rankings \
are combined by the Schulze method: one concept goes above another when the strongest chain of \
majority preferences leading from it to the other is stronger than the chain back; concepts this \
leaves equal are ordered by the earlier submission.

10. The jury deliberates on these figures and records its decision with its reasons.
"""
