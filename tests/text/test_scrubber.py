"""Tests of the free-text scrubber (medanon.text.scrub): one behaviour each, on text written here."""

from __future__ import annotations

import pytest

from medanon.core.errors import PolicyError
from medanon.core.keys import KeyRing
from medanon.text import Kind, Output, Span, find_spans, nhs_number_valid, scrub

KEYS = KeyRing(b"k" * 32)


def kinds(text: str) -> dict[str, Kind]:
    """Found span text -> kind."""
    return {text[s.start : s.end]: s.kind for s in find_spans(text)}


def tags(text: str) -> str:
    return scrub(text, "publication").text


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Seen by Dr. Okonkwo this morning.", "Okonkwo"),
        ("Mr SMITH was reviewed.", "SMITH"),
        ("Discussed with husband John at the bedside.", "John"),
        ("Plan discussed with his daughter, Priya.", "Priya"),
        ("Note by J. Kowalski, RN", "J. Kowalski"),
        ("per dr. johnson the drain stays", "johnson"),
        ("Anna Kowalczyk visited today.", "Anna Kowalczyk"),
        ("PT SEEN BY DR. MACINTYRE. WIFE MARGARET AT BEDSIDE.", "MARGARET"),
        ("Tomas Wierzbicki (son) called twice.", "Tomas Wierzbicki"),
        ("Her son Mark arrived and stayed.", "Mark"),
        ("Lasix given. W. Kowalczyk aware.", "W. Kowalczyk"),
        ("Plan per NP Okafor this morning.", "Okafor"),
        ("Labs drawn, as per K. Abernathy.", "K. Abernathy"),
    ],
)
def test_name_is_found(text: str, name: str) -> None:
    assert kinds(text).get(name) is Kind.NAME


def test_name_is_replaced_by_a_tag() -> None:
    assert tags("Seen by Dr. Okonkwo.") == "Seen by Dr. [NAME]."


def test_title_stays_beside_the_tag() -> None:
    assert tags("Mrs Jane Doe") == "Mrs [NAME]"


@pytest.mark.parametrize(
    "text",
    [
        "History of Parkinson's disease and Hodgkin lymphoma.",
        "Foley catheter in place, draining well.",
        "Trendelenburg position for the line.",
        "Heparin 5000 units SC, metoprolol 25 mg PO, furosemide 40 mg IV.",
        "Left ventricle dilated; mitral regurgitation moderate; chest clear.",
        "MR HEAD WITH CONTRAST",
        "BP 120/80, HR 88, SpO2 97% on 2L NC, temp 37.2 C.",
    ],
)
def test_clinical_text_has_no_identifier(text: str) -> None:
    assert find_spans(text) == []


@pytest.mark.parametrize("text", ["Transferred to MICU for monitoring.", "MD aware of the plan.", "PA sats 70%.",
                                  "Sent to CT at 10."])
def test_care_units_and_roles_alone_are_not_names_or_places(text: str) -> None:
    assert find_spans(text) == []


def test_modality_mr_before_a_body_part_is_not_a_title() -> None:
    assert tags("MR KNEE LEFT") == "MR KNEE LEFT"


def test_lower_case_ms_is_not_a_title() -> None:
    assert tags("known ms with relapse") == "known ms with relapse"


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "date",
    ["04/03/1961", "4.3.61", "1961-03-04", "March 3rd", "3rd of March 2019", "Mar 3, 2019", "March 2019", "'19",
     "7/22", "8/88"],
)  # fmt: skip
def test_date_form_is_found(date: str) -> None:
    assert kinds(f"Seen on {date} in clinic.").get(date) is Kind.DATE


def test_year_next_to_an_event_is_a_date() -> None:
    assert kinds("MI in 1998, CABG since 2004.") == {"1998": Kind.DATE, "2004": Kind.DATE}


@pytest.mark.parametrize("text", ["given at 2130 hrs", "pain 5/10", "1/2 NS at 75", "ventilator on CPAP 10/5"])
def test_time_score_and_fraction_are_not_dates(text: str) -> None:
    assert find_spans(text) == []


# --- ages -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "written"), [("42", "40"), ("43", "45"), ("89", "90"), ("90", "90+"), ("92", "90+"), ("104", "90+")]
)
def test_age_is_rounded_to_five_and_ninety_is_top_coded(age: str, written: str) -> None:
    assert tags(f"A {age} year old woman.") == f"A {written} year old woman."


@pytest.mark.parametrize("form", ["{} yo", "{}-year-old", "{} y/o", "aged {}"])
def test_age_forms_are_rounded(form: str) -> None:
    assert tags(form.format(92)) == form.format("90+")


def test_infant_age_in_months_is_kept() -> None:
    assert tags("a 14 month old boy") == "a 14 month old boy"


def test_age_rounding_matches_the_dicom_engine() -> None:
    from medanon.dicom.values import round_age

    for years in range(0, 120):
        expected = "90+" if years >= 90 else str(int(round_age(f"{years:03d}Y")[:3]))  # type: ignore[index]
        assert tags(f"{years} year old") == f"{expected} year old"


