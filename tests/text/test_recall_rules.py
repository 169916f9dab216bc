"""Tests of the scrubber rules added to raise recall: Census names in context, signatures, years.

Every text is written here; each test checks one behaviour.
"""

from __future__ import annotations

from medanon.text import Kind, find_spans
from medanon.text._lexicon import COMMON_NAMES, CONTEXT_NAMES, LAST_NAMES


def kinds(text: str) -> dict[str, Kind]:
    """Found span text -> kind."""
    return {text[s.start : s.end]: s.kind for s in find_spans(text)}


def found_words(text: str) -> set[str]:
    """Every word that lies in a found span."""
    words: set[str] = set()
    for span in find_spans(text):
        words.update(text[span.start : span.end].replace(",", " ").replace(".", " ").split())
    return words


# --- Census name lists ------------------------------------------------------------------------


def test_census_surnames_reach_the_lone_name_lexicon() -> None:
    assert "prewitt" in LAST_NAMES  # a frequent US Census surname absent from Faker's en_US list


def test_rare_census_surnames_are_kept_for_context_only() -> None:
    assert "kuchler" in CONTEXT_NAMES and "kuchler" not in LAST_NAMES


def test_frequent_names_that_are_ordinary_words_are_common_names() -> None:
    assert {"brown", "joy"} <= COMMON_NAMES


def test_ordinary_surname_after_lower_case_dr_is_a_name() -> None:
    assert kinds("sats 95%, dr brown aware of the change").get("brown") is Kind.NAME


def test_ordinary_surname_after_a_role_is_a_name() -> None:
    assert kinds("ORDER CHECKED WITH MD FIELDS BEFORE GIVING.").get("FIELDS") is Kind.NAME


def test_common_first_name_after_a_relative_in_lower_case_is_a_name() -> None:
    assert kinds("social: daughter joy lives close by").get("joy") is Kind.NAME


def test_verb_after_a_relative_is_not_a_name() -> None:
    assert "will" not in found_words("son will visit tomorrow morning")


def test_rare_census_surname_after_a_title_is_a_name() -> None:
    assert kinds("will discuss with Dr. kuchler today").get("kuchler") is Kind.NAME


def test_drs_with_an_apostrophe_is_a_title() -> None:
    assert "KOWALCZYK" in found_words("DR'S KOWALCZYK AND OKAFOR AT BEDSIDE.")


# --- signatures and coordinated names -------------------------------------------------------------


def test_lower_case_signature_line_before_a_credential() -> None:
    assert {"wanda", "kilgore"} <= found_words("pain controlled.\nwanda kilgore rn\n")


def test_signature_of_an_initial_and_a_surname() -> None:
    assert {"t", "kilgore"} <= found_words("no distress noted.\nt. kilgore rrt\n")


def test_clinical_words_before_a_credential_are_not_a_signature() -> None:
    assert "pain" not in found_words("will ask\npain control rn\n")


def test_second_name_joined_by_and_after_a_title() -> None:
    assert {"Garrity", "Quimby"} <= found_words("Drs Garrity and Quimby in to see pt.")


def test_first_names_joined_by_and_after_a_relative() -> None:
    assert {"nadia", "gloria"} <= found_words("daughters nadia and gloria in to visit")


def test_clinical_word_after_and_is_not_joined() -> None:
    assert "lasix" not in found_words("Dr Okafor and lasix were discussed")


# --- years --------------------------------------------------------------------------------------


def test_two_digit_year_with_the_apostrophe_after_it() -> None:
    assert kinds("PMH: AVR 96'. COPD.").get("96") is Kind.DATE


def test_distance_in_feet_is_not_a_year() -> None:
    assert "50" not in found_words("ambulated in hall 50' with walker")


def test_decade_in_capitals_is_a_date() -> None:
    assert kinds("POSSIBLE STROKE IN 1970S, NO DEFICIT").get("1970S") is Kind.DATE


def test_year_after_a_past_event_is_a_date() -> None:
    assert kinds("PMH: TIA 2006 with left arm weakness").get("2006") is Kind.DATE


def test_year_in_orientation_answer_is_a_date() -> None:
    assert kinds('states "I know it is 2017."').get("2017") is Kind.DATE


def test_clock_time_after_at_stays() -> None:
    assert "2010" not in found_words("CVA protocol started at 2010 tonight")


