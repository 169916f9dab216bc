"""Decode every frame of a dataset for redaction, and write redacted frames back.

Decoding uses pydicom's decoders (with pylibjpeg, openjpeg, libjpeg and pyjpegls as plugins), so
every transfer syntax pydicom can read is covered: native little and big endian, deflate, RLE,
JPEG baseline/extended/lossless, JPEG-LS and JPEG 2000, any number of frames.

Writing back follows one rule per kind of input (DESIGN.md "Fail closed", STYLE.md section 12):

* **lossless input** (native, deflate, RLE, JPEG-LS lossless, JPEG 2000 lossless, JPEG lossless):
  re-encoded losslessly, in the same transfer syntax when pydicom has an encoder for it (RLE,
  JPEG-LS lossless, JPEG 2000 lossless), otherwise as Explicit VR Little Endian (native, big
  endian, deflate, JPEG lossless process 14). The output is decoded again and must equal the
  redacted frames exactly, so every pixel outside the boxes is bit-identical to the input.
* **lossy input** (JPEG baseline/extended, JPEG-LS near-lossless, JPEG 2000, or
  LossyImageCompression "01"): 8-bit JPEG baseline stays JPEG baseline, re-encoded by Pillow at
  :data:`JPEG_QUALITY` with the input's chroma sampling (4:2:2 for YBR_FULL_422, else 4:4:4 as
  YBR_FULL, so no colour resolution is lost that the input had); the other lossy inputs are written
  uncompressed (Explicit VR Little Endian), which adds no further loss. LossyImageCompression stays
  "01" and a re-encoding is appended to LossyImageCompressionMethod and ...Ratio (PS3.3 C.7.6.1.1.5).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.pixels import get_decoder
from pydicom.uid import (
    JPEG2000,
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)

from medanon.core.errors import MedanonError

#: Pillow JPEG quality used when a JPEG baseline input is re-encoded (1-95 scale; 95 is Pillow's
#: highest recommended setting). Documented in docs/guide and BENCHMARKS.
JPEG_QUALITY = 95
NATIVE = frozenset({ExplicitVRLittleEndian, ImplicitVRLittleEndian, ExplicitVRBigEndian,
                    DeflatedExplicitVRLittleEndian})
#: Lossless syntaxes pydicom can encode: kept as they are.
LOSSLESS_ENCODABLE = frozenset({RLELossless, JPEGLSLossless, JPEG2000Lossless})
LOSSLESS_OTHER = frozenset({JPEGLosslessSV1, UID("1.2.840.10008.1.2.4.57")})
LOSSY = frozenset({JPEGBaseline8Bit, JPEGExtended12Bit, JPEGLSNearLossless, JPEG2000})


class CodecError(MedanonError):
    """Pixel data that cannot be decoded, or redacted frames that cannot be written back exactly."""


@dataclass
class Decoded:
    """All frames of a dataset, as stored: shape (frames, rows, cols[, samples]).

    ``photometric`` is the colour space of ``frames`` (for JPEG 2000 the decoder has already undone
    YBR_ICT/RCT, so it is RGB); ``lossy`` says the input was lossy-compressed at some point.
    """

    frames: np.ndarray
    photometric: str
    transfer_syntax: UID
    lossy: bool


def transfer_syntax(ds: Dataset) -> UID:
    meta = getattr(ds, "file_meta", None)
    uid = getattr(meta, "TransferSyntaxUID", None) if meta is not None else None
    if not uid:
        raise CodecError("no Transfer Syntax UID in the file meta: cannot decode the pixels")
    return UID(str(uid))


def is_lossy(ds: Dataset, uid: UID) -> bool:
    return uid in LOSSY or str(ds.get("LossyImageCompression", "") or "").strip() == "01"


def decode_all(ds: Dataset) -> Decoded:
    """Every frame of ``ds``; lossless inputs as stored (``raw``), lossy ones converted to RGB.

    Raises
    ------
    CodecError
        If pydicom cannot decode the pixel data, or it is 1-bit or float data.
    """
    uid = transfer_syntax(ds)
    if "PixelData" not in ds:
        raise CodecError("only integer Pixel Data is redacted (float pixel data is not)")
    if int(ds.get("BitsAllocated", 0) or 0) == 1:
        raise CodecError("1-bit pixel data is not redacted")
    lossy = is_lossy(ds, uid)
    try:
        array, meta = get_decoder(uid).as_array(ds, raw=not lossy)
    except Exception as exc:
        raise CodecError(f"could not decode the pixel data ({uid.name}): {type(exc).__name__}") from exc
    n_frames = int(meta.get("number_of_frames", 1) or 1)
    samples = int(meta.get("samples_per_pixel", 1) or 1)
    if n_frames == 1 and array.ndim == (2 if samples == 1 else 3):
        array = array[np.newaxis]
    photometric = str(getattr(meta.get("photometric_interpretation"), "value",
                              meta.get("photometric_interpretation")) or ds.get("PhotometricInterpretation", ""))
    return Decoded(np.ascontiguousarray(array), photometric.strip().upper(), uid, lossy)


def fill_value(decoded: Decoded, bits_stored: int) -> np.ndarray:
    """The opaque fill: black as displayed (minimum grey, maximum for MONOCHROME1, RGB zero)."""
    frames = decoded.frames
    if decoded.photometric == "MONOCHROME1":
        return np.asarray(frames.max(), dtype=frames.dtype)
    if frames.ndim == 4:
        if decoded.photometric.startswith("YBR"):
            mid = 1 << (bits_stored - 1)
            return np.asarray([0, mid, mid], dtype=frames.dtype)
        return np.zeros(frames.shape[-1], dtype=frames.dtype)
    return np.asarray(frames.min(), dtype=frames.dtype)


def write_back(ds: Dataset, decoded: Decoded, frames: np.ndarray) -> str:
    """Put ``frames`` into ``ds`` (changed in place) and return how they were encoded.

    Raises
    ------
    CodecError
        If encoding fails or a lossless output does not decode to exactly ``frames``.
    """
    try:
        return _write_back(ds, decoded, frames)
    except CodecError:
        raise
    except Exception as exc:
        raise CodecError(f"could not re-encode the redacted pixels: {type(exc).__name__}") from exc


def _write_back(ds: Dataset, decoded: Decoded, frames: np.ndarray) -> str:
    uid = decoded.transfer_syntax
    if decoded.lossy:
        if uid == JPEGBaseline8Bit and frames.dtype == np.uint8:
            return _write_jpeg(ds, frames)
        _write_native(ds, decoded.photometric, frames)
        return "Explicit VR Little Endian (decoded lossy pixels; no further loss)"
    if uid in LOSSLESS_ENCODABLE:
        try:
            _write_native(ds, decoded.photometric, frames)
            ds.compress(uid, encoding_plugin="", generate_instance_uid=False)
            _check_exact(ds, frames)
            return f"{uid.name} (re-encoded losslessly)"
        except Exception:  # fall back to native below; the check there is the same
            pass
    _write_native(ds, decoded.photometric, frames)
    _check_exact(ds, frames)
    return f"{transfer_syntax(ds).name} (lossless)"


def _single(frames: np.ndarray) -> np.ndarray:
    return frames[0] if frames.shape[0] == 1 else frames


def _write_native(ds: Dataset, photometric: str, frames: np.ndarray) -> None:
    """Native pixel data: Explicit VR Little Endian, or Big Endian for a big-endian input.

    A big-endian input stays big endian: its other OB/OW values (palette tables) are stored in
    that byte order, and converting them is not this module's job.
    """
    big = transfer_syntax(ds) == ExplicitVRBigEndian
    data = np.ascontiguousarray(frames.astype(frames.dtype.newbyteorder(">" if big else "<"), copy=False))
    if "YBR" in photometric and photometric != "YBR_FULL":
        photometric = "YBR_FULL"  # the decoder returned full-resolution samples
    ds.PhotometricInterpretation = photometric
    if frames.ndim == 4:
        ds.PlanarConfiguration = 0
    if not big:
        # The dataset keeps its original encoding: an implicit-VR input's unconverted elements have no VR,
        # and the writer gives them their dictionary VR only because it sees the encoding change.
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.PixelData = data.tobytes()
    ds["PixelData"].VR = "OB" if frames.dtype.itemsize == 1 else "OW"
    ds["PixelData"].is_undefined_length = False


def _write_jpeg(ds: Dataset, frames: np.ndarray) -> str:
    from PIL import Image

    colour = frames.ndim == 4
    halved = colour and str(ds.get("PhotometricInterpretation", "")).strip().upper() == "YBR_FULL_422"
    encoded = []
    for frame in frames:
        buffer = io.BytesIO()
        # Pillow's subsampling: 0 is 4:4:4, 1 is 4:2:2 (PS3.5 8.2.1: YBR_FULL vs YBR_FULL_422)
        Image.fromarray(frame, "RGB" if colour else "L").save(
            buffer, format="JPEG", quality=JPEG_QUALITY, subsampling=1 if halved else 0)
        encoded.append(buffer.getvalue())
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.PixelData = encapsulate(encoded)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    if colour:
        ds.PhotometricInterpretation = "YBR_FULL_422" if halved else "YBR_FULL"
        ds.PlanarConfiguration = 0
    elif ds.get("PhotometricInterpretation") not in ("MONOCHROME1", "MONOCHROME2"):
        ds.PhotometricInterpretation = "MONOCHROME2"
    ratio = frames.nbytes / max(1, sum(len(e) for e in encoded))
    _append_lossy(ds, "ISO_10918_1", ratio)
    sampling = "4:2:2" if halved else "4:4:4" if colour else "greyscale"
    return f"JPEG Baseline, Pillow quality {JPEG_QUALITY}, {sampling} (lossy re-encoding recorded)"


def _append_lossy(ds: Dataset, method: str, ratio: float) -> None:
    """LossyImageCompression stays truthful: "01", with this compression appended to the history."""
    ds.LossyImageCompression = "01"
    methods = _as_list(ds.get("LossyImageCompressionMethod"))
    ratios = _as_list(ds.get("LossyImageCompressionRatio"))
    ds.LossyImageCompressionMethod = [*methods, method]
    ds.LossyImageCompressionRatio = [*ratios, f"{ratio:.2f}"[:16]]


def _as_list(value: object) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return [str(v) for v in value]  # type: ignore[attr-defined]
    return [str(value)]


def _check_exact(ds: Dataset, frames: np.ndarray) -> None:
    uid = transfer_syntax(ds)
    try:
        again, _ = get_decoder(uid).as_array(ds, raw=True)
    except Exception as exc:
        raise CodecError(f"re-encoded pixels do not decode ({uid.name}): {type(exc).__name__}") from exc
    if not np.array_equal(again.reshape(frames.shape), frames):
        raise CodecError(f"re-encoded pixels ({uid.name}) differ from the redacted frames")
