"""The header engine, one behaviour per test: actions, options, nesting, private tags, headers."""

from __future__ import annotations

import io

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from medanon.core.enum import Level, Option
from medanon.core.keys import KeyRing
from medanon.core.policy import Policy
from medanon.dicom import deidentify
from medanon.dicom._ps315 import CID_7050
from tests.conftest import make_ct

PUBLICATION = Policy.load("publication")
LIMITED = Policy.load("limited-access")


def roundtrip(ds: Dataset) -> Dataset:
    """Serialise and re-read without force: what a user of the output will see."""
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return pydicom.dcmread(io.BytesIO(buffer.getvalue()))


def clean(ds: Dataset, policy: Policy, keys: KeyRing) -> Dataset:
    return roundtrip(deidentify(ds, policy, keys).dataset)


def custom(*options: Option, level: Level = Level.LIMITED_ACCESS) -> Policy:
    return Policy(name="test", level=level, options=frozenset(options))


# --- actions (PS3.15 Table E.1-1a) ---------------------------------------------------------

def test_action_Z_empties_patient_name(ct, keys):
    out = clean(ct, PUBLICATION, keys)
    assert "PatientName" in out and out.PatientName == ""


def test_action_X_removes_patient_address(ct, keys):
    assert "PatientAddress" not in clean(ct, PUBLICATION, keys)


def test_action_U_replaces_sop_instance_uid_with_keyed_2_25_uid(ct, keys):
    out = clean(ct, PUBLICATION, keys)
    assert out.SOPInstanceUID == keys.uid("1.2.826.0.1.3680043.2.1125.1.1")
    assert out.SOPInstanceUID.startswith("2.25.") and len(out.SOPInstanceUID) <= 64


def test_combined_X_D_gives_type1_safe_dummy_not_empty(ct, keys):
    # Series Date is X/D: medanon cannot know the Type, so it keeps a dummy, never an empty value.
    out = clean(ct, PUBLICATION, keys)
    assert out.SeriesDate and out.SeriesDate != "20230405"


def test_combined_X_Z_U_star_keeps_sequence_and_replaces_uids(ct, keys):
    out = clean(ct, PUBLICATION, keys)
    item = out.ReferencedImageSequence[0]
    assert item.ReferencedSOPInstanceUID == keys.uid("1.2.826.0.1.3680043.2.1125.1.1")
    assert item.ReferencedSOPClassUID == "1.2.840.10008.5.1.4.1.1.2"


def test_action_D_on_nested_person_name_in_sr_content(keys):
    ds = make_ct()
    content = Dataset()
    content.ValueType = "PNAME"
    content.PersonName = "Doe^Jane"
    ds.ContentSequence = Sequence([content])
    out = clean(ds, PUBLICATION, keys)
    assert str(out.ContentSequence[0].PersonName) not in ("", "Doe^Jane")


def test_unlisted_free_text_removed_in_publication(keys):
    ds = make_ct()
    ds.add_new(0x00540400, "SH", "Jane Doe NM")  # Image ID (0054,0400): not in Table E.1-1, free text
    out = clean(ds, PUBLICATION, keys)
    assert 0x00540400 not in out


def test_unlisted_technical_attributes_kept(ct, keys):
    out = clean(ct, PUBLICATION, keys)
    assert out.KVP == "120" and out.Modality == "CT" and out.Manufacturer == "ACME"
    assert list(out.PixelSpacing) == [0.7, 0.7] and out.Rows == 4 and out.BitsStored == 12


def test_pixel_data_bytes_untouched(ct, keys):
    assert clean(ct, PUBLICATION, keys).PixelData == bytes(range(32))


def test_input_dataset_not_modified(ct, keys):
    before = roundtrip(ct)
    deidentify(ct, PUBLICATION, keys)
    assert roundtrip(ct) == before and ct.PatientName == "Doe^Jane"


# --- profiles -----------------------------------------------------------------------------

@pytest.mark.parametrize("age, expected", [("063Y", "065Y"), ("062Y", "060Y"), ("091Y", "090Y"),
                                           ("018M", "000Y"), ("003Y", "005Y")])
def test_publication_rounds_age_to_five_years(keys, age, expected):
    assert clean(make_ct(PatientAge=age), PUBLICATION, keys).PatientAge == expected


def test_publication_descriptor_keeps_clinical_words_only(ct, keys):
    out = clean(ct, PUBLICATION, keys)
    description = out.get("StudyDescription", "")
    assert "CHEST" in description and "Jane" not in description and "Doe" not in description