# --- places -------------------------------------------------------------------------------------


def test_memorial_is_part_of_a_hospital_name() -> None:
    assert {"Ashworth", "Memorial"} <= found_words("Transferred from Ashworth Memorial Hospital today.")


def test_hospital_word_itself_stays() -> None:
    assert "Hospital" not in found_words("Transferred from Ashworth Memorial Hospital today.")


def test_regional_after_a_named_place() -> None:
    assert {"FENWICK", "REGIONAL"} <= found_words("SENT TO FENWICK REGIONAL FOR A CT SCAN.")


def test_ordinary_word_before_hospital_after_to_is_its_name() -> None:
    assert "LIBERTY" in found_words("SYNCOPE, BROUGHT TO LIBERTY HOSPITAL BY EMS.")


def test_local_hospital_is_not_a_name() -> None:
    assert "local" not in found_words("he was taken to local hospital by ambulance")


def test_hospital_abbreviation_after_a_preposition() -> None:
    assert kinds("Pt was med-flighted to MGH for cath.").get("MGH") is Kind.LOCATION


def test_medical_center_abbreviation_after_a_preposition() -> None:
    assert kinds("may be worked up at KGMC for transplant").get("KGMC") is Kind.LOCATION


def test_hormone_after_a_preposition_is_not_a_hospital() -> None:
    assert "TSH" not in found_words("sent blood to check response to TSH today")


def test_usual_state_of_health_is_not_a_hospital() -> None:
    assert "USOH" not in found_words("PT IN USOH UNTIL LAST WEEK")


def test_ward_with_a_one_digit_floor_after_on() -> None:
    assert kinds("FELL WHILE ON HARWOOD 6. XRAY DONE.").get("HARWOOD") is Kind.LOCATION


def test_drug_and_dose_after_on_is_not_a_ward() -> None:
    assert "Kefzol" not in found_words("started on Kefzol 1gm q8h.")


def test_saint_before_a_first_name_after_to() -> None:
    assert {"ST", "BRIGID"} <= found_words("PLAN TO GO TO ST. BRIGID FOR REHAB.")


def test_university_of_a_place() -> None:
    assert {"university", "of", "vermont"} <= found_words("pt came from university of vermont hospital.")


# --- more names ---------------------------------------------------------------------------------


def test_common_first_name_after_a_relative_in_capitals() -> None:
    assert kinds("WIDOWED. DAUGHTER JOY VISITS WEEKLY.").get("JOY") is Kind.NAME


def test_first_name_and_census_surname_after_with() -> None:
    assert {"nadia", "kuchler"} <= found_words("will consult with nadia kuchler re wound care")


def test_first_name_and_unknown_surname_before_aware() -> None:
    assert {"DORA", "KOWALCZYKA"} <= found_words("SHORT RUN OF VT. DORA KOWALCZYKA AWARE, K GIVEN.")


def test_signature_after_a_sentence_on_the_same_line() -> None:
    assert {"t", "kilgore"} <= found_words("no distress noted. t. kilgore rrt\n")


def test_name_opening_a_sentence_before_is_a_age() -> None:
    assert {"wanda", "cordova"} <= found_words("wanda cordova is a 64 yr old female admitted with cp")


def test_patient_before_is_a_age_is_not_a_name() -> None:
    assert "pt" not in found_words("pt is a 70 yr old female admitted with sob")


# --- more dates ---------------------------------------------------------------------------------


def test_second_date_of_a_month_day_range() -> None:
    assert kinds("monitor culture reports from 10/15-10/16.").get("10/16") is Kind.DATE


def test_range_of_fractions_is_not_a_date() -> None:
    assert "1/2" not in found_words("crackles 1/3-1/2 up bilaterally")


def test_month_day_after_a_letter_and_hyphen() -> None:
    assert kinds("access: #20 RA-11/4, central line").get("11/4") is Kind.DATE


def test_month_day_after_another_date_and_or() -> None:
    assert kinds("Plan: dialysis 3/3 or 3/4, then review").get("3/4") is Kind.DATE


def test_ordinal_day_ending_a_phrase() -> None:
    assert kinds("says \"it's the 14th.\" oriented x3").get("14th") is Kind.DATE


def test_first_ordinal_ending_a_phrase_is_not_a_date() -> None:
    assert "1ST" not in found_words("COMPLICATIONS WITH THE 1ST. THE SECOND FELL OUT.")


