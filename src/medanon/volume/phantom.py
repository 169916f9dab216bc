"""A synthetic head (cranium, brain, eyes in their sockets, brows, nose, lips, chin) for tests and benchmarks.

Built in RAS+ millimetres and then sampled on any grid, so the same head can
be made as axial, sagittal, oblique, tilted or unevenly spaced slices; the
brain mask comes with it, so "no brain voxel changed" is checked against a
truth that the defacer never sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from medanon.volume.model import Geometry, Volume

# Tissue values: (MR T1-like, CT in Hounsfield units).
VALUES = {
    "air": (0.0, -1000.0),
    "skin": (110.0, 40.0),
    "bone": (15.0, 900.0),
    "csf": (25.0, 5.0),
    "brain": (80.0, 32.0),
    "eye": (60.0, 15.0),
}


FACE_REGIONS = ("eyes", "nose", "mouth", "chin")
# Labelled too, for measuring: the eyeballs alone (``eyes`` is eyeballs and lids together).
EXTRA_REGIONS = ("eyeballs",)


@dataclass
class Phantom:
    volume: Volume
    brain: np.ndarray  # bool, the true brain on the volume's voxels
    regions: dict[str, np.ndarray]  # bool per FACE_REGIONS name (what the defacer must remove) and EXTRA_REGIONS

    @property
    def face(self) -> np.ndarray:
        return np.logical_or.reduce([self.regions[name] for name in FACE_REGIONS])


def _ellipsoid(p: np.ndarray, centre: tuple[float, float, float], radii: tuple[float, float, float]) -> np.ndarray:
    q = (p - np.array(centre)) / np.array(radii)
    return np.asarray((q * q).sum(-1) <= 1.0)


# The nose, in the range of adult norms (Farkas, "Anthropometry of the Head and Face", 1994: nasal height
# nasion-subnasale about 50-55 mm, alar width about 31-35 mm, tip protrusion subnasale-pronasale about 17-21 mm).
# A ridge whose cross-section is rounded, narrow at the root and widening to the alae, projecting least at the
# root and most near the tip, then turning back to the upper lip (the columella). An earlier phantom used an
# ellipsoid that projected most halfway down, level with the eyes' lower lids, and hid the far eye at 30 degrees.
NOSE_ROOT_S, NOSE_BASE_S = 4.0, -50.0  # nasion and subnasale heights (mm); eyes' centres are at -3
NOSE_TIP_FRACTION = 0.8  # the tip (pronasale) lies this far down from root to base
NOSE_ROOT_PROJECTION, NOSE_TIP_PROJECTION = 10.0, 19.0  # mm in front of the face below it
NOSE_ROOT_HALF_WIDTH, NOSE_ALA_HALF_WIDTH = 8.0, 16.5  # mm
LOWER_FACE = ((0.0, 25.0, -40.0), (60.0, 66.0, 75.0))  # centre and radii (R, A, S) of the lower face


def _face_front(z: np.ndarray) -> np.ndarray:
    """Anterior coordinate of the lower face's midline surface at height ``z`` (where the nose sits)."""
    (_, a0, s0), (_, ra, rs) = LOWER_FACE
    return a0 + ra * np.sqrt(np.clip(1.0 - ((z - s0) / rs) ** 2, 0.0, 1.0))


def _nose(p: np.ndarray) -> np.ndarray:
    x, a, z = p[..., 0], p[..., 1], p[..., 2]
    f = (NOSE_ROOT_S - z) / (NOSE_ROOT_S - NOSE_BASE_S)  # 0 at the root, 1 at the base
    rising = NOSE_ROOT_PROJECTION + (NOSE_TIP_PROJECTION - NOSE_ROOT_PROJECTION) * f / NOSE_TIP_FRACTION
    falling = NOSE_TIP_PROJECTION * np.sqrt(np.clip((1.0 - f) / (1.0 - NOSE_TIP_FRACTION), 0.0, 1.0))
    projection = np.where(f <= NOSE_TIP_FRACTION, rising, falling)
    half_width = NOSE_ROOT_HALF_WIDTH + (NOSE_ALA_HALF_WIDTH - NOSE_ROOT_HALF_WIDTH) * np.clip(f / 0.9, 0.0, 1.0)
    across = np.clip(np.abs(x) / half_width, 0.0, 1.0)
    height = projection * np.sqrt(1.0 - across ** 2)  # rounded cross-section
    base = _face_front(z) - 6.0  # sunk a little into the face, so no seam shows
    return np.asarray((f >= 0) & (f <= 1) & (np.abs(x) < half_width) & (a >= base) & (a <= base + 6.0 + height))


