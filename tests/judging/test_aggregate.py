"""app.judging.aggregate: worked examples computed by hand (the arithmetic is in the comments),
then properties checked with Hypothesis (issue 10, item 7)."""
from __future__ import annotations

import math
import random
from datetime import UTC, datetime

import krippendorff
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.judging.aggregate import (
    ALPHA_GOOD,
    ALPHA_TENTATIVE,
    CLOSE_CALL_SHARE,
    DEFAULT_RESAMPLES,
    FORMULA,
    Aggregate,
    AgreementLevel,
    Alpha,
    AlphaUndefined,
    Ballot,
    Basis,
    CalibrationFlag,
    Concept,
    Criterion,
    Juror,
    RoundScores,
    SchulzeDecision,
    Score,
    TieBreaker,
    aggregate,
    agreement,
    ballot_from_ranks,
    bootstrap,
    calibration,
    coverage,
    explain_agreement,
    ranking,
    schulze,
    sensitivity,
)

approx = pytest.approx


def _round(criteria, jurors, sheets, *, concepts=None, recusals=(), assignments=None) -> RoundScores:
    """sheets: {(juror, concept): (value per criterion, None where unscored)}; concepts default
    to the ones named, tie keys in order of first mention."""
    if concepts is None:
        names = list(dict.fromkeys(c for _, c in sheets))
        concepts = [Concept(c, n) for n, c in enumerate(names)]
    scores = [Score(j, c, crit.id, v) for (j, c), values in sheets.items()
              for crit, v in zip(criteria, values, strict=True) if v is not None]
    return RoundScores(criteria=tuple(criteria), jurors=tuple(Juror(j) for j in jurors), concepts=tuple(concepts),
                       scores=tuple(scores), recusals=frozenset(recusals),
                       assignments=None if assignments is None else frozenset(assignments))


# ---------------------------------------------------------------------------------------------
# Weighted mean, missing scores, re-weighting

RUBRIC = (Criterion("imp", 50, 1, 5), Criterion("fea", 30, 0, 10), Criterion("nov", 20, 1, 5))
CONCEPTS = (Concept("A", 1), Concept("B", 2), Concept("C", 3), Concept("D", 4))
SHEETS = {
    ("ana", "A"): (5, 8, 4), ("bo", "A"): (4, 6, 3), ("cy", "A"): (3, 4, 5),
    ("ana", "B"): (3, 6, 2), ("bo", "B"): (4, 4, None), ("cy", "B"): (5, 10, 5),  # bo left Novelty blank
    ("ana", "C"): (4, 10, 5), ("bo", "C"): (2, 4, 1),  # cy recused from C
    ("ana", "D"): (2, 5, None), ("bo", "D"): (3, 5, None), ("cy", "D"): (1, 3, None),  # nobody: Novelty
}
WORKED = _round(RUBRIC, ("ana", "bo", "cy"), SHEETS, concepts=CONCEPTS, recusals={("cy", "C")})


def test_weighted_mean_worked_example():
    # Impact 1-5 (50%), Feasibility 0-10 (30%), Novelty 1-5 (20%); share = (mean - min) / (max - min).
    # A: Imp (5+4+3)/3 = 4 -> 3/4 = .75;  Fea (8+6+4)/3 = 6 -> .6;  Nov (4+3+5)/3 = 4 -> .75
    #    .5*.75 + .3*.6 + .2*.75 = .375 + .18 + .15 = .705 -> 70.5
    # B: Imp (3+4+5)/3 = 4 -> .75;  Fea (6+4+10)/3 = 20/3 -> 2/3;  Nov (2+5)/2 = 3.5 -> .625
    #    (bo's blank Novelty is left out of the mean: counted as 0 it would be 7/3)
    #    .375 + .3*2/3 + .2*.625 = .375 + .2 + .125 = .7 -> 70.0
    # C: Imp (4+2)/2 = 3 -> .5;  Fea (10+4)/2 = 7 -> .7;  Nov (5+1)/2 = 3 -> .5
    #    .25 + .21 + .1 = .56 -> 56.0
    # D: nobody scored Novelty, so Impact and Feasibility weigh 50/80 = .625 and 30/80 = .375:
    #    Imp (2+3+1)/3 = 2 -> .25;  Fea (5+5+3)/3 = 13/3 -> 13/30
    #    .625*.25 + .375*13/30 = .15625 + .1625 = .31875 -> 31.875
    raw = ranking(WORKED)
    assert raw.order == ("A", "B", "C", "D")
    assert [e.score for e in raw.entries] == approx([70.5, 70.0, 56.0, 31.875])
    assert [e.decided_by for e in raw.entries] == [TieBreaker.SCORE] * 3 + [None]
    b = raw.entry("B")
    assert [(m.scale_mean, m.value, m.n_scores) for m in b.criteria] == [
        (approx(4.0), approx(0.75), 3), (approx(20 / 3), approx(2 / 3), 3), (approx(3.5), approx(0.625), 2)]
    # Spread of B's Novelty scores 2 and 5: population sd = 1.5.
    assert b.criteria[2].spread == approx(1.5)
    d = raw.entry("D")
    assert d.criteria[2].value is None
    assert d.criteria[2].n_scores == 0
    assert d.criteria[2].spread is None
    assert [e.n_jurors for e in raw.entries] == [3, 3, 2, 3]


def test_coverage_shows_recusals_missing_scores_and_reweighting():
    cov = {c.concept_id: c for c in coverage(WORKED)}
    assert cov["A"].n_missing == 0
    assert not cov["A"].reweighted
    assert cov["B"].missing == (("bo", "nov"),)
    assert cov["B"].n_jurors == 3
    assert cov["C"].recused_jurors == ("cy",)
    assert cov["C"].expected_jurors == ("ana", "bo")
    assert cov["C"].n_missing == 0  # a recusal is not a missing score
    assert cov["D"].unscored_criteria == ("nov",)
    assert cov["D"].reweighted
    assert cov["D"].missing == (("ana", "nov"), ("bo", "nov"), ("cy", "nov"))
    assert dict(cov["D"].weights) == {"imp": approx(62.5), "fea": approx(37.5), "nov": 0.0}
    assert dict(cov["A"].weights) == {"imp": approx(50.0), "fea": approx(30.0), "nov": approx(20.0)}