# --- hyphens, lower-case abbreviations, telephone numbers -----------------------------------------


def test_name_joined_to_a_relative_by_a_hyphen() -> None:
    assert kinds("SOCIAL: DAUGHTER-DORA CALLS DAILY").get("DORA") is Kind.NAME


def test_son_in_law_is_not_a_name() -> None:
    assert "in-law" not in found_words("daughter and son-in-law here today")


def test_nasal_prongs_after_a_flow_is_not_a_role() -> None:
    assert "GOOD" not in found_words("O2 WEANED TO 4L NP GOOD BREATH SOUNDS")


def test_lower_case_hospital_abbreviation_in_a_lower_case_note() -> None:
    assert kinds("pt got ativan enroute to mgh, then intubated in er.").get("mgh") is Kind.LOCATION


def test_telephone_number_after_dashes() -> None:
    assert kinds("SON---212 555-0187 HOME").get("212 555-0187") is Kind.PHONE


def test_apostrophe_surname_after_a_first_name_after_a_title() -> None:
    assert "O'Keeffe" in found_words("Dr. Nadia O'Keeffe met the family.")


def test_apostrophe_surname_is_looked_up_without_its_apostrophe() -> None:
    assert "o'keeffe" in found_words("will consult with nadia o'keeffe re wound care")


def test_double_barrelled_surname_before_a_credential() -> None:
    assert "Quimby-Fenwick" in found_words("Lungs clear. Quimby-Fenwick MD plans a pleural tap.")


def test_initial_and_surname_joined_by_and() -> None:
    assert {"m", "okeeffe"} <= {w.replace("'", "") for w in found_words("counted by k. garrity and m. o'keeffe")}


def test_first_name_before_a_short_unknown_surname_made_aware() -> None:
    assert {"DORA", "VESK"} <= found_words("SHORT RUN OF VT DORA VESK AWARE K GIVEN.")


def test_university_of_a_state_code_medical_center() -> None:
    assert {"U", "OF", "VT"} <= found_words("SEEN AT U OF VT MED CENTER LAST YEAR")


def test_lower_case_memorial_after_a_named_place() -> None:
    assert "memorial" in found_words("A nurse from Holy Cross memorial phoned today")


def test_medical_centre_abbreviated_ctr() -> None:
    assert "Hartford" in found_words("Flown from Greater Hartford Med Ctr overnight")


def test_veterans_affairs_hospital_in_capitals() -> None:
    assert "DOVER" in found_words("DM2, FOLLOWED @ DOVER VA. HTN.")


def test_visual_acuity_is_not_a_hospital() -> None:
    assert "decreased" not in found_words("decreased va in the left eye")


def test_second_ward_with_its_floor_after_or() -> None:
    assert "Sutter" in found_words("may go to Kettering 2 or Sutter 3.")


def test_town_before_a_us_state_code() -> None:
    assert {"Glen", "Oaks"} <= found_words("son driving from Glen Oaks, NY tonight")


# --- repeated words, capitals, telephone words ------------------------------------------------------


def test_hospital_abbreviation_found_once_is_found_again_in_the_note() -> None:
    text = "Pt was flown to MGH for cath. MGH records requested."
    assert sum(1 for s in find_spans(text) if text[s.start : s.end] == "MGH") == 2


def test_name_found_once_is_found_again_in_the_note() -> None:
    text = "Seen by Dr Okonkwo. Plan: Okonkwo to review films."
    assert sum(1 for s in find_spans(text) if text[s.start : s.end] == "Okonkwo") == 2


def test_drug_after_to_does_not_spread() -> None:
    text = "Neo changed to Levophed. Levophed at 5 mcg."
    assert sum(1 for s in find_spans(text) if text[s.start : s.end] == "Levophed") <= 1


def test_unknown_surname_after_first_names_in_capitals() -> None:
    assert "PRZYTULA" in found_words("PLAN: SOCIAL WORK TO CALL GLORIA JEAN PRZYTULA\n")


def test_names_before_a_cell_number() -> None:
    assert {"Tamsin", "Vorhees"} <= found_words("Close family. Tamsin Vorhees cell# 212-555-0143 home")


def test_u_and_a_state_is_a_university() -> None:
    assert {"U", "Vermont"} <= found_words("heparin drip per U Vermont protocol")


