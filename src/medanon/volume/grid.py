"""Resampling a volume onto an axis-aligned RAS+ grid in millimetres.

Every analysis step (head and brain masks, the cut, the render) works on this
grid, so the same code serves axial, sagittal, coronal, oblique, tilted and
unevenly spaced inputs: the header geometry is applied once, here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from medanon.volume.model import FloatArray, Volume

CHUNK_POINTS = 1 << 20


@dataclass(frozen=True)
class Grid:
    """An axis-aligned RAS+ grid: ``world = origin + spacing * (i, j, k)``."""

    origin: FloatArray  # (3,)
    spacing: float
    shape: tuple[int, int, int]

    def world(self, index: FloatArray) -> FloatArray:
        return self.origin + self.spacing * np.asarray(index, dtype=np.float64)

    def to_index(self, points: FloatArray) -> FloatArray:
        return (np.asarray(points, dtype=np.float64) - self.origin) / self.spacing

    def axis(self, k: int) -> FloatArray:
        """World coordinate of every grid plane along axis ``k`` (0 = R, 1 = A, 2 = S)."""
        return self.origin[k] + self.spacing * np.arange(self.shape[k])


def grid_for(volume: Volume, spacing: float) -> Grid:
    """The grid covering the volume's bounding box in patient space."""
    corners = volume.geometry.corners(volume.data.shape)
    low, high = corners.min(axis=0), corners.max(axis=0)
    shape = tuple(int(np.ceil((high[k] - low[k]) / spacing)) + 1 for k in range(3))
    return Grid(origin=low, spacing=spacing, shape=(shape[0], shape[1], shape[2]))


def resample(volume: Volume, spacing: float, fill: float | None = None) -> tuple[np.ndarray, Grid]:
    """Trilinear values of ``volume`` on a ``spacing``-mm RAS+ grid; ``fill`` outside the volume.

    ``fill`` defaults to the volume's minimum (air for CT, background for MR).
    """
    grid = grid_for(volume, spacing)
    fill = float(np.min(volume.data)) if fill is None else fill
    source = np.ascontiguousarray(volume.data, dtype=np.float32)
    affine = volume.geometry.affine()
    if affine is not None:  # evenly spaced (tilt and shear included): one affine resampling, no coordinate arrays
        inverse = np.linalg.inv(affine)
        matrix = inverse[:3, :3] * spacing
        offset = inverse[:3, :3] @ grid.origin + inverse[:3, 3]
        resampled = ndimage.affine_transform(source, matrix, offset, output_shape=grid.shape, order=1,
                                             mode="constant", cval=fill)
        return np.asarray(resampled, dtype=np.float32), grid
    out = np.empty(grid.shape, dtype=np.float32)
    j, k = np.meshgrid(np.arange(grid.shape[1]), np.arange(grid.shape[2]), indexing="ij")
    per_plane = grid.shape[1] * grid.shape[2]
    step = max(1, CHUNK_POINTS // per_plane)
    for start in range(0, grid.shape[0], step):
        i = np.arange(start, min(start + step, grid.shape[0]))
        index = np.stack(np.broadcast_arrays(i[:, None, None], j[None], k[None]), -1).astype(np.float64)
        voxel = volume.geometry.to_index(grid.world(index))
        inside = np.all(np.isfinite(voxel), axis=-1)
        voxel[~inside] = -10.0
        values = ndimage.map_coordinates(source, np.moveaxis(voxel, -1, 0), order=1, mode="constant", cval=fill)
        values[~inside] = fill
        out[i] = values
    return out, grid


def sample_nearest(mask: np.ndarray, grid: Grid, points: FloatArray) -> np.ndarray:
    """The grid mask's value at world ``points`` (nearest voxel); False outside the grid."""
    index = np.rint(grid.to_index(points)).astype(np.int64)
    inside = np.all((index >= 0) & (index < np.array(grid.shape)), axis=-1)
    out = np.zeros(points.shape[:-1], dtype=bool)
    picked = index[inside]
    out[inside] = mask[picked[:, 0], picked[:, 1], picked[:, 2]]
    return out
