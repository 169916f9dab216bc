"""Plug-in contract of the burnt-in text screen (STYLE.md section 3).

A :class:`TextDetector` looks at one 8-bit grey frame and returns the boxes that hold text. Two
roles use the same contract:

* a *searching* detector is called with ``candidates=None`` and searches the whole frame (the
  geometric line detector, :mod:`medanon.pixels.detectors.lines`);
* a *confirming* detector is called with the candidate boxes another detector found and returns
  those it agrees hold text (OCR, :mod:`medanon.pixels.detectors.tesseract`). It may only remove
  weak candidates; the screen never lets it add doubt-free "clean" answers on its own.

Detectors are intervention-style: their answer decides release. An exception, or
``is_available() is False``, means "could not screen" (quarantine), never "nothing found"
(DESIGN.md "Fail closed"). A detector must not modify the frame it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from medanon.pixels.model import Box


@runtime_checkable
class TextDetector(Protocol):
    """Finds text in one frame.

    Attributes
    ----------
    name : str
        Registry label, e.g. ``"lines"`` or ``"tesseract"``.
    DEPENDENCIES : tuple of str
        What must be installed for :meth:`is_available` to be true (Python packages or programs),
        named so that a message can say what to install.
    """

    name: str
    DEPENDENCIES: tuple[str, ...]

    def is_available(self) -> bool:
        """True if the detector can run on this machine (dependencies present)."""
        ...

    def detect(self, frame: np.ndarray, candidates: Sequence[Box] | None = None) -> list[Box]:
        """Return the boxes of ``frame`` that hold text.

        Parameters
        ----------
        frame : numpy.ndarray
            A 2-D ``uint8`` grey image (rows, columns); read-only for the detector.
        candidates : sequence of Box, optional
            If given, look only inside these boxes and return the ones that hold text (a
            confirming detector); if ``None``, search the whole frame.

        Returns
        -------
        list of Box
            Boxes inside the frame; an empty list means the detector looked and found nothing.

        Raises
        ------
        Exception
            Any failure; the screen turns it into "could not screen" (quarantine).
        """
        ...