def test_month_day_opening_a_line_is_a_date() -> None:
    assert kinds("Nursing note.\n3/4 MICU day shift summary\n").get("3/4") is Kind.DATE


def test_fraction_opening_a_line_before_a_dose_word_stays() -> None:
    assert "1/2" not in found_words("Meds:\n1/2 tab at night\n")


def test_ward_name_between_care_units() -> None:
    assert kinds("REPORT FROM MICU/QUARRYVALE/CCU TEAMS.").get("QUARRYVALE") is Kind.LOCATION


def test_first_name_and_surname_before_and_a_title() -> None:
    assert {"DORA", "VESK"} <= found_words("POTASSIUM GIVEN. DORA VESK AND DRS HALDANE AWARE.")


def test_ward_found_with_its_floor_is_found_again_without_it() -> None:
    text = "Will transfer to Quarryvale 2 tonight. Report called to Quarryvale nurse."
    assert sum(1 for s in find_spans(text) if text[s.start : s.end] == "Quarryvale") == 2


def test_place_type_word_after_a_place_after_to() -> None:
    assert "Square" in found_words("transported to Hanover Square by ambulance.")


def test_place_type_word_after_a_person_is_not_a_place() -> None:
    assert {span.kind for span in find_spans("Seen by Dr Harold Park this morning.")} == {Kind.NAME}


# --- precision guards ---------------------------------------------------------------------------


def test_mitral_regurgitation_is_not_a_title() -> None:
    assert "AI" not in found_words("PMH of CAD, mod MR, AI, EF 45%")


def test_title_before_a_comma_is_not_a_title() -> None:
    assert "PT" not in found_words("SON MET WITH DRS,PT DNR")


def test_capitalised_word_after_a_role_is_not_a_name() -> None:
    assert "Note" not in found_words("CCU 7A-7P RN Note\nNeuro: alert")


def test_state_code_before_hospital_after_from() -> None:
    assert "VT" in found_words("Pt admitted from VT Hospital at 0400.")


def test_name_and_feature_word_after_from_the() -> None:
    assert {"NORTH", "SHORE"} <= found_words("SON DROVE IN FROM THE NORTH SHORE TODAY.")


def test_nurses_station_is_not_a_place_name() -> None:
    assert "NURSES" not in found_words("CALL LIGHT TO THE NURSES STATION.")


def test_second_capitalised_word_of_a_place_after_in() -> None:
    assert {"Kessock", "Ferry"} <= found_words("Wife works in Kessock Ferry and visits daily.")


def test_weekday_after_a_place_is_not_part_of_it() -> None:
    assert "Monday" not in found_words("Her family is in Quarryvale Monday to Friday.")


def test_weekday_after_a_place_after_a_verb_of_moving_is_not_part_of_it() -> None:
    assert "Monday" not in found_words("Moved to Dover Monday with her son.")


def test_two_letter_hospital_abbreviation_in_lower_case_after_at() -> None:
    assert "kh" in found_words("hip repair done at kh. She now presents with CP")


def test_month_day_after_of_with_a_day_past_twelve() -> None:
    assert kinds("Last hct on pm of 9/23 was 30.1").get("9/23") is Kind.DATE


def test_score_after_of_stays() -> None:
    assert "4/5" not in found_words("strength of 4/5 in the left arm")


def test_full_date_after_a_word_and_hyphen() -> None:
    assert kinds("CHF. DIGOXIN TOXICITY-7/4/95.").get("7/4/95") is Kind.DATE


def test_numeric_range_is_not_a_date_after_a_hyphen() -> None:
    assert "5-10-20" not in found_words("dose 1-5-10-20 mg")


def test_day_month_and_two_digit_year_in_a_note_header() -> None:
    assert kinds("Progress note\n14 Mar, 18 1900->0730\n").get("14 Mar, 18") is Kind.DATE


def test_lower_case_surname_before_campus() -> None:
    assert "kuchler" in found_words("arrived intubated, sent from er kuchler campus.")


def test_telephone_number_in_brackets_with_a_digit_too_many() -> None:
    assert kinds("wife called.(212 555 01876) will call back").get("212 555 01876") is Kind.PHONE


def test_place_typed_with_two_capitals() -> None:
    assert kinds("no pain noted, CHicago team to call back").get("CHicago") is Kind.LOCATION
