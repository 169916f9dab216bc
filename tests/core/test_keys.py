"""The project key and what is derived from it: UIDs, pseudonyms, date shifts, key files."""

from __future__ import annotations

import re
import stat

import pytest

from medanon.core.errors import KeyFileError, PolicyError
from medanon.core.keys import (
    MAX_SHIFT_DAYS,
    MIN_SHIFT_DAYS,
    KeyRing,
    default_key_path,
    load_key,
    load_or_create_key,
)
from tests.conftest import TEST_KEY

OTHER_KEY = bytes(range(100, 132))
UID = "1.2.826.0.1.3680043.2.1125.1.1"


# --- the key ring --------------------------------------------------------------------------------

def test_keyring_refuses_key_shorter_than_32_bytes():
    with pytest.raises(KeyFileError, match="at least 32 bytes"):
        KeyRing(bytes(31))


def test_keyring_refuses_non_bytes_key():
    with pytest.raises(KeyFileError):
        KeyRing("0" * 64)  # type: ignore[arg-type]


def test_key_error_is_a_policy_error():
    assert issubclass(KeyFileError, PolicyError)


def test_keyring_repr_hides_the_key(keys):
    assert TEST_KEY.hex() not in repr(keys) and repr(TEST_KEY) not in repr(keys)


def test_uid_is_2_25_decimal_within_64_chars(keys):
    uid = keys.uid(UID)
    assert re.fullmatch(r"2\.25\.(0|[1-9][0-9]*)", uid)
    assert len(uid) <= 64


def test_uid_is_deterministic(keys):
    assert keys.uid(UID) == KeyRing(TEST_KEY).uid(UID)


def test_uid_differs_per_key(keys):
    assert keys.uid(UID) != KeyRing(OTHER_KEY).uid(UID)


def test_uid_differs_per_input(keys):
    assert keys.uid(UID) != keys.uid(UID + "0")


def test_pseudonym_fits_sh(keys):
    assert len(keys.pseudonym("patient", "Doe^Jane")) <= 16


def test_pseudonym_does_not_contain_the_input_value(keys):
    code = keys.pseudonym("patient", "MRN889123")
    assert "889123" not in code and "MRN" not in code


def test_pseudonym_is_deterministic_and_keyed(keys):
    assert keys.pseudonym("patient", "Doe^Jane") == KeyRing(TEST_KEY).pseudonym("patient", "Doe^Jane")
    assert keys.pseudonym("patient", "Doe^Jane") != KeyRing(OTHER_KEY).pseudonym("patient", "Doe^Jane")


def test_pseudonym_depends_on_purpose(keys):
    assert keys.pseudonym("patient", "X1") != keys.pseudonym("accession", "X1")


def test_date_shift_days_within_one_to_five_years(keys):
    shifts = [keys.date_shift_days(f"patient-{n}") for n in range(500)]
    assert MIN_SHIFT_DAYS == 365 and MAX_SHIFT_DAYS == 1825
    assert all(365 <= s <= 1825 for s in shifts)
    assert len(set(shifts)) > 100  # spread, not a constant


def test_date_shift_days_is_deterministic(keys):
    assert keys.date_shift_days("MRN889123") == KeyRing(TEST_KEY).date_shift_days("MRN889123")


def test_fingerprint_does_not_reveal_the_key(keys):
    assert len(keys.fingerprint) == 12 and keys.fingerprint not in TEST_KEY.hex()


def test_generated_keys_differ():
    assert KeyRing.generate().key != KeyRing.generate().key


# --- key files -----------------------------------------------------------------------------------

def test_load_or_create_key_creates_0600_file(tmp_path):
    path = tmp_path / "conf" / "project.key"
    ring, created = load_or_create_key(path)
    assert created and path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text(encoding="ascii").strip() == ring.key.hex()


def test_load_or_create_key_reloads_the_same_key(tmp_path):
    path = tmp_path / "project.key"
    first, _ = load_or_create_key(path)
    again, created = load_or_create_key(path)
    assert not created and again.key == first.key


def test_load_or_create_key_refuses_path_inside_forbidden_dir(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(KeyFileError, match="must not be stored inside the output folder"):
        load_or_create_key(out / "sub" / "project.key", forbidden_dirs=(out,))
    assert not out.exists()


def test_load_or_create_key_refuses_forbidden_dir_reached_through_dotdot(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(KeyFileError):
        load_or_create_key(tmp_path / "elsewhere" / ".." / "out" / "project.key", forbidden_dirs=(out,))


def test_load_or_create_key_allows_sibling_of_forbidden_dir(tmp_path):
    _, created = load_or_create_key(tmp_path / "out-keys" / "project.key", forbidden_dirs=(tmp_path / "out",))
    assert created


def test_load_key_refuses_non_hex(tmp_path):
    path = tmp_path / "project.key"
    path.write_text("not hex at all, sorry\n", encoding="ascii")
    with pytest.raises(KeyFileError, match="not hex text"):
        load_key(path)


def test_load_key_refuses_short_hex_key(tmp_path):
    path = tmp_path / "project.key"
    path.write_text(bytes(16).hex() + "\n", encoding="ascii")
    with pytest.raises(KeyFileError, match="at least 32 bytes"):
        load_key(path)


def test_load_key_refuses_missing_file(tmp_path):
    with pytest.raises(KeyFileError, match="not found"):
        load_key(tmp_path / "absent.key")


def test_load_key_reads_hex_with_trailing_newline(tmp_path):
    path = tmp_path / "project.key"
    path.write_text(TEST_KEY.hex() + "\n", encoding="ascii")
    assert load_key(path).key == TEST_KEY


def test_default_key_path_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDANON_KEY_FILE", str(tmp_path / "k.key"))
    assert default_key_path() == tmp_path / "k.key"

