"""Reading DICOM strictly enough to trust it, and writing outputs atomically.

pydicom is tolerant by design: a truncated file or an element whose length runs
past the end of the file still "reads". medanon must not clean half a file and
call it done, so ``read`` checks what pydicom read against what the file
declares, and raises ``InputError`` with a one-line reason otherwise.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import io
import os
import sys
import tempfile
import warnings
from pathlib import Path

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID
from pydicom.valuerep import VR

from medanon.core.errors import InputError, safe_message
from medanon.dicom._elements import stored
from medanon.dicom.writer import encode_parts

UNDEFINED_LENGTH = 0xFFFFFFFF
KNOWN_VRS = frozenset(vr.value for vr in VR)
ENCAPSULATED_TS_PREFIXES = ("1.2.840.10008.1.2.4", "1.2.840.10008.1.2.5")


def read(source: Path | bytes, name: str | None = None) -> Dataset:
    """Read one DICOM file or in-memory DICOM bytes, refusing anything damaged.

    Values are not decoded here (that would cost ~15 us an element and defeat
    writing kept elements as their original bytes); a value that cannot be
    decoded is refused when ``verify.collect_identifiers`` reads it.

    Files without the PS3.10 preamble are accepted only if they still parse as
    a dataset with a SOP Class and SOP Instance UID (old ACR-NEMA-style files).

    Raises
    ------
    InputError
        Not DICOM, truncated, an element length past the end of the file, an
        unknown VR, or pixel data shorter than the image it describes.
    """
    label = name or (str(source) if isinstance(source, Path) else "<bytes>")
    data = source.read_bytes() if isinstance(source, Path) else source
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = _parse(data, label)
        _check_transfer_syntax(ds, label)
        _check_lengths(ds, label, "")
        _check_pixel_length(ds, label)
    return ds


def _parse(data: bytes, label: str) -> Dataset:
    try:
        return pydicom.dcmread(io.BytesIO(data))
    except InvalidDicomError:
        pass
    except Exception as exc:  # pydicom raises many types on damaged input
        raise InputError(f"cannot parse DICOM: {_short(exc)}", item=label) from None
    try:
        ds = pydicom.dcmread(io.BytesIO(data), force=True)
    except Exception as exc:
        raise InputError(f"not a DICOM file ({_short(exc)})", item=label) from None
    try:
        has_sop = bool(ds.get("SOPClassUID")) and bool(ds.get("SOPInstanceUID"))
    except Exception:
        has_sop = False
    if not has_sop:
        raise InputError("not a DICOM file (no DICM preamble and no SOP Class/Instance UID)", item=label)
    return ds


def _check_transfer_syntax(ds: Dataset, label: str) -> None:
    """A transfer syntax pydicom does not know cannot be re-written truthfully; and its text would travel."""
    meta = getattr(ds, "file_meta", None)
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if syntax and not UID(str(syntax)).is_transfer_syntax:
        raise InputError("unknown Transfer Syntax UID in the file meta", item=label, where="(0002,0010)")


def _check_lengths(ds: Dataset, label: str, prefix: str) -> None:
    """Every element pydicom read must hold as many bytes as its header declared."""
    for tag in list(ds.keys()):
        element = stored(ds, tag)
        if isinstance(element, RawDataElement):
            if element.VR is not None and element.VR not in KNOWN_VRS:
                raise InputError(f"unknown Value Representation {element.VR!r}", item=label,
                                 where=_where(prefix, tag))
            value = element.value or b""
            if element.length != UNDEFINED_LENGTH and len(value) != element.length:
                raise InputError(
                    f"truncated or oversized element: declares {element.length} bytes, file holds {len(value)}",
                    item=label, where=_where(prefix, tag))
        elif element.VR == "SQ":
            for index, item in enumerate(element.value or []):
                _check_lengths(item, label, f"{_where(prefix, tag)}[{index}]>")


def _where(prefix: str, tag: int) -> str:
    return f"{prefix}({tag >> 16:04X},{tag & 0xFFFF:04X})"


def _check_pixel_length(ds: Dataset, label: str) -> None:
    """Native Pixel Data must hold every frame the header describes."""
    if "PixelData" not in ds:
        return
    ts = str(getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", "") or "")
    if ts.startswith(ENCAPSULATED_TS_PREFIXES) and ts != "1.2.840.10008.1.2.4.100":  # not MPEG2 etc.
        return
    try:
        rows, columns = int(ds.Rows), int(ds.Columns)
        samples = int(ds.get("SamplesPerPixel", 1) or 1)
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        bits = int(ds.BitsAllocated)
    except Exception:
        return  # pixel description incomplete: the writer/validator will refuse it
    expected = (rows * columns * samples * frames * bits + 7) // 8
    actual = len(ds.get_item(0x7FE00010).value or b"")
    if actual < expected:
        raise InputError(f"Pixel Data holds {actual} bytes, the image needs {expected}: truncated",
                         item=label, where="(7FE0,0010)")


def _short(exc: BaseException) -> str:
    return safe_message(exc)


def write_atomic(ds: Dataset, destination: Path) -> None:
    """Write ``ds`` as a PS3.10 file: temp file in the same folder, fsync, rename.

    A crash leaves either no file or the complete file, never half of one
    (DESIGN.md "Never touch the input").
    """
    temp = write_temp(ds, destination.parent)
    try:
        os.replace(temp, destination)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def write_temp(content: Dataset | bytes, folder: Path, *, durable: bool = True) -> Path:
    """Write ``content`` (a dataset, or the bytes :func:`encode_file` made of one) to a hidden temp file
    in ``folder``, for checking before release.

    A caller that passes bytes can check that same buffer afterwards instead of reading the file back.
    With ``durable=False`` the file is not fsynced: the caller must pass it
    through :func:`make_durable` before giving it a final name, which lets a
    batch share one flush instead of paying a journal commit per file.
    """
    return fill_temp(*make_temp(folder), content, durable=durable)


def fill_temp(handle: int, temp_name: str, content: Dataset | bytes, *, durable: bool = True) -> Path:
    """Write ``content`` to the temp file :func:`make_temp` opened, and close it; a failure leaves no file."""
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.writelines([content] if isinstance(content, bytes) else encode_parts(content))
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    return Path(temp_name)


def make_temp(folder: Path) -> tuple[int, str]:
    """A new hidden temp file in ``folder`` (created if missing), open for writing: its descriptor and name."""
    try:
        return tempfile.mkstemp(prefix=".medanon-", suffix=".part", dir=folder)
    except FileNotFoundError:  # the folder's first file (asking first would cost every file a mkdir)
        folder.mkdir(parents=True, exist_ok=True)
        return tempfile.mkstemp(prefix=".medanon-", suffix=".part", dir=folder)


def make_durable(paths: list[Path]) -> None:
    """Flush written files to stable storage before any of them is renamed into place.

    One flush covers a whole batch: ``syncfs`` on the output's file system
    where Linux offers it (other file systems' pending writes are not waited
    for), else ``sync``, else an fsync per file. Whichever it is, a crash
    leaves temp files, never a final name that points at half a file.
    """
    if not paths:
        return
    if _syncfs(paths[0].parent) or _sync():
        return
    for path in paths:
        with open(path, "rb+") as stream:
            os.fsync(stream.fileno())


RENAME_NOREPLACE, AT_FDCWD = 1, -100
_NO_RENAMEAT2 = frozenset({errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP})


def move_no_replace(source: Path, destination: Path) -> None:
    """Give ``source`` the name ``destination`` unless that name exists (``FileExistsError``).

    One atomic step where Linux offers ``renameat2(RENAME_NOREPLACE)``; else a
    hard link and an unlink, which refuse an existing name as well. Either
    way an existing file is never replaced.
    """
    renameat2 = _renameat2()
    if renameat2 is not None:
        if renameat2(AT_FDCWD, os.fsencode(source), AT_FDCWD, os.fsencode(destination), RENAME_NOREPLACE) == 0:
            return
        error = ctypes.get_errno()
        if error not in _NO_RENAMEAT2:  # OSError picks its subclass by errno: EEXIST is FileExistsError
            raise OSError(error, os.strerror(error), str(destination))
    os.link(source, destination)
    source.unlink()


@functools.lru_cache(maxsize=1)
def _renameat2() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    libc = _libc()
    function = getattr(libc, "renameat2", None) if libc is not None else None
    if function is not None:
        function.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
        function.restype = ctypes.c_int
    return function


def _syncfs(folder: Path) -> bool:
    libc = _libc()
    if libc is None or not hasattr(libc, "syncfs"):
        return False
    handle = os.open(folder, os.O_RDONLY)
    try:
        if libc.syncfs(handle) != 0:
            raise OSError(ctypes.get_errno(), "syncfs failed", str(folder))
    finally:
        os.close(handle)
    return True


def _sync() -> bool:
    if not hasattr(os, "sync"):
        return False
    os.sync()
    return True


@functools.lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def configure_pydicom() -> None:
    """pydicom's process-wide switches, set once per worker (STYLE.md sections 5 and 12).

    Reading tolerates and reports (damage is caught by ``read``'s own checks);
    writing raises, so a value medanon creates that breaks its VR stops the
    file instead of producing invalid DICOM.
    """
    from pydicom import config

    config.settings.reading_validation_mode = config.WARN
    config.settings.writing_validation_mode = config.RAISE
