"""Which juror scores which concept: balanced assignment with k jurors per concept (issue 10, item 3).

A pure module: ids in, pairs out, no Flask and no database. The chair's page calls `assign` for
an automatic proposal, then `edit_assignment` / `check_assignment` while adjusting it by hand.

Words used below. A *seat* is one (juror, concept) place to fill. A juror is *eligible* for a
concept unless the pair is conflicted. Concept c wants ``min(k, eligible(c))`` seats; pairs the
chair fixed count towards them and are always kept (a concept with more fixed pairs than k keeps
them all and gets no more: it is reported as overfull). A juror's *load* is the number of
concepts they score, fixed pairs included; `capacity` bounds it per juror.

Guarantees (each tested in tests/judging/test_assignment.py)
-------------------------------------------------------------
1. No conflicted pair is ever assigned; every fixed pair is kept; no capacity is exceeded.
2. Without capacities, every concept gets exactly ``max(fixed(c), min(k, eligible(c)))`` jurors:
   the seats of one concept never compete with another's, so all of them can be filled. With
   capacities, the number of filled seats is the largest possible (a maximum flow); the concepts
   left short are reported with the reason (`ShortReason`).
3. Among all assignments with guarantees 1 and 2 (call them *complete*), the result has the
   smallest possible maximum load and, at the same time, the largest possible minimum load. So
   max - min is as small as conflicts, fixed pairs and capacities allow, and `Report.balanced`
   (max - min <= 1) is False exactly when no complete assignment is balanced.
4. The output depends only on the input sets and numbers, not on their order, and there is no
   randomness: the same input always gives the same assignment.

When balance is impossible. Take the case without capacities; T seats in all, J jurors,
q = T // J. A balanced assignment gives every juror q or q + 1. It exists exactly when no group S
of jurors (a) is eligible for fewer than q * |S| seats in all (their fixed pairs plus, per concept,
as many of its open seats as S has eligible jurors for it): for example one juror conflicted with
most entries, or (b) must fill more than (q + 1) * |S| seats because nobody outside S may (entries
that only a few jurors may read). This is the box case of Hoffman's circulation theorem (the load
vectors of complete assignments form a base polyhedron, so each bound can be checked apart);
the tests check it against brute force on tiny instances. With capacities a group's seats are also
bounded by its capacities; that case is covered by guarantee 3 and the brute-force test, not by
this condition. `assign` never evaluates the condition: it explains a result to the chair.

Algorithm
---------
The classic flow network (HotCRP's automatic review assignment is a flow too): source -> concept with the
concept's open seats as capacity, concept -> juror with capacity 1 for each eligible pair that is
not fixed, juror -> sink with the juror's remaining capacity. An integral flow is an assignment;
its value is the number of seats filled.

Phase 1, fill (Edmonds-Karp with an incremental load limit): cap every juror's load at
U = ceil(seats / jurors) and augment along shortest paths until none is left; while seats remain
open and some juror's limit is below their real capacity, raise U by one and keep augmenting on the
same flow. The flow ends maximum for the real capacities, and the load limit keeps it near
balanced, so phase 2 has little to do.

Phase 2, level (local exchange): while some juror b with room can receive one seat from a juror
a with load(a) >= load(b) + 2, do it. "Can receive" means a path from a to b in the residual
graph, which is how moves like "b takes concept X from c, c takes concept Y from a" are found. (No
such path passes through the source: its part from the source to b and on to the sink would be an
augmenting path, and the flow is maximum. So which concepts stay short is settled in phase 1.)
Each move keeps the flow value and every other load, and lowers the sum of squared loads by at
least 2, so phase 2 ends, after at most (sum of squared loads) / 2 moves.

Why the end state meets guarantee 3 (proof sketch). Let x be the final flow and M its maximum load;
let R be the nodes reachable in the residual graph (without the sink) from the jurors with load
M. R has no residual arc leaving it (the sink aside), so every network arc from R to the rest is saturated and
every arc into R is empty. Counting flow across the boundary of R (or of its complement, when R
holds the source), any other flow y of the same value gives R's jurors together at least as much
load as x does. But if y had maximum load below M, it would give each juror in R strictly less
than x where x has load M, and no more where x has load M - 1 or the juror is at capacity;
and jurors of R with room and load <= M - 2 do not exist, since phase 2 would have moved a seat
to them. A contradiction, so M is the least possible maximum. The mirror argument, on the nodes
that can reach the minimum-load jurors, shows the minimum is the largest possible.

Cost: phase 1 makes at most (seats + concepts) breadth-first searches of O(concepts * jurors)
each; phase 2's moves start near balance, each costing at most one search per juror. A challenge
of 150 concepts, 7 jurors and k = 3 takes a few tens of milliseconds here.

Why not networkx: its max-flow and min-cost-flow functions return a finished flow, while phase 2
needs residual paths on the flow we already have (and one run per move would rebuild the graph).
A min-cost flow with convex juror costs would also level the loads, but the proof would then rest on
a cited theorem rather than the argument above, and networkx would be a new dependency for about a
hundred lines of plain search.
"""
from __future__ import annotations

