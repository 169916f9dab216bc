"""Keyed pseudonyms, UIDs and date shifts (DESIGN.md "Consistent and keyed").

Every derived value is HMAC-SHA256(project key, purpose || value). The same
input and key give the same output on any machine; without the key nothing can
be recomputed or reversed. The key itself is never written into an output or
a report, and codes never embed patient data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from medanon.core.errors import KeyFileError

MIN_KEY_BYTES = 32
PSEUDONYM_PREFIX = "MA"
# Shifts move dates back by 1..5 years in whole days; a backward-only shift
# never produces a date in the future.
MIN_SHIFT_DAYS = 365
MAX_SHIFT_DAYS = 5 * 365


@dataclass(frozen=True)
class KeyRing:
    """A project key and the derivations built on it; refuses keys under 32 bytes."""

    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.key, bytes) or len(self.key) < MIN_KEY_BYTES:
            raise KeyFileError(f"the project key must be at least {MIN_KEY_BYTES} bytes")

    def digest(self, purpose: str, value: str) -> bytes:
        message = purpose.encode("utf-8") + b"\x00" + value.encode("utf-8", "surrogateescape")
        return hmac.new(self.key, message, hashlib.sha256).digest()

    def uid(self, original: str) -> str:
        """A ``2.25.<int>`` UID (PS3.5 B.2) of 128 keyed bits; at most 44 characters."""
        return "2.25." + str(int.from_bytes(self.digest("uid", original)[:16], "big"))

    def pseudonym(self, purpose: str, value: str, length: int = 10) -> str:
        """An upper-case code like ``MA-7H2K9Q4WXZ``; fits SH (16 characters)."""
        code = base64.b32encode(self.digest(purpose, value)).decode("ascii")[:length]
        return f"{PSEUDONYM_PREFIX}-{code}"

    def date_shift_days(self, patient_key: str) -> int:
        """Days to subtract from every date of one patient, the same in every run."""
        span = MAX_SHIFT_DAYS - MIN_SHIFT_DAYS + 1
        return MIN_SHIFT_DAYS + int.from_bytes(self.digest("date-shift", patient_key)[:8], "big") % span

    @property
    def fingerprint(self) -> str:
        """A short, non-reversible name for the key, safe to print in reports."""
        return hashlib.sha256(b"medanon-key-fingerprint\x00" + self.key).hexdigest()[:12]

    @classmethod
    def generate(cls) -> KeyRing:
        return cls(secrets.token_bytes(MIN_KEY_BYTES))


def default_key_path() -> Path:
    """Where the project key lives unless ``--key`` says otherwise: outside any output folder."""
    env = os.environ.get("MEDANON_KEY_FILE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "medanon" / "project.key"


def load_key(path: Path) -> KeyRing:
    """Read a key file (hex text); refuse short or malformed keys."""
    try:
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except FileNotFoundError:
        raise KeyFileError(f"key file not found: {path}") from None
    except (ValueError, UnicodeDecodeError):
        raise KeyFileError(f"key file is not hex text: {path}") from None
    return KeyRing(key)


def load_or_create_key(path: Path, *, forbidden_dirs: tuple[Path, ...] = ()) -> tuple[KeyRing, bool]:
    """Load the key at ``path``, creating it (mode 0600) on first use.

    Refuses a key path inside any of ``forbidden_dirs`` (the output folder):
    the key must be kept apart from the data it protects (RCR level 2).
    Returns the key ring and whether it was created now.
    """
    resolved = path.expanduser().resolve()
    for folder in forbidden_dirs:
        folder = folder.expanduser().resolve()
        if resolved == folder or folder in resolved.parents:
            raise KeyFileError(f"the key file must not be stored inside the output folder {folder}")
    if resolved.exists():
        return load_key(resolved), False
    ring = KeyRing.generate()
    resolved.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(resolved, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(ring.key.hex() + "\n")
    return ring, True
