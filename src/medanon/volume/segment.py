"""Head (skin) and brain masks on the analysis grid.

Simple and explainable on purpose: a skin threshold by modality, the largest
connected body, and a brain found as the largest block of brain-like tissue
once thin bridges (skull, meninges, optic nerves) are eroded away. The brain
mask only has to be roughly right: it is dilated by a safety margin and the
cut stays outside its convex hull (see ``deface``).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from medanon.core.errors import UnsupportedInput

CT_SKIN_HU = -350.0
CT_BRAIN_HU = (12.0, 70.0)
BRAIN_ML = (450.0, 2600.0)


def guess_modality(values: np.ndarray, declared: str) -> str:
    """CT if declared or if a large share of voxels sits at air in Hounsfield units."""
    if declared in ("CT", "MR"):
        return declared
    sample = values.ravel()[:: max(1, values.size // 200_000)]
    return "CT" if np.mean(sample < -700) > 0.05 and np.min(sample) <= -900 else "MR"


def otsu(values: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold of a 1-D sample (between-class variance maximum)."""
    hist, edges = np.histogram(values, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    weight = np.cumsum(hist).astype(np.float64)
    mean = np.cumsum(hist * centres)
    total, total_mean = weight[-1], mean[-1]
    other = total - weight
    valid = (weight > 0) & (other > 0)
    between = np.zeros_like(weight)
    between[valid] = (total_mean * weight[valid] / total - mean[valid]) ** 2 / (weight[valid] * other[valid])
    return float(centres[int(np.argmax(between))])


def skin_threshold(values: np.ndarray, modality: str) -> float:
    """The value above which a voxel counts as part of the body."""
    if modality == "CT":
        return CT_SKIN_HU
    sample = values.ravel()[:: max(1, values.size // 500_000)]
    # Half way from the air to Otsu's level, the air being the low end of the values (a head volume is
    # mostly air): the same as half of Otsu's level when air is stored as 0, and still right when the
    # scanner or a pipeline stored the whole volume with an offset (air at 1000, or below 0 once normalised).
    air = float(np.percentile(sample, 1))
    return air + 0.5 * (otsu(sample) - air)


def largest_component(mask: np.ndarray) -> np.ndarray:
    labels, count = ndimage.label(mask)
    if count == 0:
        return mask.copy()
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return labels == int(np.argmax(sizes))


def ball(radius_voxels: float) -> np.ndarray:
    r = int(np.ceil(radius_voxels))
    x, y, z = np.ogrid[-r:r + 1, -r:r + 1, -r:r + 1]
    return (x * x + y * y + z * z) <= radius_voxels * radius_voxels + 1e-9


def skin_mask(values: np.ndarray, threshold: float) -> np.ndarray:
    """The body as an attacker's surface render sees it: above threshold, largest connected part."""
    body = ndimage.binary_opening(values > threshold, structure=ball(1))
    return largest_component(body)


def head_mask(values: np.ndarray, threshold: float) -> np.ndarray:
    """The body with its inside filled (air in sinuses and mouth counts as head)."""
    body = skin_mask(values, threshold)
    filled = ndimage.binary_fill_holes(body)
    for axis in range(3):  # 2-D fill catches cavities open at one end of the volume
        filled |= np.stack([ndimage.binary_fill_holes(s) for s in np.moveaxis(filled, axis, 0)], axis)
    return np.asarray(filled, dtype=bool)


def brain_mask(values: np.ndarray, head: np.ndarray, modality: str, spacing: float) -> np.ndarray:
    """A rough brain mask; raises ``UnsupportedInput`` when none of brain size is found.

    CT: voxels in the brain's Hounsfield range; MR: voxels above Otsu's level
    inside the head. Both are eroded (about 5 mm) to cut thin bridges to
    scalp and face, reduced to the largest block, grown back, holes filled.
    """
    inner = ndimage.binary_erosion(head, structure=ball(max(1.0, 6.0 / spacing)))
    if modality == "CT":
        tissue = (values > CT_BRAIN_HU[0]) & (values < CT_BRAIN_HU[1]) & inner
    else:
        level = otsu(values[head])
        tissue = (values > level) & inner
    radius = max(1.0, 5.0 / spacing)
    core = largest_component(ndimage.binary_erosion(tissue, structure=ball(radius)))
    brain = ndimage.binary_dilation(core, structure=ball(radius)) & tissue
    brain = ndimage.binary_closing(brain, structure=ball(radius), border_value=0)
    brain = np.asarray(ndimage.binary_fill_holes(brain), dtype=bool)
    millilitres = float(brain.sum()) * spacing ** 3 / 1000.0
    if not BRAIN_ML[0] <= millilitres <= BRAIN_ML[1]:
        raise UnsupportedInput(f"no brain of plausible size found ({millilitres:.0f} ml): "
                               "cannot protect the brain, so the volume is not defaced")
    return brain
