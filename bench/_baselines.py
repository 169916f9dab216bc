"""Reference defacers for ``bench_deface.py``: what medanon is measured against (bench only, never shipped).

Two published styles, each rebuilt from what pip wheels hold (nothing is downloaded when it runs):

* **quickshear style** -- the ``quickshear`` wheel itself (Schimke & Hale 2011): one shearing plane below the
  lower convex hull of the brain mask's sagittal outline, everything below it cleared. It needs a brain mask
  and one affine (evenly spaced slices); it gets the phantom's *true* brain on synthetic heads (a perfect skull
  strip, the best case for it) and medanon's own grown-brain finder on real heads. Its buffer is given in mm
  (10, medanon's margin) and turned into voxels.
* **template-mask style (pydeface)** -- the template head and face mask that ship in the ``pydeface`` wheel
  (``pydeface/data``), registered to the subject with SimpleITK instead of FSL's FLIRT (FSL is in no wheel):
  similarity, then 12-parameter affine, Mattes mutual information (FLIRT's cost in pydeface), the mask carried
  over with linear interpolation and voxels where it falls below 0.5 cleared (pydeface multiplies by it).

Install for the benchmark only: ``pip install quickshear SimpleITK && pip install --no-deps pydeface`` (pydeface's
own dependencies, nipype and FSL, are only needed for its FLIRT call, which is not used).
Each function returns the voxels it would clear, in the volume's own voxel order, or raises ``Unavailable``.
"""

from __future__ import annotations

import numpy as np

from medanon.volume import segment
from medanon.volume.grid import Grid, resample, sample_nearest
from medanon.volume.model import Volume

REGISTRATION_MM = 2.0
QUICKSHEAR_BUFFER_MM = 10.0


class Unavailable(Exception):
    """The baseline cannot run on this volume or machine (missing wheel, no single affine)."""


def quickshear_removed(volume: Volume, brain: np.ndarray) -> np.ndarray:
    """Voxels the quickshear wheel clears, given a brain mask on the volume's voxels."""
    try:
        import nibabel as nib
        from quickshear import quickshear
    except ImportError as exc:
        raise Unavailable(f"quickshear wheel not installed ({exc.name})") from None
    affine = volume.geometry.affine()
    if affine is None:
        raise Unavailable("uneven slice spacing: quickshear needs one affine")
    voxel_mm = float(np.min(np.linalg.norm(affine[:3, :3], axis=0)))
    ones = nib.Nifti1Image(np.ones(volume.data.shape, dtype=np.uint8), affine)
    mask = nib.Nifti1Image(brain.astype(np.uint8), affine)
    kept = np.asanyarray(quickshear(ones, mask, buff=int(round(QUICKSHEAR_BUFFER_MM / voxel_mm))).dataobj)
    return np.asarray(kept == 0)


def own_brain(volume: Volume) -> np.ndarray:
    """medanon's brain finder (``volume.segment``, no margin) on the volume's voxels: quickshear's mask on
    real heads, which come without a true brain."""
    modality = segment.guess_modality(volume.data, volume.modality)
    values, grid = resample(volume, REGISTRATION_MM)
    threshold = segment.skin_threshold(values, modality)
    brain = segment.brain_mask(values, segment.head_mask(values, threshold), modality, REGISTRATION_MM)
    return _on_volume(volume, brain, grid)


def template_removed(volume: Volume) -> np.ndarray:
    """Voxels a pydeface-style template face mask clears after affine registration to the volume."""
    try:
        import SimpleITK as sitk  # noqa: N813
    except ImportError:
        raise Unavailable("SimpleITK wheel not installed") from None
    template, facemask = _pydeface_data()
    values, grid = resample(volume, REGISTRATION_MM)
    fixed = sitk.GetImageFromArray(np.ascontiguousarray(values.transpose(2, 1, 0), dtype=np.float32))
    fixed.SetOrigin(tuple(float(v) for v in grid.origin))
    fixed.SetSpacing((grid.spacing,) * 3)
    moving = sitk.BinShrink(_sitk_image(template), [2, 2, 2])  # ~2 mm, like the subject's grid
    transform = _register(fixed, moving, sitk.Similarity3DTransform())
    transform = _register(fixed, moving, _affine_from(transform))
    warped = sitk.Resample(_sitk_image(facemask), fixed, transform, sitk.sitkLinear, 1.0, sitk.sitkFloat32)
    keep = sitk.GetArrayFromImage(warped).transpose(2, 1, 0) >= 0.5
    return ~_on_volume(volume, keep, grid, outside=True)


