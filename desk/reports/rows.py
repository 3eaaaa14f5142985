"""The rows of a report: places (countries, their workplaces) and problems, pooled when small.

A row's very presence says that some case named it, so a workplace, a country or a problem gets
a row of its own only when at least k cases of the report name it; the others are pooled into
one row ("other or not named"), which is then suppressed like any other count. Rows are
ordered by name, never by count: an order by size would rank hidden counts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from desk.reports.facts import CaseFacts

COUNTRY_POOL: Final = "country-pool"
WORKPLACE_POOL: Final = "workplace-pool"
CATEGORY_POOL: Final = "category-pool"


@dataclass
class Place:
    """A node of the place tree: the whole report, a country, a workplace or a pool of them."""

    key: str
    kind: str
    """`total`, `country`, `country-pool`, `workplace` or `workplace-pool`."""
    label: str
    """The name as the reports found it (English); empty for the total and the pools."""
    children: list[Place] = field(default_factory=list)

    def walk(self) -> Iterable[Place]:
        """This node and every node below it, parents first."""
        yield self
        for child in self.children:
            yield from child.walk()


def place_tree(facts: Sequence[CaseFacts], k: int) -> tuple[Place, dict[int, tuple[str, ...]]]:
    """The tree of places and, for each case (by index), the keys of its places, root first."""
    root = Place("total", "total", "")
    by_country: dict[str, list[int]] = defaultdict(list)
    for index, fact in enumerate(facts):
        by_country[fact.country].append(index)
    paths: dict[int, tuple[str, ...]] = {}
    kept = sorted(
        (code for code, members in by_country.items() if code and len(members) >= k),
        key=lambda code: (_name(facts, by_country[code], "country").casefold(), code),
    )
    for code in kept:
        members = by_country[code]
        country = Place(f"country:{code}", "country", _name(facts, members, "country"))
        root.children.append(country)
        by_site: dict[str, list[int]] = defaultdict(list)
        for index in members:
            by_site[facts[index].workplace].append(index)
        sites = sorted(
            (site for site, group in by_site.items() if site and len(group) >= k),
            key=lambda site: (_name(facts, by_site[site], "workplace").casefold(), site),
        )
        children: list[Place] = []
        pooled = [i for site, group in by_site.items() if site not in sites for i in group]
        for site in sites:
            children.append(
                Place(
                    f"workplace:{code}:{site}",
                    "workplace",
                    _name(facts, by_site[site], "workplace"),
                )
            )
            for index in by_site[site]:
                paths[index] = (root.key, country.key, children[-1].key)
        if pooled:
            children.append(Place(f"{WORKPLACE_POOL}:{code}", WORKPLACE_POOL, ""))
            for index in pooled:
                paths[index] = (root.key, country.key, children[-1].key)
        if len(children) > 1:
            country.children = children
        else:  # one row below would repeat the country's own numbers
            for index in members:
                paths[index] = (root.key, country.key)
    rest = [i for code, members in by_country.items() if code not in kept for i in members]
    # An empty report still has a row (of zero, hidden): no rows at all would say "none".
    if rest or not root.children:
        root.children.append(Place(COUNTRY_POOL, COUNTRY_POOL, ""))
        for index in rest:
            paths[index] = (root.key, COUNTRY_POOL)
    return root, paths


def _name(facts: Sequence[CaseFacts], members: Iterable[int], what: str) -> str:
    """The name most cases give (names can differ between questionnaire versions)."""
    names = Counter(
        facts[i].country_name if what == "country" else facts[i].workplace_name for i in members
    )
    return min(names.items(), key=lambda item: (-item[1], item[0]))[0] if names else ""


@dataclass(frozen=True)
class Problem:
    """A row of the problems table: one problem, or the pool of the rarely named ones."""

    key: str
    kind: str
    """`category` or `category-pool`."""
    label: str


def problem_rows(
    facts: Sequence[CaseFacts], k: int
) -> tuple[list[Problem], dict[int, tuple[str, ...]]]:
    """The problem rows and, for each case (by index), the rows it counts in.

    A case may name several problems and counts once in each; a case that names a pooled
    problem, or none, counts (once) in the pool: every case is in at least one row.
    """
    named: dict[str, list[int]] = defaultdict(list)
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    for index, fact in enumerate(facts):
        for option, label in zip(fact.categories, fact.category_names, strict=True):
            named[option].append(index)
            labels[option][label] += 1
    label_of = {
        option: min(counter.items(), key=lambda item: (-item[1], item[0]))[0]
        for option, counter in labels.items()
    }
    kept = sorted(
        (option for option, members in named.items() if len(members) >= k),
        key=lambda option: (label_of[option].casefold(), option),
    )
    rows = [Problem(f"category:{option}", "category", label_of[option]) for option in kept]
    membership: dict[int, tuple[str, ...]] = {}
    pooled = False
    for index, fact in enumerate(facts):
        own = [f"category:{option}" for option in fact.categories if option in kept]
        if len(own) < len(fact.categories) or not fact.categories:
            own.append(CATEGORY_POOL)
            pooled = True
        membership[index] = tuple(own)
    if pooled or not rows:
        rows.append(Problem(CATEGORY_POOL, CATEGORY_POOL, ""))
    return rows, membership
