"""One call from a volume to a defaced volume that has passed the face check."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from medanon.core.errors import VerificationFailed
from medanon.volume.check import FaceCheck, check_faces
from medanon.volume.cut import apply_defacing, plan_defacing
from medanon.volume.model import Defacing, Volume


@dataclass
class Defaced:
    """The defaced volume, the plan that made it, and the renders before and after."""

    volume: Volume
    plan: Defacing
    after: FaceCheck
    before: FaceCheck | None = None


def deface(volume: Volume, *, render_before: bool = True) -> Defaced:
    """Remove the face and prove it: no face may be found on any render of the result.

    Raises
    ------
    medanon.core.errors.UnsupportedInput
        No head or brain found: the face cannot be removed safely.
    medanon.core.errors.VerificationFailed
        A face was still detected on a render of the defaced volume, or the
        face detector could not run (DESIGN.md "Fail closed").
    """
    plan = plan_defacing(volume)
    defaced = apply_defacing(volume, plan)
    if plan.protected is not None and not np.array_equal(defaced.data[plan.protected], volume.data[plan.protected]):
        raise VerificationFailed("a voxel inside the protected brain changed")
    before = check_faces(volume, plan.threshold, plan.modality) if render_before else None
    try:
        after = check_faces(defaced, plan.threshold, plan.modality)
    except Exception as exc:
        raise VerificationFailed(f"the face check could not run: {type(exc).__name__}") from None
    if after.views_with_face:
        angles = ", ".join(f"{a:+.0f}" for a in after.views_with_face)
        raise VerificationFailed(f"a face is still detected on the render of the defaced volume at {angles} degrees")
    return Defaced(volume=defaced, plan=plan, after=after, before=before)
