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
RAY_STEP_MM = 2.0
BEHIND_CENTRE = 0.4  # rays stop this share of the reach behind the head centre
ROW_CHUNK = 24


def render_views(values: np.ndarray, skin: np.ndarray, level: float, grid: Grid,
                 angles: tuple[float, ...] = VIEW_ANGLES) -> list[np.ndarray]:
    """One 8-bit grey image per angle (rows run superior to inferior).

    The iso-surface at ``level`` of the lightly smoothed ``values`` is drawn,
    limited to the body ``skin`` (so noise in the air does not hide the face).
    """
    body = ndimage.binary_dilation(skin, iterations=1)
    floor = min(float(values.min()), level - 1.0)
    field = ndimage.gaussian_filter(np.where(body, values, floor).astype(np.float32), sigma=0.6) - level
    if not skin.any():
        return [np.zeros((64, 64), dtype=np.uint8) for _ in angles]
    centre = grid.world(np.argwhere(skin).mean(axis=0))
    where = np.argwhere(skin)
    corners = grid.world(np.array([[a, b, c] for a in (where[:, 0].min(), where[:, 0].max() + 1)
                                   for b in (where[:, 1].min(), where[:, 1].max() + 1)
                                   for c in (where[:, 2].min(), where[:, 2].max() + 1)], dtype=np.float64))
    reach = float(np.max(np.linalg.norm(corners - centre, axis=1)))
    return [_render(field, grid, centre, reach, np.deg2rad(angle)) for angle in angles]


def _render(field: np.ndarray, grid: Grid, centre: np.ndarray, reach: float, theta: float) -> np.ndarray:
    towards_camera = np.array([np.sin(theta), np.cos(theta), 0.0])
    up = np.array([0.0, 0.0, 1.0])
    right = np.cross(-towards_camera, up)
    n_pix = int(2 * reach / PIXEL_MM)
    n_steps = int((1 + BEHIND_CENTRE) * reach / RAY_STEP_MM)
    across = (np.arange(n_pix) - n_pix / 2) * PIXEL_MM
    depth_steps = np.arange(n_steps) * RAY_STEP_MM
    depth = np.full((n_pix, n_pix), np.nan, dtype=np.float64)
    start = centre + reach * towards_camera
    for row0 in range(0, n_pix, ROW_CHUNK):
        rows = -across[row0:row0 + ROW_CHUNK]  # top row = superior
        points = (start + rows[:, None, None, None] * up + across[None, :, None, None] * right
                  - depth_steps[None, None, :, None] * towards_camera)
        index = np.moveaxis(grid.to_index(points), -1, 0)
        samples = ndimage.map_coordinates(field, index, order=1, mode="constant", cval=-1.0)
        depth[row0:row0 + ROW_CHUNK] = _first_crossing(samples, depth_steps)
    return _shade(depth)


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
    """Lambert shading from the depth map's normals, light from the viewer and a little above."""
    hit = np.isfinite(depth)
    filled = np.where(hit, depth, np.nanmax(depth) if hit.any() else 0.0)
    d_row, d_col = np.gradient(filled, PIXEL_MM)
    normal = np.stack([-d_col, d_row, np.ones_like(filled)], -1)  # camera frame: right, up, towards viewer
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    light = np.array([-0.25, 0.35, 1.0])
    light /= np.linalg.norm(light)
    intensity = 0.12 + 0.88 * np.clip(normal @ light, 0.0, 1.0)
    image = np.where(hit, intensity, 0.0)
    return np.asarray(np.clip(image * 255.0, 0, 255), dtype=np.uint8)