def label_points(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Tissue index per point (into ``VALUES``), brain mask, face region masks; ``p`` is (..., 3) RAS+ mm."""
    names = list(VALUES)
    label = np.zeros(p.shape[:-1], dtype=np.int8)
    cranium = _ellipsoid(p, (0, -10, 30), (74, 94, 82))
    lower_face = _ellipsoid(p, *LOWER_FACE)
    neck = _ellipsoid(p, (0, -15, -100), (50, 50, 60))
    head = cranium | lower_face | neck
    brows = _ellipsoid(p, (0, 80, 10), (50, 12, 8))
    nose = _nose(p)
    upper_lip = _ellipsoid(p, (0, 88, -57), (22, 9, 5))
    lower_lip = _ellipsoid(p, (0, 87, -68), (20, 9, 5))
    chin = _ellipsoid(p, (0, 80, -92), (26, 14, 15))
    head |= brows | nose | upper_lip | lower_lip | chin
    sockets = _ellipsoid(p, (-30, 78, -3), (16, 14, 13)) | _ellipsoid(p, (30, 78, -3), (16, 14, 13))
    mouth = _ellipsoid(p, (0, 95, -62.5), (20, 10, 1.6))
    head &= ~(sockets | mouth)
    eyes = _ellipsoid(p, (-30, 74, -3), (11, 11, 11)) | _ellipsoid(p, (30, 74, -3), (11, 11, 11))
    label[head] = names.index("skin")
    skull = _ellipsoid(p, (0, -10, 32), (66, 86, 73))
    label[skull] = names.index("bone")
    csf = _ellipsoid(p, (0, -10, 33), (60, 80, 67))
    label[csf] = names.index("csf")
    brain = _ellipsoid(p, (0, -10, 34), (57, 77, 64))
    label[brain] = names.index("brain")
    label[eyes] = names.index("eye")
    lids = (_ellipsoid(p, (-30, 78, -3), (20, 18, 17)) | _ellipsoid(p, (30, 78, -3), (20, 18, 17))) & head
    regions = {"eyes": eyes | lids, "eyeballs": eyes, "nose": nose,
               "mouth": upper_lip | lower_lip | _ellipsoid(p, (0, 88, -62), (24, 10, 9)), "chin": chin}
    return label, brain, {name: mask & ~brain for name, mask in regions.items()}


def make_head(geometry: Geometry, shape: tuple[int, int, int], modality: str = "MR",
              noise: float = 2.0, seed: int = 0, pitch_degrees: float = 0.0) -> Phantom:
    """Sample the head on ``geometry``; values by ``modality`` ("MR" or "CT") with Gaussian noise.

    ``pitch_degrees`` nods the head about the R-L axis (positive: chin down), as patients lie.
    """
    t = np.deg2rad(pitch_degrees)
    rotation = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(t), np.sin(t)], [0.0, -np.sin(t), np.cos(t)]])
    column = 0 if modality == "MR" else 1
    lookup = np.array([v[column] for v in VALUES.values()], dtype=np.float32)
    data = np.empty(shape, dtype=np.float32)
    brain = np.empty(shape, dtype=bool)
    regions = {name: np.empty(shape, dtype=bool) for name in FACE_REGIONS + EXTRA_REGIONS}
    r, c = np.meshgrid(np.arange(shape[1]), np.arange(shape[2]), indexing="ij")
    for index in range(shape[0]):  # slice by slice: a 256^3 head fits in memory
        points = geometry.world(np.full(r.shape, index), r, c) @ rotation
        label, brain[index], parts = label_points(points)
        data[index] = lookup[label]
        for name in regions:
            regions[name][index] = parts[name]
    data += np.random.default_rng(seed).normal(0.0, noise, shape).astype(np.float32)
    if modality == "MR":
        data = np.clip(data, 0, None)
    return Phantom(volume=Volume(data=data, geometry=geometry, modality=modality), brain=brain, regions=regions)


def axial_geometry(spacing: float = 2.0, size: int = 120, tilt_degrees: float = 0.0,
                   slice_positions: np.ndarray | None = None) -> tuple[Geometry, tuple[int, int, int]]:
    """Axial slices centred on the head; ``tilt_degrees`` tilts the slice plane about the R-L axis
    like a CT gantry (positions still stepping along S); ``slice_positions`` gives uneven S positions."""
    half = spacing * (size - 1) / 2
    z = np.linspace(-half - 10, half - 10, size) if slice_positions is None else np.asarray(slice_positions)
    t = np.deg2rad(tilt_degrees)
    row_step = spacing * np.array([0.0, -np.cos(t), -np.sin(t)])  # rows run anterior to posterior
    column_step = spacing * np.array([-1.0, 0.0, 0.0])  # columns run right to left (DICOM habit)
    origins = np.array([[half, half * np.cos(t), zi + half * np.sin(t)] for zi in z])
    return Geometry(origins=origins, column_step=column_step, row_step=row_step), (len(z), size, size)


def plane_geometry(orientation: str, spacing: float = 2.5, size: int = 96) -> tuple[Geometry, tuple[int, int, int]]:
    """Sagittal or coronal slices (DICOM habit: rows run superior to inferior) centred on the head."""
    half = spacing * (size - 1) / 2
    down = spacing * np.array([0.0, 0.0, -1.0])
    if orientation == "sagittal":  # slices step right to left, columns run anterior to posterior
        column_step, through = spacing * np.array([0.0, -1.0, 0.0]), spacing * np.array([-1.0, 0.0, 0.0])
    elif orientation == "coronal":  # slices step anterior to posterior, columns run right to left
        column_step, through = spacing * np.array([-1.0, 0.0, 0.0]), spacing * np.array([0.0, -1.0, 0.0])
    else:
        raise ValueError(f"unknown orientation {orientation!r}")
    corner = -(column_step + down + through) / spacing * half + np.array([0.0, 0.0, -10.0])
    origins = np.array([corner + k * through for k in range(size)])
    return Geometry(origins=origins, column_step=column_step, row_step=down), (size, size, size)
