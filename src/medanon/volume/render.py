"""A surface render of the skin, ray-cast in patient space, for the face check and previews.

The render is what someone trying to recognise the patient would make: an
iso-surface of the body at the skin threshold, lit from the viewer, seen from
several angles around the head's long (superior) axis. Angles are measured
from straight in front (anterior); positive turns towards the patient's left.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from medanon.volume.grid import Grid

VIEW_ANGLES = (-45.0, -30.0, -15.0, 0.0, 15.0, 30.0, 45.0)
PIXEL_MM = 1.5
RAY_STEP_MM = 0.75
WINDOW_BEFORE_MM = 6.0  # the ray search starts this far in front of the front-most skin voxel
WINDOW_AFTER_MM = 10.0  # and ends this far behind it
DEEP_WINDOW_MM = 40.0  # rays that miss in that window search on to this depth
RAY_CHUNK = 8192
# Smoothing before the iso-surface, in mm: less and the sampling's terraces show as rings that look like eyes
# to a detector (false alarms after defacing), more and noses flatten. The terraces come from the source's
# own voxel steps, so coarser volumes are smoothed more (``smoothing_mm``).
SMOOTH_MM = 2.5
SMOOTH_PER_SOURCE_STEP = 1.2
# Light from the viewer and a little above (symmetric, so that -30 and +30 degrees look alike), a little
# ambient; then the lit skin's 1st-99th percentile is stretched over the grey range (contrast normalised),
# so dim and bright volumes give the detector the same picture.
LIGHT = np.array([0.0, 0.3, 1.0]) / np.linalg.norm([0.0, 0.3, 1.0])
AMBIENT = 0.12
STRETCH_PERCENTILES = (1.0, 99.0)


def smoothing_mm(source_step_mm: float) -> float:
    """Smoothing for a source whose coarsest voxel step is ``source_step_mm``."""
    return max(SMOOTH_MM, SMOOTH_PER_SOURCE_STEP * source_step_mm)


def render_views(values: np.ndarray, skin: np.ndarray, level: float, grid: Grid,
                 angles: tuple[float, ...] = VIEW_ANGLES, smooth_mm: float = SMOOTH_MM,
                 elevation: float = 0.0) -> list[np.ndarray]:
    """One 8-bit grey image per angle (rows run superior to inferior).

    The iso-surface at ``level`` of the lightly smoothed ``values`` is drawn,
    limited to the body ``skin`` (so noise in the air does not hide the face).
    ``elevation`` raises the camera above the axial plane by that many degrees (negative: from below),
    for heads that lie chin-up or chin-down.
    """
    if not skin.any():
        return [np.zeros((64, 64), dtype=np.uint8) for _ in angles]
    body = ndimage.binary_dilation(skin, iterations=1)
    floor = min(float(values.min()), level - 1.0)
    field = ndimage.gaussian_filter(np.where(body, values, floor).astype(np.float32),
                                    sigma=smooth_mm / grid.spacing) - level
    surface = grid.world(np.argwhere(skin & ~ndimage.binary_erosion(skin)).astype(np.float64))
    centre = surface.mean(axis=0)
    reach = float(np.max(np.linalg.norm(surface - centre, axis=1))) + 2 * PIXEL_MM
    return [_render(field, grid, surface, centre, reach, np.deg2rad(angle), np.deg2rad(elevation))
            for angle in angles]


def _render(field: np.ndarray, grid: Grid, surface: np.ndarray, centre: np.ndarray, reach: float,
            theta: float, elevation: float = 0.0) -> np.ndarray:
    """Cast one ray per pixel, searched only near the front-most skin voxel seen by that pixel.

    The binary skin surface tells where each ray first meets the body to within a voxel or
    two; sampling the smooth field in a short window there gives the same first crossing as
    a full ray march at a fraction of the cost.
    """
    level = np.array([np.sin(theta), np.cos(theta), 0.0])
    towards_camera = np.cos(elevation) * level + np.array([0.0, 0.0, np.sin(elevation)])
    up = np.cos(elevation) * np.array([0.0, 0.0, 1.0]) - np.sin(elevation) * level
    right = np.cross(-towards_camera, up)
    n_pix = int(2 * reach / PIXEL_MM)
    offset = surface - centre
    column = np.clip(np.rint(offset @ right / PIXEL_MM + n_pix / 2).astype(int), 0, n_pix - 1)
    row = np.clip(np.rint(-(offset @ up) / PIXEL_MM + n_pix / 2).astype(int), 0, n_pix - 1)
    front = np.full((n_pix, n_pix), -np.inf)
    np.maximum.at(front, (row, column), offset @ towards_camera)
    seen = np.isfinite(front)  # pixels a skin voxel projects onto
    front = ndimage.maximum_filter(front, size=3)  # close gaps between projected voxel centres
    rows, columns = np.nonzero(np.isfinite(front))
    depth = np.full((n_pix, n_pix), np.nan, dtype=np.float64)
    axes = (centre, right, up, towards_camera)
    hit = _march(field, grid, axes, front, rows, columns, n_pix, np.arange(-WINDOW_BEFORE_MM, WINDOW_AFTER_MM,
                                                                           RAY_STEP_MM), depth)
    # A ray can pass the binary surface without meeting the smooth one in the short window (deep eye
    # fissures, nostrils, ears): search further behind for those, and fall back to the binary surface,
    # so that no pixel inside the head is drawn as a black hole that looks like an eye or a mouth.
    missed = ~hit
    if missed.any():
        deeper = np.arange(WINDOW_AFTER_MM - RAY_STEP_MM, DEEP_WINDOW_MM, RAY_STEP_MM)
        _march(field, grid, axes, front, rows[missed], columns[missed], n_pix, deeper, depth)
        still = np.isnan(depth[rows, columns]) & seen[rows, columns]
        depth[rows[still], columns[still]] = -front[rows[still], columns[still]]
    return _shade(depth)


def _march(field: np.ndarray, grid: Grid, axes: tuple[np.ndarray, ...], front: np.ndarray, rows: np.ndarray,
           columns: np.ndarray, n_pix: int, window: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Sample the field along each pixel's ray over ``window`` (mm behind the front-most skin voxel);
    write the first crossing into ``depth``; return which rays hit."""
    centre, right, up, towards_camera = axes
    hits = np.zeros(len(rows), dtype=bool)
    for start in range(0, len(rows), RAY_CHUNK):
        r, c = rows[start:start + RAY_CHUNK], columns[start:start + RAY_CHUNK]
        u = (c - n_pix / 2) * PIXEL_MM
        v = -(r - n_pix / 2) * PIXEL_MM
        along = front[r, c][:, None] - window[None, :]  # distance in front of the centre, decreasing
        points = (centre + u[:, None, None] * right + v[:, None, None] * up
                  + along[..., None] * towards_camera)
        samples = ndimage.map_coordinates(field, np.moveaxis(grid.to_index(points), -1, 0), order=1,
                                          mode="constant", cval=-1.0)
        distance = _first_crossing(samples, window)
        found = np.isfinite(distance)
        depth[r[found], c[found]] = distance[found] - front[r[found], c[found]]  # larger is farther away
        hits[start:start + RAY_CHUNK] = found
    return hits


