"""The independent residual scan: collect an input's identifiers, find them again in an output."""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.data import get_charset_files
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

from medanon.core.enum import Severity
from medanon.core.errors import PolicyError
from medanon.core.results import Finding
from medanon.verify import Identifier, Identifiers, collect_identifiers, scan_bytes, scan_file

STUDY_UID = "1.2.826.0.1.3680043.9.7777.1"
SOP_UID = "1.2.826.0.1.3680043.9.7777.2"
OUT_STUDY_UID = "2.25.1001"
OUT_SOP_UID = "2.25.1002"
TAG_PATH = re.compile(r"^\([0-9A-F]{4},[0-9A-F]{4}\)(\[\d+\]>\([0-9A-F]{4},[0-9A-F]{4}\))*$")


def original() -> Dataset:
    """An input with identifiers at the top level and one level down."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = SOP_UID
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = SOP_UID
    ds.StudyInstanceUID = STUDY_UID
    ds.PatientName = "DIXON^JANE^MARIE^DR"
    ds.PatientID = "MRN4711"
    ds.PatientBirthDate = "19610304"
    ds.InstitutionName = "St Elsewhere General"
    ds.PatientAddress = "12 Acacia Avenue, Camden, London NW1 2AB"
    ds.PatientTelephoneNumbers = "020 7946 0123"
    request = Dataset()
    request.RequestedProcedureID = "RP998877"
    ds.RequestAttributesSequence = Sequence([request])
    return ds


def output(**leaks: str) -> Dataset:
    """A de-identified output: new UIDs, flags set, plus whatever *leaks* keeps."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = OUT_SOP_UID
    ds.StudyInstanceUID = OUT_STUDY_UID
    ds.PatientName = "MEDANON^0001"
    ds.PatientID = "ID0001"
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = "medanon publication"
    for keyword, value in leaks.items():
        setattr(ds, keyword, value)
    return ds


def write(tmp_path: Path, ds: Dataset, name: str = "out.dcm") -> Path:
    path = tmp_path / name
    ds.save_as(path, enforce_file_format=True)
    return path


def residuals(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.check == "residual-identifier"]


def from_source(findings: list[Finding], category: str, source: str) -> list[Finding]:
    return [f for f in residuals(findings) if f.message.startswith(f"{category} from {source} ")]


@pytest.fixture
def identifiers() -> Identifiers:
    return collect_identifiers(original())


def test_clean_output_has_no_findings(tmp_path: Path, identifiers: Identifiers) -> None:
    assert scan_file(write(tmp_path, output()), identifiers) == []


def test_the_bytes_of_a_file_give_the_findings_of_the_file(tmp_path: Path, identifiers: Identifiers) -> None:
    path = write(tmp_path, output(ImageComments="seen by Jane Dixon today"))
    findings = scan_bytes(path.read_bytes(), identifiers)
    assert from_source(findings, "name", "(0010,0010)")
    assert findings == scan_file(path, identifiers)


@pytest.mark.parametrize(
    "text",
    ["DIXON^JANE", "Jane Dixon", "Dixon, Jane", "Dixon,Jane", "Dixon Jane", "Jane Marie Dixon", "Dr Dixon"],
)
def test_name_found_in_each_form(tmp_path: Path, identifiers: Identifiers, text: str) -> None:
    findings = scan_file(write(tmp_path, output(ImageComments=f"seen by {text} today")), identifiers)
    assert from_source(findings, "name", "(0010,0010)")


def test_short_family_name_alone_is_not_searched(tmp_path: Path) -> None:
    ds = original()
    ds.PatientName = "DOE^JANE"
    findings = scan_file(write(tmp_path, output(ImageComments="a doe in the park")), collect_identifiers(ds))
    assert not from_source(findings, "name", "(0010,0010)")


@pytest.mark.parametrize(
    "text",
    [
        "19610304",
        "1961-03-04",
        "04.03.1961",
        "03/04/1961",
        "04/03/1961",
        "1961/03/04",
        "4.3.1961",
        "3/4/1961",
        "1961-03-04T10:30",
    ],
)
def test_date_found_in_each_form(tmp_path: Path, identifiers: Identifiers, text: str) -> None:
    findings = scan_file(write(tmp_path, output(ImageComments=f"born {text}.")), identifiers)
    assert from_source(findings, "date", "(0010,0030)")


def test_unpadded_date_not_found_inside_another_date(tmp_path: Path, identifiers: Identifiers) -> None:
    findings = scan_file(write(tmp_path, output(ImageComments="on 14.3.1961 and 13/4/1961")), identifiers)
    assert not from_source(findings, "date", "(0010,0030)")


def test_date_part_of_datetime_found_at_its_tag(tmp_path: Path, identifiers: Identifiers) -> None:
    findings = scan_file(write(tmp_path, output(AcquisitionDateTime="19610304101500")), identifiers)
    assert [f.where for f in from_source(findings, "date", "(0010,0030)")] == ["(0008,002A)"]


