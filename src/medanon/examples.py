"""Example DICOM shipped by pip-installed packages, shared by the demo, docs and tests.

Nothing here is copied into medanon: the files stay inside ``pydicom``,
``pydicom-data`` and ``deid-data``, which keep their own licences.
"""

from __future__ import annotations

from pathlib import Path

# A small mixed set: CT, MR, RT plan, SR-free JPEG 2000 CT, an ultrasound with
# burnt-in text, a secondary capture, a DICOMDIR, real-looking PHI (deid-data).
PYDICOM_DEMO = ("CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "JPEG2000.dcm", "SC_rgb_rle.dcm",
                "US1_J2KR.dcm", "DICOMDIR", "emri_small_jpeg_2k_lossless.dcm", "chr_japanese.dcm")
DEID_DEMO = ("dicom-cookies/image1.dcm", "dicom-cookies/image2.dcm", "humans/ctbrain1.dcm",
             "ultrasounds/GREYSCALE_IMAGE.dcm")


def pydicom_test_files() -> list[Path]:
    """Every file pydicom ships for its own tests (test_files and charset_files)."""
    import pydicom.data

    root = Path(pydicom.data.__file__).parent
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc", ".json", ".md"))


def pydicom_data_files() -> list[Path]:
    """The larger files of the ``pydicom-data`` package (module ``data_store``)."""
    try:
        import data_store
    except ImportError:
        return []
    root = Path(data_store.__file__).parent / "data"
    return sorted(p for p in root.rglob("*") if p.is_file())


def deid_data_files() -> list[Path]:
    """deid's sample data: cookies, CT with realistic PHI, ultrasounds (``deid-data``)."""
    try:
        import deid_data
    except ImportError:
        return []
    root = Path(deid_data.__file__).parent / "data"
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".dcm", ".zip"))


def all_package_files() -> list[Path]:
    return pydicom_test_files() + pydicom_data_files() + deid_data_files()


def demo_files() -> list[Path]:
    """The demo's mixed set; files a package does not ship are left out."""
    from pydicom.data import get_testdata_file

    files: list[Path] = []
    for name in PYDICOM_DEMO:
        try:
            found = get_testdata_file(name)
        except Exception:
            found = None
        if found:
            files.append(Path(str(found)))
    deid_root = deid_data_files()
    for name in DEID_DEMO:
        files.extend(p for p in deid_root if p.as_posix().endswith(name))
    return files