def test_a_concept_nobody_scored_ranks_last_without_a_score():
    data = _round(RUBRIC[:1], ("ana", "bo"), {("ana", "A"): (3,), ("bo", "A"): (4,)},
                  concepts=(Concept("Z", 0), Concept("A", 1)), recusals={("ana", "Z"), ("bo", "Z")})
    raw = ranking(data)
    assert raw.order == ("A", "Z")
    assert raw.entry("Z").score is None
    assert raw.entry("Z").n_jurors == 0
    assert raw.entry("A").decided_by is TieBreaker.SCORE
    assert coverage(data)[0].recused_jurors == ("ana", "bo")
    assert coverage(data)[0].n_missing == 0


@pytest.mark.parametrize("data", [
    RoundScores(RUBRIC, (), (), ()),
    RoundScores(RUBRIC, (Juror("j"),), (), ()),
    RoundScores(RUBRIC, (), CONCEPTS, ()),
    RoundScores(RUBRIC, (Juror("j"), Juror("k")), CONCEPTS, ()),
])
def test_an_empty_round_aggregates_without_error(data):
    agg = aggregate(data, resamples=10)
    assert agg.raw.ranking.order == tuple(c.id for c in data.concepts)
    assert all(e.score is None for e in agg.calibrated.ranking.entries)
    assert all(b.unscored_share == 1.0 for b in agg.raw.uncertainty.bands)
    assert agg.agreement.overall.undefined is AlphaUndefined.TOO_FEW_JURORS
    assert agg.raw.sensitivity.stable


def test_unassigned_concepts_are_not_missing():
    crit = (Criterion("q", 100, 1, 5),)
    data = _round(crit, ("h", "l"), {("h", "A"): (2,), ("l", "B"): (4,)}, assignments={("h", "A"), ("l", "B")})
    cov = {c.concept_id: c for c in coverage(data)}
    assert cov["A"].expected_jurors == ("h",)
    assert cov["A"].n_missing == 0
    # Assigned but blank is missing.
    data = _round(crit, ("h", "l"), {("h", "A"): (2,)}, assignments={("h", "A"), ("l", "A")})
    assert coverage(data)[0].missing == (("l", "q"),)


# ---------------------------------------------------------------------------------------------
# Tie-breakers

XY = (Criterion("x", 60, 0, 10), Criterion("y", 40, 0, 10))


def test_equal_scores_go_to_the_heaviest_criterion():
    # P: .6*.4 + .4*.6 = .24 + .24 = .48;  Q: .6*.2 + .4*.9 = .12 + .36 = .48 (in floating point the
    # two sums differ in the last bit: PRECISION makes them equal). P has more on x (60%): P first,
    # although Q was submitted earlier.
    data = _round(XY, ("j",), {("j", "Q"): (2, 9), ("j", "P"): (4, 6)})
    raw = ranking(data)
    assert raw.order == ("P", "Q")
    assert raw.entry("P").score == raw.entry("Q").score == approx(48.0)
    assert raw.entry("P").decided_by is TieBreaker.HEAVIEST_CRITERION


def test_then_more_jurors_then_the_earlier_submission():
    # Q (earlier) and P have the same score and the same x; P was scored by two jurors, Q by one.
    data = _round(XY, ("j1", "j2"), {("j1", "Q"): (5, 5), ("j1", "P"): (5, 5), ("j2", "P"): (5, 5),
                                     ("j1", "R"): (5, 5), ("j2", "R"): (5, 5)},
                  recusals={("j2", "Q")})
    raw = ranking(data)
    assert raw.order == ("P", "R", "Q")  # P before R: same in all, P submitted earlier
    assert [e.decided_by for e in raw.entries] == [TieBreaker.TIE_KEY, TieBreaker.JURORS, None]


def test_heaviest_criterion_among_equal_weights_is_the_first_in_the_rubric():
    crit = (Criterion("a", 50, 0, 10), Criterion("b", 50, 0, 10))
    data = _round(crit, ("j",), {("j", "Q"): (4, 6), ("j", "P"): (6, 4)})
    assert ranking(data).order == ("P", "Q")
    assert ranking(data).entry("P").decided_by is TieBreaker.HEAVIEST_CRITERION


# ---------------------------------------------------------------------------------------------
# Calibration

Q10 = (Criterion("q", 100, 1, 10),)
# A harsh juror h read A and B, a lenient juror l read C and D, juror m read all four.
HARSH_LENIENT = _round(Q10, ("h", "l", "m"), {
    ("h", "A"): (2,), ("h", "B"): (4,),
    ("l", "C"): (7,), ("l", "D"): (9,),
    ("m", "A"): (3,), ("m", "B"): (5,), ("m", "C"): (3,), ("m", "D"): (5,),
}, assignments={("h", "A"), ("h", "B"), ("l", "C"), ("l", "D")} | {("m", c) for c in "ABCD"})