def test_nested_value_found_with_its_tag_path(tmp_path: Path, identifiers: Identifiers) -> None:
    ds = output()
    request = Dataset()
    request.RequestedProcedureID = "RP998877"
    ds.RequestAttributesSequence = Sequence([Dataset(), request])
    findings = from_source(scan_file(write(tmp_path, ds), identifiers), "id", "(0040,0275)[0]>(0040,1001)")
    assert "(0040,0275)[1]>(0040,1001)" in {f.where for f in findings}


def ct_like(ds: Dataset) -> Dataset:
    """Give *ds* half a megabyte of CT-like pixels, so the whole-file search meets real bulk."""
    pixels = np.random.default_rng(0).integers(-1000, 1500, size=(512, 512), dtype=np.int16)
    ds.Rows, ds.Columns, ds.BitsAllocated, ds.BitsStored, ds.HighBit = 512, 512, 16, 16, 15
    ds.SamplesPerPixel, ds.PixelRepresentation, ds.PhotometricInterpretation = 1, 1, "MONOCHROME2"
    ds.PixelData = pixels.tobytes()
    return ds


def test_value_after_pixel_data_found_in_raw_bytes(tmp_path: Path, identifiers: Identifiers) -> None:
    ds = ct_like(output())
    ds.add_new(0x7FE10010, "LO", "MEDANON TEST")
    ds.add_new(0x7FE11001, "OB", b"Jane Dixon ")  # binary: only the raw scan sees it
    findings = from_source(scan_file(write(tmp_path, ds), identifiers), "name", "(0010,0010)")
    assert [int(f.where.removeprefix("bytes@")) > 512 * 512 * 2 for f in findings] == [True]


def test_name_inside_longer_word_not_flagged_in_large_file(tmp_path: Path, identifiers: Identifiers) -> None:
    ds = ct_like(output())
    ds.add_new(0x7FE10010, "LO", "MEDANON TEST")
    ds.add_new(0x7FE11001, "OB", bytes(100) + b"qJane Dixonq" + bytes(100))  # far from any other text
    assert residuals(scan_file(write(tmp_path, ds), identifiers)) == []


def test_uid_found(tmp_path: Path, identifiers: Identifiers) -> None:
    findings = scan_file(write(tmp_path, output(StudyInstanceUID=STUDY_UID)), identifiers)
    assert "(0020,000D)" in {f.where for f in from_source(findings, "uid", "(0020,000D)")}


def test_uid_as_prefix_of_longer_uid_not_flagged(tmp_path: Path, identifiers: Identifiers) -> None:
    ds = output(StudyInstanceUID=STUDY_UID + ".5", SeriesInstanceUID=STUDY_UID + "2")
    assert residuals(scan_file(write(tmp_path, ds), identifiers)) == []


def test_registered_uids_are_not_identifiers(identifiers: Identifiers) -> None:
    assert all(CTImageStorage not in item.forms for item in identifiers)


def test_file_meta_uid_is_collected(identifiers: Identifiers) -> None:
    assert any(item.source == "(0002,0003)" for item in identifiers)


def test_retained_category_not_searched(tmp_path: Path, identifiers: Identifiers) -> None:
    path = write(tmp_path, output(InstitutionName="St Elsewhere General"))
    assert from_source(scan_file(path, identifiers), "institution", "(0008,0080)")
    assert residuals(scan_file(path, identifiers, retained=frozenset({"institution"}))) == []


def test_unknown_retained_category_refused(tmp_path: Path, identifiers: Identifiers) -> None:
    with pytest.raises(PolicyError, match="unknown retained categories"):
        scan_file(write(tmp_path, output()), identifiers, retained=frozenset({"uids"}))


def test_placeholders_are_ignored() -> None:
    ds = original()
    ds.PatientName = "ANONYMOUS"
    ds.PatientID = "0"
    ds.OtherPatientIDs = "Unknown"
    ds.ReferringPhysicianName = "^"
    ds.AccessionNumber = "n/a"
    sources = {item.source for item in collect_identifiers(ds)}
    assert sources.isdisjoint({"(0010,0010)", "(0010,0020)", "(0010,1000)", "(0008,0090)", "(0008,0050)"})


def test_numeric_id_matches_only_on_digit_boundaries(tmp_path: Path) -> None:
    ds = original()
    ds.PatientID = "123456"
    ids = collect_identifiers(ds)
    inside = scan_file(write(tmp_path, output(ImageComments="ref 91234567"), "a.dcm"), ids)
    alone = scan_file(write(tmp_path, output(ImageComments="MRN:123456"), "b.dcm"), ids)
    assert not from_source(inside, "id", "(0010,0020)")
    assert from_source(alone, "id", "(0010,0020)")


@pytest.mark.parametrize("text", ["NW1 2AB", "nw12ab", "Camden", "12 Acacia Avenue"])
def test_address_parts_and_postcode_found(tmp_path: Path, identifiers: Identifiers, text: str) -> None:
    findings = scan_file(write(tmp_path, output(ImageComments=f"lives at {text}")), identifiers)
    assert from_source(findings, "address", "(0010,1040)")


