"""Plug-in contract of face detection (STYLE.md section 3).

A :class:`FaceDetector` looks at one RGB image and returns the faces it sees. Detectors are
intervention-style: their answer decides release. An exception, or ``is_available() is False``,
means "could not check for faces" (quarantine), never "no face" (DESIGN.md "Fail closed"). A
detector must not modify the image it is given, and must not download anything: its model ships
inside a pip wheel or a Debian package.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from medanon.photo.model import FaceBox


@runtime_checkable
class FaceDetector(Protocol):
    """Finds faces in one image.

    Attributes
    ----------
    name : str
        Registry label, e.g. ``"centerface"`` or ``"haar"``.
    DEPENDENCIES : tuple of str
        What must be installed for :meth:`is_available` to be true, named so that a message can say
        what to install.

    A detector may also set ``small_faces = True`` when it is fast enough, and finds faces small
    enough, to search a whole large picture in tiles (the fine pass of
    :func:`medanon.photo.faces.scan.scan_faces`); without it, a scan runs it on the overview only.
    Such a detector should offer ``detect_at(rgb, max_side)`` so that tiles are searched at their
    own size whatever its default working size.
    """

    name: str
    DEPENDENCIES: tuple[str, ...]

    def is_available(self) -> bool:
        """True if the detector and its model are present on this machine."""
        ...

    def detect(self, rgb: np.ndarray) -> list[FaceBox]:
        """Return the faces in ``rgb``.

        Parameters
        ----------
        rgb : numpy.ndarray
            ``uint8`` array of shape (rows, columns, 3), RGB order; read-only for the detector.

        Returns
        -------
        list of FaceBox
            Boxes clipped to the image; an empty list means the detector looked and found no face.
        """
        ...
