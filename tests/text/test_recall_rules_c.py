"""Tests of the scrubber rules of the third recall round (issue 4, branch issue-4-c).

Every text is invented here; each test checks one behaviour.
"""

from __future__ import annotations

from medanon.text import Kind, find_spans


def kinds(text: str) -> dict[str, Kind]:
    """Found span text -> kind."""
    return {text[s.start : s.end]: s.kind for s in find_spans(text)}


def located(text: str) -> set[str]:
    """Every word of the spans the scrubber found as a place or employer."""
    return {word for s in find_spans(text) if s.kind is Kind.LOCATION for word in text[s.start : s.end].split()}


# --- two-digit years beside an MI written with its site -------------------------------------------


def test_two_digit_year_after_a_non_q_wave_mi_is_a_date() -> None:
    assert kinds("PMH: CAD, NQWMI 11. HTN.").get("11") is Kind.DATE


def test_two_digit_year_after_an_anteroseptal_mi_is_a_date() -> None:
    assert kinds("Hx ASMI 04, on aspirin").get("04") is Kind.DATE


def test_duration_after_an_mi_with_its_site_is_not_a_year() -> None:
    assert "12" not in kinds("IWMI 12 hours ago, cath today")


# --- employers after a work cue in ALL-CAPS notes ----------------------------------------------


def test_unknown_word_after_ceo_of_in_capitals_is_an_employer() -> None:
    assert "QUORVEX" in located("PT RETIRED. WIFE CEO OF QUORVEX. NONSMOKER.")


def test_ordinary_words_after_a_work_cue_in_capitals_stay() -> None:
    assert located("HUSBAND WORKS AT HOME. DAUGHTER RETIRED FROM NURSING.") == set()


# --- hospitals named before Memorial -----------------------------------------------------------


def test_ordinary_words_in_brackets_before_memorial_name_the_hospital() -> None:
    assert {"quiet", "harbor", "Memorial"} <= located("Plan: to rehab(quiet harbor Memorial) tomorrow.")


def test_words_after_a_preposition_before_memorial_name_the_hospital() -> None:
    assert {"silver", "birch", "memorial"} <= located("Husband is at the silver birch memorial today.")


def test_memorial_after_a_possessive_or_before_day_is_no_hospital() -> None:
    found = located("Family at her memorial service. Off on Memorial Day, back after the holiday.")
    assert found == set()


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
