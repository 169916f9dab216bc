"""Synthetic images and datasets for the pixel tests: text drawn with Pillow's default font.

Everything is generated here, so the tests need no data files.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont, features
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

BBox = tuple[int, int, int, int]


def text_mask(shape: tuple[int, int], text: str, size: int, xy: tuple[int, int]) -> tuple[np.ndarray, BBox]:
    """Coverage (0..1) of ``text`` drawn at ``xy`` with the default font at ``size`` px, and its bbox."""
    mask = Image.new("L", (shape[1], shape[0]), 0)
    if features.check("freetype2"):
        ImageDraw.Draw(mask).text(xy, text, fill=255, font=ImageFont.load_default(size=size))
    else:  # the bitmap default font is about 11 px: draw small and enlarge
        factor = max(1, round(size / 11))
        small = Image.new("L", (shape[1] // factor + 1, shape[0] // factor + 1), 0)
        ImageDraw.Draw(small).text((xy[0] // factor, xy[1] // factor), text, fill=255,
                                   font=ImageFont.load_default())
        mask = small.resize((small.width * factor, small.height * factor), Image.Resampling.NEAREST)
        mask = mask.crop((0, 0, shape[1], shape[0]))
    bbox = mask.getbbox()
    assert bbox is not None, "text fell outside the image"
    return np.asarray(mask, dtype=np.float64) / 255.0, bbox


def draw_text(image: np.ndarray, text: str, size: int, xy: tuple[int, int], ink: float) -> BBox:
    """Burn ``text`` into a float image in place (anti-aliased), return its bounding box."""
    mask, bbox = text_mask(image.shape[:2], text, size, xy)
    if image.ndim == 3:
        mask = mask[..., None]
    image *= 1 - mask
    image += mask * np.asarray(ink, dtype=np.float64)
    return bbox


# -- backgrounds (float images) ---------------------------------------------------------------
def uniform(shape: tuple[int, int] = (512, 512), value: float = 40.0) -> np.ndarray:
    return np.full(shape, value, dtype=np.float64)


def noisy(shape: tuple[int, int] = (512, 512), mean: float = 100.0, sd: float = 12.0,
          seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(mean, sd, shape)


def gradient(shape: tuple[int, int] = (512, 512), low: float = 20.0, high: float = 220.0) -> np.ndarray:
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    return low + (high - low) * (0.6 * cols / shape[1] + 0.4 * rows / shape[0])


def anatomy(shape: tuple[int, int] = (512, 512), seed: int = 0) -> np.ndarray:
    """A CT-like slice: dark air, a body ellipse, organs, bright bones and vessels, smooth, noisy."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float64)
    cy, cx = shape[0] / 2, shape[1] / 2
    image = np.full(shape, 5.0)
    image[((rows - cy) / (0.42 * shape[0])) ** 2 + ((cols - cx) / (0.38 * shape[1])) ** 2 < 1] = 110
    for _ in range(6):  # organs
        y, x = rng.uniform(0.3, 0.7) * shape[0], rng.uniform(0.3, 0.7) * shape[1]
        ry, rx = rng.uniform(0.04, 0.12) * shape[0], rng.uniform(0.04, 0.12) * shape[1]
        image[((rows - y) / ry) ** 2 + ((cols - x) / rx) ** 2 < 1] = rng.uniform(70, 150)
    for _ in range(4):  # bones: bright rings
        y, x = rng.uniform(0.25, 0.75) * shape[0], rng.uniform(0.25, 0.75) * shape[1]
        r = rng.uniform(8, 30)
        d = np.hypot(rows - y, cols - x)
        image[(d < r) & (d > r - 4)] = 230
    for _ in range(25):  # vessels: small bright discs
        y, x = rng.uniform(0.2, 0.8) * shape[0], rng.uniform(0.2, 0.8) * shape[1]
        image[np.hypot(rows - y, cols - x) < rng.uniform(2, 6)] = rng.uniform(160, 220)
    image = ndimage.gaussian_filter(image, 1.2)
    return image + rng.normal(0, 5, shape)


# -- datasets ---------------------------------------------------------------------------------
def _base(rows: int, cols: int, frames: int) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = "OT"
    ds.Rows, ds.Columns = rows, cols
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds


def mono_dataset(image: np.ndarray, *, bits: int = 16, signed: bool = False, scale: float = 16.0,
                 offset: float = 0.0, photometric: str = "MONOCHROME2", modality: str = "CT") -> Dataset:
    """A greyscale dataset from a float image (rows, cols) or frames (n, rows, cols).

    Stored values are ``image * scale + offset``, clipped to the stored range (12-bit by default
    for 16-bit data, as CT and MR store).
    """
    frames = image if image.ndim == 3 else image[None]
    ds = _base(frames.shape[1], frames.shape[2], frames.shape[0])
    ds.Modality = modality
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    stored = 12 if bits == 16 else 8
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits, stored, stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    if signed:
        lo, hi = -(1 << (stored - 1)), (1 << (stored - 1)) - 1
        dtype = np.int16 if bits == 16 else np.int8
    else:
        lo, hi = 0, (1 << stored) - 1
        dtype = np.uint16 if bits == 16 else np.uint8
    values = np.clip(np.round(frames * scale + offset), lo, hi).astype(dtype)
    ds.PixelData = values.tobytes()
    return ds


def rgb_dataset(image: np.ndarray) -> Dataset:
    """An 8-bit RGB dataset from a float image (rows, cols, 3) or frames (n, rows, cols, 3)."""
    frames = image if image.ndim == 4 else image[None]
    ds = _base(frames.shape[1], frames.shape[2], frames.shape[0])
    ds.Modality = "US"
    ds.SamplesPerPixel = 3
    ds.PlanarConfiguration = 0
    ds.PhotometricInterpretation = "RGB"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = np.clip(np.round(frames), 0, 255).astype(np.uint8).tobytes()
    return ds


def palette_dataset(indices: np.ndarray, lut: np.ndarray) -> Dataset:
    """An 8-bit PALETTE COLOR dataset; ``lut`` is (256, 3) with 16-bit entries."""
    ds = _base(indices.shape[0], indices.shape[1], 1)
    ds.Modality = "US"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "PALETTE COLOR"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    for colour, channel in zip(("Red", "Green", "Blue"), range(3), strict=True):
        setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", [256, 0, 16])
        setattr(ds, f"{colour}PaletteColorLookupTableData", lut[:, channel].astype("<u2").tobytes())
    ds.PixelData = indices.astype(np.uint8).tobytes()
    return ds


def overlaps(region: object, bbox: BBox) -> bool:
    """True if a region/box (x0, y0, x1, y1 attributes) shares a pixel with ``bbox``."""
    x0, y0, x1, y1 = (getattr(region, k) for k in ("x0", "y0", "x1", "y1"))
    return x0 < bbox[2] and bbox[0] < x1 and y0 < bbox[3] and bbox[1] < y1
