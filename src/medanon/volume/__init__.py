"""Head CT and MRI: remove the face from the volume, and prove it with a render.

``deface(volume)`` finds head and brain in patient (RAS+) space, clears every
voxel in front of and below the brain's grown convex hull (eyes and eyelids,
nose, lips and mouth, chin) and then renders the skin of the result from
-45 to +45 degrees; a face found on any view raises ``VerificationFailed``.
Readers and writers keep the input's geometry: ``nifti`` (nibabel) and
``dicomseries`` (classic series and enhanced multi-frame).
"""

from medanon.volume.check import FaceCheck, check_faces
from medanon.volume.dicomseries import DicomVolume, read_series, write_pixels
from medanon.volume.engine import Defaced, deface
from medanon.volume.model import Defacing, Geometry, Volume
from medanon.volume.nifti import is_nifti, read_nifti, write_nifti

__all__ = [
    "Defaced",
    "Defacing",
    "DicomVolume",
    "FaceCheck",
    "Geometry",
    "Volume",
    "check_faces",
    "deface",
    "is_nifti",
    "read_nifti",
    "read_series",
    "write_nifti",
    "write_pixels",
]
