"""A realistic case through the command line: init -> add -> check -> run -> signoff -> export -> open.

The case is made here: a CT with identifiers in headers, nested sequences,
private tags and its file name; a clinical note and a history/discussion with
names, dates, an address and a record number; a photograph with a name and GPS
in its EXIF. The package is opened and every byte of every file is searched
for every identifier.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from PIL import Image

from medanon.case import MaterialKind, check_case, open_package, verify_log
from medanon.case.cleaners import NO_CLEANER, cleaner_for
from medanon.case.package import new_identity
from medanon.cli import EXIT_OK, EXIT_WITHHELD, main
from tests.conftest import make_ct, write

IDENTIFIERS = ("Doe^Jane", "Jane Doe", "DOE_JANE", "Jane", "MRN889123", "19610304", "04/03/1961", "Acacia",
               "LS6 2QH", "0113 496 0123", "ACC7781", "Smythe", "Kaur", "St Elsewhere", "SN-55-0192", "CTSTATION7",
               "20230405", "05/04/2023", "1.2.826.0.1.3680043.2.1125", "Dr Ahmed Patel", "53.8008", "GPS-NOTE")
NOTE = ("Jane Doe (MRN889123, born 04/03/1961) of 12 Acacia Avenue, Leeds LS6 2QH, tel 0113 496 0123, "
        "seen by Dr Smythe on 05/04/2023.\n")
HISTORY = "Jane Doe, 63, presented on 05/04/2023 with cough. Referred by Dr Ahmed Patel. MRN889123.\n"
DISCUSSION = "Classic appearance. Discussed with Dr Smythe at St Elsewhere General Hospital on 05/04/2023.\n"
PERMISSION_ID = "CONSENT-2026-0042"


def make_photo(path: Path) -> Path:
    """A JPEG whose EXIF names the patient and holds a GPS position."""
    image = Image.new("RGB", (64, 48), (200, 150, 120))
    exif = Image.Exif()
    exif[0x010E] = "Jane Doe GPS-NOTE"          # ImageDescription
    exif[0x8825] = {1: "N", 2: (53.0, 48.0, 3.0), 3: "W", 4: (1.0, 32.0, 0.0)}  # GPSInfo: 53.8008 N
    image.save(path, format="JPEG", exif=exif)
    return path


def cli(*args: str) -> int:
    return main(["case", *[str(a) for a in args]])


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "inputs"
    write(make_ct(), folder / "DOE_JANE_MRN889123.dcm")
    (folder / "note_Jane_Doe.txt").write_text(NOTE, encoding="utf-8")
    make_photo(folder / "DOE_JANE_hand.jpg")
    (folder / "history.txt").write_text(HISTORY, encoding="utf-8")
    (folder / "discussion.txt").write_text(DISCUSSION, encoding="utf-8")
    return folder


def every_byte(archive_bytes: dict[str, bytes]) -> bytes:
    return b"\n".join(name.encode() + b"\n" + data for name, data in archive_bytes.items())


@pytest.mark.slow
def test_a_whole_case_from_init_to_an_encrypted_package(tmp_path: Path, inputs: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    key_file = tmp_path / "keys" / "project.key"
    key_file.parent.mkdir()
    key = secrets.token_bytes(32)
    key_file.write_text(key.hex(), encoding="ascii")
    monkeypatch.setenv("MEDANON_KEY_FILE", str(key_file))
    originals = {p.name: p.read_bytes() for p in inputs.iterdir()}
    case = tmp_path / "case"

    assert cli("init", case, "--purpose", "internet-publication", "--destination", "teaching site",
               "--consent", "internet-publication", "--permission-id", PERMISSION_ID, "--rare-condition",
               "--history-file", inputs / "history.txt", "--discussion-file", inputs / "discussion.txt") == EXIT_OK
    assert cli("add", case, inputs / "DOE_JANE_MRN889123.dcm", inputs / "note_Jane_Doe.txt",
               inputs / "DOE_JANE_hand.jpg") == EXIT_OK
    assert cli("check", case) == EXIT_WITHHELD  # the rare condition needs a reviewer
    assert cli("export", case, "--by", "Dr Sender") == EXIT_WITHHELD  # not run, not signed: nothing leaves
    assert not (case / "exports").exists()

    every_kind_cleaned = all(cleaner_for(kind) is not None for kind in (MaterialKind.TEXT, MaterialKind.PHOTO))
    assert cli("run", case) == (EXIT_OK if every_kind_cleaned else EXIT_WITHHELD)
    run = json.loads((case / "run.json").read_text(encoding="utf-8"))
    statuses = {label: item[0]["status"] for label, item in run["items"].items()}
    assert statuses["dicom-1"] == "released"
    for kind, label in ((MaterialKind.TEXT, "text-1"), (MaterialKind.PHOTO, "photo-1")):
        if cleaner_for(kind) is None:
            assert statuses[label] == "quarantined"
            assert run["items"][label][0]["reasons"] == [NO_CLEANER]
        else:
            assert statuses[label] == "released", run["items"][label]

    check = check_case(case)
    assert not check.passed and "rare-condition" in check.open_items
    for item in check.open_items:
        assert cli("signoff", case, item, "--by", "Dr Reviewer") == EXIT_OK
    assert cli("check", case) == EXIT_OK

    secret, public = new_identity()
    wrong_secret, _ = new_identity()
    package_path = tmp_path / "case.zip.age"
    assert cli("export", case, "--by", "Dr Sender", "--recipient", public, "-o", package_path) == EXIT_OK

    with pytest.raises(Exception, match="does not open"):
        open_package(package_path, identities=(wrong_secret,))
    with open_package(package_path, identities=(secret,)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    assert "report.html" in files and "report.json" in files and "discussion.txt" in files
    assert any(name.startswith("dicom-1/") and name.endswith(".dcm") for name in files)
    if cleaner_for(MaterialKind.PHOTO) is not None:
        assert any(name.startswith("photo-1/") for name in files)  # released, so its bytes are searched below
    assert not any(name.startswith("review") or name.endswith((".png", ".jpg")) and "preview" in name
                   for name in files)  # before/after previews (original pixels) never travel
    if cleaner_for(MaterialKind.PHOTO) is not None:
        sheet = (case / "review" / "index.html").read_text(encoding="utf-8")
        assert "photo-1" in sheet and "never exported" in sheet
    everything = every_byte(files)
    for identifier in IDENTIFIERS:
        assert identifier.encode().lower() not in everything.lower(), identifier
    assert key.hex().encode() not in everything.lower() and key not in everything

    discussion = files["discussion.txt"].decode("utf-8").rstrip()
    assert discussion.endswith(f"Permission ID: {PERMISSION_ID}.")
    assert "consent" in discussion.splitlines()[-1].lower()

    report = json.loads(files["report.json"])
    assert {i["source"] for i in report["items"]} >= {"dicom-1", "text-1", "photo-1"}
    assert report["policy"]["choices"]["publication-consent"]["choice"]
    assert all(entry["signed"]["by"] == "Dr Reviewer" for entry in report["review"] + report["withheld"])
    assert b"signed by Dr Reviewer" in files["report.html"] and b">open<" not in files["report.html"]

    log = case / "sharing-log.jsonl"
    entry = json.loads(log.read_text(encoding="utf-8").splitlines()[0])
    assert entry["permission_id"] == PERMISSION_ID and entry["by"] == "Dr Sender"
    assert entry["files"]["report.html"] and len(entry["package"]) == 64
    assert verify_log(log).ok and cli("verify-log", case) == EXIT_OK
    log.write_text(log.read_text(encoding="utf-8").replace("teaching site", "another site"), encoding="utf-8")
    assert not verify_log(log).ok and cli("verify-log", case) == EXIT_WITHHELD

    assert {p.name: p.read_bytes() for p in inputs.iterdir()} == originals  # inputs untouched
    screen = capsys.readouterr()
    printed = (screen.out + screen.err).lower()
    for identifier in IDENTIFIERS:  # nothing on screen names the patient, not even an input's file name
        assert identifier.lower() not in printed, identifier


def test_direct_care_is_refused_and_nothing_is_cleaned(tmp_path: Path, inputs: Path) -> None:
    case = tmp_path / "case"
    assert cli("init", case, "--purpose", "direct-care", "--destination", "ward 7") == EXIT_OK
    assert cli("add", case, inputs / "DOE_JANE_MRN889123.dcm") == EXIT_OK
    assert cli("check", case) == EXIT_WITHHELD
    assert cli("run", case) == EXIT_WITHHELD
    assert not (case / "out").exists()


def test_a_changed_manifest_needs_a_new_run_before_export(tmp_path: Path, inputs: Path) -> None:
    case = tmp_path / "case"
    assert cli("init", case, "--purpose", "teaching", "--destination", "lecture") == EXIT_OK
    assert cli("add", case, inputs / "DOE_JANE_MRN889123.dcm") == EXIT_OK
    assert cli("run", case) == EXIT_OK
    assert cli("add", case, inputs / "DOE_JANE_MRN889123.dcm") == EXIT_OK
    assert cli("export", case, "--by", "Dr S") == EXIT_WITHHELD
    assert cli("run", case) == EXIT_OK
    assert cli("export", case, "--by", "Dr S") == EXIT_OK


def test_signing_an_unknown_item_is_refused(tmp_path: Path) -> None:
    case = tmp_path / "case"
    assert cli("init", case, "--purpose", "teaching", "--destination", "lecture") == EXIT_OK
    assert cli("signoff", case, "rare-conditon", "--by", "Dr R") == EXIT_WITHHELD


def test_research_case_is_pseudonymised_and_the_key_travels_only_encrypted_and_apart(
        tmp_path: Path, inputs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "keys" / "project.key"
    monkeypatch.setenv("MEDANON_KEY_FILE", str(key_file))
    monkeypatch.setenv("CASE_PASSPHRASE", "a long shared passphrase")
    case = tmp_path / "case"
    assert cli("init", case, "--purpose", "research", "--destination", "Consortium",
               "--partner", "University A", "--contract", "DSA-2026-7") == EXIT_OK
    assert cli("add", case, inputs / "DOE_JANE_MRN889123.dcm") == EXIT_OK
    assert cli("run", case) == EXIT_OK
    assert json.loads((case / "out" / "report.json").read_text(encoding="utf-8"))["level"] == "limited-access"
    assert cli("export", case, "--by", "Dr S") == EXIT_WITHHELD  # limited access never leaves unencrypted
    package_path = tmp_path / "research.zip.age"
    key_out = tmp_path / "project.key.age"
    assert cli("export", case, "--by", "Dr S", "--passphrase-env", "CASE_PASSPHRASE", "-o", package_path,
               "--key-out", key_out) == EXIT_OK
    key_hex = key_file.read_text(encoding="ascii").strip().encode()
    with open_package(package_path, passphrase="a long shared passphrase") as archive:
        contents = every_byte({name: archive.read(name) for name in archive.namelist()})
    assert key_hex not in contents.lower()
    assert key_hex not in key_out.read_bytes()
    from pyrage import passphrase

    assert passphrase.decrypt(key_out.read_bytes(), "a long shared passphrase").strip() == key_hex


def test_the_key_may_not_live_inside_the_case_folder(tmp_path: Path, inputs: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    case = tmp_path / "case"
    monkeypatch.setenv("MEDANON_KEY_FILE", str(case / "project.key"))
    assert cli("init", case, "--purpose", "teaching", "--destination", "lecture") == EXIT_OK
    assert cli("add", case, inputs / "DOE_JANE_MRN889123.dcm") == EXIT_OK
    assert cli("run", case) == EXIT_WITHHELD
    assert not (case / "project.key").exists() and not (case / "out").exists()


def test_a_file_slipped_into_out_after_the_run_blocks_the_export(tmp_path: Path, inputs: Path) -> None:
    case = tmp_path / "case"
    assert cli("init", case, "--purpose", "teaching", "--destination", "lecture") == EXIT_OK
    assert cli("add", case, inputs / "DOE_JANE_MRN889123.dcm") == EXIT_OK
    assert cli("run", case) == EXIT_OK
    (case / "out" / "extra.txt").write_text(NOTE, encoding="utf-8")
    assert cli("export", case, "--by", "Dr S") == EXIT_WITHHELD
    assert not (case / "exports").exists()
    (case / "out" / "extra.txt").unlink()
    assert cli("export", case, "--by", "Dr S") == EXIT_OK


def test_an_engine_review_note_is_a_checklist_item_to_sign(tmp_path: Path) -> None:
    write(make_ct(BodyPartExamined="HEAD", SliceThickness="5.0"), tmp_path / "head.dcm")
    case = tmp_path / "case"
    assert cli("init", case, "--purpose", "teaching", "--destination", "lecture") == EXIT_OK
    assert cli("add", case, tmp_path / "head.dcm") == EXIT_OK
    assert cli("run", case) == EXIT_OK
    assert check_case(case).open_items == ["review:dicom-1"]
    assert cli("export", case, "--by", "Dr S") == EXIT_WITHHELD
    assert cli("signoff", case, "review:dicom-1", "--by", "Dr R", "--note", "no face in 5 mm slices") == EXIT_OK
    assert cli("export", case, "--by", "Dr S") == EXIT_OK
    report = json.loads((case / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["review"][0]["id"] == "review:dicom-1" and report["review"][0]["signed"]["by"] == "Dr R"


def test_a_sign_off_written_into_the_manifest_counts(tmp_path: Path) -> None:
    case = tmp_path / "case"
    assert cli("init", case, "--purpose", "teaching", "--destination", "lecture", "--in-the-news") == EXIT_OK
    assert cli("check", case) == EXIT_WITHHELD
    with (case / "case.toml").open("a", encoding="utf-8") as manifest:
        manifest.write('\n[[signoff]]\nitem = "in-the-news"\nby = "Dr R"\n')
    assert check_case(case).passed
