"""Balanced assignment of jurors to concepts (issue 10, item 3): worked examples, input errors, the
chair's edits by hand, and Hypothesis properties, among them a brute-force check of the balance
guarantee on tiny instances."""
from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.judging.assignment import (
    Assignment,
    AssignmentInputError,
    Issue,
    IssueKind,
    Pair,
    Shortfall,
    ShortReason,
    assign,
    check_assignment,
    edit_assignment,
)

# No deadline: the first example of a run pays for imports, and the shared cores are slow at times.
PROPERTIES = settings(max_examples=150, deadline=None)


def counts(result: Assignment) -> Counter[int]:
    return Counter(p.concept for p in result.pairs)


# ---------------------------------------------------------------- worked examples


def test_five_concepts_three_jurors_two_each() -> None:
    result = assign([1, 2, 3], range(5), k=2)
    assert sorted(result.loads.values()) == [3, 3, 4]  # 10 seats over 3 jurors
    assert all(len(result.jurors_of(c)) == 2 for c in range(5))
    assert result.report.short == ()
    assert result.report.balanced


def test_every_juror_scores_everything_when_k_is_the_jury() -> None:
    result = assign([1, 2, 3], [10, 20], k=3)
    assert result.pairs == {Pair(j, c) for j in (1, 2, 3) for c in (10, 20)}


def test_a_concept_conflicted_with_all_but_one_juror_gets_that_one() -> None:
    result = assign([1, 2, 3], [10, 20, 30], k=2, conflicts=[(1, 10), (2, 10)])
    assert result.jurors_of(10) == (3,)
    assert result.report.short == (Shortfall(10, wanted=2, got=1, eligible=1, reason=ShortReason.CONFLICTS),)
    assert len(result.jurors_of(20)) == len(result.jurors_of(30)) == 2
    assert sorted(result.loads.values()) == [1, 2, 2]  # 5 seats


def test_a_concept_everyone_is_conflicted_with_gets_nobody() -> None:
    result = assign([1, 2], [10, 20], k=1, conflicts=[(1, 10), (2, 10)])
    assert result.jurors_of(10) == ()
    assert result.report.short == (Shortfall(10, 1, 0, 0, ShortReason.CONFLICTS),)
    assert sorted(result.loads.values()) == [0, 1]


def test_a_juror_conflicted_with_nearly_everything_makes_balance_impossible() -> None:
    # 6 seats, 3 jurors: balance would be 2, 2, 2, but juror 3 may read only concept 0.
    conflicts = [(3, c) for c in range(1, 6)]
    result = assign([1, 2, 3], range(6), k=1, conflicts=conflicts)
    assert result.concepts_of(3) == (0,)
    assert sorted(result.loads.values()) == [1, 2, 3]  # the least possible maximum is 3
    assert not result.report.balanced
    assert (result.report.min_load, result.report.max_load) == (1, 3)


def test_the_only_balanced_assignment_is_found() -> None:
    # Juror 1 may read only concept 0, juror 2 only 0 and 1, juror 3 everything; k = 1: the one
    # balanced assignment gives each the concept nobody with fewer choices can take.
    conflicts = [(1, c) for c in (1, 2)] + [(2, 2)]
    result = assign([1, 2, 3], [0, 1, 2], k=1, conflicts=conflicts)
    assert result.loads == {1: 1, 2: 1, 3: 1}
    assert result.pairs == {Pair(1, 0), Pair(2, 1), Pair(3, 2)}


def test_levelling_follows_a_chain_of_exchanges() -> None:
    # Juror 4 may read only concept 1, juror 3 only 1 and 2, juror 1 only 4 and 6, juror 2 all but 4.
    # Filling leaves juror 4 empty; the fix is a chain: 4 takes 1 from 3, 3 takes 2 from 2, 2 takes
    # 6 from 1, as no direct hand-over from a juror with two concepts to juror 4 exists.
    concepts = [1, 2, 4, 5, 6]
    readers = {1: {1, 4, 6}, 2: {1, 2, 5, 6}, 3: {1, 2}, 4: {1}}
    conflicts = [(j, c) for j, can in readers.items() for c in concepts if c not in can]
    result = assign(readers, concepts, k=1, conflicts=conflicts)
    assert result.concepts_of(4) == (1,)
    assert result.concepts_of(3) == (2,)
    assert sorted(result.loads.values()) == [1, 1, 1, 2]


