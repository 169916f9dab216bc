"""The independent residual scan of one output file (DESIGN.md "Verify, don't trust").

Three looks at the file, each catching what the others miss:

1. the raw bytes, lower-cased: values in private or malformed elements, the
   preamble, trailing data, anything pydicom would not show;
2. every decoded text value: names stored in ISO 2022, GB18030 and other
   character sets whose bytes do not contain the UTF-8 or latin-1 form;
3. structural truths a released file must state (PS3.15 E.1.1).

Every finding names a check, a place and the kind of identifier, never the value.
"""

from __future__ import annotations

import bisect
import io
import itertools
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset

from medanon.core.enum import Severity
from medanon.core.results import Finding
from medanon.verify._matcher import Hit, Matcher
from medanon.verify._plain import PlainFile, read_plain
from medanon.verify._walk import TextVisit, walk_texts
from medanon.verify.model import Identifiers

RESIDUAL = "residual-identifier"
READABLE = "readable"
META_CONSISTENT = "meta-consistent"
IDENTITY_REMOVED = "identity-removed-flag"


def scan_file(
    path: str | os.PathLike[str],
    identifiers: Identifiers,
    retained: frozenset[str] = frozenset(),
) -> list[Finding]:
    """Check an output file for any form of the input's identifiers; ``[]`` means clean.

    Parameters
    ----------
    path
        The de-identified output file.
    identifiers
        From :func:`medanon.verify.collect_identifiers` on the original input.
    retained
        Categories the policy legitimately keeps, left unsearched: ``"uid"``
        (Retain UIDs Option), ``"date"`` (Retain Longitudinal Temporal
        Information with Full Dates), ``"institution"``, ``"device"``.

    Returns
    -------
    list[Finding]
        ERROR findings, checks ``residual-identifier`` (where ``bytes@<offset>``
        or a tag path; the message gives the form number, 1-based, in
        ``Identifier.forms``), ``readable``, ``meta-consistent`` and
        ``identity-removed-flag``.

    Raises
    ------
    PolicyError
        If *retained* names an unknown category.
    """
    identifiers.matcher(frozenset(retained))  # an unknown category raises before anything is read
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return [_unreadable("file", exc)]
    return scan_bytes(data, identifiers, retained)


def scan_bytes(data: bytes, identifiers: Identifiers, retained: frozenset[str] = frozenset()) -> list[Finding]:
    """:func:`scan_file` on the bytes about to be written (or just written) as an output file.

    The caller that encodes a file scans the very buffer it writes, rather than
    reading half a megabyte back from the page cache: the looks are the same.
    """
    matcher = identifiers.matcher(frozenset(retained))
    findings = [_residual(f"bytes@{hit.offset}", hit) for hit in matcher.search_file(data)]
    plain = read_plain(data)
    if plain is not None:
        findings += plain_findings(plain, matcher)
        return findings + _structural(plain.top.get(0x00020003), plain.top.get(0x00080018),
                                      plain.top.get(0x00120062))
    return findings + _pydicom_findings(data, matcher)


def _pydicom_findings(data: bytes, matcher: Matcher) -> list[Finding]:
    """The decoded and structural looks through pydicom, for files the plain reader steps aside from."""
    findings: list[Finding] = []
    try:
        # the bytes already read, not the path again: both looks see the same file
        ds = pydicom.dcmread(io.BytesIO(data))
    except Exception as exc:  # any failure to parse is a failure to prove the file clean
        return [*findings, _unreadable("file", exc)]
    findings += _decoded_findings(ds, matcher)
    findings += structural_findings(ds)
    return findings


def _decoded_findings(ds: Dataset, matcher: Matcher) -> list[Finding]:
    visits = (visit for part in (getattr(ds, "file_meta", None), ds) if part is not None
              for visit in walk_texts(part))
    return _text_findings(visits, matcher)


def plain_findings(plain: PlainFile, matcher: Matcher) -> list[Finding]:
    """The decoded look over what the plain reader read: its decoded texts and its plain-ASCII values."""
    return _text_findings(plain.texts, matcher, _AsciiValues(plain.ascii_paths, plain.ascii_values))


def _text_findings(visits: Iterable[TextVisit], matcher: Matcher, ascii_values: _AsciiValues | None = None,
                   ) -> list[Finding]:
    findings: list[Finding] = []
    ascii_values = ascii_values or _AsciiValues()
    for visit in visits:
        if visit.error is not None:
            findings.append(_unreadable(visit.path, visit.error))
        elif isinstance(visit.value, bytes):
            ascii_values.add(visit.path, visit.value)
        elif visit.value:
            findings += (_residual(visit.path, hit) for hit in matcher.search_text(visit.value))
    findings += (_residual(path, hit) for path, hit in ascii_values.search(matcher))
    return findings


class _AsciiValues:
    """Plain-ASCII values searched in one regex call, each hit mapped back to its tag path.

    One call instead of one per element saves a few microseconds per element.
    Values are joined with NUL, which is no letter or digit, so each value's
    boundaries are what they would be on its own.
    """

    def __init__(self, paths: list[str] | None = None, chunks: list[bytes] | None = None) -> None:
        self.paths: list[str] = paths if paths is not None else []
        self.chunks: list[bytes] = chunks if chunks is not None else []
        self.starts: list[int] = [0, *itertools.accumulate(len(chunk) + 1 for chunk in self.chunks)][:-1]
        self.size = self.starts[-1] + len(self.chunks[-1]) + 1 if self.chunks else 0

    def add(self, path: str, value: bytes) -> None:
        self.paths.append(path)
        self.starts.append(self.size)
        self.chunks.append(value)
        self.size += len(value) + 1

    def search(self, matcher: Matcher) -> Iterator[tuple[str, Hit]]:
        for hit in matcher.search_bytes(b"\0".join(self.chunks)):
            yield self.paths[bisect.bisect_right(self.starts, hit.offset) - 1], hit


def structural_findings(ds: Dataset) -> list[Finding]:
    """The file meta names the right instance, and the file says its identity was removed."""
    meta = getattr(ds, "file_meta", None)
    meta_uid = meta.get("MediaStorageSOPInstanceUID") if meta is not None else None
    return _structural(meta_uid, ds.get("SOPInstanceUID"), ds.get("PatientIdentityRemoved"))


def _structural(meta_uid: object, sop_uid: object, identity_removed: object) -> list[Finding]:
    findings: list[Finding] = []
    if not meta_uid or str(meta_uid) != str(sop_uid or ""):
        message = "MediaStorageSOPInstanceUID is missing or differs from SOPInstanceUID"
        findings.append(Finding(Severity.ERROR, META_CONSISTENT, "(0002,0003)", message))
    if identity_removed != "YES":
        message = "PatientIdentityRemoved is not YES"
        findings.append(Finding(Severity.ERROR, IDENTITY_REMOVED, "(0012,0062)", message))
    return findings


def _residual(where: str, hit: Hit) -> Finding:
    identifier = hit.identifier
    message = f"{identifier.category} from {identifier.source} found in form #{hit.form_index + 1}"
    return Finding(Severity.ERROR, RESIDUAL, where, message)


def _unreadable(where: str, exc: BaseException) -> Finding:
    # the exception's text may quote a value, so only its type is reported
    return Finding(Severity.ERROR, READABLE, where, f"could not be read ({type(exc).__name__})")