def test_calibration_worked_example():
    # Raw (scale 1-10, share = (mean - 1)/9):
    #   A (2+3)/2 = 2.5 -> 1.5/9 = 16.67;  B (4+5)/2 = 4.5 -> 38.89
    #   C (7+3)/2 = 5   -> 4/9 = 44.44;    D (9+5)/2 = 7   -> 66.67      raw: D > C > B > A
    # z per juror (population sd):
    #   h: mean 3, sd 1: A -1, B +1.   l: mean 8, sd 1: C -1, D +1.
    #   m: mean 4, sd 1: A -1, B +1, C -1, D +1.
    #   A (-1-1)/2 = -1;  B (1+1)/2 = 1;  C -1;  D 1.
    # B and D tie at 1 (same mean on the only criterion, two jurors each): B was submitted first.
    # A and C tie at -1: A first. Calibrated: B > D > A > C. The lenient juror lifted C over B.
    raw = ranking(HARSH_LENIENT)
    assert raw.order == ("D", "C", "B", "A")
    assert [e.score for e in raw.entries] == approx([600 / 9, 400 / 9, 350 / 9, 150 / 9])
    cal = ranking(HARSH_LENIENT, Basis.CALIBRATED)
    assert cal.order == ("B", "D", "A", "C")
    assert [e.score for e in cal.entries] == approx([1, 1, -1, -1])
    assert [e.decided_by for e in cal.entries] == [TieBreaker.TIE_KEY, TieBreaker.SCORE, TieBreaker.TIE_KEY, None]
    assert cal.entry("B").criteria[0].value == approx(1.0)
    assert cal.entry("B").criteria[0].scale_mean is None
    rows = {(r.juror_id, r.criterion_id): r for r in calibration(HARSH_LENIENT)}
    assert (rows["h", "q"].mean, rows["h", "q"].sd, rows["h", "q"].n_scores) == (3.0, 1.0, 2)
    assert (rows["l", "q"].mean, rows["m", "q"].mean) == (8.0, 4.0)
    assert not any(r.flag for r in rows.values())


def test_equal_fractional_scores_have_no_spread():
    crit = (Criterion("q", 100, 0, 1),)
    data = _round(crit, ("j",), {("j", c): (0.1,) for c in "ABC"})
    assert calibration(data)[0].flag is CalibrationFlag.NO_SPREAD
    assert [e.score for e in ranking(data, Basis.CALIBRATED).entries] == [0.0, 0.0, 0.0]


def test_a_juror_with_one_score_or_no_spread_counts_zero_and_is_flagged():
    # j1: A 5, B 3 -> mean 4, sd 1: z A +1, B -1.  j2: A 4, B 4 -> no spread: 0, 0.
    # j3 scored only A (2): a single score: 0.
    # A (1 + 0 + 0)/3 = 1/3;  B (-1 + 0)/2 = -1/2.
    crit = (Criterion("q", 100, 1, 5),)
    data = _round(crit, ("j1", "j2", "j3"), {("j1", "A"): (5,), ("j1", "B"): (3,), ("j2", "A"): (4,),
                                             ("j2", "B"): (4,), ("j3", "A"): (2,)}, recusals={("j3", "B")})
    flags = {r.juror_id: r.flag for r in calibration(data)}
    assert flags == {"j1": None, "j2": CalibrationFlag.NO_SPREAD, "j3": CalibrationFlag.SINGLE_SCORE}
    cal = ranking(data, Basis.CALIBRATED)
    assert [(e.concept_id, e.score) for e in cal.entries] == [("A", approx(1 / 3)), ("B", approx(-0.5))]


# ---------------------------------------------------------------------------------------------
# Uncertainty


def _one_criterion(sheets, **kw) -> RoundScores:
    return _round((Criterion("q", 100, 1, 5),), sorted({j for j, _ in sheets}), sheets, **kw)


def test_bootstrap_worked_example_and_close_call():
    # j1 and j2 put A one point above B; j3 puts B four points above A. With the full jury B leads
    # (A (4+4+1)/3 = 3, B (3+3+5)/3 = 11/3). In a resample of three jurors A leads exactly when j3
    # is not drawn: (2/3)^3 = 8/27 = .296 of the time, more than CLOSE_CALL_SHARE: too close to call.
    data = _one_criterion({("j1", "A"): (4,), ("j2", "A"): (4,), ("j3", "A"): (1,),
                           ("j1", "B"): (3,), ("j2", "B"): (3,), ("j3", "B"): (5,)})
    unc = bootstrap(data, top_n=1, resamples=4000, seed=7)
    assert [b.concept_id for b in unc.bands] == ["B", "A"]
    b, a = unc.bands
    assert a.top_share == approx(8 / 27, abs=0.03)
    assert b.top_share == approx(19 / 27, abs=0.03)
    assert (b.rank, b.low, b.high) == (1, 1, 2)
    assert (a.rank, a.low, a.high) == (2, 1, 2)
    assert len(unc.close_calls) == 1
    call = unc.close_calls[0]
    assert (call.upper_id, call.lower_id) == ("B", "A")
    assert call.reversed_share == approx(8 / 27, abs=0.03)
    assert call.reversed_share >= CLOSE_CALL_SHARE
    # A 40th-60th percentile band is narrower: B is first in 70% of resamples, A second in 70%.
    narrow = bootstrap(data, top_n=1, resamples=4000, seed=7, band=(40, 60)).bands
    assert (narrow[0].low, narrow[0].high, narrow[1].low, narrow[1].high) == (1, 1, 2, 2)


def test_bootstrap_with_one_juror_is_the_ranking_itself():
    data = _one_criterion({("j", "A"): (5,), ("j", "B"): (3,), ("j", "C"): (1,)})
    unc = bootstrap(data, top_n=2, resamples=50)
    assert [(b.concept_id, b.low, b.high, b.top_share) for b in unc.bands] == [
        ("A", 1, 1, 1.0), ("B", 2, 2, 1.0), ("C", 3, 3, 0.0)]
    assert unc.close_calls == ()


def test_a_concept_no_drawn_juror_scored_ranks_last_in_that_resample():
    # Only j2 scored C: a resample of two jurors misses j2 with probability 1/4; C then ranks last.
    data = _one_criterion({("j1", "A"): (3,), ("j2", "A"): (3,), ("j2", "C"): (5,)}, recusals={("j1", "C")})
    unc = bootstrap(data, top_n=1, resamples=4000, seed=1)
    c = next(b for b in unc.bands if b.concept_id == "C")
    assert c.rank == 1
    assert c.unscored_share == approx(0.25, abs=0.03)
    assert c.top_share == approx(1 - c.unscored_share)
    assert (c.low, c.high) == (1, 2)