import enum
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple, TypeAlias

JurorId: TypeAlias = int
ConceptId: TypeAlias = int


class Pair(NamedTuple):
    juror: JurorId
    concept: ConceptId


class ShortReason(enum.StrEnum):
    CONFLICTS = "conflicts"  # fewer than k eligible jurors exist, and all of them are on it
    CAPACITY = "capacity"  # eligible jurors are left, but they are at capacity
    UNFILLED = "unfilled"  # eligible jurors with room are left (only after edits by hand)


@dataclass(frozen=True)
class Shortfall:
    concept: ConceptId
    wanted: int  # k
    got: int
    eligible: int  # jurors not conflicted with the concept
    reason: ShortReason


@dataclass(frozen=True)
class Report:
    short: tuple[Shortfall, ...]  # concepts with fewer than k jurors, by concept id
    overfull: tuple[ConceptId, ...]  # more than k jurors, all fixed by hand
    min_load: int
    max_load: int

    @property
    def balanced(self) -> bool:
        """max - min load <= 1; after `assign`, False means no complete assignment is balanced."""
        return self.max_load - self.min_load <= 1


@dataclass(frozen=True)
class Assignment:
    pairs: frozenset[Pair]
    loads: Mapping[JurorId, int]  # every juror, 0 included
    report: Report

    def jurors_of(self, concept: ConceptId) -> tuple[JurorId, ...]:
        return tuple(sorted(p.juror for p in self.pairs if p.concept == concept))

    def concepts_of(self, juror: JurorId) -> tuple[ConceptId, ...]:
        return tuple(sorted(p.concept for p in self.pairs if p.juror == juror))


class IssueKind(enum.StrEnum):
    CONFLICT = "conflict"
    DUPLICATE = "duplicate"  # the pair is already in the assignment (or given twice)
    NOT_ASSIGNED = "not_assigned"  # removing a pair that is not in the assignment
    UNKNOWN_JUROR = "unknown_juror"
    UNKNOWN_CONCEPT = "unknown_concept"
    OVER_CAPACITY = "over_capacity"  # concept is None: the juror's load is above their capacity


@dataclass(frozen=True)
class Issue:
    kind: IssueKind
    juror: JurorId
    concept: ConceptId | None


@dataclass(frozen=True)
class AssignmentCheck:
    pairs: frozenset[Pair]  # the assignment as it now stands, each pair once
    issues: tuple[Issue, ...]  # in the order met; empty when the assignment may be saved
    loads: Mapping[JurorId, int]  # every known juror, 0 included
    counts: Mapping[ConceptId, int]  # jurors per known concept, 0 included
    report: Report

    @property
    def ok(self) -> bool:
        return not self.issues


class AssignmentInputError(ValueError):
    """The input contradicts itself (a fixed pair that is conflicted, more fixed than capacity, ...)."""


# ---------------------------------------------------------------- public functions


