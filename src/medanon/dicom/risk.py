"""Which files may carry identity in their pixels, judged from the header alone.

Each reason returned here withholds the file unless a pixel cleaner clears it:
burnt-in text reasons (:func:`text_risks`) by the text redactor, face reasons
(:func:`face_risks`) by the face step; any other reason, or a cleaner that
fails, quarantines the file with the reason (DESIGN.md "Fail closed").
"""

from __future__ import annotations

from pydicom.dataset import Dataset

PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
# Modalities whose images usually carry burnt-in text unless the header says otherwise.
TEXT_PRONE_MODALITIES = frozenset({"US", "IVUS", "NM", "SC", "OT", "XA", "RF", "ES", "XC", "GM", "DOC", "SM"})
# Photographic modalities that may show a face or other recognisable features.
PHOTOGRAPHIC_MODALITIES = frozenset({"XC", "ES", "GM", "OT", "SC"})
SECONDARY_CAPTURE_PREFIX = "1.2.840.10008.5.1.4.1.1.7"
ENCAPSULATED_DOCUMENT_PREFIX = "1.2.840.10008.5.1.4.1.1.104"
DOSE_OR_SCREEN_WORDS = ("SCREEN SAVE", "DOSE", "SCREEN")
MEDIA_DIRECTORY = "1.2.840.10008.1.3.10"
#: Top-level attributes whose values the rules of this module read, and those whose presence alone they
#: ask. A series repeats them, so the byte path remembers the rules' answers by their stored bytes
#: (``dicom.HeaderRule``); ``tests/dicom/test_fastpath.py`` records what the rules touch and holds them
#: to these sets. The file meta's Media Storage SOP Class UID is read when SOPClassUID is empty.
RULE_READS = frozenset({0x00080016, 0x00080060, 0x00280301, 0x00080008, 0x00280302, 0x00180015, 0x00081030,
                        0x0008103E, 0x00181030, 0x00020002})
RULE_PRESENCE = frozenset({0x7FE00010, 0x7FE00008, 0x7FE00009, 0x00420011, 0x00041220}
                          | {group << 16 | element for group in range(0x6000, 0x6020, 2)
                             for element in (0x0010, 0x3000)})


def is_media_directory(ds: Dataset) -> bool:
    """A DICOMDIR indexes files (and repeats their patient names); it is never released."""
    sop_class = str(ds.get("SOPClassUID", "") or getattr(ds.get("file_meta", None), "MediaStorageSOPClassUID", ""))
    return sop_class == MEDIA_DIRECTORY or "DirectoryRecordSequence" in ds


def pixel_risks(ds: Dataset) -> list[str]:
    """Reasons this file's pixels or payload may identify the patient; empty if none is known."""
    reasons: list[str] = []
    sop_class = str(ds.get("SOPClassUID", ""))
    if sop_class.startswith(ENCAPSULATED_DOCUMENT_PREFIX) or "EncapsulatedDocument" in ds:
        reasons.append("encapsulated document (PDF/CDA/STL) may hold identifiers; no document cleaner")
    if not any(k in ds for k in PIXEL_KEYWORDS):
        return reasons
    reasons.extend(text_risks(ds))
    reasons.extend(face_risks(ds))
    reasons.extend(_embedded_overlay_reasons(ds))
    return reasons


RECOGNISABLE_YES = "RecognizableVisualFeatures is YES (e.g. a face)"


def face_risks(ds: Dataset) -> list[str]:
    """The reasons of :func:`pixel_risks` that are about faces only (the face step may clear them).

    ``RECOGNISABLE_YES`` means the header says a face is there: it clears only
    when a face is found and obscured. The modality reason clears when the
    detectors find no face, or every face found is obscured and re-checked.
    """
    if not any(k in ds for k in PIXEL_KEYWORDS):
        return []
    recognisable = str(ds.get("RecognizableVisualFeatures", "") or "").strip().upper()
    if recognisable == "YES":
        return [RECOGNISABLE_YES]
    modality = str(ds.get("Modality", "") or "").upper()
    if recognisable != "NO" and modality in PHOTOGRAPHIC_MODALITIES:
        return [f"modality {modality} may show a face and RecognizableVisualFeatures is not NO"]
    return []


def text_risks(ds: Dataset) -> list[str]:
    """The reasons of :func:`pixel_risks` that are about burnt-in text only (a text redactor may clear them)."""
    if not any(k in ds for k in PIXEL_KEYWORDS):
        return []
    modality = str(ds.get("Modality", "") or "").upper()
    burned_in = str(ds.get("BurnedInAnnotation", "") or "").strip().upper()
    image_type = " ".join(str(v) for v in (ds.get("ImageType") or [])).upper()
    is_secondary_capture = str(ds.get("SOPClassUID", "")).startswith(SECONDARY_CAPTURE_PREFIX)
    if burned_in == "YES":
        return ["BurnedInAnnotation is YES: text in the pixels"]
    if burned_in == "NO":
        return []
    if modality in TEXT_PRONE_MODALITIES:
        return [f"modality {modality} often carries burnt-in text and BurnedInAnnotation is not NO"]
    if is_secondary_capture:
        return ["secondary capture often carries burnt-in text and BurnedInAnnotation is not NO"]
    if any(word in image_type for word in DOSE_OR_SCREEN_WORDS):
        return ["screen capture or dose report image and BurnedInAnnotation is not NO"]
    return []


def _embedded_overlay_reasons(ds: Dataset) -> list[str]:
    """Overlays stored in unused high bits of Pixel Data travel with the pixels (PS3.5 8.1.2, retired)."""
    reasons = []
    for group in range(0x6000, 0x6020, 2):
        if (group << 16 | 0x0010) in ds and (group << 16 | 0x3000) not in ds:
            reasons.append(f"overlay plane {group:04X} embedded in Pixel Data bits; no overlay cleaner")
    return reasons


def review_notes(ds: Dataset) -> list[str]:
    """Things a person should check that do not by themselves stop release."""
    notes = []
    modality = str(ds.get("Modality", "") or "").upper()
    if modality in ("CT", "MR", "PT") and any(k in ds for k in PIXEL_KEYWORDS):
        words = " ".join(str(ds.get(k, "") or "") for k in ("BodyPartExamined", "StudyDescription",
                                                             "SeriesDescription", "ProtocolName")).upper()
        if any(w in words for w in ("HEAD", "BRAIN", "SKULL", "FACE", "NECK", "ORBIT", "SINUS", "NEURO")):
            notes.append("head series: a 3D render of the whole series may show the face; "
                         "deface the series with `medanon deface` before sharing it as a volume")
    return notes
