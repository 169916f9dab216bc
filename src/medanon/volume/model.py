"""Typed records of the volume engine: a volume in patient coordinates and what defacing did.

Geometry is kept per slice (an origin for every slice plus two in-plane steps)
instead of one 4x4 affine, because a DICOM series with gantry tilt or uneven
slice spacing has no single affine; a NIfTI affine (shears and oblique
included) is the special case where the origins lie on a line.
All coordinates are RAS+ millimetres (nibabel's convention; DICOM's LPS is
converted on reading).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from medanon.core.errors import InputError

FloatArray = np.ndarray


@dataclass(frozen=True)
class Geometry:
    """Where every voxel ``data[s, r, c]`` sits in RAS+ mm.

    ``world = origins[s] + c * column_step + r * row_step``: ``column_step``
    moves along a row (next column), ``row_step`` down a column (next row).
    """

    origins: FloatArray  # (slices, 3)
    column_step: FloatArray  # (3,)
    row_step: FloatArray  # (3,)

    def __post_init__(self) -> None:
        origins = np.asarray(self.origins, dtype=np.float64).reshape(-1, 3)
        column = np.asarray(self.column_step, dtype=np.float64).reshape(3)
        row = np.asarray(self.row_step, dtype=np.float64).reshape(3)
        if not (np.all(np.isfinite(origins)) and np.all(np.isfinite(column)) and np.all(np.isfinite(row))):
            raise InputError("geometry holds non-finite numbers")
        if np.linalg.norm(np.cross(column, row)) < 1e-9:
            raise InputError("in-plane directions are parallel or zero: no usable geometry")
        object.__setattr__(self, "origins", origins)
        object.__setattr__(self, "column_step", column)
        object.__setattr__(self, "row_step", row)
        if len(origins) > 1:
            depth = self.slice_depths()
            steps = np.diff(depth)
            if not (np.all(steps > 1e-6) or np.all(steps < -1e-6)):
                raise InputError("slices are not in a strictly monotonic order along their normal "
                                 "(duplicate or overlapping positions)")

    @property
    def normal(self) -> FloatArray:
        n = np.cross(self.column_step, self.row_step)
        return n / np.linalg.norm(n)

    def slice_depths(self) -> FloatArray:
        """Each slice's distance along the slice normal; uneven spacing allowed."""
        return self.origins @ self.normal

    def world(self, s: FloatArray, r: FloatArray, c: FloatArray) -> FloatArray:
        """RAS+ mm of (possibly fractional) voxel indices; returns ``(..., 3)``."""
        s = np.asarray(s, dtype=np.float64)
        origin = np.stack([np.interp(s, np.arange(len(self.origins)), self.origins[:, k]) for k in range(3)], -1)
        return origin + np.asarray(c, np.float64)[..., None] * self.column_step + \
            np.asarray(r, np.float64)[..., None] * self.row_step

    def to_index(self, points: FloatArray) -> FloatArray:
        """Fractional ``(s, r, c)`` of RAS+ points ``(..., 3)``; NaN outside the slice range.

        The slice index comes from the distance along the normal (so uneven
        spacing is exact), the in-plane indices from the origin interpolated at
        that fractional slice (so a tilted or sheared stack is exact).
        """
        points = np.asarray(points, dtype=np.float64)
        depths = self.slice_depths()
        index = np.arange(len(depths), dtype=np.float64)
        if len(depths) > 1 and depths[-1] < depths[0]:
            depths, index = depths[::-1], index[::-1]
        d = points @ self.normal
        half = (np.abs(depths[-1] - depths[0]) / max(len(depths) - 1, 1)) / 2 if len(depths) > 1 else 0.5
        s = np.interp(d, depths, index)
        outside = (d < depths[0] - half) | (d > depths[-1] + half)
        if len(depths) > 1:  # linear extrapolation for the half-slice margins
            low = d < depths[0]
            high = d > depths[-1]
            s = np.where(low, index[0] + (d - depths[0]) / (depths[1] - depths[0]) * (index[1] - index[0]), s)
            s = np.where(high, index[-1] + (d - depths[-1]) / (depths[-1] - depths[-2]) * (index[-1] - index[-2]), s)
        origin = self.world(np.clip(s, 0, len(self.origins) - 1), np.zeros_like(s), np.zeros_like(s))
        if len(self.origins) > 1:  # extrapolate the origin too
            first = self.origins[1] - self.origins[0] if s.size else 0
            origin = origin + np.minimum(s, 0)[..., None] * first
            last = self.origins[-1] - self.origins[-2]
            origin = origin + np.maximum(s - (len(self.origins) - 1), 0)[..., None] * last
        in_plane = np.linalg.pinv(np.stack([self.row_step, self.column_step], axis=1))  # (2, 3)
        rc = (points - origin) @ in_plane.T
        out = np.stack([s, rc[..., 0], rc[..., 1]], axis=-1)
        out[outside] = np.nan
        return out

    def slice_points(self, index: int, shape: tuple[int, int]) -> FloatArray:
        """RAS+ mm of every voxel of slice ``index`` as ``(rows, columns, 3)`` (fast path for whole slices)."""
        rows = np.arange(shape[0], dtype=np.float64)[:, None, None] * self.row_step
        columns = np.arange(shape[1], dtype=np.float64)[None, :, None] * self.column_step
        return np.asarray(self.origins[index] + rows + columns)

    def affine(self) -> FloatArray | None:
        """The 4x4 voxel ``(s, r, c)`` -> RAS+ matrix when the slices are evenly spaced (tilt and shear
        allowed), else None (uneven spacing has no single affine)."""
        n = len(self.origins)
        step = (self.origins[-1] - self.origins[0]) / max(n - 1, 1)
        expected = self.origins[0] + np.arange(n)[:, None] * step
        if np.max(np.abs(expected - self.origins)) > 1e-3:
            return None
        matrix = np.eye(4)
        matrix[:3, 0], matrix[:3, 1], matrix[:3, 2], matrix[:3, 3] = step, self.row_step, self.column_step, \
            self.origins[0]
        return matrix

    def corners(self, shape: tuple[int, int, int]) -> FloatArray:
        """RAS+ mm of the eight corner voxels of a volume of ``shape`` (slices, rows, columns)."""
        s, r, c = (np.array([0, n - 1], dtype=np.float64) for n in shape)
        grid = np.stack(np.meshgrid(s, r, c, indexing="ij"), -1).reshape(-1, 3)
        return self.world(grid[:, 0], grid[:, 1], grid[:, 2])


@dataclass
class Volume:
    """Voxel values in real-world units (CT: Hounsfield units) and their geometry.

    ``data`` is ``(slices, rows, columns)``. ``modality`` is ``"CT"``, ``"MR"``
    or ``""`` when the source does not say (NIfTI).
    """

    data: FloatArray
    geometry: Geometry
    modality: str = ""

    def __post_init__(self) -> None:
        if self.data.ndim != 3 or min(self.data.shape) < 2:
            raise InputError(f"a head volume needs three dimensions of at least 2 voxels, got {self.data.shape}")
        if len(self.geometry.origins) != self.data.shape[0]:
            raise InputError("geometry and data disagree on the number of slices")


@dataclass
class Defacing:
    """What ``deface`` decided: voxels to clear, and the numbers a report needs."""

    removed: np.ndarray  # bool, same shape as the volume's data
    brain_voxels: int  # voxels of the volume inside the protected (dilated) brain mask
    removed_voxels: int
    background: float
    notes: list[str] = field(default_factory=list)
    protected: np.ndarray | None = None  # bool, the grown brain on the volume's voxels
    threshold: float = 0.0  # skin threshold used for the head and the render
    modality: str = ""
