"""PS3.15 Table E.1-1 resolved for one policy.

The generated ``_ps315`` module holds the standard's rows; this module turns
them, for a given set of options and overrides, into one action code per tag.
Options are applied in the order of the table's columns, then the recipe's
per-attribute overrides; a later code replaces an earlier one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pydicom.datadict import keyword_for_tag, tag_for_keyword

from medanon.core.enum import ActionCode, Option
from medanon.core.policy import Policy
from medanon.dicom import _ps315

# Combined codes collapse to the least destructive choice that keeps an IOD
# valid whatever the attribute's Type (PS3.15 E.1-1a): medanon does not carry
# PS3.3's module tables, so it cannot tell Type 3 from Type 1 and never risks
# removing a Type 1 attribute.
COLLAPSE = {
    ActionCode.ZERO_OR_DUMMY: ActionCode.DUMMY,
    ActionCode.REMOVE_OR_ZERO: ActionCode.ZERO,
    ActionCode.REMOVE_OR_DUMMY: ActionCode.DUMMY,
    ActionCode.REMOVE_OR_ZERO_OR_DUMMY: ActionCode.DUMMY,
    ActionCode.REMOVE_OR_ZERO_OR_UID: ActionCode.UID,
}


@dataclass(frozen=True)
class Rule:
    """One row of Table E.1-1 after options and overrides: the code to apply and why."""

    code: ActionCode
    basic: ActionCode
    reason: str


@dataclass(frozen=True)
class ResolvedTable:
    """Exact-tag rules plus the three pattern rows (curves, overlays, private)."""

    exact: dict[int, Rule]
    curve: Rule
    overlay_data: Rule
    overlay_comments: Rule
    private: Rule

    def rule_for(self, tag: int) -> Rule | None:
        rule = self.exact.get(int(tag))  # int(): pydicom's BaseTag compares equal in Python, slowly
        if rule is not None:
            return rule
        group = tag >> 16
        if group & 1:
            return self.private
        if 0x5000 <= group <= 0x50FF:
            return self.curve
        if 0x6000 <= group <= 0x60FF:
            element = tag & 0xFFFF
            if element == 0x3000:
                return self.overlay_data
            if element == 0x4000:
                return self.overlay_comments
        return None


def _resolve_row(row: dict, options: frozenset[Option], overrides: dict[str, ActionCode], keyword: str) -> Rule:
    basic = ActionCode(row["basic"])
    code, why = basic, "Basic Profile"
    for column in _ps315.OPTION_COLUMNS:
        option_code = row["options"].get(column)
        if option_code and Option(column) in options:
            code, why = ActionCode(option_code), f"option {column}"
    if keyword and keyword in overrides:
        code, why = overrides[keyword], "profile override"
    return Rule(code=code, basic=basic, reason=f"PS3.15 E.1-1 {row['name']}: {why}")


@lru_cache(maxsize=16)
def _resolve(options: frozenset[Option], overrides_items: tuple[tuple[str, ActionCode], ...]) -> ResolvedTable:
    overrides = dict(overrides_items)
    exact: dict[int, Rule] = {}
    patterns: dict[str, Rule] = {}
    for row in _ps315.ATTRIBUTES:
        tag = str(row["tag"])
        if tag == "private" or "x" in tag:
            patterns[tag] = _resolve_row(row, options, overrides, "")
            continue
        value = int(tag, 16)
        exact[value] = _resolve_row(row, options, overrides, keyword_for_tag(value))
    # Overrides may also name attributes the table does not list (e.g. TextValue).
    for keyword, code in overrides.items():
        listed = tag_for_keyword(keyword)
        if listed is not None and listed not in exact:
            exact[listed] = Rule(code=code, basic=ActionCode.REMOVE, reason=f"profile override for {keyword}")
    return ResolvedTable(
        exact=exact,
        curve=patterns["50xxxxxx"],
        overlay_data=patterns["60xx3000"],
        overlay_comments=patterns["60xx4000"],
        private=patterns["private"],
    )


def resolve(policy: Policy) -> ResolvedTable:
    """The table for ``policy``; cached, so resolving once per file costs nothing."""
    return _resolve(policy.options, tuple(sorted(policy.overrides.items())))


@lru_cache(maxsize=1)
def safe_private() -> frozenset[tuple[int, str, int]]:
    """Table E.3.10-1 as (group, private creator, element low byte) triples."""
    return frozenset(
        (int(row["group"], 16), row["creator"].strip().upper(), int(row["element"], 16))
        for row in _ps315.SAFE_PRIVATE
    )
