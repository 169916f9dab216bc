"""The byte engine writes exactly what the dataset engine and the writer write, or steps aside.

The reference is ``dicom.deidentify`` + ``dicom.encode_file`` on ``dicom.read``;
the byte path is ``read_plain`` + ``header_dataset`` + ``deidentify_bytes``.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from pydicom.dataset import Dataset, FileMetaDataset

from medanon import dicom, photo
from medanon.core.enum import Option
from medanon.core.keys import KeyRing
from medanon.core.policy import Policy
from medanon.dicom import NotPlain, deidentify_bytes, engine, header_dataset, read_plain
from medanon.examples import all_package_files
from tests.conftest import file_bytes, make_ct

POLICIES = {
    "publication": Policy.load("publication"),
    "limited-access": Policy.load("limited-access"),
    "safe-private": Policy.load("limited-access").with_options(
        {Option.RETAIN_SAFE_PRIVATE, Option.RETAIN_UIDS, Option.CLEAN_DESCRIPTORS}),
}


def reference(data: bytes, policy: Policy, keys: KeyRing) -> tuple[bytes, dicom.Deidentified]:
    cleaned = dicom.deidentify(dicom.read(data), policy, keys)
    return dicom.encode_file(cleaned.dataset), cleaned


def by_bytes(data: bytes, policy: Policy, keys: KeyRing) -> dicom.FastDeidentified:
    return deidentify_bytes(read_plain(data), policy, keys)


def assert_same(data: bytes, policy: Policy, keys: KeyRing) -> None:
    expected, cleaned = reference(data, policy, keys)
    fast = by_bytes(data, policy, keys)
    assert fast.encoded == expected
    assert fast.actions == cleaned.actions
    assert fast.review == cleaned.review


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_every_package_file_the_byte_path_takes_comes_out_byte_for_byte_as_the_reference(name, keys):
    policy, taken = POLICIES[name], 0
    for path in all_package_files():
        data = path.read_bytes()
        try:
            fast = by_bytes(data, policy, keys)
        except NotPlain:
            continue
        expected, cleaned = reference(data, policy, keys)
        assert (fast.encoded, fast.actions, fast.review) == (expected, cleaned.actions, cleaned.review), path
        taken += 1
    assert taken >= 150  # most shipped files are ordinary explicit VR little endian: the path must take them


def test_header_rules_read_the_header_dataset_as_they_read_the_file():
    for path in all_package_files():
        data = path.read_bytes()
        try:
            header = header_dataset(read_plain(data))
        except NotPlain:
            continue
        full = dicom.read(data)
        for rule in (dicom.pixel_risks, dicom.face_risks, dicom.is_media_directory, dicom.review_notes,
                     photo.is_photograph):
            assert rule(header) == rule(full), (rule.__name__, path)
        assert header.get("Modality") == full.get("Modality")


class _Recording(Dataset):
    """A dataset that notes which top-level tags are read (values) and which are only asked about (presence)."""

    def __init__(self, source: Dataset) -> None:
        super().__init__()
        self._dict.update(source._dict)
        self.file_meta = _RecordingMeta(source.file_meta) if hasattr(source, "file_meta") else None
        self.read_tags: set[int] = set()
        self.asked_tags: set[int] = set()

    def __getitem__(self, key):  # type: ignore[no-untyped-def]
        if isinstance(key, int):
            self.read_tags.add(int(key))
        return super().__getitem__(key)

    def __contains__(self, name) -> bool:  # type: ignore[no-untyped-def]
        from pydicom.tag import Tag

        self.asked_tags.add(int(Tag(name)))
        return super().__contains__(name)


class _RecordingMeta(FileMetaDataset):
    def __init__(self, source: FileMetaDataset) -> None:
        super().__init__()
        self._dict.update(source._dict)
        self.read_tags: set[int] = set()

    def __getitem__(self, key):  # type: ignore[no-untyped-def]
        if isinstance(key, int):
            self.read_tags.add(int(key))
        return super().__getitem__(key)


@pytest.mark.parametrize("rule, reads", [
    (dicom.pixel_risks, dicom.RULE_READS), (dicom.is_media_directory, dicom.RULE_READS),
    (dicom.review_notes, dicom.RULE_READS), (photo.is_photograph, photo.PHOTOGRAPH_READS),
    (engine._patient_key, engine.PATIENT_KEY_READS)])
def test_header_rules_read_only_the_attributes_they_are_remembered_by(rule, reads):
    """``HeaderRule`` keys a rule's answer by the stored bytes of what it declares: it must read nothing else."""
    for path in all_package_files():
        try:
            recording = _Recording(dicom.read(path.read_bytes()))
        except Exception:
            continue
        rule(recording)
        read = {tag for tag in recording.read_tags if tag != 0x00080005}  # the character set is always in the key
        assert read <= reads, (rule.__name__, path.name, sorted(map(hex, read - reads)))
        assert recording.asked_tags - read <= dicom.RULE_PRESENCE | reads, (rule.__name__, path.name)
        if recording.file_meta is not None:
            assert recording.file_meta.read_tags - {0x00080005} <= reads, (rule.__name__, path.name)