def _pydeface_data() -> tuple[object, object]:
    try:
        from importlib.resources import files

        import nibabel as nib

        data = files("pydeface") / "data"
        return nib.load(str(data / "mean_reg2mean.nii.gz")), nib.load(str(data / "facemask.nii.gz"))
    except (ImportError, ModuleNotFoundError, FileNotFoundError) as exc:
        raise Unavailable(f"pydeface wheel (template and face mask) not installed: {exc}") from None


def _sitk_image(image: object) -> object:
    """A nibabel image as a SimpleITK image in the same (RAS+) world coordinates."""
    import SimpleITK as sitk  # noqa: N813

    affine = image.affine  # type: ignore[attr-defined]
    data = np.asanyarray(image.dataobj, dtype=np.float32)  # type: ignore[attr-defined]
    out = sitk.GetImageFromArray(np.ascontiguousarray(data.transpose(2, 1, 0)))
    spacing = np.linalg.norm(affine[:3, :3], axis=0)
    direction = affine[:3, :3] / spacing
    u, _, vt = np.linalg.svd(direction)  # the nearest rotation (the template's affine is a near-rotation)
    out.SetOrigin(tuple(float(v) for v in affine[:3, 3]))
    out.SetSpacing(tuple(float(v) for v in spacing))
    out.SetDirection(tuple(float(v) for v in (u @ vt).ravel()))
    return out


def _register(fixed: object, moving: object, start: object) -> object:
    import SimpleITK as sitk  # noqa: N813

    method = sitk.ImageRegistrationMethod()
    method.SetMetricAsMattesMutualInformation(numberOfHistogramBins=32)
    method.SetMetricSamplingStrategy(method.RANDOM)
    method.SetMetricSamplingPercentage(0.2, 1)
    method.SetInterpolator(sitk.sitkLinear)
    method.SetOptimizerAsRegularStepGradientDescent(learningRate=2.0, minStep=1e-3, numberOfIterations=150,
                                                    relaxationFactor=0.6)
    method.SetOptimizerScalesFromPhysicalShift()
    method.SetShrinkFactorsPerLevel([4, 2, 1])
    method.SetSmoothingSigmasPerLevel([4.0, 2.0, 0.0])
    method.SmoothingSigmasAreSpecifiedInPhysicalUnitsOn()
    if isinstance(start, sitk.Similarity3DTransform):
        start = sitk.CenteredTransformInitializer(fixed, moving, start,
                                                  sitk.CenteredTransformInitializerFilter.MOMENTS)
    method.SetInitialTransform(start, inPlace=False)
    return method.Execute(fixed, moving)


def _affine_from(transform: object) -> object:
    import SimpleITK as sitk  # noqa: N813

    similarity = sitk.Similarity3DTransform(transform.GetNthTransform(0)  # type: ignore[attr-defined]
                                            if hasattr(transform, "GetNthTransform") else transform)
    affine = sitk.AffineTransform(3)
    affine.SetMatrix(similarity.GetMatrix())
    affine.SetTranslation(similarity.GetTranslation())
    affine.SetCenter(similarity.GetCenter())
    return affine


def _on_volume(volume: Volume, mask: np.ndarray, grid: Grid, outside: bool = False) -> np.ndarray:
    """A grid mask on the volume's own voxels (nearest grid voxel); ``outside`` where the grid ends."""
    out = np.zeros(volume.data.shape, dtype=bool)
    padded = np.pad(mask, 1, constant_values=outside)
    shifted = Grid(origin=grid.origin - grid.spacing, spacing=grid.spacing,
                   shape=(padded.shape[0], padded.shape[1], padded.shape[2]))
    for s in range(volume.data.shape[0]):
        out[s] = sample_nearest(padded, shifted, volume.geometry.slice_points(s, volume.data.shape[1:]))
    return out
