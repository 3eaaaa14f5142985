"""Small-cell suppression over a set of linked tables, checked by exact linear algebra.

The tables of a report are given as one linear system: every published count is a variable,
every "this total is the sum of those parts" is a constraint (a row of +1/-1 coefficients that
sums to zero). A reader holds the shown values and the constraints; a hidden variable is
*determined* when the constraints and the shown values leave it only one possible value. The
suppression hides every count below k, then hides more (the smallest shown count in a line of
a determined cell) until no hidden variable is determined. See the package docstring.

Determination is decided by Gaussian elimination over the hidden variables only, modulo the
prime 2**61 - 1: a hidden variable is determined exactly when it is a pivot whose row in the
reduced echelon form has no other entry. For the matrices of sums that tables give (entries
0 and +-1), working modulo so large a prime gives the rank over the rationals; the tests check
the outcome again with exact fractions.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

PRIME: Final = (1 << 61) - 1

Key = Hashable


@dataclass
class Variable:
    """One count of a release: its value and how it may be hidden."""

    key: Key
    value: int
    published: bool = True
    """False for a sum no table shows (e.g. mentions of every problem in a month): it is never
    shown, but the constraints that contain it still hold."""
    follows: Key | None = None
    """For an unpublished sum that the reader is assumed to know exactly when `follows` is
    shown: hidden exactly when that variable is."""
    hidden_with: tuple[Key, ...] = ()
    """Published variables that, when hidden, hide this one too."""


@dataclass
class Release:
    """Every count of one report and the sums that tie them (tables share their totals)."""

    variables: dict[Key, Variable] = field(default_factory=dict)
    constraints: list[dict[Key, int]] = field(default_factory=list)
    _seen: set[frozenset[tuple[Key, int]]] = field(default_factory=set, repr=False)

    def add(self, variable: Variable) -> None:
        """A variable; the first one added under a key wins (tables share totals)."""
        self.variables.setdefault(variable.key, variable)

    def total(self, whole: Key, parts: Iterable[Key]) -> None:
        """The constraint `whole = sum(parts)` (added once, however many tables hold it)."""
        row: dict[Key, int] = {}
        for part in parts:
            row[part] = row.get(part, 0) + 1
        row[whole] = row.get(whole, 0) - 1
        row = {key: coefficient for key, coefficient in row.items() if coefficient}
        signature = frozenset(row.items())
        if row and signature not in self._seen:
            self._seen.add(signature)
            self.constraints.append(row)


def determined(constraints: Sequence[Mapping[Key, int]], hidden: Iterable[Key]) -> set[Key]:
    """The hidden variables whose value the constraints and the shown values fix.

    Only the hidden variables are unknowns: a shown value moves to the right-hand side, which
    does not change which unknowns are fixed.
    """
    unknown = set(hidden)
    order = {key: index for index, key in enumerate(sorted(unknown, key=repr))}
    rows = []
    for constraint in constraints:
        row = {order[key]: c % PRIME for key, c in constraint.items() if key in unknown}
        if row:
            rows.append(row)
    basis: dict[int, dict[int, int]] = {}
    """Pivot column -> its row, pivot entry 1, zero in every other pivot column."""
    holders: dict[int, set[int]] = {}
    """Non-pivot column -> the pivots whose rows have an entry there."""
    for row in rows:
        for pivot in [column for column in row if column in basis]:
            factor = row.get(pivot)
            if factor:
                _subtract(row, basis[pivot], factor)
        if not row:
            continue
        pivot = min(row, key=lambda column: (len(holders.get(column, ())), column))
        inverse = pow(row[pivot], PRIME - 2, PRIME)
        new = {column: value * inverse % PRIME for column, value in row.items()}
        for other in list(holders.pop(pivot, ())):
            changed = basis[other]
            before = set(changed)
            _subtract(changed, new, changed[pivot])
            for column in before - set(changed):
                holders.get(column, set()).discard(other)
            for column in set(changed) - before:
                holders.setdefault(column, set()).add(other)
        basis[pivot] = new
        for column in new:
            if column != pivot:
                holders.setdefault(column, set()).add(pivot)
    keys = {index: key for key, index in order.items()}
    return {keys[pivot] for pivot, row in basis.items() if len(row) == 1}


def _subtract(row: dict[int, int], other: Mapping[int, int], factor: int) -> None:
    """row -= factor * other (mod PRIME), dropping the entries that become zero."""
    for column, value in other.items():
        updated = (row.get(column, 0) - factor * value) % PRIME
        if updated:
            row[column] = updated
        else:
            row.pop(column, None)


def suppress(release: Release, k: int) -> frozenset[Key]:
    """The variables to hide so that every shown count is at least k and no hidden one is
    determined by the shown ones; unpublished variables are always among them."""
    if k < 2:
        raise ValueError("k must be at least 2: a count of one would identify a worker")
    variables = release.variables
    rank = {key: index for index, key in enumerate(variables)}
    lines: dict[Key, list[int]] = {}
    for index, constraint in enumerate(release.constraints):
        for key in constraint:
            lines.setdefault(key, []).append(index)
    hidden = {
        key
        for key, variable in variables.items()
        if (variable.value < k if variable.published else variable.follows is None)
    }
    _close(variables, hidden)
    search = _Search(release, variables, lines, rank)
    # The classic rule first, cheaply: a line whose only hidden count is a published one gets
    # the next-smallest count of that line hidden too.
    while chosen := {
        target
        for constraint in release.constraints
        if len(alone := [key for key in constraint if key in hidden]) == 1
        and variables[alone[0]].published
        and (target := search.smallest([constraint], hidden)) is not None
    }:
        hidden |= chosen
        _close(variables, hidden)
    # Then exactly: while a hidden count is still determined (through several lines, tables
    # or a parent total), hide the smallest nearby count that frees it.
    settled: set[Key] = set()
    """Determined counts that nothing more can free (a sum fixed by structure alone)."""
    while True:
        stuck = [
            key
            for key in determined(release.constraints, hidden) - settled
            if variables[key].published
        ]
        if not stuck:
            return frozenset(hidden)
        key = min(stuck, key=search.order)
        target = search.freeing(key, hidden)
        if target is None:
            settled.add(key)
            continue
        hidden.add(target)
        _close(variables, hidden)


@dataclass
class _Search:
    """Where to find the next count to hide."""

    release: Release
    variables: Mapping[Key, Variable]
    lines: Mapping[Key, list[int]]
    rank: Mapping[Key, int]
    tries: int = 12
    """Nearby counts tried, smallest first, before settling for the smallest."""

    def hideable(self, candidate: Key, hidden: set[Key]) -> Key | None:
        """What hiding `candidate` means: itself, or the count it follows; None if hidden."""
        variable = self.variables[candidate]
        if candidate in hidden:
            return None
        if not variable.published:
            leader = variable.follows
            return leader if leader is not None and leader not in hidden else None
        return candidate

    def order(self, key: Key) -> tuple[int, int, int]:
        """Smallest first; among equals, the one in fewer lines (a cell before a total: hiding
        a grand total would ask for a second hidden count in every line it closes)."""
        return (self.variables[key].value, len(self.lines.get(key, ())), self.rank[key])

    def smallest(self, constraints: Iterable[Mapping[Key, int]], hidden: set[Key]) -> Key | None:
        """The smallest shown count in these lines."""
        found = {
            target
            for constraint in constraints
            for candidate in constraint
            if (target := self.hideable(candidate, hidden)) is not None
        }
        return min(found, key=self.order) if found else None

    def nearby(self, key: Key, hidden: set[Key]) -> list[Key]:
        """Shown counts in the lines of `key`, then in the lines of those lines' counts, and
        so on outwards: each ring smallest first."""
        out: list[Key] = []
        reached, frontier = {key}, [key]
        while frontier:
            ring: set[Key] = set()
            ahead: list[Key] = []
            for current in frontier:
                for index in self.lines.get(current, []):
                    for other in self.release.constraints[index]:
                        if other in reached:
                            continue
                        reached.add(other)
                        ahead.append(other)
                        target = self.hideable(other, hidden)
                        if target is not None:
                            ring.add(target)
            out.extend(sorted(ring - set(out), key=self.order))
            if len(out) >= self.tries:
                break
            frontier = ahead
        return out

    def freeing(self, key: Key, hidden: set[Key]) -> Key | None:
        """The first nearby count whose hiding leaves `key` undetermined, else the smallest."""
        candidates = self.nearby(key, hidden)
        for candidate in candidates[: self.tries]:
            trial = hidden | {candidate}
            _close(self.variables, trial)
            if key not in determined(self.release.constraints, trial):
                return candidate
        return candidates[0] if candidates else None


def _close(variables: Mapping[Key, Variable], hidden: set[Key]) -> None:
    """Hide what follows the hidden variables (until nothing changes)."""
    changed = True
    while changed:
        changed = False
        for key, variable in variables.items():
            if key in hidden:
                continue
            if (variable.follows is not None and variable.follows in hidden) or any(
                leader in hidden for leader in variable.hidden_with
            ):
                hidden.add(key)
                changed = True


def suppress_table(cells: Sequence[Sequence[int]], k: int) -> list[list[bool]]:
    """Which numbers of a plain table to hide: its cells, with a row total at the end of each
    row and a totals row below (the grand total last). True means hidden.

    The same algorithm as a whole report, for one table on its own.
    """
    height, width = len(cells), len(cells[0]) if cells else 0
    release = Release()
    for r in range(height):
        for c in range(width):
            release.add(Variable((r, c), int(cells[r][c])))
    for r in range(height):
        release.add(Variable((r, width), sum(int(v) for v in cells[r])))
    for c in range(width + 1):
        release.add(Variable((height, c), sum(int(row[c]) for row in cells) if c < width else 0))
    release.variables[(height, width)].value = sum(int(v) for row in cells for v in row)
    for r in range(height + 1):
        release.total((r, width), [(r, c) for c in range(width)])
    for c in range(width + 1):
        release.total((height, c), [(r, c) for r in range(height)])
    hidden = suppress(release, k)
    return [[(r, c) in hidden for c in range(width + 1)] for r in range(height + 1)]