def test_remembered_verdicts_equal_the_rules_on_each_file():
    from medanon.pipeline.run import _HEADER_VERDICT, _header_verdict

    checked = 0
    for path in all_package_files() * 2:  # the second round answers from memory
        data = path.read_bytes()
        try:
            plain = read_plain(data)
        except NotPlain:
            continue
        assert _HEADER_VERDICT(plain) == _header_verdict(dicom.read(data)), path
        checked += 1
    assert checked >= 300


def test_values_remembered_for_one_patient_are_not_reused_for_another(keys):
    """Descriptors are cleaned of the patient's own names: the same stored text differs per patient."""
    policy = Policy.load("limited-access").with_options({Option.CLEAN_DESCRIPTORS})
    jane = file_bytes(make_ct(StudyDescription="CT CHEST Jane Doe Smith"))
    john = file_bytes(make_ct(StudyDescription="CT CHEST Jane Doe Smith", PatientName="Smith^John",
                           PatientID="MRN2", SOPInstanceUID="1.2.826.0.1.3680043.2.1125.1.5"))
    for data in (jane, john, jane, john):
        assert_same(data, policy, keys)
    assert by_bytes(jane, policy, keys).encoded != by_bytes(john, policy, keys).encoded


def test_another_key_gives_other_outputs_each_equal_to_the_reference(keys):
    other = KeyRing(bytes(range(1, 33)))
    data = file_bytes(make_ct())
    for ring in (keys, other, keys):
        assert_same(data, POLICIES["publication"], ring)
    assert by_bytes(data, POLICIES["publication"], keys).encoded != by_bytes(data, POLICIES["publication"],
                                                                             other).encoded


def test_undefined_length_sequences_and_items_come_out_as_the_reference_writes_them(keys):
    ds = make_ct()
    ds["RequestAttributesSequence"].is_undefined_length = True
    for item in ds.RequestAttributesSequence:
        item.is_undefined_length_sequence_item = True
    data = file_bytes(ds)
    assert b"\xfe\xff\xdd\xe0" in data  # the input really has a sequence delimiter
    assert_same(data, POLICIES["publication"], keys)


def test_encapsulated_pixel_data_is_carried_over_as_the_reference_carries_it(keys):
    from pydicom.encaps import encapsulate
    from pydicom.uid import JPEGBaseline8Bit

    ds = make_ct()
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.PixelData = encapsulate([b"\xff\xd8fake-jpeg\xff\xd9\x00"])
    ds["PixelData"].is_undefined_length = True
    ds["PixelData"].VR = "OB"
    data = file_bytes(ds)
    assert_same(data, POLICIES["publication"], keys)


def _truncated(data: bytes) -> bytes:
    return data[:-7]


def _trailing(data: bytes) -> bytes:
    return data + b"\x00\x00\x00"


def _unknown_vr(data: bytes) -> bytes:
    at = data.index(b"CS", 140)  # the first CS element of the dataset
    return data[:at] + b"ZZ" + data[at + 2:]


def _length_past_end(data: bytes) -> bytes:
    at = data.index(b"PN", 140)
    return data[:at + 2] + struct.pack("<H", 0xFFF0) + data[at + 4:]


def _short_pixels(data: bytes) -> bytes:
    at = data.index(b"\xe0\x7f\x10\x00OW")
    return data[:at + 8] + struct.pack("<L", 8) + data[at + 12:at + 12 + 8]


def _out_of_order(data: bytes) -> bytes:
    plain = read_plain(data)
    first, second = plain.elements[1], plain.elements[2]
    a, b = data[first.start:first.end], data[second.start:second.end]
    return data[:first.start] + b + a + data[second.end:]


@pytest.mark.parametrize("damage", [_truncated, _trailing, _unknown_vr, _length_past_end, _short_pixels,
                                    _out_of_order])
def test_damaged_or_unusual_bytes_are_left_to_the_reference_reader(damage):
    data = file_bytes(make_ct())
    read_plain(data)  # the undamaged file is ordinary
    with pytest.raises(NotPlain):
        read_plain(damage(data))


def test_other_transfer_syntaxes_and_character_sets_are_left_to_the_reference_path(keys):
    from pydicom.uid import ImplicitVRLittleEndian

    ds = make_ct()
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    with pytest.raises(NotPlain):
        read_plain(file_bytes(ds))
    greek = make_ct(SpecificCharacterSet="ISO_IR 126")
    with pytest.raises(NotPlain):
        by_bytes(file_bytes(greek), POLICIES["publication"], keys)


@pytest.mark.parametrize("screen_pixels", [False, True])
def test_the_batch_takes_the_byte_path_and_releases_what_the_reference_writes(tmp_path: Path, keys,
                                                                              screen_pixels):
    from medanon.pipeline.inputs import Item
    from medanon.pipeline.run import Job, _header_only, process_items

    data = file_bytes(make_ct())
    source = tmp_path / "in.dcm"
    source.write_bytes(data)
    job = Job(policy=POLICIES["publication"], keys=keys, out_dir=tmp_path / "out",
              quarantine_dir=tmp_path / "out" / "quarantine", screen_pixels=screen_pixels)
    item = Item(source=str(source), path=source)
    checked = _header_only(item, data, job)
    assert checked is not None  # the byte path, not the fallback, handled it
    checked.temp.unlink()  # type: ignore[union-attr]
    [result] = process_items([item], job)
    expected, _ = reference(data, POLICIES["publication"], keys)
    assert (tmp_path / "out" / result.output).read_bytes() == expected

