"""Tests of the scrubber rules of the second recall round (issue 4, branch issue-4-b).

Every text is invented here; each test checks one behaviour.
"""

from __future__ import annotations

from medanon.text import Kind, find_spans


def kinds(text: str) -> dict[str, Kind]:
    """Found span text -> kind."""
    return {text[s.start : s.end]: s.kind for s in find_spans(text)}


# --- two-digit years beside a past event ------------------------------------------------------


def test_two_digit_year_after_a_past_event_is_a_date() -> None:
    found = kinds("PMH: HTN, CABG 97, IMI 03. EF 40%.")
    assert found.get("97") is Kind.DATE and found.get("03") is Kind.DATE


def test_two_digit_year_before_a_past_event_is_a_date() -> None:
    assert kinds("s/p 06 PTCA, on aspirin").get("06") is Kind.DATE


def test_count_or_duration_after_an_event_is_not_a_year() -> None:
    found = kinds("s/p CABG x3, TIA 2 weeks ago, MI 12 hours ago, stent 30 mm")
    assert not any(kind is Kind.DATE for kind in found.values())


def test_vital_sign_before_an_event_word_is_not_a_year() -> None:
    assert "88" not in kinds("HR 88 MI ruled out")
