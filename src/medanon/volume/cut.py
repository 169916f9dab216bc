"""Removing the face: everything in front of and below the brain's convex hull, in patient space.

The method (a "shear" cut in the spirit of quickshear, but with the brain
found by ``segment`` and the cut made against a cone of directions):

1. resample the volume onto a RAS+ grid (``grid``), find the head and the brain;
2. grow the brain by a safety margin and project it onto the sagittal (A-S)
   plane, slab by slab along R-L; take the convex hull of each projection;
3. for every direction between "anterior, a little down" and "mostly
   inferior", the hull has a supporting line; every voxel beyond any of
   those lines is cleared to the background value;
4. dark voxels (below the skin threshold) inside the head and just behind
   the cut face, outside the brain grown by a few mm, are set to a tissue
   value of the volume: the sinuses and orbits the cut opens are sealed, so the
   cut face renders as a smooth surface instead of a skull's eye sockets.

Eyes and eyelids, nose, lips, mouth and chin all lie in front of and below
the frontal lobes, so they fall beyond those lines, while the forehead and the
back of the head stay. No voxel inside the grown brain can be cleared: it lies
inside the hull by construction, sealing never reaches within ``SEAL_KEEP_MM``
of the brain, and ``deface`` checks again voxel by voxel that nothing in the
grown brain changed before it returns (DESIGN.md "Fail closed").
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
# The cut stays this far outside the brain found by ``segment``. 10 mm left upper-lid and orbit tissue behind the
# eyeballs (eyes+lids 86-91 % removed on the synthetic heads against 96-100 % for a template mask); 7 mm takes
# 97-99 % with no true brain voxel touched. At 7 mm the cut opens the frontal sinus and orbits of real heads,
# whose cavities made the face detector fire after defacing; sealing them (below) keeps the cut face smooth.
BRAIN_MARGIN_MM = 7.0
# Directions of the cut, in degrees below "straight anterior" in the sagittal plane.
CUT_DIRECTIONS = np.linspace(10.0, 65.0, 23)
# The hull is taken per sagittal slab (SLAB_MM wide along R-L, from the protected brain within SLAB_REACH_MM
# of the slab's centre), not once for the whole head: the frontal lobes curve back away from the midline, so
# a single sagittal hull, set by the midline's front, left the back of each eyeball and the lids towards the
# temples. Slabs with no brain in reach (beyond the sides of the brain) keep the whole-head hull.
SLAB_MM = 8.0
SLAB_REACH_MM = 12.0
# A slab's cut goes at most this much deeper than the whole-head cut: deeper cuts open the orbits and sinuses,
# whose cavities render as a skull's eye sockets and nose and made the face detector fire on a defaced real
# T1 head (6 mm did; 3 mm did not). 3 mm already takes the back of the eyeballs on the synthetic heads.
SLAB_MAX_DEEPER_MM = 3.0
# Sealing: dark voxels (below the skin threshold) up to SEAL_MM behind the cut face, inside the head as found
# before cutting, and farther than SEAL_KEEP_MM from the brain, get a tissue value of the volume. They are air in
# opened sinuses and orbits (CT: only air lies below the skin threshold; MR: air, cortical bone, CSF, vitreous).
# Without it the 7 mm cut fired the detector on both real heads (T1 at +15, CT at +30 degrees). Sealing only
# up to the brain's 7 mm margin made it fire on the synthetic MR heads instead: where the margin touches the
# cut face, unsealed dark bone and CSF left holes in the sealed plate; 3 mm from the brain closes them.
SEAL_MM = 6.0
SEAL_KEEP_MM = 3.0
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
    margin = ndimage.binary_dilation(brain, structure=segment.ball(margin_mm / ANALYSIS_MM))
    normals, slab_edges, support = _cut_lines(margin, grid)
    in_margin = _voxels_inside(volume, margin, grid)
    keep = _voxels_inside(volume, ndimage.binary_dilation(brain, structure=segment.ball(
        min(SEAL_KEEP_MM, margin_mm) / ANALYSIS_MM)), grid)
    inside_head = _voxels_inside(volume, ndimage.binary_erosion(head, structure=segment.ball(1)), grid)
    removed = np.zeros(volume.data.shape, dtype=bool)
    sealed = np.zeros(volume.data.shape, dtype=bool)
    for s in range(volume.data.shape[0]):
        points = volume.geometry.slice_points(s, volume.data.shape[1:])
        slab = np.clip(np.searchsorted(slab_edges, points[..., 0], side="right") - 1, 0, len(support) - 1)
        beyond = np.max(points[..., 1:3] @ normals.T - support[slab], axis=-1)  # mm in front of the cut face
        removed[s] = (beyond > 0) & ~in_margin[s]
        sealed[s] = ((beyond > -SEAL_MM) & ~removed[s] & ~keep[s] & inside_head[s]
                     & (volume.data[s] <= threshold))
    if np.any(removed & in_margin) or np.any((removed | sealed) & keep):
        raise UnsupportedInput("the cut would touch the protected brain: not defaced")
    background = float(np.min(volume.data))
    seal_value = _seal_value(volume.data, threshold)
    notes = [f"{modality or 'unknown'} volume, skin threshold {threshold:.0f}, brain margin {margin_mm:.0f} mm"]
    face_tissue = int(np.count_nonzero(removed & (volume.data > threshold)))
    if face_tissue == 0:
        notes.append("no tissue in front of and below the brain: the volume holds no face to remove")
    if sealed.any():
        notes.append(f"{int(sealed.sum())} dark voxels behind the cut face (opened sinuses, orbits) sealed with "
                     f"tissue value {seal_value:.0f}")
    return Defacing(removed=removed, brain_voxels=int(keep.sum()), removed_voxels=int(removed.sum()),
                    background=background, notes=notes, protected=keep, threshold=threshold,
                    modality=modality, sealed=sealed, seal_value=seal_value)


def _seal_value(data: np.ndarray, threshold: float) -> float:
    """The median body voxel (above the skin threshold), an actual value of the volume so that any stored
    type can hold it exactly."""
    sample = data.ravel()[:: max(1, data.size // 500_000)]
    body = sample[sample > threshold]
    return float(np.percentile(body, 50, method="nearest")) if body.size else float(threshold)


def apply_defacing(volume: Volume, plan: Defacing) -> Volume:
    """A new volume with the planned voxels set to the background and the sealed ones to the seal value;
    the input is not changed."""
    data = volume.data.copy()
    data[plan.removed] = plan.background
    if plan.sealed is not None:
        data[plan.sealed] = plan.seal_value
    return Volume(data=data, geometry=volume.geometry, modality=volume.modality)


def _cut_lines(protected: np.ndarray, grid: Grid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit normals (A, S) of the cut lines, the slabs' lower R edges, and each slab's line offsets
    (slabs x directions), from the hull of each slab's sagittal projection of the protected brain."""
    angles = np.deg2rad(CUT_DIRECTIONS)
    normals = np.stack([np.cos(angles), -np.sin(angles)], -1)
    whole = _support(np.asarray(protected.any(axis=0)), grid, normals)
    x = grid.axis(0)
    edges = np.arange(x[0], x[-1] + SLAB_MM, SLAB_MM)
    supports = []
    for low in edges:
        near = np.abs(x - (low + SLAB_MM / 2)) <= SLAB_REACH_MM
        projection = np.asarray(protected[near].any(axis=0))
        slab = _support(projection, grid, normals) if projection.sum() >= 3 else whole
        supports.append(np.maximum(slab, whole - SLAB_MAX_DEEPER_MM))
    return normals, edges, np.array(supports)


def _support(projection: np.ndarray, grid: Grid, normals: np.ndarray) -> np.ndarray:
    """How far the hull of a sagittal (A, S) projection reaches along each normal."""
    j, k = np.nonzero(projection)
    half = grid.spacing / 2
    a = grid.origin[1] + grid.spacing * j
    s = grid.origin[2] + grid.spacing * k
    corners = np.concatenate([np.stack([a + da, s + ds], -1) for da in (-half, half) for ds in (-half, half)])
    hull = corners[ConvexHull(corners).vertices]
    return np.asarray((hull @ normals.T).max(axis=0))


def _voxels_inside(volume: Volume, mask: np.ndarray, grid: Grid) -> np.ndarray:
    """The grid mask carried back to the volume's own voxels (nearest grid voxel)."""
    out = np.zeros(volume.data.shape, dtype=bool)
    for s in range(volume.data.shape[0]):
        out[s] = sample_nearest(mask, grid, volume.geometry.slice_points(s, volume.data.shape[1:]))
    return out
