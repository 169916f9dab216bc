"""Export packages: zip contents with hashes, age encryption that opens only with the right key."""

from __future__ import annotations

from pathlib import Path

import pytest

from medanon.case import Encryption, build_package, export_key, new_identity, open_package
from medanon.core.errors import KeyFileError, MedanonError, PolicyError
from medanon.core.keys import KeyRing
from tests.conftest import TEST_KEY


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    (folder / "dicom-1").mkdir(parents=True)
    (folder / "dicom-1" / "x.dcm").write_bytes(b"cleaned image")
    (folder / "report.html").write_text("<html>report</html>", encoding="utf-8")
    return folder


def test_plain_package_holds_every_file_with_its_hash(out_dir: Path, tmp_path: Path) -> None:
    package = build_package(out_dir, tmp_path / "p.zip", Encryption(), KeyRing(TEST_KEY))
    assert sorted(package.files) == ["dicom-1/x.dcm", "report.html"]
    with open_package(package.path) as archive:
        assert archive.read("dicom-1/x.dcm") == b"cleaned image"


def test_recipient_encrypted_package_opens_only_with_the_right_identity(out_dir: Path, tmp_path: Path) -> None:
    secret, public = new_identity()
    other_secret, _ = new_identity()
    package = build_package(out_dir, tmp_path / "p.zip.age", Encryption(recipients=(public,)), KeyRing(TEST_KEY))
    assert b"cleaned image" not in package.path.read_bytes() and package.encrypted
    with open_package(package.path, identities=(secret,)) as archive:
        assert archive.read("report.html") == b"<html>report</html>"
    with pytest.raises(MedanonError, match="does not open"):
        open_package(package.path, identities=(other_secret,))


def test_passphrase_encrypted_package_opens_only_with_the_passphrase(out_dir: Path, tmp_path: Path) -> None:
    package = build_package(out_dir, tmp_path / "p.zip.age", Encryption(passphrase="correct horse battery"), None)
    with open_package(package.path, passphrase="correct horse battery") as archive:
        assert "dicom-1/x.dcm" in archive.namelist()
    with pytest.raises(MedanonError, match="does not open"):
        open_package(package.path, passphrase="wrong horse battery")


def test_a_package_that_would_hold_the_key_is_refused(out_dir: Path, tmp_path: Path) -> None:
    (out_dir / "notes.txt").write_text(TEST_KEY.hex(), encoding="ascii")
    with pytest.raises(KeyFileError, match="project key is inside"):
        build_package(out_dir, tmp_path / "p.zip", Encryption(), KeyRing(TEST_KEY))
    assert not (tmp_path / "p.zip").exists()


def test_the_key_is_exported_only_encrypted(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="only encrypted"):
        export_key(KeyRing(TEST_KEY), tmp_path / "k.age", Encryption())
    secret, public = new_identity()
    path = export_key(KeyRing(TEST_KEY), tmp_path / "k.age", Encryption(recipients=(public,)))
    assert TEST_KEY.hex().encode() not in path.read_bytes()
    import pyrage
    from pyrage import x25519

    assert pyrage.decrypt(path.read_bytes(), [x25519.Identity.from_str(secret)]).strip() == TEST_KEY.hex().encode()


def test_bad_encryption_settings_are_refused() -> None:
    with pytest.raises(PolicyError, match="not both"):
        Encryption(recipients=(new_identity()[1],), passphrase="long enough phrase")
    with pytest.raises(PolicyError, match="12 characters"):
        Encryption(passphrase="short")
    with pytest.raises(PolicyError, match="age public key"):
        Encryption(recipients=("ssh-rsa AAAA",))