def test_fixed_pairs_are_kept_and_count_towards_k() -> None:
    result = assign([1, 2, 3], range(6), k=1, fixed=[(1, 0), (1, 1)])
    assert {Pair(1, 0), Pair(1, 1)} <= result.pairs
    assert result.jurors_of(0) == (1,)
    assert result.jurors_of(1) == (1,)
    assert result.loads == {1: 2, 2: 2, 3: 2}


def test_fixed_pairs_above_k_are_kept_and_reported_overfull() -> None:
    result = assign([1, 2, 3], [10, 20], k=1, fixed=[(1, 10), (2, 10)])
    assert result.jurors_of(10) == (1, 2)
    assert result.jurors_of(20) == (3,)  # the juror who has least
    assert result.report.overfull == (10,)


def test_fixed_pairs_can_force_imbalance_and_the_maximum_stays_least() -> None:
    result = assign([1, 2], range(4), k=1, fixed=[(1, 0), (1, 1), (1, 2)])
    assert result.loads == {1: 3, 2: 1}
    assert not result.report.balanced


def test_capacities_are_respected_and_shortfalls_reported() -> None:
    result = assign([1, 2, 3], [10, 20], k=2, capacity={1: 1, 2: 1, 3: 1})
    assert len(result.pairs) == 3  # 4 seats wanted, 3 available
    assert set(result.loads.values()) == {1}
    (short,) = result.report.short
    assert (short.wanted, short.got, short.eligible, short.reason) == (2, 1, 3, ShortReason.CAPACITY)


def test_a_small_capacity_is_filled_and_the_rest_is_levelled() -> None:
    result = assign([1, 2, 3], range(9), k=1, capacity={1: 1})
    assert result.loads == {1: 1, 2: 4, 3: 4}
    assert not result.report.balanced  # the capacity, not the algorithm, prevents 3, 3, 3


def test_capacity_counts_fixed_pairs() -> None:
    result = assign([1, 2], range(4), k=1, fixed=[(1, 0)], capacity={1: 1})
    assert result.concepts_of(1) == (0,)
    assert result.loads == {1: 1, 2: 3}


def test_capacity_sends_the_one_juror_who_may_read_a_concept_to_it() -> None:
    # All three seats can be filled only if juror 3, the one who may read concept 20, spends their
    # single place there rather than on concept 10.
    result = assign([1, 2, 3], [10, 20], k=2, conflicts=[(1, 20), (2, 20)],
                    capacity={1: 1, 2: 1, 3: 1})
    assert len(result.pairs) == 3
    assert result.loads == {1: 1, 2: 1, 3: 1}


def test_edge_cases_no_jurors_no_concepts_k_zero() -> None:
    assert assign([], [], k=2).pairs == frozenset()
    nobody = assign([], [10], k=2)
    assert nobody.report.short == (Shortfall(10, 2, 0, 0, ShortReason.CONFLICTS),)
    assert nobody.report.balanced
    assert assign([1], [10], k=0).pairs == frozenset()


def test_conflicts_and_capacities_of_others_are_ignored() -> None:
    # A later round judges a subset: conflicts on entries not in it do not matter.
    result = assign([1, 2], [10], k=2, conflicts=[(1, 99), (7, 10)], capacity={7: 0})
    assert result.pairs == {Pair(1, 10), Pair(2, 10)}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fixed": [(1, 10)], "conflicts": [(1, 10)]}, "is conflicted"),
        ({"fixed": [(9, 10)]}, "unknown"),
        ({"fixed": [(1, 99)]}, "unknown"),
        ({"k": -1}, "at least 0"),
        ({"capacity": {1: -1}}, "negative"),
        ({"fixed": [(1, 10), (1, 20)], "capacity": {1: 1}}, "above their capacity"),
    ],
)
def test_contradictory_input_is_refused(kwargs: dict, message: str) -> None:
    kwargs = {"k": 1, **kwargs}
    with pytest.raises(AssignmentInputError, match=message):
        assign([1, 2], [10, 20], **kwargs)