# --- places and numbers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("Transferred from Ashworth Hospital.", "Ashworth", Kind.LOCATION),
        ("Lives in Boston with family.", "Boston", Kind.LOCATION),
        ("Transferred to GH for a cath.", "GH", Kind.LOCATION),
        ("Plan: transfer to Ellison 2 today.", "Ellison", Kind.LOCATION),
        ("Arrived from Holy Family Hospital.", "Holy Family", Kind.LOCATION),
        ("He was taken to franklin hosp.", "franklin", Kind.LOCATION),
        ("Lives at 12 Acacia Avenue near the park.", "12 Acacia Avenue", Kind.LOCATION),
        ("Moved to 12 Acacia Avenue, Leeds.", "12 Acacia Avenue, Leeds", Kind.LOCATION),
        ("Postcode M13 9PL.", "M13 9PL", Kind.POSTCODE),
        ("Home in Boston, MA 02115.", "02115", Kind.POSTCODE),
        ("Call 0161 555 0192 after 5.", "0161 555 0192", Kind.PHONE),
        ("Call (212) 555-0123.", "(212) 555-0123", Kind.PHONE),
        ("Pager 4-5678 for the team.", "4-5678", Kind.PHONE),
        ("Fax: 020 7946 0958", "020 7946 0958", Kind.PHONE),
        ("Mail j.doe@example.org today", "j.doe@example.org", Kind.EMAIL),
        ("See https://example.org/case/12 now", "https://example.org/case/12", Kind.URL),
        ("From host 192.168.10.24 today", "192.168.10.24", Kind.IP),
        ("MRN: 889123 on file", "889123", Kind.ID),
        ("SSN 123-45-6789 noted", "123-45-6789", Kind.ID),
        ("Accession no. A12345 for CT", "A12345", Kind.ID),
        ("Pacemaker serial no: PX4419-22 checked", "PX4419-22", Kind.DEVICE),
        ("Car VIN 1HGCM82633A004352 recorded", "1HGCM82633A004352", Kind.VEHICLE),
        ("Registration AB12 CDE seen", "AB12 CDE", Kind.VEHICLE),
    ],
)
def test_identifier_kind_is_found(text: str, value: str, kind: Kind) -> None:
    assert kinds(text).get(value) is kind


def test_nhs_number_with_valid_check_digit_is_found() -> None:
    assert kinds("NHS 943 476 5919 on file").get("943 476 5919") is Kind.ID


def test_nhs_check_digit_is_computed_by_modulus_eleven() -> None:
    assert nhs_number_valid("9434765919")
    assert not nhs_number_valid("9434765918")
    assert not nhs_number_valid("943476591")


def test_every_digit_of_an_identifier_line_goes() -> None:
    cleaned = tags("MRN 889123, tel 0161 555 0192, DOB 04/03/1961, NHS 943 476 5919")
    assert not any(c.isdigit() for c in cleaned)


# --- outputs ----------------------------------------------------------------------------------


def test_spans_hold_offsets_kind_and_reason() -> None:
    text = "Seen by Dr. Okonkwo."
    result = scrub(text)
    assert result.spans == (Span(12, 19, Kind.NAME, "after the title Dr"),)
    assert text[result.spans[0].start : result.spans[0].end] == "Okonkwo"


def test_remove_output_drops_the_identifier() -> None:
    assert scrub("Seen by Dr. Okonkwo.", output="remove").text == "Seen by Dr. ."


def test_limited_access_gives_surrogates_consistent_across_calls() -> None:
    first = scrub("Husband John called.", "limited-access", keys=KEYS, patient_key="p1").text
    second = scrub("John visited again, husband John.", "limited-access", keys=KEYS, patient_key="p1").text
    code = first.split()[1]
    assert code.startswith("[NAME-") and "John" not in first
    assert second.count(code) == 2


def test_surrogates_differ_between_patients() -> None:
    one = scrub("Husband John called.", "limited-access", keys=KEYS, patient_key="p1").text
    two = scrub("Husband John called.", "limited-access", keys=KEYS, patient_key="p2").text
    assert one != two


def test_surrogates_differ_between_keys() -> None:
    other = KeyRing(b"o" * 32)
    one = scrub("Husband John called.", "limited-access", keys=KEYS, patient_key="p1").text
    two = scrub("Husband John called.", "limited-access", keys=other, patient_key="p1").text
    assert one != two


def test_limited_access_dates_shift_by_the_patients_dicom_offset() -> None:
    import datetime as dt

    days = KEYS.date_shift_days("p1")
    expected = dt.date(2019, 3, 4) - dt.timedelta(days=days)
    result = scrub("Seen 03/04/2019.", "limited-access", keys=KEYS, patient_key="p1").text
    assert result == f"Seen {expected.month:02d}/{expected.day:02d}/{expected.year}."


def test_limited_access_keeps_intervals_between_dates() -> None:
    import datetime as dt

    text = scrub("Admitted 2019-03-04, discharged 2019-03-18.", "limited-access", keys=KEYS, patient_key="p1").text
    first, second = (dt.date.fromisoformat(part.strip(".,")) for part in text.split() if part[:1].isdigit())
    assert (second - first).days == 14


def test_surrogates_need_a_key() -> None:
    with pytest.raises(PolicyError, match="key"):
        scrub("Husband John", "limited-access")


def test_publication_refuses_surrogates() -> None:
    with pytest.raises(PolicyError, match="publication"):
        scrub("Husband John", "publication", keys=KEYS, output=Output.SURROGATES)


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(PolicyError, match="profile"):
        scrub("text", "research")


def test_text_without_identifiers_is_unchanged() -> None:
    text = "Chest clear. Abdomen soft, non-tender. Plan: continue antibiotics."
    assert scrub(text).text == text