def test_limited_access_pseudonym_is_keyed_and_shared_by_name_and_id(ct, keys):
    out = clean(ct, LIMITED, keys)
    assert out.PatientID == str(out.PatientName) and out.PatientID.startswith("MA-")
    assert "889123" not in out.PatientID
    other = clean(make_ct(), LIMITED, KeyRing(b"\xff" * 32))
    assert other.PatientID != out.PatientID


def test_limited_access_shifts_dates_consistently_per_patient(ct, keys):
    out = clean(ct, LIMITED, keys)
    shift = keys.date_shift_days("id\x00MRN889123\x00")
    import datetime as dt
    expected = (dt.date(2023, 4, 5) - dt.timedelta(days=shift)).strftime("%Y%m%d")
    assert out.StudyDate == expected and out.SeriesDate == expected
    assert out.LongitudinalTemporalInformationModified == "MODIFIED"


def test_limited_access_removes_birth_date_even_with_modified_dates(ct, keys):
    assert clean(ct, LIMITED, keys).PatientBirthDate == ""


# --- options (PS3.15 E.3) ----------------------------------------------------------------

def test_option_retain_uids_keeps_study_uid(ct, keys):
    out = clean(ct, custom(Option.RETAIN_UIDS), keys)
    assert out.StudyInstanceUID == "1.2.826.0.1.3680043.2.1125.1.2"


def test_option_retain_device_identity_keeps_serial(ct, keys):
    assert clean(ct, custom(Option.RETAIN_DEVICE_IDENTITY), keys).DeviceSerialNumber == "SN-55-0192"
    assert clean(ct, custom(), keys).get("DeviceSerialNumber") != "SN-55-0192"


def test_option_retain_institution_identity_keeps_name(ct, keys):
    out = clean(ct, custom(Option.RETAIN_INSTITUTION_IDENTITY), keys)
    assert out.InstitutionName == "St Elsewhere General Hospital"
    assert clean(ct, custom(), keys).get("InstitutionName") != "St Elsewhere General Hospital"


def test_option_retain_patient_characteristics_keeps_weight(ct, keys):
    assert clean(ct, custom(Option.RETAIN_PATIENT_CHARACTERISTICS), keys).PatientWeight == 71
    assert "PatientWeight" not in clean(ct, custom(), keys)


def test_option_full_dates_keeps_study_date(ct, keys):
    out = clean(ct, custom(Option.RETAIN_LONGITUDINAL_FULL_DATES), keys)
    assert out.StudyDate == "20230405" and out.LongitudinalTemporalInformationModified == "UNMODIFIED"


def test_option_clean_descriptors_off_removes_description(ct, keys):
    assert "StudyDescription" not in clean(ct, custom(), keys)


def test_option_clean_structured_content_cleans_sr_text(keys):
    ds = make_ct()
    item = Dataset()
    item.ValueType = "TEXT"
    item.TextValue = "Nodule in right lung, seen by Dr Smythe"
    ds.ContentSequence = Sequence([item])
    out = clean(ds, PUBLICATION, keys)
    text = out.ContentSequence[0].get("TextValue", "")
    assert "Smythe" not in text and "lung" in text.lower()


def test_option_clean_graphics_removes_overlay_without_a_cleaner(keys):
    ds = make_ct()
    ds.add_new(0x60000010, "US", 4)
    ds.add_new(0x60000011, "US", 4)
    ds.add_new(0x60003000, "OW", b"\xff\x00")
    out = clean(ds, custom(Option.CLEAN_GRAPHICS), keys)
    assert 0x60003000 not in out and 0x60000010 not in out


def test_option_retain_safe_private_keeps_listed_element_of_exact_creator(keys):
    ds = make_ct()
    ds.add_new(0x70530010, "LO", "Philips PET Private Group")
    ds.add_new(0x70531000, "DS", "1.5")  # (7053,xx00) SUV factor, Table E.3.10-1
    out = clean(ds, custom(Option.RETAIN_SAFE_PRIVATE), keys)
    assert out[0x70531000].value == 1.5 and out[0x70530010].value == "Philips PET Private Group"
    assert 0x00091001 not in out and 0x00090010 not in out


def test_safe_private_refused_for_other_creator(keys):
    ds = make_ct()
    ds.add_new(0x70530010, "LO", "SOMEONE ELSE")
    ds.add_new(0x70531000, "DS", "1.5")
    out = clean(ds, custom(Option.RETAIN_SAFE_PRIVATE), keys)
    assert 0x70531000 not in out and 0x70530010 not in out


