"""Re-encoding redacted frames (pixels/codec.py): a lossy JPEG keeps the colour sampling it came with."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

from medanon.pixels.codec import decode_all, write_back


def _read(name: str) -> pydicom.Dataset:
    path = get_testdata_file(name)
    if path is None:
        pytest.skip(f"pydicom does not ship {name}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path)


def _jpeg_sampling(ds: pydicom.Dataset) -> tuple[int, ...]:
    """Horizontal x vertical sampling factors of each component, read from the first frame's SOF0."""
    frame = next(pydicom.encaps.generate_frames(ds.PixelData, number_of_frames=1))
    start = frame.index(b"\xff\xc0")
    components = frame[start + 9]
    return tuple(frame[start + 11 + 3 * i] for i in range(components))


@pytest.mark.parametrize(("name", "photometric", "luma_sampling"), [
    ("SC_rgb_dcmtk_+eb+cy+n1.dcm", "YBR_FULL", 0x11),      # 4:4:4 in, 4:4:4 out
    ("SC_rgb_dcmtk_+eb+cy+s2.dcm", "YBR_FULL_422", 0x21),  # 4:2:2 in, 4:2:2 out
])
def test_jpeg_baseline_keeps_its_chroma_sampling(name: str, photometric: str, luma_sampling: int) -> None:
    ds = _read(name)
    assert ds.PhotometricInterpretation == photometric
    decoded = decode_all(ds)
    out = copy.deepcopy(ds)
    write_back(out, decoded, decoded.frames.copy())
    assert out.PhotometricInterpretation == photometric
    assert _jpeg_sampling(out)[0] == luma_sampling
    again = decode_all(out).frames.astype(float)
    mse = np.mean((again - decoded.frames.astype(float)) ** 2)
    assert 10 * np.log10(255.0 ** 2 / max(mse, 1e-9)) > 40  # quality 95 re-encoding stays close