def assign(jurors: Iterable[JurorId], concepts: Iterable[ConceptId], *, k: int,
           conflicts: Iterable[tuple[JurorId, ConceptId]] = (),
           fixed: Iterable[tuple[JurorId, ConceptId]] = (),
           capacity: Mapping[JurorId, int] | None = None) -> Assignment:
    """A balanced assignment of k eligible jurors per concept (see the module docstring).

    Conflicts and capacities naming jurors or concepts not in the lists are ignored (a round may
    judge a subset of the entries); fixed pairs must name known, unconflicted ones.
    Raises AssignmentInputError.
    """
    juror_ids = _unique(jurors, "juror")
    concept_ids = _unique(concepts, "concept")
    if k < 0:
        raise AssignmentInputError(f"k must be at least 0, not {k}")
    known_j, known_c = set(juror_ids), set(concept_ids)
    conflicted = {pair for pair in map(Pair._make, conflicts) if pair.juror in known_j and pair.concept in known_c}
    pinned = frozenset(map(Pair._make, fixed))
    for pair in sorted(pinned):
        if pair.juror not in known_j or pair.concept not in known_c:
            raise AssignmentInputError(f"fixed pair {tuple(pair)} names an unknown juror or concept")
        if pair in conflicted:
            raise AssignmentInputError(f"fixed pair {tuple(pair)} is conflicted")
    limits = _capacities(capacity, juror_ids)
    fixed_load = Counter(p.juror for p in pinned)
    fixed_count = Counter(p.concept for p in pinned)
    for j, cap in limits.items():
        if fixed_load[j] > cap:
            raise AssignmentInputError(f"juror {j} has {fixed_load[j]} fixed pairs, above their capacity {cap}")

    eligible = {c: [j for j in juror_ids if Pair(j, c) not in conflicted] for c in concept_ids}
    demand = {c: max(0, min(k, len(eligible[c])) - fixed_count[c]) for c in concept_ids}

    # Nodes: 0 source, 1 sink, then concepts and jurors in id order (so the result is order-free).
    net = _Network(2 + len(concept_ids) + len(juror_ids))
    source, sink = 0, 1
    c_node = {c: 2 + i for i, c in enumerate(concept_ids)}
    j_node = {j: 2 + len(concept_ids) + i for i, j in enumerate(juror_ids)}
    c_arc = {c: net.add_arc(source, c_node[c], demand[c]) for c in concept_ids}
    seat_arcs: dict[int, Pair] = {}
    free_degree = Counter[JurorId]()
    for c in concept_ids:
        if demand[c] == 0:
            continue  # nothing to fill: leaving it out keeps the searches small
        for j in eligible[c]:
            if Pair(j, c) not in pinned:
                seat_arcs[net.add_arc(c_node[c], j_node[j], 1)] = Pair(j, c)
                free_degree[j] += 1
    # What each juror can still take: their room under capacity, and never more than they may read.
    room = {j: min(limits[j] - fixed_load[j], free_degree[j]) if j in limits else free_degree[j]
            for j in juror_ids}
    j_arc = {j: net.add_arc(j_node[j], sink, 0) for j in juror_ids}

    def load(j: JurorId) -> int:
        return fixed_load[j] + net.flow(j_arc[j])

    # Phase 1: fill under a load limit U that rises only when seats stay open.
    wanted = sum(demand.values())
    if juror_ids:
        total = wanted + len(pinned)
        limit = -(-total // len(juror_ids))
        filled = 0
        while True:
            for j in juror_ids:
                net.cap[j_arc[j]] = max(0, min(room[j], limit - fixed_load[j])) - net.flow(j_arc[j])
            while (path := net.path(source, sink)) is not None:
                net.push(path)
                filled += 1
            if filled == wanted or all(limit - fixed_load[j] >= room[j] for j in juror_ids):
                break
            limit += 1
        # Phase 2 works on the real capacities, so that its stopping rule is the one in the proof.
        for j in juror_ids:
            net.cap[j_arc[j]] = room[j] - net.flow(j_arc[j])

    # Phase 2: move single seats from heavy to light jurors until no such move exists.
    while _level_once(net, juror_ids, j_node, j_arc, load, sink):
        pass

    pairs = frozenset(pinned | {pair for arc, pair in seat_arcs.items() if net.flow(arc)})
    loads = {j: load(j) for j in juror_ids}
    got = {c: fixed_count[c] + net.flow(c_arc[c]) for c in concept_ids}
    short = []
    for c in concept_ids:
        if got[c] < k:
            reason = ShortReason.CONFLICTS if got[c] >= len(eligible[c]) else ShortReason.CAPACITY
            short.append(Shortfall(c, k, got[c], len(eligible[c]), reason))
    return Assignment(pairs=pairs, loads=loads, report=_report(short, got, k, loads))


def check_assignment(pairs: Iterable[tuple[JurorId, ConceptId]], *, jurors: Iterable[JurorId],
                     concepts: Iterable[ConceptId], conflicts: Iterable[tuple[JurorId, ConceptId]] = (),
                     k: int | None = None, capacity: Mapping[JurorId, int] | None = None) -> AssignmentCheck:
    """Validate an assignment (conflicts, duplicates, unknown ids, capacities) and report loads.

    With k, concepts below k are reported as in `assign`; the balance report is about the
    assignment as given, not a promise that it cannot be improved.
    """
    return _check(list(pairs), (), jurors=jurors, concepts=concepts, conflicts=conflicts, k=k,
                  capacity=capacity)


def edit_assignment(current: Iterable[tuple[JurorId, ConceptId]], *,
                    add: Iterable[tuple[JurorId, ConceptId]] = (),
                    remove: Iterable[tuple[JurorId, ConceptId]] = (),
                    jurors: Iterable[JurorId], concepts: Iterable[ConceptId],
                    conflicts: Iterable[tuple[JurorId, ConceptId]] = (), k: int | None = None,
                    capacity: Mapping[JurorId, int] | None = None) -> AssignmentCheck:
    """Apply the chair's changes by hand (removals first) and check the result.

    Adding a pair already assigned is a DUPLICATE, removing one that is not is NOT_ASSIGNED;
    the checked `pairs` are the current ones with the changes applied, for the page to show back.
    """
    now = set(map(Pair._make, current))
    edit_issues: list[Issue] = []
    for pair in map(Pair._make, remove):
        if pair in now:
            now.discard(pair)
        else:
            edit_issues.append(Issue(IssueKind.NOT_ASSIGNED, pair.juror, pair.concept))
    added: list[Pair] = []
    for pair in map(Pair._make, add):
        if pair in now:
            edit_issues.append(Issue(IssueKind.DUPLICATE, pair.juror, pair.concept))
        else:
            added.append(pair)  # given twice in `add`: _check reports the second as DUPLICATE
    return _check([*sorted(now), *added], edit_issues, jurors=jurors, concepts=concepts,
                  conflicts=conflicts, k=k, capacity=capacity)


# ---------------------------------------------------------------- helpers


def _check(pairs: list[Pair], earlier: Iterable[Issue], *, jurors: Iterable[JurorId],
           concepts: Iterable[ConceptId], conflicts: Iterable[tuple[JurorId, ConceptId]],
           k: int | None, capacity: Mapping[JurorId, int] | None) -> AssignmentCheck:
    juror_ids = _unique(jurors, "juror")
    concept_ids = _unique(concepts, "concept")
    known_j, known_c = set(juror_ids), set(concept_ids)
    conflicted = set(map(Pair._make, conflicts))
    limits = _capacities(capacity, juror_ids)
    issues = list(earlier)
    seen: set[Pair] = set()
    for pair in map(Pair._make, pairs):
        if pair in seen:
            issues.append(Issue(IssueKind.DUPLICATE, pair.juror, pair.concept))
            continue
        seen.add(pair)
        if pair.juror not in known_j:
            issues.append(Issue(IssueKind.UNKNOWN_JUROR, pair.juror, pair.concept))
        if pair.concept not in known_c:
            issues.append(Issue(IssueKind.UNKNOWN_CONCEPT, pair.juror, pair.concept))
        if pair in conflicted:
            issues.append(Issue(IssueKind.CONFLICT, pair.juror, pair.concept))
    loads = {j: 0 for j in juror_ids}
    counts = {c: 0 for c in concept_ids}
    for pair in seen:
        if pair.juror in known_j and pair.concept in known_c:
            loads[pair.juror] += 1
            counts[pair.concept] += 1
    issues.extend(Issue(IssueKind.OVER_CAPACITY, j, None) for j in juror_ids
                  if j in limits and loads[j] > limits[j])
    short = []
    if k is not None:
        for c in concept_ids:
            if counts[c] >= k:
                continue
            can_read = [j for j in juror_ids if Pair(j, c) not in conflicted]
            waiting = [j for j in can_read if Pair(j, c) not in seen]
            if not waiting:
                reason = ShortReason.CONFLICTS
            elif all(j in limits and loads[j] >= limits[j] for j in waiting):
                reason = ShortReason.CAPACITY
            else:
                reason = ShortReason.UNFILLED
            short.append(Shortfall(c, k, counts[c], len(can_read), reason))
    return AssignmentCheck(pairs=frozenset(seen), issues=tuple(issues), loads=loads, counts=counts,
                           report=_report(short, counts, k, loads))


def _report(short: list[Shortfall], got: Mapping[ConceptId, int], k: int | None,
            loads: Mapping[JurorId, int]) -> Report:
    overfull = tuple(c for c, n in got.items() if k is not None and n > k)
    values = loads.values()
    return Report(short=tuple(short), overfull=overfull, min_load=min(values, default=0),
                  max_load=max(values, default=0))


def _unique(ids: Iterable[int], what: str) -> list[int]:
    listed = list(ids)
    ordered = sorted(set(listed))
    if len(ordered) != len(listed):
        raise AssignmentInputError(f"a {what} id is listed twice")
    return ordered


def _capacities(capacity: Mapping[JurorId, int] | None, juror_ids: list[JurorId]) -> dict[JurorId, int]:
    limits = {j: capacity[j] for j in juror_ids if capacity and j in capacity}
    for j, cap in limits.items():
        if cap < 0:
            raise AssignmentInputError(f"juror {j} has a negative capacity {cap}")
    return limits


def _level_once(net: _Network, juror_ids: list[JurorId], j_node: Mapping[JurorId, int],
                j_arc: Mapping[JurorId, int], load: Callable[[JurorId], int], sink: int) -> bool:
    """Make one phase-2 move, to the lightest juror that can take one; False when none can."""
    by_node = {j_node[j]: j for j in juror_ids}
    for b in sorted(juror_ids, key=lambda j: (load(j), j)):
        if net.cap[j_arc[b]] == 0:
            continue  # at capacity (or nothing left they may read)
        # Search backwards from b: parent[u] is the residual arc u -> v on the way to b.
        parent = {j_node[b]: -1}
        queue = deque([j_node[b]])
        while queue:
            v = queue.popleft()
            for back in net.adj[v]:
                arc = back ^ 1  # the arc pointing into v
                u = net.head[back]
                if u != sink and u not in parent and net.cap[arc] > 0:
                    parent[u] = arc
                    queue.append(u)
        givers = [by_node[u] for u in parent if u in by_node and net.flow(j_arc[by_node[u]]) > 0
                  and load(by_node[u]) >= load(b) + 2]
        if givers:
            a = min(givers, key=lambda j: (-load(j), j))
            path = [j_arc[a] ^ 1]  # sink -> a: a gives up one seat
            u = j_node[a]
            while parent[u] != -1:
                path.append(parent[u])
                u = net.head[parent[u]]
            path.append(j_arc[b])  # b -> sink: b takes one more
            net.push(path)
            return True
    return False


class _Network:
    """A residual graph with integer capacities; arc a and arc a ^ 1 are each other's reverse."""

    def __init__(self, nodes: int) -> None:
        self.adj: list[list[int]] = [[] for _ in range(nodes)]
        self.head: list[int] = []
        self.cap: list[int] = []

    def add_arc(self, u: int, v: int, cap: int) -> int:
        for a, b, c in ((u, v, cap), (v, u, 0)):
            self.adj[a].append(len(self.head))
            self.head.append(b)
            self.cap.append(c)
        return len(self.head) - 2

    def flow(self, arc: int) -> int:
        return self.cap[arc ^ 1]

    def push(self, arcs: list[int]) -> None:
        for arc in arcs:
            self.cap[arc] -= 1
            self.cap[arc ^ 1] += 1

    def path(self, source: int, sink: int) -> list[int] | None:
        """A shortest source -> sink path of residual arcs (Edmonds-Karp), or None."""
        parent = {source: -1}
        queue = deque([source])
        while queue:
            v = queue.popleft()
            for arc in self.adj[v]:
                u = self.head[arc]
                if u not in parent and self.cap[arc] > 0:
                    parent[u] = arc
                    if u == sink:
                        arcs = []
                        while parent[u] != -1:
                            arcs.append(parent[u])
                            u = self.head[parent[u] ^ 1]
                        return arcs[::-1]
                    queue.append(u)
        return None
