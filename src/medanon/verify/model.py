"""Typed records of the residual scan: what to look for, never what was found.

An :class:`Identifier` holds search forms of an original value and where the
value came from (a tag path), so that findings can name the source without
repeating the value. These records live in memory only, for the duration of
one item; they are never written to a report or a log.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from medanon.core.errors import PolicyError
from medanon.verify._keywords import CATEGORIES
from medanon.verify._matcher import Matcher


@dataclass(frozen=True)
class Identifier:
    """One identifying value of the input: its category, its tag path and its search forms.

    Raises
    ------
    ValueError
        If the category is unknown, there is no form, or a form is not lower case
        (the scan lower-cases the output, so an upper-case form could never match).
    """

    category: str
    source: str
    forms: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown identifier category {self.category!r}")
        if not self.forms:
            raise ValueError(f"identifier from {self.source} has no forms")
        if any(form != form.lower() or not form for form in self.forms):
            raise ValueError(f"identifier from {self.source} has an empty or non-lower-case form")


@dataclass(frozen=True)
class Identifiers:
    """Every identifier of one input, with the compiled search cached per retained-category set."""

    items: tuple[Identifier, ...] = ()
    _matchers: dict[frozenset[str], Matcher] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __iter__(self) -> Iterator[Identifier]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def categories(self) -> frozenset[str]:
        """The categories present, e.g. to report what a scan covered."""
        return frozenset(item.category for item in self.items)

    def matcher(self, retained: frozenset[str] = frozenset()) -> Matcher:
        """The compiled search for every identifier whose category is not *retained*.

        Compiled once per *retained* set and kept: a series scans hundreds of
        files against the same identifiers.

        Raises
        ------
        PolicyError
            If *retained* names a category that does not exist (a typo would
            otherwise silently switch a search off).
        """
        retained = frozenset(retained)
        unknown = retained - CATEGORIES
        if unknown:
            raise PolicyError(f"unknown retained categories {sorted(unknown)}; known: {sorted(CATEGORIES)}")
        matcher = self._matchers.get(retained)
        if matcher is None:
            matcher = Matcher(item for item in self.items if item.category not in retained)
            self._matchers[retained] = matcher
        return matcher
