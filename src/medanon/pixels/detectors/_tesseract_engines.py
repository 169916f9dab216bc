"""Two ways to run Tesseract: in this process (``tesserocr``), or as the ``tesseract`` program.

Both read a 2-D ``uint8`` image with a page segmentation mode and answer Tesseract's TSV table,
so the confirmer parses one format whichever runs. The in-process engine is what makes redaction
fast: the program costs a process start, a PNG encode and a model load on every read (0.1-1 s),
the library loads the model once per process and reads a crop in a few milliseconds.

* :class:`InProcessTesseract` uses the ``tesserocr`` wheel (libtesseract 5 and Leptonica inside
  it) with the ``eng`` language data of the Debian package ``tesseract-ocr-eng``; no model is in the
  wheel and nothing is downloaded. One API object per process and thread, created on first use
  and reused (a forked worker makes its own).
* :class:`TesseractProgram` runs ``tesseract stdin stdout ... tsv`` (Debian ``tesseract-ocr``); it
  is the fallback when ``tesserocr`` is not installed, and it honours a timeout.
"""

from __future__ import annotations

import glob
import io
import os
import shutil
import subprocess
import threading
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from medanon.core.errors import MedanonError


class OcrFailed(MedanonError):
    """Tesseract could not be run or did not answer in time."""


#: Tesseract settings for both engines. The images it gets are always dark strokes on white (the
#: confirmer draws them so), so its retry of doubtful lines on the inverted image only costs time
#: (about a fifth of the OCR time on the redaction benchmark) and reads noise in speckle.
SETTINGS = {"tessedit_do_invert": "0"}


class TesseractEngine(Protocol):
    """Reads one image; answers Tesseract's TSV text (level 5 rows are words)."""

    name: str

    def is_available(self) -> bool: ...

    def read_tsv(self, image: np.ndarray, psm: int) -> str: ...


#: Where Debian and common installs keep the language data, newest Tesseract first.
_TESSDATA_GLOBS = ("/usr/share/tesseract-ocr/*/tessdata", "/usr/share/tessdata", "/usr/local/share/tessdata",
                   "/usr/local/share/tesseract-ocr/*/tessdata")


@lru_cache(maxsize=8)
def tessdata_dir(language: str) -> str | None:
    """The folder holding ``<language>.traineddata``: ``TESSDATA_PREFIX`` first, then system folders."""
    candidates: list[str] = []
    prefix = os.environ.get("TESSDATA_PREFIX")
    if prefix:
        candidates += [prefix, os.path.join(prefix, "tessdata")]
    for pattern in _TESSDATA_GLOBS:
        candidates += sorted(glob.glob(pattern), reverse=True)
    for folder in candidates:
        if os.path.isfile(os.path.join(folder, f"{language}.traineddata")):
            return folder
    return None


class InProcessTesseract:
    """libtesseract through ``tesserocr``: the model is loaded once per process and thread."""

    name = "tesserocr"

    def __init__(self, language: str = "eng") -> None:
        self.language = language
        self._local = threading.local()

    def is_available(self) -> bool:
        try:
            import tesserocr  # noqa: F401
        except ImportError:
            return False
        return tessdata_dir(self.language) is not None

    def _api(self) -> Any:
        api = getattr(self._local, "api", None)
        if api is not None and getattr(self._local, "pid", None) == os.getpid():
            return api
        try:
            import tesserocr
        except ImportError as exc:
            raise OcrFailed("tesserocr is not installed") from exc
        folder = tessdata_dir(self.language)
        if folder is None:
            raise OcrFailed(f"Tesseract language data {self.language!r} not found (Debian: tesseract-ocr-eng)")
        try:
            api = tesserocr.PyTessBaseAPI(path=folder.rstrip("/") + "/", lang=self.language)
        except RuntimeError as exc:
            raise OcrFailed(f"libtesseract could not load {self.language!r}: {exc}") from exc
        for name, value in SETTINGS.items():
            api.SetVariable(name, value)
        self._local.api, self._local.pid = api, os.getpid()
        return api

    def read_tsv(self, image: np.ndarray, psm: int) -> str:
        api = self._api()
        data = np.ascontiguousarray(image, dtype=np.uint8)
        try:
            api.SetPageSegMode(psm)
            api.SetImageBytes(data.tobytes(), data.shape[1], data.shape[0], 1, data.shape[1])
            text: str = api.GetTSVText(0)
        except RuntimeError as exc:
            raise OcrFailed(f"libtesseract failed: {exc}") from exc
        finally:
            api.Clear()
        return text


@lru_cache(maxsize=8)
def _languages(executable: str) -> frozenset[str]:
    try:
        done = subprocess.run([executable, "--list-langs"], capture_output=True, timeout=10,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    lines = (done.stdout + done.stderr).decode("utf-8", "replace").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and " " not in line.strip())


class TesseractProgram:
    """The ``tesseract`` program, one process per read (slow; bounded by ``timeout``)."""

    name = "tesseract program"

    def __init__(self, executable: str = "tesseract", language: str = "eng", timeout: float = 5.0) -> None:
        self.executable = executable
        self.language = language
        self.timeout = timeout

    def is_available(self) -> bool:
        try:
            import PIL  # noqa: F401
        except ImportError:
            return False
        path = shutil.which(self.executable)
        return path is not None and self.language in _languages(path)

    def read_tsv(self, image: np.ndarray, psm: int) -> str:
        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="PNG", compress_level=1)
        settings = [arg for name, value in SETTINGS.items() for arg in ("-c", f"{name}={value}")]
        command = [self.executable, "stdin", "stdout", "--psm", str(psm), "-l", self.language, *settings, "tsv"]
        # One thread: Tesseract's OpenMP start-up costs more than it saves on small images.
        env = dict(os.environ, OMP_THREAD_LIMIT="1")
        try:
            done = subprocess.run(command, input=buffer.getvalue(), capture_output=True,
                                  timeout=self.timeout, env=env, check=False)
        except subprocess.TimeoutExpired as exc:
            raise OcrFailed(f"tesseract took longer than {self.timeout:g} s") from exc
        except OSError as exc:
            raise OcrFailed(f"tesseract could not be started: {exc.strerror}") from exc
        if done.returncode != 0:
            raise OcrFailed(f"tesseract exited with status {done.returncode}")
        return done.stdout.decode("utf-8", "replace")


def choose(backend: str, executable: str | None, language: str, timeout: float) -> TesseractEngine:
    """The engine for ``backend``: "tesserocr", "program", or "auto" (in-process when installed).

    An explicit ``executable`` with "auto" asks for that program.

    Raises
    ------
    ValueError
        For an unknown backend name.
    """
    if backend not in ("auto", "tesserocr", "program"):
        raise ValueError(f"unknown Tesseract backend {backend!r} (auto, tesserocr, program)")
    in_process = InProcessTesseract(language)
    if backend == "tesserocr" or (backend == "auto" and executable is None and in_process.is_available()):
        return in_process
    return TesseractProgram(executable or "tesseract", language, timeout)
