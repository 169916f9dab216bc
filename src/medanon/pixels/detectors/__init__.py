"""Registry of text detectors: label -> (module, class), imported lazily (STYLE.md section 3).

``get_detector("lines")`` returns the geometric line detector, ``get_detector("tesseract")`` the
OCR confirmer. A detector whose dependencies are missing is still returned; its ``is_available()``
says so, and the screen then treats it as "could not run" (fail closed), never as "found nothing".
"""

from __future__ import annotations

from functools import cache

from medanon.core.plugins import instantiate
from medanon.pixels.base import TextDetector

#: label -> (module, class name)
PLUGINS: dict[str, tuple[str, str]] = {
    "lines": ("medanon.pixels.detectors.lines", "LineTextDetector"),
    "tesseract": ("medanon.pixels.detectors.tesseract", "TesseractConfirmer"),
}


def detector_names() -> tuple[str, ...]:
    """The registered labels."""
    return tuple(PLUGINS)


@cache
def get_detector(name: str) -> TextDetector:
    """The detector registered as ``name``, with its default settings (one shared instance).

    Raises
    ------
    ValueError
        If no detector is registered under ``name``.
    """
    detector: TextDetector = instantiate(PLUGINS, name, "text detector")
    return detector


def available_detectors() -> dict[str, bool]:
    """Each registered label and whether it can run on this machine."""
    return {name: get_detector(name).is_available() for name in PLUGINS}


__all__ = ["PLUGINS", "available_detectors", "detector_names", "get_detector"]