def test_private_tags_all_removed_in_publication(ct, keys):
    out = clean(ct, PUBLICATION, keys)
    assert not [e for e in out if e.tag.is_private]


def test_private_tags_removed_inside_sequences(keys):
    ds = make_ct()
    ds.RequestAttributesSequence[0].add_new(0x00110010, "LO", "NESTED")
    ds.RequestAttributesSequence[0].add_new(0x00111001, "LO", "Doe^Jane")
    out = clean(ds, PUBLICATION, keys)
    assert not [e for e in out.RequestAttributesSequence[0] if e.tag.is_private]


# --- nesting and references ------------------------------------------------------------

def test_nested_names_cleaned_at_depth(ct, keys):
    out = clean(ct, PUBLICATION, keys)
    request = out.RequestAttributesSequence[0]
    assert str(request.get("ScheduledPerformingPhysicianName", "")) != "Kaur^Amrit"
    assert "Jane" not in str(request.get("RequestedProcedureDescription", ""))


def test_nested_reference_remapped_like_top_level_uid(ct, keys):
    out = clean(ct, PUBLICATION, keys)
    nested = out.RequestAttributesSequence[0].ReferencedImageSequence[0].ReferencedSOPInstanceUID
    assert nested == keys.uid("1.2.826.0.1.3680043.2.1125.1.99")


def test_references_between_files_stay_consistent(keys):
    first = clean(make_ct(SOPInstanceUID="1.2.3.100"), PUBLICATION, keys)
    second_in = make_ct(SOPInstanceUID="1.2.3.200")
    second_in.ReferencedImageSequence[0].ReferencedSOPInstanceUID = "1.2.3.100"
    second = clean(second_in, PUBLICATION, keys)
    assert second.ReferencedImageSequence[0].ReferencedSOPInstanceUID == first.SOPInstanceUID
    assert first.StudyInstanceUID == second.StudyInstanceUID


def test_same_key_same_uids_across_runs(ct, keys):
    assert clean(make_ct(), PUBLICATION, keys).SOPInstanceUID == clean(make_ct(), PUBLICATION,
                                                                      KeyRing(bytes(range(32)))).SOPInstanceUID


# --- headers made truthful ----------------------------------------------------------------

def test_identity_removed_flags_and_method_codes(ct, keys):
    out = clean(ct, PUBLICATION, keys)
    assert out.PatientIdentityRemoved == "YES"
    codes = {item.CodeValue for item in out.DeidentificationMethodCodeSequence}
    assert CID_7050["BasicApplicationConfidentialityProfile"][0] in codes
    assert CID_7050["CleanDescriptorsOption"][0] in codes
    assert CID_7050["RetainUidsOption"][0] not in codes
    assert out.LongitudinalTemporalInformationModified == "REMOVED"


def test_meta_sop_instance_uid_matches_dataset(ct, keys):
    out = clean(ct, PUBLICATION, keys)
    assert out.file_meta.MediaStorageSOPInstanceUID == out.SOPInstanceUID


def test_private_sop_class_uid_is_kept_not_remapped(keys):
    ds = make_ct(SOPClassUID="1.3.12.2.1107.5.9.1")  # a vendor's private SOP class, not in PS3.6
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    out = clean(ds, PUBLICATION, keys)
    assert out.SOPClassUID == "1.3.12.2.1107.5.9.1"
    assert out.file_meta.MediaStorageSOPClassUID == "1.3.12.2.1107.5.9.1"


def test_unregistered_unlisted_uid_is_remapped(keys):
    ds = make_ct()
    ds.add_new(0x00209161, "UI", "1.2.826.0.1.3680043.2.1125.7.7")  # Concatenation UID: not in E.1-1
    assert clean(ds, PUBLICATION, keys)[0x00209161].value == keys.uid("1.2.826.0.1.3680043.2.1125.7.7")


def test_a_series_records_one_shared_object_per_distinct_action():
    from medanon.core.keys import KeyRing
    from medanon.core.policy import Policy
    from medanon.dicom import deidentify
    from tests.conftest import make_ct

    keys, policy = KeyRing(b"k" * 32), Policy.load("publication")
    first = deidentify(make_ct(), policy, keys).actions
    second = deidentify(make_ct(SOPInstanceUID="1.2.826.0.1.3680043.2.1125.1.77"), policy, keys).actions
    assert first == second  # same paths, codes and reasons
    assert all(a is b for a, b in zip(first, second, strict=True))  # pickled and encoded once per batch
