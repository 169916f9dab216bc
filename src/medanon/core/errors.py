"""Exceptions, named by the stage that raises them.

Engines raise; only ``medanon.pipeline`` turns an exception into a
quarantined or failed item so that a batch goes on (DESIGN.md "Fail closed").
Messages carry an item id and a tag path, never a patient value.
"""

from __future__ import annotations

import re

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|b'[^']*'")
_LONG_NUMBER = re.compile(r"\d{5,}")


class MedanonError(Exception):
    """Base class for every error medanon raises on purpose."""

    def __init__(self, message: str, *, item: str | None = None, where: str | None = None) -> None:
        self.item = item
        self.where = where
        prefix = ""
        if item:
            prefix += f"{item}: "
        if where:
            prefix += f"{where}: "
        super().__init__(prefix + message)
        self.message = message


class InputError(MedanonError):
    """The input cannot be read as what it claims to be (truncated, bad VR, bad zip member)."""


class UnsupportedInput(MedanonError):
    """The input is readable but medanon cannot prove it clean (e.g. pixels may hold text)."""


class PolicyError(MedanonError):
    """A profile, recipe, option set or key is invalid or contradictory."""


class KeyFileError(PolicyError):
    """The project key is missing, malformed, too short or stored in a forbidden place."""


class VerificationFailed(MedanonError):
    """The independent residual scan found an identifying value in an output."""


def safe_message(exc: BaseException, limit: int = 160) -> str:
    """One line about ``exc`` that cannot carry a patient value into a report or a terminal.

    Library messages sometimes quote the offending value (pydicom's VR
    validation does); quoted text and long digit runs are masked, the
    exception's type is kept.
    """
    text = " ".join(str(exc).split())
    text = _LONG_NUMBER.sub("#", _QUOTED.sub("'…'", text))
    return f"{type(exc).__name__}: {text}"[:limit] if text else type(exc).__name__