def test_an_id_listed_twice_is_refused() -> None:
    with pytest.raises(AssignmentInputError, match="juror id is listed twice"):
        assign([1, 1], [10], k=1)
    with pytest.raises(AssignmentInputError, match="concept id is listed twice"):
        assign([1], [10, 10], k=1)


def test_the_order_of_the_input_does_not_matter() -> None:
    conflicts = [(1, 3), (2, 4), (3, 0)]
    first = assign([1, 2, 3, 4], range(7), k=2, conflicts=conflicts)
    again = assign([4, 2, 3, 1], [6, 5, 4, 3, 2, 1, 0], k=2, conflicts=conflicts[::-1])
    assert first == again


def test_a_big_challenge_is_fast_and_balanced() -> None:
    # The size bench/judging.py uses: 150 concepts, 7 jurors, with a fifth of the pairs conflicted.
    rng = random.Random(10)
    conflicts = {(j, c) for j in range(7) for c in range(150) if rng.random() < 0.2}
    started = time.perf_counter()
    result = assign(range(7), range(150), k=3, conflicts=conflicts)
    assert time.perf_counter() - started < 2
    assert result.report.balanced
    assert all(len(result.jurors_of(c)) == min(3, sum((j, c) not in conflicts for j in range(7)))
               for c in range(150))


# ---------------------------------------------------------------- the chair's edits by hand

JURY = {"jurors": [1, 2, 3], "concepts": [10, 20], "conflicts": [(3, 20)]}


def test_check_reports_loads_and_counts_of_a_valid_assignment() -> None:
    check = check_assignment([(1, 10), (2, 10), (1, 20)], k=2, **JURY)
    assert check.ok
    assert check.loads == {1: 2, 2: 1, 3: 0}
    assert check.counts == {10: 2, 20: 1}
    assert check.report.short == (Shortfall(20, 2, 1, 2, ShortReason.UNFILLED),)
    assert not check.report.balanced


def test_check_finds_every_kind_of_problem() -> None:
    check = check_assignment([(3, 20), (1, 10), (1, 10), (9, 10), (1, 99), (2, 10), (2, 20)],
                             capacity={2: 1}, **JURY)
    assert check.issues == (
        Issue(IssueKind.CONFLICT, 3, 20),
        Issue(IssueKind.DUPLICATE, 1, 10),
        Issue(IssueKind.UNKNOWN_JUROR, 9, 10),
        Issue(IssueKind.UNKNOWN_CONCEPT, 1, 99),
        Issue(IssueKind.OVER_CAPACITY, 2, None),
    )
    assert not check.ok
    assert check.loads == {1: 1, 2: 2, 3: 1}  # unknown ids are not counted


def test_edit_adds_and_removes_pairs() -> None:
    check = edit_assignment([(1, 10), (2, 20)], add=[(3, 10)], remove=[(2, 20)], k=1, **JURY)
    assert check.ok
    assert check.pairs == {Pair(1, 10), Pair(3, 10)}
    assert check.loads == {1: 1, 2: 0, 3: 1}
    assert check.report.short == (Shortfall(20, 1, 0, 2, ShortReason.UNFILLED),)


def test_edit_refuses_duplicates_missing_pairs_and_conflicts() -> None:
    check = edit_assignment([(1, 10)], add=[(1, 10), (2, 10), (2, 10), (3, 20)], remove=[(2, 20)], **JURY)
    assert check.issues == (
        Issue(IssueKind.NOT_ASSIGNED, 2, 20),
        Issue(IssueKind.DUPLICATE, 1, 10),
        Issue(IssueKind.DUPLICATE, 2, 10),
        Issue(IssueKind.CONFLICT, 3, 20),
    )
    assert check.pairs == {Pair(1, 10), Pair(2, 10), Pair(3, 20)}


def test_short_reasons_after_edits() -> None:
    check = edit_assignment([(1, 20), (2, 20), (1, 10)], jurors=[1, 2, 3], concepts=[10, 20],
                            conflicts=[(3, 20)], k=3, capacity={2: 1, 3: 0})
    assert check.report.short == (
        Shortfall(10, 3, 1, 3, ShortReason.CAPACITY),  # jurors 2 and 3 are full
        Shortfall(20, 3, 2, 2, ShortReason.CONFLICTS),
    )


