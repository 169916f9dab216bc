"""Tests of the scrubber rules of the third recall round (issue 4, branch issue-4-c).

Every text is invented here; each test checks one behaviour.
"""

from __future__ import annotations

from medanon.text import Kind, find_spans


def located(text: str) -> set[str]:
    """Every word of the spans the scrubber found as a place."""
    return {word for s in find_spans(text) if s.kind is Kind.LOCATION for word in text[s.start : s.end].split()}


# --- places of several words and saints' hospitals in lower case ----------------------------------


def test_place_of_several_words_in_lower_case_after_a_preposition() -> None:
    assert {"san", "diego"} <= located("daughter flew in from san diego last night.")


def test_place_phrase_of_ordinary_words_in_lower_case_is_kept() -> None:
    assert located("pt in good spirits, up in chair.") == set()


def test_saint_and_a_first_name_in_lower_case_after_a_preposition() -> None:
    assert {"st", "agnes"} <= located("pt went to st agnes for a cath last year.")


def test_st_before_a_finding_is_the_st_segment() -> None:
    assert located("new st depression in v4-6, st elevation resolved.") == set()


# --- more date forms ----------------------------------------------------------------------------


def dates(text: str) -> set[str]:
    return {text[s.start : s.end] for s in find_spans(text) if s.kind is Kind.DATE}


def test_month_day_with_an_ordinal_is_a_date() -> None:
    assert dates("pt fell at home on 11/20th, brought in by EMS") == {"11/20th"}


def test_month_day_after_a_weekday_is_a_date_not_a_fraction() -> None:
    assert dates("cxr tues 3/4 unchanged") == {"3/4"}


def test_short_month_name_after_a_word_of_time_is_a_date() -> None:
    assert dates("pt well until early Nov, seen in Feb.") == {"Nov", "Feb"}


def test_short_month_names_that_are_words_stay() -> None:
    assert dates("hgb dec since am, may need augmentin in am") == set()


# --- places after a facility word and at/in ---------------------------------------------------


def test_unknown_word_after_rehab_at_names_the_facility_in_capitals() -> None:
    assert "QUORVALE" in located("PLAN: WILL GO TO REHAB AT QUORVALE TOMORROW.")


def test_ordinary_words_after_a_facility_and_at_stay() -> None:
    assert located("no rehab at this time, dialysis in am, hospital at night") == set()
