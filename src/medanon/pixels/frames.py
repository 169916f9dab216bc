"""Decode the frames the screen looks at and turn them into 8-bit grey images.

Decoding goes through :func:`pydicom.pixels.pixel_array` with an index, which neither caches the
array on the dataset nor changes any element: the screen never modifies its input (DESIGN.md
"Never touch the input").
"""

from __future__ import annotations

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import apply_color_lut, pixel_array

#: Percentiles of the window that maps any stored range to 0..255: nearly the full range, so that
#: text drawn at an extreme value keeps its contrast and noise is not stretched, while a few hot
#: or dead pixels (fewer than 1 in 10,000) cannot squeeze everything else into a few grey levels.
WINDOW_PERCENTILES = (0.01, 99.99)
#: Frames larger than this many pixels are sampled on a regular grid to find the window.
WINDOW_SAMPLE = 1 << 20
#: The window is never narrower than this fraction of the frame's full range: a nearly uniform
#: frame (a black background with a few text pixels) must not have its noise stretched to 0..255.
MIN_WINDOW_FRACTION = 0.25
#: Colour frames whose channels differ by more than this (mean, 8-bit units) are also screened on
#: their brightest channel, where saturated blue or red text stands out better than in luminance.
COLOUR_SPREAD = 4.0


def number_of_frames(ds: Dataset) -> int:
    """The number of frames in the pixel data (1 when NumberOfFrames is absent or empty).

    Raises
    ------
    ValueError
        If NumberOfFrames is not a positive integer.
    """
    value = ds.get("NumberOfFrames")
    if value is None or value == "":
        return 1
    frames = int(value)
    if frames < 1:
        raise ValueError(f"NumberOfFrames is {frames}")
    return frames


def frames_to_check(n_frames: int) -> tuple[int, ...]:
    """First and last frame, and the middle one when there are more than two (0-based)."""
    if n_frames <= 1:
        return (0,)
    if n_frames == 2:
        return (0, 1)
    return (0, n_frames // 2, n_frames - 1)


def decode_frame(ds: Dataset, index: int, n_frames: int) -> np.ndarray:
    """One frame as pydicom decodes it: (rows, cols) or (rows, cols, samples); colour as RGB.

    Palette colour frames are expanded through their lookup tables.
    """
    arr = pixel_array(ds, index=index if n_frames > 1 else None)
    if arr.ndim == 3 and n_frames == 1 and int(ds.get("SamplesPerPixel", 1)) == 1:
        arr = arr[0]
    photometric = str(ds.get("PhotometricInterpretation", "")).strip().upper()
    if photometric == "PALETTE COLOR":
        arr = apply_color_lut(arr, ds)
    if arr.ndim not in (2, 3):
        raise ValueError(f"decoded frame has {arr.ndim} dimensions")
    return arr


def _window(values: np.ndarray) -> np.ndarray:
    """Map to ``uint8`` through a window from percentiles, never narrower than a floor."""
    step = max(1, int(np.sqrt(values.size / WINDOW_SAMPLE)))
    sample = values[::step, ::step]
    if values.dtype.kind == "f":
        sample = sample[np.isfinite(sample)]
        if sample.size == 0:
            return np.zeros(values.shape, dtype=np.uint8)
    full_lo = float(sample.min())
    full_hi = float(sample.max())
    full = full_hi - full_lo
    if full <= 0:
        return np.zeros(values.shape, dtype=np.uint8)
    if sample.dtype.kind in "iu" and full <= 65535:
        counts = np.cumsum(np.bincount((sample - sample.dtype.type(full_lo)).ravel().astype(np.intp)))
        ranks = [q / 100.0 * (counts[-1] - 1) for q in WINDOW_PERCENTILES]
        lo, hi = (full_lo + float(np.searchsorted(counts, r, side="right")) for r in ranks)
    else:
        lo, hi = (float(v) for v in np.percentile(sample, WINDOW_PERCENTILES))
    span = max(hi - lo, MIN_WINDOW_FRACTION * full)
    if hi - lo < span:
        centre = (hi + lo) / 2
        lo = max(full_lo, centre - span / 2)
        hi = min(full_hi, lo + span)
        lo = hi - span
    if values.dtype.kind in "iu" and full <= 65535:
        # Integer frames: one lookup table over the sampled range (values outside it clip).
        levels = np.arange(int(full_lo), int(full_hi) + 1, dtype=np.float64)
        lut = np.clip((levels - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)
        index = np.clip(values, int(full_lo), int(full_hi)) - int(full_lo)
        return lut[index]
    scaled = (values.astype(np.float32) - np.float32(lo)) * np.float32(255.0 / (hi - lo))
    np.clip(scaled, 0, 255, out=scaled)
    return np.nan_to_num(scaled, nan=0.0).astype(np.uint8)


def _luminance(rgb: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 luma; integer arithmetic for 8-bit samples."""
    if rgb.dtype == np.uint8:
        r, g, b = (rgb[..., k].astype(np.uint16) for k in range(3))
        return ((r * 77 + g * 150 + b * 29 + 128) >> 8).astype(np.uint8)
    return rgb[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def to_grey(frame: np.ndarray, photometric: str = "") -> list[np.ndarray]:
    """8-bit grey views of one decoded frame: the first is always its windowed luminance.

    A colourful frame also yields its windowed brightest channel, where saturated blue or red text
    stands out better than in luminance. ``MONOCHROME1`` is inverted so that higher is brighter.
    """
    if frame.ndim == 3 and frame.shape[-1] == 1:
        frame = frame[..., 0]
    if frame.ndim == 3:
        luminance = _luminance(frame)
        views = [luminance]
        bright = np.maximum(np.maximum(frame[..., 0], frame[..., 1]), frame[..., 2])
        top = float(np.iinfo(frame.dtype).max) if frame.dtype.kind in "iu" else max(1.0, float(bright.max()))
        step = max(1, int(np.sqrt(bright.size / WINDOW_SAMPLE)))
        spread = float(np.mean(bright[::step, ::step].astype(np.float32) - luminance[::step, ::step]))
        if spread * 255.0 / top > COLOUR_SPREAD:
            views.append(bright)
    else:
        views = [frame]
    grey = [_window(view) for view in views]
    if photometric.strip().upper() == "MONOCHROME1":
        grey = [255 - g for g in grey]
    return grey