# ---------------------------------------------------------------- Hypothesis properties


@dataclass(frozen=True)
class Instance:
    jurors: tuple[int, ...]
    concepts: tuple[int, ...]
    k: int
    conflicts: frozenset[Pair]
    fixed: frozenset[Pair]
    capacity: Mapping[int, int] | None

    def run(self, order: random.Random | None = None) -> Assignment:
        def shuffled(items: Iterable) -> list:
            listed = list(items)
            if order is not None:
                order.shuffle(listed)
            return listed

        return assign(shuffled(self.jurors), shuffled(self.concepts), k=self.k,
                      conflicts=shuffled(sorted(self.conflicts)), fixed=shuffled(sorted(self.fixed)),
                      capacity=self.capacity)

    def eligible(self, concept: int) -> list[int]:
        return [j for j in self.jurors if Pair(j, concept) not in self.conflicts]


@st.composite
def instances(draw: st.DrawFn, *, max_jurors: int, max_concepts: int, max_k: int,
              conflicts: bool = True, fixed: bool = True, capacity: bool = True) -> Instance:
    jurors = tuple(range(1, draw(st.integers(1, max_jurors)) + 1))
    concepts = tuple(range(100, 100 + draw(st.integers(0, max_concepts))))
    k = draw(st.integers(1, max_k))
    # A density per juror, so that some jurors are conflicted with much and others with little.
    levels = st.sampled_from([0.0, 0.1, 0.3, 0.6, 0.9]) if conflicts else st.just(0.0)
    density = {j: draw(levels) for j in jurors}
    pairs = [Pair(j, c) for j in jurors for c in concepts]
    marks = draw(st.lists(st.floats(0, 1), min_size=len(pairs), max_size=len(pairs)))
    conflicted = frozenset(p for p, mark in zip(pairs, marks, strict=True) if mark < density[p.juror])
    free = sorted(set(pairs) - conflicted)
    pinned: frozenset[Pair] = frozenset()
    if fixed and free:
        pinned = frozenset(draw(st.sets(st.sampled_from(free), max_size=4)))
    caps = None
    if capacity and draw(st.booleans()):
        fixed_load = Counter(p.juror for p in pinned)
        drawn = draw(st.dictionaries(st.sampled_from(jurors), st.integers(0, max_concepts)))
        caps = {j: max(cap, fixed_load[j]) for j, cap in drawn.items()}
    return Instance(jurors, concepts, k, conflicted, pinned, caps)


def check_basics(inst: Instance, result: Assignment) -> None:
    universe = {Pair(j, c) for j in inst.jurors for c in inst.concepts}
    assert result.pairs <= universe
    assert not result.pairs & inst.conflicts
    assert inst.fixed <= result.pairs
    assert dict(result.loads) == {j: len(result.concepts_of(j)) for j in inst.jurors}
    assert sum(result.loads.values()) == len(result.pairs)  # nobody holds a concept twice
    for j, cap in (inst.capacity or {}).items():
        assert result.loads[j] <= cap
    got = counts(result)
    fixed_count = Counter(p.concept for p in inst.fixed)
    for c in inst.concepts:
        target = max(fixed_count[c], min(inst.k, len(inst.eligible(c))))
        if inst.capacity is None:
            assert got[c] == target
        else:
            assert fixed_count[c] <= got[c] <= target
    expected_short = tuple(c for c in inst.concepts if got[c] < inst.k)
    assert tuple(s.concept for s in result.report.short) == expected_short
    for s in result.report.short:
        assert (s.wanted, s.got, s.eligible) == (inst.k, got[s.concept], len(inst.eligible(s.concept)))
        assert (s.reason is ShortReason.CONFLICTS) == (s.got == s.eligible)
    assert result.report.overfull == tuple(c for c in inst.concepts if got[c] > inst.k)
    loads = list(result.loads.values())
    assert (result.report.min_load, result.report.max_load) == (min(loads), max(loads))
    check = check_assignment(result.pairs, jurors=inst.jurors, concepts=inst.concepts,
                             conflicts=inst.conflicts, k=inst.k, capacity=inst.capacity)
    assert check.ok
    assert check.loads == result.loads