def _first_crossing(values: np.ndarray, steps: np.ndarray, level: float = 0.0) -> np.ndarray:
    """Distance along each ray to the first iso-level crossing (sub-step), NaN for a miss."""
    above = values >= level
    hit = above.any(axis=-1)
    first = np.argmax(above, axis=-1)
    before = np.clip(first - 1, 0, None)
    v0 = np.take_along_axis(values, before[..., None], -1)[..., 0]
    v1 = np.take_along_axis(values, first[..., None], -1)[..., 0]
    fraction = np.where(first > 0, (level - v0) / np.maximum(v1 - v0, 1e-6), 0.0)
    out = steps[before] + fraction * (steps[1] - steps[0])
    return np.where(hit, out, np.nan)


def _shade(depth: np.ndarray) -> np.ndarray:
    """Lambert shading from the depth map's normals (``LIGHT``), contrast-normalised over the skin."""
    hit = np.isfinite(depth)
    filled = np.where(hit, depth, np.nanmax(depth) if hit.any() else 0.0)
    d_row, d_col = np.gradient(filled, PIXEL_MM)
    normal = np.stack([-d_col, d_row, np.ones_like(filled)], -1)  # camera frame: right, up, towards viewer
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    intensity = AMBIENT + (1.0 - AMBIENT) * np.clip(normal @ LIGHT, 0.0, 1.0)
    if hit.any():
        low, high = np.percentile(intensity[hit], STRETCH_PERCENTILES)
        intensity = 0.1 + 0.9 * np.clip((intensity - low) / max(float(high - low), 1e-6), 0.0, 1.0)
    image = np.where(hit, intensity, 0.0)
    return np.asarray(np.clip(image * 255.0, 0, 255), dtype=np.uint8)
