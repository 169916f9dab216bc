"""NIfTI in and out with nibabel: same shape, affine and data type; written atomically.

The header's free-text fields (``descrip``, ``aux_file``, ``intent_name``,
``db_name``) and header extensions are cleared on output: converters put scan
dates, sequence names and even whole DICOM headers there.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import nibabel as nib
import numpy as np

from medanon.core.errors import InputError
from medanon.volume.model import Geometry, Volume

SUFFIXES = (".nii", ".nii.gz")
TEXT_FIELDS = ("descrip", "aux_file", "intent_name", "db_name")


def is_nifti(path: Path) -> bool:
    return path.name.lower().endswith(SUFFIXES)


def read_nifti(path: Path) -> tuple[Volume, nib.Nifti1Image]:
    """The volume in RAS+ patient space, and the image it came from (for writing back).

    A fourth dimension of length 1 is accepted; more (a time series) is refused.
    """
    try:
        image = nib.load(str(path))
        if not isinstance(image, nib.Nifti1Image | nib.Nifti2Image):
            raise InputError("not a NIfTI-1/2 image", item=path.name)
        shape = image.shape
        if len(shape) == 4 and shape[3] == 1:
            shape = shape[:3]
        if len(shape) != 3:
            raise InputError(f"a head volume needs 3 dimensions, this image has shape {image.shape}", item=path.name)
        values = np.asarray(image.get_fdata(dtype=np.float32)).reshape(shape)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot read NIfTI: {type(exc).__name__}", item=path.name) from None
    affine = image.affine
    if not np.all(np.isfinite(affine)) or abs(np.linalg.det(affine[:3, :3])) < 1e-9:
        raise InputError("NIfTI affine is singular or not finite: no patient geometry", item=path.name)
    origins = np.array([affine[:3, :3] @ [0.0, 0.0, k] + affine[:3, 3] for k in range(shape[2])])
    geometry = Geometry(origins=origins, column_step=affine[:3, 0], row_step=affine[:3, 1])
    return Volume(data=values.transpose(2, 1, 0), geometry=geometry), image


def write_nifti(image: nib.Nifti1Image, removed: np.ndarray, destination: Path) -> None:
    """Write ``image`` with the ``removed`` voxels (volume order) set to its stored minimum.

    Stored values are edited directly (no rescaling round trip), so every
    kept voxel is bit-identical; shape, affine, sform/qform and data type
    are those of the input.
    """
    raw = np.asanyarray(image.dataobj.get_unscaled()).copy()  # type: ignore[attr-defined]
    mask = removed.transpose(2, 1, 0).reshape(raw.shape)
    slope = image.dataobj.slope  # type: ignore[attr-defined]
    raw[mask] = raw.min() if (slope is None or not np.isfinite(slope) or slope >= 0) else raw.max()
    header = image.header.copy()
    for name in TEXT_FIELDS:
        if name in header:
            header[name] = b""
    out = type(image)(raw, image.affine, header=header)
    out.header.extensions.clear()
    out.header.set_slope_inter(image.dataobj.slope, image.dataobj.inter)  # type: ignore[attr-defined]
    _save_atomic(out, destination)


def _save_atomic(image: nib.Nifti1Image, destination: Path) -> None:
    """Temp file beside the destination, fsync, rename (DESIGN.md "Never touch the input")."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    suffix = ".nii.gz" if destination.name.lower().endswith(".gz") else ".nii"
    handle, temp_name = tempfile.mkstemp(prefix=".medanon-", suffix=suffix, dir=destination.parent)
    os.close(handle)
    try:
        nib.save(image, temp_name)
        with open(temp_name, "rb+") as stream:
            os.fsync(stream.fileno())
        os.replace(temp_name, destination)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
