"""The export package: a zip of the cleaned material and the report, optionally encrypted with age.

Encryption uses ``pyrage`` (the age format: X25519 recipients or an scrypt
passphrase), so a recipient opens the package with the standard ``age`` tool
or with :func:`open_package`. The package is built from the case's ``out/``
folder only; the key ring never lives there (``load_or_create_key`` refuses
it), and :func:`build_package` checks again that no key bytes are inside.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pyrage
from pyrage import passphrase as age_passphrase
from pyrage import x25519

from medanon.core.errors import KeyFileError, MedanonError, PolicyError
from medanon.core.files import write_bytes_atomic
from medanon.core.keys import KeyRing

FIXED_TIME = (2000, 1, 1, 0, 0, 0)  # zip entries carry no real time of the files


@dataclass(frozen=True)
class Encryption:
    """Either age recipients (``age1...`` public keys) or a passphrase, never both; None = plain zip."""

    recipients: tuple[str, ...] = ()
    passphrase: str | None = None

    def __post_init__(self) -> None:
        if self.recipients and self.passphrase:
            raise PolicyError("encrypt for recipients or with a passphrase, not both")
        if self.passphrase is not None and len(self.passphrase) < 12:
            raise PolicyError("a passphrase must have at least 12 characters")
        for recipient in self.recipients:
            try:
                x25519.Recipient.from_str(recipient)
            except Exception:
                raise PolicyError("a recipient must be an age public key (age1...)") from None

    @property
    def enabled(self) -> bool:
        return bool(self.recipients or self.passphrase)

    def encrypt(self, data: bytes) -> bytes:
        if self.passphrase:
            return bytes(age_passphrase.encrypt(data, self.passphrase))
        recipients = [x25519.Recipient.from_str(r) for r in self.recipients]
        return bytes(pyrage.encrypt(data, recipients))


@dataclass(frozen=True)
class Package:
    path: Path
    sha256: str
    files: dict[str, str]
    encrypted: bool


def zip_folder(folder: Path) -> tuple[bytes, dict[str, str]]:
    """Every file under ``folder`` into a zip in memory; returns the bytes and name -> SHA-256."""
    buffer = io.BytesIO()
    hashes: dict[str, str] = {}
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
            name = path.relative_to(folder).as_posix()
            data = path.read_bytes()
            hashes[name] = hashlib.sha256(data).hexdigest()
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue(), hashes


def build_package(folder: Path, destination: Path, encryption: Encryption, keys: KeyRing | None) -> Package:
    """Zip ``folder`` (the cleaned material), refuse if the key is inside, encrypt, write atomically."""
    data, files = zip_folder(folder)
    if keys is not None:
        _refuse_key_inside(data, files, folder, keys)
    payload = encryption.encrypt(data) if encryption.enabled else data
    write_bytes_atomic(destination, payload, prefix=".package-")
    return Package(destination, hashlib.sha256(payload).hexdigest(), files, encryption.enabled)


def _refuse_key_inside(data: bytes, files: dict[str, str], folder: Path, keys: KeyRing) -> None:
    # The key file's own form (hex text); 32 raw key bytes could match image data by chance in a test key.
    forms = (keys.key.hex().encode("ascii"), keys.key.hex().upper().encode("ascii"))
    for name in files:
        content = (folder / name).read_bytes()
        if any(form in content for form in forms):
            raise KeyFileError(f"{name}: the project key is inside the material; nothing was exported")


def open_package(path: Path, *, identities: tuple[str, ...] = (), passphrase: str | None = None) -> zipfile.ZipFile:
    """Decrypt (if needed) and open a package; a wrong key or passphrase raises ``MedanonError``."""
    payload = path.read_bytes()
    if payload.startswith(b"PK"):
        return zipfile.ZipFile(io.BytesIO(payload))
    try:
        if passphrase is not None:
            data = age_passphrase.decrypt(payload, passphrase)
        else:
            data = pyrage.decrypt(payload, [x25519.Identity.from_str(i) for i in identities])
    except Exception as exc:
        raise MedanonError(f"the package does not open with this key or passphrase ({type(exc).__name__})") from None
    return zipfile.ZipFile(io.BytesIO(bytes(data)))


def export_key(keys: KeyRing, destination: Path, encryption: Encryption) -> Path:
    """Write the limited-access key encrypted (never in the clear, never into a package)."""
    if not encryption.enabled:
        raise KeyFileError("the key is exported only encrypted: give a recipient or a passphrase")
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as stream:
        stream.write(encryption.encrypt(keys.key.hex().encode("ascii") + b"\n"))
    return destination


def new_identity() -> tuple[str, str]:
    """A fresh age key pair (secret, public) for a recipient."""
    identity = x25519.Identity.generate()
    return str(identity), str(identity.to_public())