@PROPERTIES
@given(inst=instances(max_jurors=8, max_concepts=30, max_k=4), seed=st.integers(0, 2**32))
def test_random_instances_keep_every_guarantee(inst: Instance, seed: int) -> None:
    """Hypothesis: no conflicted pair, fixed pairs kept, capacities held, each concept gets
    min(k, its eligible jurors), the report tells the truth, and the input order changes nothing.
    Without capacities, balanced exactly when the group condition (checked against brute force
    below) says balance is possible."""
    result = inst.run()
    check_basics(inst, result)
    if inst.capacity is None:
        assert result.report.balanced == hall_says_balance_is_possible(inst)
    assert inst.run(random.Random(seed)) == result


@PROPERTIES
@given(inst=instances(max_jurors=8, max_concepts=30, max_k=4, conflicts=False, fixed=False, capacity=False))
def test_without_conflicts_loads_differ_by_at_most_one(inst: Instance) -> None:
    result = inst.run()
    assert max(result.loads.values()) - min(result.loads.values()) <= 1
    assert result.report.balanced


def brute_force(inst: Instance) -> set[tuple[int, ...]]:
    """Every load vector of a complete assignment: fixed pairs kept, capacities held, and as many
    seats filled as any assignment can. Concept by concept, over all subsets of open seats."""
    index = {j: i for i, j in enumerate(inst.jurors)}
    fixed_count = Counter(p.concept for p in inst.fixed)
    start = [0] * len(inst.jurors)
    for p in inst.fixed:
        start[index[p.juror]] += 1
    caps = [(inst.capacity or {}).get(j, len(inst.concepts)) for j in inst.jurors]
    states = {tuple(start)}
    for c in inst.concepts:
        open_jurors = [index[j] for j in inst.eligible(c) if Pair(j, c) not in inst.fixed]
        seats = max(0, min(inst.k, len(inst.eligible(c))) - fixed_count[c])
        sizes = range(seats + 1) if inst.capacity is not None else [seats]
        choices = [chosen for size in sizes for chosen in combinations(open_jurors, size)]
        following = set()
        for loads in states:
            for chosen in choices:
                after = list(loads)
                for i in chosen:
                    after[i] += 1
                if all(after[i] <= caps[i] for i in chosen):
                    following.add(tuple(after))
        states = following
    best = max(map(sum, states))
    return {s for s in states if sum(s) == best}


def hall_says_balance_is_possible(inst: Instance) -> bool:
    """The module docstring's condition (a)/(b), for the case without capacities."""
    fixed_load = Counter(p.juror for p in inst.fixed)
    fixed_count = Counter(p.concept for p in inst.fixed)
    open_seats = {c: max(0, min(inst.k, len(inst.eligible(c))) - fixed_count[c]) for c in inst.concepts}
    readers = {c: {j for j in inst.eligible(c) if Pair(j, c) not in inst.fixed} for c in inst.concepts}
    total = len(inst.fixed) + sum(open_seats.values())
    q = total // len(inst.jurors)
    for size in range(1, len(inst.jurors) + 1):
        for group in map(set, combinations(inst.jurors, size)):
            pinned = sum(fixed_load[j] for j in group)
            can_take = pinned + sum(min(open_seats[c], len(readers[c] & group)) for c in inst.concepts)
            must_take = pinned + sum(max(0, open_seats[c] - len(readers[c] - group)) for c in inst.concepts)
            if can_take < q * size or must_take > (q + 1) * size:
                return False
    return True


@PROPERTIES
@given(inst=instances(max_jurors=4, max_concepts=5, max_k=3))
def test_tiny_instances_are_as_balanced_as_brute_force_allows(inst: Instance) -> None:
    """Hypothesis against brute force: as many seats as possible, the least possible maximum load,
    the largest possible minimum load, hence balanced exactly when some complete assignment is."""
    result = inst.run()
    check_basics(inst, result)
    best = brute_force(inst)
    loads = tuple(result.loads[j] for j in inst.jurors)
    assert loads in best
    assert max(loads) == min(max(s) for s in best)
    assert min(loads) == max(min(s) for s in best)
    possible = any(max(s) - min(s) <= 1 for s in best)
    assert result.report.balanced == possible
    if inst.capacity is None:
        assert hall_says_balance_is_possible(inst) == possible
