"""Removing the face: everything in front of and below the brain's convex hull, in patient space.

The method (a "shear" cut in the spirit of quickshear, but with the brain
found by ``segment`` and the cut made against a cone of directions):

1. resample the volume onto a RAS+ grid (``grid``), find the head and the brain;
2. grow the brain by a safety margin and project it onto the sagittal (A-S)
   plane; take the convex hull of that projection;
3. for every direction between "anterior, a little down" and "mostly
   inferior", the hull has a supporting line; every voxel beyond any of
   those lines is cleared to the background value.

Eyes and eyelids, nose, lips, mouth and chin all lie in front of and below
the frontal lobes, so they fall beyond those lines, while the forehead and the
back of the head stay. No voxel inside the grown brain can be cleared: it lies
inside the hull by construction, and ``deface`` checks that again voxel by
voxel before it returns (DESIGN.md "Fail closed").
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.spatial import ConvexHull

from medanon.core.errors import UnsupportedInput
from medanon.volume import segment
from medanon.volume.grid import Grid, resample, sample_nearest
from medanon.volume.model import Defacing, Volume

ANALYSIS_MM = 2.0
BRAIN_MARGIN_MM = 10.0
# Directions of the cut, in degrees below "straight anterior" in the sagittal plane.
CUT_DIRECTIONS = np.linspace(10.0, 65.0, 23)
MIN_HEAD_ML = 500.0
MAX_HEAD_SHARE = 0.9


def plan_defacing(volume: Volume, margin_mm: float = BRAIN_MARGIN_MM) -> Defacing:
    """Which voxels to clear, found in patient space.

    Raises
    ------
    UnsupportedInput
        No head or no brain of plausible size was found: the face cannot be
        removed without risking the brain, so the volume must be quarantined.
    """
    if not np.all(np.isfinite(volume.data)) or float(np.ptp(volume.data)) <= 0:
        raise UnsupportedInput("the volume is blank or holds non-finite values: nothing to recognise a head in")
    modality = segment.guess_modality(volume.data, volume.modality)
    values, grid = resample(volume, ANALYSIS_MM)
    threshold = segment.skin_threshold(values, modality)
    head = segment.head_mask(values, threshold)
    if head.sum() * ANALYSIS_MM ** 3 / 1000.0 < MIN_HEAD_ML:
        raise UnsupportedInput("no head found in the volume (too little body above the skin threshold)")
    if head.mean() > MAX_HEAD_SHARE:
        raise UnsupportedInput("no background around the body: the head cannot be told from the air")
    brain = segment.brain_mask(values, head, modality, ANALYSIS_MM)
    protected = ndimage.binary_dilation(brain, structure=segment.ball(margin_mm / ANALYSIS_MM))
    normals, support = _cut_lines(protected, grid)
    brain_voxels = _voxels_inside(volume, protected, grid)
    removed = np.zeros(volume.data.shape, dtype=bool)
    for s in range(volume.data.shape[0]):
        points = volume.geometry.slice_points(s, volume.data.shape[1:])
        removed[s] = np.any(points[..., 1:3] @ normals.T > support, axis=-1) & ~brain_voxels[s]
    if np.any(removed & brain_voxels):
        raise UnsupportedInput("the cut would touch the protected brain: not defaced")
    background = float(np.min(volume.data))
    notes = [f"{modality or 'unknown'} volume, skin threshold {threshold:.0f}, brain margin {margin_mm:.0f} mm"]
    face_tissue = int(np.count_nonzero(removed & (volume.data > threshold)))
    if face_tissue == 0:
        notes.append("no tissue in front of and below the brain: the volume holds no face to remove")
    return Defacing(removed=removed, brain_voxels=int(brain_voxels.sum()), removed_voxels=int(removed.sum()),
                    background=background, notes=notes, protected=brain_voxels, threshold=threshold,
                    modality=modality)


def apply_defacing(volume: Volume, plan: Defacing) -> Volume:
    """A new volume with the planned voxels set to the background; the input is not changed."""
    data = volume.data.copy()
    data[plan.removed] = plan.background
    return Volume(data=data, geometry=volume.geometry, modality=volume.modality)


def _cut_lines(protected: np.ndarray, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """Unit normals (A, S) of the cut lines and their offsets, from the hull of the sagittal projection."""
    projection = protected.any(axis=0)
    j, k = np.nonzero(projection)
    half = grid.spacing / 2
    a = grid.origin[1] + grid.spacing * j
    s = grid.origin[2] + grid.spacing * k
    corners = np.concatenate([np.stack([a + da, s + ds], -1) for da in (-half, half) for ds in (-half, half)])
    hull = corners[ConvexHull(corners).vertices]
    angles = np.deg2rad(CUT_DIRECTIONS)
    normals = np.stack([np.cos(angles), -np.sin(angles)], -1)
    support = (hull @ normals.T).max(axis=0)
    return normals, support


def _voxels_inside(volume: Volume, mask: np.ndarray, grid: Grid) -> np.ndarray:
    """The grid mask carried back to the volume's own voxels (nearest grid voxel)."""
    out = np.zeros(volume.data.shape, dtype=bool)
    for s in range(volume.data.shape[0]):
        out[s] = sample_nearest(mask, grid, volume.geometry.slice_points(s, volume.data.shape[1:]))
    return out