def test_bootstrap_is_reproducible_and_the_seed_matters():
    first = bootstrap(WORKED, resamples=200, seed=3)
    assert bootstrap(WORKED, resamples=200, seed=3) == first
    assert first.resamples == 200
    assert first.seed == 3
    assert bootstrap(WORKED, resamples=200, seed=4) != first
    assert aggregate(WORKED, resamples=200, seed=3).raw.uncertainty == first


def test_bootstrap_rejects_bad_arguments():
    with pytest.raises(ValueError, match="resamples"):
        bootstrap(WORKED, resamples=0)
    with pytest.raises(ValueError, match="band"):
        bootstrap(WORKED, resamples=10, band=(95, 5))
    with pytest.raises(ValueError, match="top_n"):
        aggregate(WORKED, resamples=10, top_n=0)


# ---------------------------------------------------------------------------------------------
# Agreement


def test_alpha_worked_example_per_criterion_and_overall():
    # Criterion p (0-4): j1 scores 1, 2, 3 and j2 1, 2, 4 on concepts A, B, C.
    #   Pairable values 1,1,2,2,3,4 (n = 6). Interval alpha = 1 - D_o / D_e with
    #   D_o = (1/n) sum over units of sum over ordered pairs (a-b)^2 / (m_u - 1) = (1/6)(0 + 0 + 2) = 1/3
    #   D_e = sum over ordered pairs of all values (a-b)^2 / (n(n-1)); sum over unordered pairs is
    #         n*sum(a^2) - (sum a)^2 = 6*35 - 13^2 = 41, so D_e = 82/30
    #   alpha = 1 - (1/3)/(82/30) = 1 - 10/82 = 36/41 = .878: good.
    # Criterion q (0-4): both score A 0 and B 4: perfect, alpha = 1.
    # Overall (units are concept x criterion, scores as shares of the scale; both scales 0-4, so the
    # same as pooling the raw values, alpha being blind to a linear change of unit):
    #   values 1,1,2,2,3,4,0,0,4,4 (n = 10): D_o = (1/10)*2 = .2; sum a = 21, sum a^2 = 67,
    #   10*67 - 21^2 = 229, D_e = 458/90; alpha = 1 - .2*90/458 = 1 - 18/458 = 220/229 = .961.
    crit = (Criterion("p", 50, 0, 4), Criterion("q", 50, 0, 4))
    data = _round(crit, ("j1", "j2"), {("j1", "A"): (1, 0), ("j2", "A"): (1, 0), ("j1", "B"): (2, 4),
                                       ("j2", "B"): (2, 4), ("j1", "C"): (3, None), ("j2", "C"): (4, None)})
    agr = agreement(data)
    p, q = agr.criteria
    assert p.value == approx(36 / 41)
    assert p.level is AgreementLevel.GOOD
    assert (p.n_units, p.n_scores) == (3, 6)
    assert q.value == approx(1.0)
    assert q.n_units == 2
    assert agr.overall.criterion_id is None
    assert agr.overall.value == approx(220 / 229)
    assert agr.overall.n_units == 5
    assert agr.overall.n_scores == 10