def test_phone_found_as_digits_only(tmp_path: Path, identifiers: Identifiers) -> None:
    findings = scan_file(write(tmp_path, output(ImageComments="call 02079460123")), identifiers)
    assert from_source(findings, "phone", "(0010,2154)")


def test_non_ascii_name_in_capitals_found_in_raw_bytes(tmp_path: Path) -> None:
    ds = original()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.PatientName = "MÜLLER^JÖRG"
    out = output()
    out.add_new(0x00091010, "LO", "MEDANON TEST")  # private creator
    out.add_new(0x00091011, "OB", "note: MÜLLER".encode("latin-1"))  # binary: only the raw scan sees it
    findings = from_source(scan_file(write(tmp_path, out), collect_identifiers(ds)), "name", "(0010,0010)")
    assert [f.where.split("@")[0] for f in findings] == ["bytes"]


def test_iso2022_japanese_name_found_in_decoded_values(tmp_path: Path) -> None:
    source = dcmread(get_charset_files("chrH31.dcm")[0])
    name = next(item for item in collect_identifiers(source) if item.source == "(0010,0010)")
    assert "山田^太郎" in name.forms
    ideographic = Identifiers((Identifier("name", name.source, ("山田^太郎", "太郎 山田")),))
    out = copy.deepcopy(source)
    out.PatientIdentityRemoved = "YES"
    findings = residuals(scan_file(write(tmp_path, out), ideographic))
    # the file holds ISO 2022 bytes, never UTF-8: only the decoded value can match
    assert [(f.where, f.message) for f in findings] == [("(0010,0010)", "name from (0010,0010) found in form #1")]


def test_meta_uid_mismatch_flagged(tmp_path: Path, identifiers: Identifiers) -> None:
    path = write(tmp_path, output())
    data = path.read_bytes()
    path.write_bytes(data.replace(OUT_SOP_UID.encode(), b"2.25.1003", 1))  # the first copy is the meta's
    findings = scan_file(path, identifiers)
    assert [(f.check, f.severity) for f in findings] == [("meta-consistent", Severity.ERROR)]


def test_identity_removed_flag_missing_flagged(tmp_path: Path, identifiers: Identifiers) -> None:
    ds = output()
    del ds.PatientIdentityRemoved
    assert [f.check for f in scan_file(write(tmp_path, ds), identifiers)] == ["identity-removed-flag"]


def test_unreadable_file_gives_readable_finding(tmp_path: Path, identifiers: Identifiers) -> None:
    path = tmp_path / "broken.dcm"
    path.write_bytes(b"\x00" * 64 + b"not a DICOM file at all")
    findings = scan_file(path, identifiers)
    assert [(f.check, f.severity) for f in findings] == [("readable", Severity.ERROR)]


def test_missing_file_gives_readable_finding(tmp_path: Path, identifiers: Identifiers) -> None:
    assert [f.check for f in scan_file(tmp_path / "absent.dcm", identifiers)] == ["readable"]


def test_finding_never_contains_the_value(tmp_path: Path, identifiers: Identifiers) -> None:
    leaky = copy.deepcopy(original())
    leaky.PatientIdentityRemoved = "YES"
    findings = scan_file(write(tmp_path, leaky), identifiers)
    assert len(residuals(findings)) > 10
    forms = {form for item in identifiers for form in item.forms}
    text = " ".join(f"{f.where} {f.message}" for f in findings).lower()
    assert not {form for form in forms if form in text}


def test_sources_are_tag_paths(identifiers: Identifiers) -> None:
    assert all(TAG_PATH.match(item.source) for item in identifiers)


def test_collect_does_not_change_the_input() -> None:
    ds = original()
    before = copy.deepcopy(ds)
    collect_identifiers(ds)
    assert ds == before and ds.file_meta == before.file_meta


def test_identifier_refuses_upper_case_forms() -> None:
    with pytest.raises(ValueError, match="non-lower-case"):
        Identifier("name", "(0010,0010)", ("DIXON",))


def test_verify_imports_no_cleaner() -> None:
    """DESIGN.md "Verify, don't trust": one bug must not both leak a value and approve the leak."""
    package = Path(__file__).parents[2] / "src" / "medanon" / "verify"
    imported = set()
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    medanon = {name for name in imported if name.startswith("medanon")}
    assert all(name.startswith(("medanon.core", "medanon.verify")) for name in medanon)


def test_institution_that_only_repeats_the_vendor_name_is_not_searched():
    ds = Dataset()
    ds.Manufacturer = "TOSHIBA"
    ds.InstitutionName = "TOSHIBA"
    ds.StationName = "St Elsewhere CT"
    categories = {(i.category, i.forms[0]) for i in collect_identifiers(ds).items}
    assert ("institution", "toshiba") not in categories
    assert any(cat == "device" for cat, _ in categories)
