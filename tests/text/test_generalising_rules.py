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
    found = kinds("History: DM2, CABG 97, IMI 03. On a statin.")
    assert found.get("97") is Kind.DATE and found.get("03") is Kind.DATE


def test_two_digit_year_before_a_past_event_is_a_date() -> None:
    assert kinds("s/p 06 PTCA, on aspirin").get("06") is Kind.DATE


def test_count_or_duration_after_an_event_is_not_a_year() -> None:
    found = kinds("s/p CABG x3, TIA 2 weeks ago, MI 12 hours ago, stent 30 mm")
    assert not any(kind is Kind.DATE for kind in found.values())


def test_vital_sign_before_an_event_word_is_not_a_year() -> None:
    assert "88" not in kinds("HR 88 MI ruled out")


# --- days that continue a date ---------------------------------------------------------------


def test_second_day_of_a_range_after_a_month_day() -> None:
    assert kinds("Seen 11/20-21 by the team.").get("21") is Kind.DATE


def test_second_day_after_a_month_name_and_and() -> None:
    assert kinds("Visits on Nov 20 and 21 went well.").get("21") is Kind.DATE


def test_a_dose_after_a_date_and_and_is_not_a_day() -> None:
    assert "2" not in kinds("on 11/20 and 2 mg given")


def test_month_day_before_another_date_is_a_date_not_a_fraction() -> None:
    assert kinds("cxr 3/4 and 3/6 clear").get("3/4") is Kind.DATE


# --- places and employers after residence and work cues ----------------------------------------


def test_ordinary_capitalised_word_after_lives_in_is_a_place() -> None:
    assert kinds("Pt lives in Harbourview with her wife.").get("Harbourview") is Kind.LOCATION
    assert kinds("Pt lives in Marina with her wife.").get("Marina") is Kind.LOCATION


def test_employer_after_works_at_is_taken_whole() -> None:
    assert kinds("Wife works at Copper Kettle Bakery.").get("Copper Kettle Bakery") is Kind.LOCATION


def test_employer_after_employed_by() -> None:
    assert kinds("Son is employed by Northfield Logistics.").get("Northfield Logistics") is Kind.LOCATION


def test_place_cue_stops_at_the_end_of_the_sentence() -> None:
    found = kinds("Her brother is CEO of Quorvex. He visits daily.")
    assert found.get("Quorvex") is Kind.LOCATION and "He" not in " ".join(found)


def test_care_unit_after_a_move_cue_is_not_a_place() -> None:
    assert kinds("Pt moved to CT then back to ICU.") == {}


# --- medical words are not lone names ----------------------------------------------------------


def test_a_drug_that_is_also_a_rare_name_is_kept_when_alone() -> None:
    from medanon.text._lexicon import CONTEXT_NAMES, FIRST_NAMES, LAST_NAMES

    assert "senna" in CONTEXT_NAMES and "senna" not in FIRST_NAMES | LAST_NAMES
    assert "SENNA" not in kinds("GAVE SENNA 2 TABS AT HS FOR CONSTIPATION.")


def test_a_frequent_name_stays_a_lone_name_though_a_medical_word() -> None:
    assert kinds("Seen by Brady Okonkwo today.").get("Brady Okonkwo") is Kind.NAME


# --- more date forms ---------------------------------------------------------------------------


def test_holidays_are_dates() -> None:
    found = kinds("Home for Thanksgiving, back after New Year's Day.")
    assert found.get("Thanksgiving") is Kind.DATE and found.get("New Year's Day") is Kind.DATE


def test_weekday_and_ordinal_day() -> None:
    assert kinds("Family visiting Sat 14th.").get("14th") is Kind.DATE


def test_day_after_a_date_and_a_comma_without_space() -> None:
    assert kinds("cultures 11/20,21 negative").get("21") is Kind.DATE


def test_count_after_a_date_a_comma_and_a_space_is_not_a_day() -> None:
    assert "2" not in kinds("on 11/20, 2 units given")


def test_place_that_is_an_ordinary_word_after_lives_in_in_any_case() -> None:
    assert kinds("she lives in marina with her son").get("marina") is Kind.LOCATION
    assert kinds("LIVES IN MARINA WITH SON").get("MARINA") is Kind.LOCATION


def test_ordinary_word_after_lives_in_that_is_no_place_is_kept() -> None:
    assert kinds("lives in house with son") == {}


# --- places of several words, institutions written in lower case -------------------------------


def test_place_phrases_are_whole_phrases() -> None:
    from medanon.text._lexicon import PLACE_PHRASES

    assert "new york" in PLACE_PHRASES and "san jose" in PLACE_PHRASES
    assert all(" " in phrase for phrase in PLACE_PHRASES)


def test_capitalised_place_of_two_words_is_found() -> None:
    assert kinds("Daughter flew in from San Jose today.").get("San Jose") is Kind.LOCATION


def test_lower_case_name_before_a_hospital_word_after_from() -> None:
    assert kinds("pt transferred from fenwick general hospital today.").get("fenwick general") is Kind.LOCATION
    assert kinds("plan: d/c to oakmont rehab tomorrow").get("oakmont") is Kind.LOCATION


def test_clinical_word_before_a_hospital_word_is_kept() -> None:
    assert kinds("will go to pulmonary rehab, then back to the hospital") == {}


# --- more name context --------------------------------------------------------------------------


def test_name_after_a_relative_in_law() -> None:
    assert kinds("daughter-in-law Sue here with pt").get("Sue") is Kind.NAME


def test_name_after_a_role_and_a_colon() -> None:
    assert kinds("MD: Okonkwo. Plan unchanged.").get("Okonkwo") is Kind.NAME


def test_flow_after_a_role_and_a_colon_is_not_a_name() -> None:
    assert kinds("NP: 2L, sats 95%") == {}



# --- typos in dates --------------------------------------------------------------------------------


def test_date_typed_with_a_full_stop_for_its_second_slash() -> None:
    assert kinds("admitted 10/17.93 with chest pain").get("10/17.93") is Kind.DATE


def test_ventilator_setting_with_a_decimal_is_not_a_date() -> None:
    assert kinds("PS 10/5.50 overnight") == {}