def test_alpha_matches_the_package_on_its_own_example():
    # Krippendorff's reliability example in the package's docstring (interval: 0.849).
    nan = np.nan
    rows = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan], [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
            [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan], [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    sheets = {(f"j{j}", f"u{u:02d}"): (v,) for j, row in enumerate(rows) for u, v in enumerate(row) if v == v}
    data = _round((Criterion("q", 100, 1, 5),), [f"j{j}" for j in range(4)], sheets)
    expected = krippendorff.alpha(reliability_data=rows, level_of_measurement="interval")
    assert agreement(data).criteria[0].value == approx(expected) == approx(0.849, abs=5e-4)


def test_alpha_undefined_with_one_juror_or_no_variance():
    one = agreement(_one_criterion({("j", "A"): (3,), ("j", "B"): (4,)}))
    assert one.overall.value is None
    assert one.overall.undefined is AlphaUndefined.TOO_FEW_JURORS
    same = agreement(_one_criterion({("j1", "A"): (3,), ("j2", "A"): (3,), ("j1", "B"): (3,), ("j2", "B"): (3,)}))
    assert same.criteria[0].value is None
    assert same.criteria[0].undefined is AlphaUndefined.NO_VARIANCE
    assert "cannot be measured" in explain_agreement(same.criteria[0], "Feasibility")
    assert "Feasibility" in explain_agreement(one.criteria[0], "Feasibility")


@pytest.mark.parametrize(("value", "level", "words"), [
    (0.91, AgreementLevel.GOOD, "agree well"),
    (ALPHA_GOOD, AgreementLevel.GOOD, "agree well"),
    (0.7, AgreementLevel.TENTATIVE, "tentative"),
    (ALPHA_TENTATIVE, AgreementLevel.TENTATIVE, "tentative"),
    (0.5, AgreementLevel.LOW, "discuss"),
    (-0.3, AgreementLevel.LOW, "less agreement than chance"),
])
def test_agreement_sentences(value, level, words):
    sentence = explain_agreement(Alpha("x", value, level, None, 4, 8), "Impact")
    assert words in sentence
    assert "Impact" in sentence
    assert f"{value:.2f}" in sentence
    assert sentence.endswith(".")


@pytest.mark.parametrize("second", [(1, 2, 3, 4, 5), (1, 2, 3, 5, 4), (2, 1, 4, 3, 5), (5, 4, 3, 2, 1)])
def test_agreement_levels_follow_krippendorffs_thresholds(second):
    data = _one_criterion({**{("j1", c): (v,) for c, v in zip("ABCDE", (1, 2, 3, 4, 5), strict=True)},
                           **{("j2", c): (v,) for c, v in zip("ABCDE", second, strict=True)}})
    alpha = agreement(data).criteria[0]
    assert alpha.value is not None
    expected = (AgreementLevel.GOOD if alpha.value >= 0.8
                else AgreementLevel.TENTATIVE if alpha.value >= 0.667 else AgreementLevel.LOW)
    assert alpha.level is expected


def test_outlier_juror_and_disputed_concepts():
    # j1, j2, j3 score A..D as 1, 2, 3, 4; j4 reverses them: 4, 3, 2, 1 (one criterion, 1-5).
    # For j4 the others' mean is 1, 2, 3, 4: correlation -1, an outlier.
    # For j1 the others' mean is (1+1+4)/3 = 2, 7/3, 8/3, 3: linear in j1's, correlation +1.
    # Weighted scores (share * 100): 1 -> 0, 2 -> 25, 3 -> 50, 4 -> 75.
    #   A: 0, 0, 0, 75: mean 18.75, deviations -18.75 (x3), 56.25: variance (3*351.5625 + 3164.0625)/4
    #      = 1054.6875, sd 32.48 > 20: disputed. D likewise.
    #   B: 25, 25, 25, 50: variance (3*39.0625 + 351.5625)/4 = 117.1875, sd 10.83: not disputed.
    sheets = {}
    for j in ("j1", "j2", "j3", "j4"):
        for n, c in enumerate("ABCD"):
            sheets[j, c] = (n + 1 if j != "j4" else 4 - n,)
    agr = agreement(_one_criterion(sheets))
    by_juror = {r.juror_id: r for r in agr.jurors}
    assert by_juror["j4"].correlation == approx(-1.0)
    assert by_juror["j4"].outlier
    assert by_juror["j1"].correlation == approx(1.0)
    assert not by_juror["j1"].outlier
    assert agr.outliers == ("j4",)
    spreads = {c.concept_id: c.spread for c in agr.concepts}
    assert spreads == {"A": approx(math.sqrt(1054.6875)), "B": approx(math.sqrt(117.1875)),
                       "C": approx(math.sqrt(117.1875)), "D": approx(math.sqrt(1054.6875))}
    assert agr.disputed == ("A", "D")
    assert dict(agr.concepts[0].juror_scores) == {"j1": 0.0, "j2": 0.0, "j3": 0.0, "j4": 75.0}


def test_a_harsh_juror_is_not_an_outlier():
    # j2 scores every concept exactly two points below j1: correlation +1.
    sheets = {("j1", c): (v,) for c, v in zip("ABCD", (3, 4, 5, 4), strict=True)}
    sheets |= {("j2", c): (v - 2,) for (_, c), (v,) in list(sheets.items())}
    assert agreement(_one_criterion(sheets)).outliers == ()


def test_too_few_shared_concepts_give_no_correlation():
    agr = agreement(_one_criterion({("j1", "A"): (1,), ("j2", "A"): (5,), ("j1", "B"): (5,), ("j2", "B"): (1,)}))
    assert [(r.correlation, r.n_concepts, r.outlier) for r in agr.jurors] == [(None, 2, False)] * 2


# ---------------------------------------------------------------------------------------------
# Sensitivity

SENS = _round(XY, ("j",), {("j", "A"): (10, 2), ("j", "B"): (5, 10), ("j", "C"): (5, 5)})


def test_sensitivity_worked_example():
    # x 60%, y 40%, one juror, scale 0-10:  A .6*1 + .4*.2 = 68;  B .6*.5 + .4*1 = 70;  C 50.
    # x +10 (x 70, y 40*30/40 = 30): A 70 + 6 = 76, B 35 + 30 = 65, C 50: A overtakes B.
    # x -10 (x 50, y 50):            A 50 + 10 = 60, B 25 + 50 = 75: unchanged.
    # y +10 is x -10; y -10 is x +10.
    one = sensitivity(SENS, top_n=1)
    assert one.baseline == ("B",)
    moves = {(m.criterion_id, m.delta): m for m in one.moves}
    assert set(moves) == {("x", 10), ("x", -10), ("y", 10), ("y", -10)}
    assert dict(moves["x", 10].weights) == {"x": approx(70), "y": approx(30)}
    assert moves["x", 10].top == ("A",)
    assert moves["x", 10].entered == ("A",)
    assert moves["x", 10].left == ("B",)
    assert moves["x", 10].set_changed
    assert moves["x", 10].order_changed
    assert not moves["x", -10].order_changed
    assert not moves["y", 10].order_changed
    assert moves["y", -10].top == ("A",)
    assert not one.stable
    two = {(m.criterion_id, m.delta): m for m in sensitivity(SENS, top_n=2).moves}
    # With two places the set stays {A, B}; only the order changes.
    assert two["x", 10].top == ("A", "B")
    assert not two["x", 10].set_changed
    assert two["x", 10].order_changed
    assert sensitivity(SENS, top_n=3).baseline == ("B", "A", "C")


def test_sensitivity_rescales_the_others_proportionally_and_clamps():
    # 50/30/20, Impact +10: 60, and 30*40/50 = 24, 20*40/50 = 16.
    imp_up = next(m for m in sensitivity(WORKED).moves if (m.criterion_id, m.delta) == ("imp", 10))
    assert dict(imp_up.weights) == {"imp": approx(60), "fea": approx(24), "nov": approx(16)}
    # 95/5: the 5% criterion can only fall by 5, the 95% one only rise by 5.
    crit = (Criterion("a", 95, 0, 10), Criterion("b", 5, 0, 10))
    data = _round(crit, ("j",), {("j", "P"): (1, 2), ("j", "Q"): (2, 1)})
    moves = {(m.criterion_id, m.delta): m for m in sensitivity(data, top_n=1).moves}
    assert moves["b", -10].applied == approx(-5)
    assert dict(moves["b", -10].weights) == {"a": approx(100), "b": 0}
    assert moves["a", 10].applied == approx(5)
    assert sensitivity(_one_criterion({("j", "A"): (1,)})).moves == ()  # one criterion: nothing to move


def test_what_if_weights():
    assert ranking(SENS, weights={"x": 70, "y": 30}).order == ("A", "B", "C")
    assert ranking(SENS, weights={"x": 0, "y": 1}).order == ("B", "C", "A")
    with pytest.raises(ValueError, match="every criterion"):
        ranking(SENS, weights={"x": 70})


# ---------------------------------------------------------------------------------------------
# The whole report, input validation, the published formula


def test_aggregate_bundles_both_rankings_side_by_side():
    agg = aggregate(HARSH_LENIENT, top_n=2, resamples=50, seed=5)
    assert isinstance(agg, Aggregate)
    assert agg.raw.ranking.order == ("D", "C", "B", "A")
    assert agg.calibrated.ranking.order == ("B", "D", "A", "C")
    assert agg.raw.uncertainty.basis is Basis.RAW
    assert agg.calibrated.uncertainty.basis is Basis.CALIBRATED
    assert agg.calibrated.sensitivity.moves == ()  # one criterion
    assert [c.concept_id for c in agg.coverage] == ["A", "B", "C", "D"]
    assert agg.agreement == agreement(HARSH_LENIENT)


def _bad(**change) -> RoundScores:
    base = {"criteria": (Criterion("q", 100, 1, 5),), "jurors": (Juror("j"),),
            "concepts": (Concept("A", 1), Concept("B", 2)), "scores": (Score("j", "A", "q", 3),)}
    return RoundScores(**(base | change))


@pytest.mark.parametrize(("change", "message"), [
    ({"scores": (Score("j", "A", "q", 6),)}, "outside the scale 1..5"),
    ({"scores": (Score("j", "A", "q", 0),)}, "outside the scale"),
    ({"scores": (Score("j", "A", "q", float("nan")),)}, "not a finite number"),
    ({"scores": (Score("j", "A", "q", True),)}, "not a finite number"),
    ({"scores": (Score("j", "A", "q", "3"),)}, "not a finite number"),
    ({"scores": (Score("j", "A", "q", 3), Score("j", "A", "q", 4))}, "two scores"),
    ({"scores": (Score("x", "A", "q", 3),)}, "unknown juror 'x'"),
    ({"scores": (Score("j", "Z", "q", 3),)}, "unknown concept 'Z'"),
    ({"scores": (Score("j", "A", "r", 3),)}, "unknown criterion 'r'"),
    ({"recusals": frozenset({("j", "A")})}, "recused from concept 'A'"),
    ({"recusals": frozenset({("j", "Z")})}, "recusal names unknown concept"),
    ({"assignments": frozenset({("j", "B")})}, "not assigned to concept 'A'"),
    ({"criteria": ()}, "at least one criterion"),
    ({"criteria": (Criterion("q", 0, 1, 5),)}, "positive weight"),
    ({"criteria": (Criterion("q", 100, 5, 5),)}, "min < max"),
    ({"criteria": (Criterion("q", 50, 1, 5), Criterion("q", 50, 1, 5))}, "criterion 'q' is listed twice"),
    ({"jurors": (Juror("j"), Juror("j"))}, "juror 'j' is listed twice"),
    ({"concepts": (Concept("A", 1), Concept("B", 1))}, "tie key 1 is shared"),
    ({"concepts": (Concept("A", 1), Concept("B", "b"))}, "cannot be compared"),
])
def test_invalid_input_raises_a_clear_value_error(change, message):
    with pytest.raises(ValueError, match=message):
        ranking(_bad(**change))


def test_inputs_may_be_lists_and_tie_keys_datetimes():
    t = datetime(2026, 3, 1, tzinfo=UTC)
    data = RoundScores(criteria=[Criterion("q", 100, 1, 5)], jurors=[Juror(1), Juror(2)],
                       concepts=[Concept(10, t.replace(day=2)), Concept(11, t)],
                       scores=[Score(1, 10, "q", 4), Score(2, 11, "q", 4), Score(1, 11, "q", 4.0)])
    assert isinstance(data.scores, tuple)
    assert ranking(data).order == (11, 10)  # equal scores and criterion; 11 scored by 2 jurors


def test_formula_states_the_published_constants():
    assert str(DEFAULT_RESAMPLES) in FORMULA
    assert "25%" in FORMULA
    assert "Schulze" in FORMULA
    assert "never as zero" in FORMULA
    assert "earlier submission" in FORMULA
    assert "{" not in FORMULA


# ---------------------------------------------------------------------------------------------
# Schulze

# Wikipedia, "Schulze method", the example with 45 voters and 5 candidates.
WIKIPEDIA = [(5, "ACBED"), (5, "ADECB"), (8, "BEDAC"), (3, "CABED"), (7, "CAEBD"), (2, "CBADE"),
             (7, "DCEBA"), (8, "EBADC")]
ABCDE = [Concept(c, n) for n, c in enumerate("ABCDE")]


def _ballots(groups):
    return [Ballot(n, tuple(order)) for n, order in enumerate(o for k, o in groups for _ in range(k))]


def test_schulze_wikipedia_example():
    # d[X][Y], voters preferring X to Y, e.g. d[A][B] = 5 + 5 + 3 + 7 (ACBED, ADECB, CABED, CAEBD) = 20.
    # Strongest paths (winning votes), e.g. p[E][D] = 31 (E > D directly, 31 : 14) and
    # p[A][C] = min(d[A][D] 30, d[D][C] 28) = 28 beats p[C][A] = min(d[C][B] 29, d[B][A] 25) = 25.
    # p[E][A] 25 > p[A][E] 24, p[A][C] 28 > 25, p[C][B] 29 > 28, p[B][D] 33 > 28: E > A > C > B > D.
    result = schulze(ABCDE, _ballots(WIKIPEDIA))
    assert result.order == ("E", "A", "C", "B", "D")
    assert result.preferences == ((0, 20, 26, 30, 22), (25, 0, 16, 33, 18), (19, 29, 0, 17, 24),
                                  (15, 12, 28, 0, 14), (23, 27, 21, 31, 0))
    assert result.strengths == ((0, 28, 28, 30, 24), (25, 0, 28, 33, 24), (25, 29, 0, 29, 24),
                                (25, 28, 28, 0, 24), (25, 28, 28, 31, 0))
    assert result.decided_by == (SchulzeDecision.STRONGER_PATH,) * 4
    assert result.preference("A", "B") == 20
    assert result.strength("E", "D") == 31


def test_schulze_ties_are_broken_by_the_tie_key():
    # Two jurors with opposite rankings: every pair 1 : 1, no link, all tied: submission order.
    result = schulze([Concept("X", 3), Concept("Y", 1), Concept("Z", 2)],
                     [Ballot("j1", ("X", "Y", "Z")), Ballot("j2", ("Z", "Y", "X"))])
    assert result.order == ("Y", "Z", "X")
    assert result.decided_by == (SchulzeDecision.TIE_KEY,) * 2
    # A juror's tie (a group) prefers neither.
    result = schulze([Concept("X", 2), Concept("Y", 1)], [Ballot("j1", (("X", "Y"),))])
    assert result.order == ("Y", "X")
    assert result.preferences == ((0, 0), (0, 0))
    assert schulze([Concept("X", 2), Concept("Y", 1)], []).order == ("Y", "X")


def test_schulze_with_a_recused_juror():
    # j3 recused from X: it counts for Y vs Z only. X > Y 2 : 0, X > Z 2 : 0, Z > Y 2 : 1 (j1, j3).
    result = schulze([Concept("X", 1), Concept("Y", 2), Concept("Z", 3)],
                     [Ballot("j1", ("X", "Z", "Y")), Ballot("j2", ("X", "Y", "Z")),
                      Ballot("j3", ("Z", "Y"), recused=frozenset({"X"})), Ballot("j4", (("X",), ("Y", "Z")))])
    assert result.preference("Z", "Y") == 2
    assert result.preference("Y", "Z") == 1
    assert result.preference("X", "Y") == 3
    assert result.preference("Y", "X") == 0
    assert result.order == ("X", "Z", "Y")


@pytest.mark.parametrize(("ballots", "message"), [
    ([Ballot("j", ("X", "X", "Y"))], "names 'X' twice"),
    ([Ballot("j", (("X", "Y"), "X"))], "names 'X' twice"),
    ([Ballot("j", ("X",))], r"leaves out \['Y'\]"),
    ([Ballot("j", ("X", "Y", "W"))], "'W', which is not on the shortlist"),
    ([Ballot("j", ("X", (), "Y"))], "empty place"),
    ([Ballot("j", ("X", "Y"), recused=frozenset({"X"}))], "ranks 'X', from which the juror recused"),
    ([Ballot("j", ("X", "Y"), recused=frozenset({"W"}))], "not on the shortlist"),
    ([Ballot("j", ("X", "Y")), Ballot("j", ("Y", "X"))], "juror 'j' is listed twice"),
])
def test_schulze_rejects_invalid_ballots(ballots, message):
    with pytest.raises(ValueError, match=message):
        schulze([Concept("X", 1), Concept("Y", 2)], ballots)


def test_schulze_rejects_a_bad_shortlist():
    with pytest.raises(ValueError, match="empty"):
        schulze([], [])
    with pytest.raises(ValueError, match="tie key"):
        schulze([Concept("X", 1), Concept("Y", 1)], [])


def test_ballot_from_ranks():
    assert ballot_from_ranks("j", {"X": 2, "Y": 1, "Z": 2}).groups == (("Y",), ("X", "Z"))
    with pytest.raises(ValueError, match=r"gap: no concept ranked \[2\]"):
        ballot_from_ranks("j", {"X": 1, "Y": 3})
    with pytest.raises(ValueError, match="whole numbers"):
        ballot_from_ranks("j", {"X": 0})
    with pytest.raises(ValueError, match="whole numbers"):
        ballot_from_ranks("j", {"X": 1.5})


# ---------------------------------------------------------------------------------------------
# Properties

SCALES = [(1, 5), (0, 10), (1, 10), (1, 3)]
QUICK = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def rounds(draw, *, min_concepts: int = 1, complete: bool = False) -> RoundScores:
    n_crit = draw(st.integers(1, 3))
    criteria = []
    for k in range(n_crit):
        lo, hi = draw(st.sampled_from(SCALES))
        criteria.append(Criterion(f"k{k}", draw(st.integers(1, 100)), lo, hi))
    jurors = draw(st.lists(st.integers(0, 50), min_size=1, max_size=4, unique=True))
    n_concepts = draw(st.integers(min_concepts, 5))
    tie_keys = draw(st.lists(st.integers(0, 1000), min_size=n_concepts, max_size=n_concepts, unique=True))
    concepts = [Concept(f"c{n}", key) for n, key in enumerate(tie_keys)]
    recusals, scores = set(), []
    for j in jurors:
        for c in concepts:
            if not complete and draw(st.integers(0, 9)) == 0:
                recusals.add((j, c.id))
                continue
            for crit in criteria:
                if complete or draw(st.integers(0, 7)):
                    scores.append(Score(j, c.id, crit.id, draw(st.integers(crit.scale_min, crit.scale_max))))
    return RoundScores(tuple(criteria), tuple(Juror(j) for j in jurors), tuple(concepts), tuple(scores),
                       frozenset(recusals))


@settings(QUICK, max_examples=25)
@given(data=rounds(), rnd=st.randoms(use_true_random=False))
def test_property_listing_order_changes_nothing(data, rnd):
    shuffled = RoundScores(data.criteria, tuple(rnd.sample(data.jurors, len(data.jurors))),
                           tuple(rnd.sample(data.concepts, len(data.concepts))),
                           tuple(rnd.sample(data.scores, len(data.scores))), data.recusals)
    assert aggregate(shuffled, resamples=20, seed=1) == aggregate(data, resamples=20, seed=1)


@QUICK
@given(data=rounds(), choice=st.data())
def test_property_a_constant_added_to_one_juror_leaves_the_calibrated_ranking(data, choice):
    juror = choice.draw(st.sampled_from([j.id for j in data.jurors]))
    scale = {c.id: c for c in data.criteria}
    own = [s for s in data.scores if s.juror_id == juror]
    # The largest shift down and up that keeps every one of the juror's scores on its scale.
    down = max((scale[s.criterion_id].scale_min - s.value for s in own), default=0)
    up = min((scale[s.criterion_id].scale_max - s.value for s in own), default=0)
    shift = choice.draw(st.integers(down, up))
    moved = RoundScores(data.criteria, data.jurors, data.concepts,
                        tuple(Score(s.juror_id, s.concept_id, s.criterion_id, s.value + shift)
                              if s.juror_id == juror else s for s in data.scores), data.recusals)
    before, after = ranking(data, Basis.CALIBRATED), ranking(moved, Basis.CALIBRATED)
    assert after.order == before.order
    assert [e.score for e in after.entries] == approx([e.score for e in before.entries], abs=1e-9)


@QUICK
@given(data=rounds(), factor=st.sampled_from([2, 3, 0.5, 7.3, 1000]))
def test_property_scaling_all_weights_keeps_the_ranking(data, factor):
    scaled = RoundScores(tuple(Criterion(c.id, c.weight * factor, c.scale_min, c.scale_max) for c in data.criteria),
                         data.jurors, data.concepts, data.scores, data.recusals)
    for basis in Basis:
        assert ranking(scaled, basis).order == ranking(data, basis).order


@QUICK
@given(data=rounds(min_concepts=0), choice=st.data())
def test_property_a_concept_scored_higher_by_everyone_on_everything_ranks_above(data, choice):
    # Add P and Q, scored by every juror on every criterion, P strictly above Q each time.
    scores = list(data.scores)
    for j in data.jurors:
        for crit in data.criteria:
            q = choice.draw(st.integers(crit.scale_min, crit.scale_max - 1))
            p = choice.draw(st.integers(q + 1, crit.scale_max))
            scores += [Score(j.id, "P", crit.id, p), Score(j.id, "Q", crit.id, q)]
    # Tie keys that would favour Q in a tie, so a tie-breaker cannot be what puts P first.
    concepts = (*data.concepts, Concept("P", 2000), Concept("Q", -1))
    full = RoundScores(data.criteria, data.jurors, concepts, tuple(scores), data.recusals)
    for basis in Basis:
        order = ranking(full, basis).order
        assert order.index("P") < order.index("Q")
        assert ranking(full, basis).entry("P").decided_by is not None


@QUICK
@given(data=rounds(), seed=st.integers(0, 2**32))
def test_property_bootstrap_with_the_same_seed_is_identical(data, seed):
    first = bootstrap(data, Basis.CALIBRATED, resamples=25, seed=seed, top_n=2)
    assert bootstrap(data, Basis.CALIBRATED, resamples=25, seed=seed, top_n=2) == first
    for band in first.bands:
        assert 1 <= band.low <= band.high <= len(data.concepts)
        assert 0 <= band.top_share <= 1


@QUICK
@given(data=rounds())
def test_property_scores_are_on_the_0_100_scale_and_every_expected_score_is_given_or_missing(data):
    for e in ranking(data).entries:
        assert e.score is None or 0 <= e.score <= 100
    n_criteria = len(data.criteria)
    for cov in coverage(data):
        given_here = sum(1 for s in data.scores if s.concept_id == cov.concept_id)
        assert given_here + cov.n_missing == len(cov.expected_jurors) * n_criteria
        assert math.fsum(w for _, w in cov.weights) == approx(100.0 if cov.n_jurors else 0.0)


@st.composite
def elections(draw):
    n = draw(st.integers(2, 5))
    candidates = [Concept(f"c{i}", draw(st.integers(0, 10**6))) for i in range(n)]
    if len({c.tie_key for c in candidates}) < n:
        candidates = [Concept(c.id, i) for i, c in enumerate(candidates)]
    ids = [c.id for c in candidates]
    n_ballots = draw(st.integers(1, 9))
    orders = [draw(st.permutations(ids)) for _ in range(n_ballots)]
    return candidates, orders


@QUICK
@given(election=elections(), choice=st.data())
def test_property_schulze_puts_a_condorcet_winner_first(election, choice):
    candidates, orders = election
    winner = choice.draw(st.sampled_from([c.id for c in candidates]))
    # Putting the winner first on more than half of the ballots makes it beat every other concept
    # head to head.
    lifted = choice.draw(st.integers(len(orders) // 2 + 1, len(orders)))
    ballots = []
    for n, order in enumerate(orders):
        order = list(order)
        if n < lifted:
            order.remove(winner)
            order.insert(0, winner)
        ballots.append(Ballot(f"j{n}", tuple(order)))
    result = schulze(candidates, ballots)
    for other in (c.id for c in candidates if c.id != winner):
        assert result.preference(winner, other) > result.preference(other, winner)
    assert result.order[0] == winner
    assert sorted(result.order) == sorted(c.id for c in candidates)


@QUICK
@given(election=elections())
def test_property_schulze_unanimity_and_ballot_order(election):
    candidates, orders = election
    order = orders[0]
    result = schulze(candidates, [Ballot(f"j{n}", tuple(order)) for n in range(3)])
    assert result.order == tuple(order)
    shuffled = random.Random(0).sample([Ballot(f"j{n}", tuple(o)) for n, o in enumerate(orders)], len(orders))
    assert schulze(candidates, shuffled) == schulze(candidates, [Ballot(f"j{n}", tuple(o))
                                                                 for n, o in enumerate(orders)])
