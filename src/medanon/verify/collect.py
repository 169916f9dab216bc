"""Gather the identifying values of an original dataset, before it is cleaned.

This is the "what must not come out" half of DESIGN.md "Verify, don't trust".
It reads the input with pydicom, or with verify's own byte reader
(``_plain.py``) where that reading is proven equal, and decides by its own
keyword lists (:mod:`medanon.verify._keywords`), not by the cleaner's tables,
so that one mistake cannot both leak a value and approve the leak.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator

from pydicom._uid_dict import UID_dictionary
from pydicom.datadict import keyword_for_tag
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.uid import UID

from medanon.core.errors import InputError
from medanon.verify import forms as f
from medanon.verify._keywords import (
    ADDRESS_LIKE_KEYWORDS,
    CODE_SEQUENCES,
    CODE_VALUE_KEYWORDS,
    KEYWORD_CATEGORY,
    NON_IDENTIFYING_UID_KEYWORDS,
    TEXT_VRS,
)
from medanon.verify._plain import read_input_visits
from medanon.verify._walk import PlainVisit, Visit, keyword_of, walk_file
from medanon.verify.model import Identifier, Identifiers

FormMaker = Callable[[str], tuple[str, ...]]
VENDOR_KEYWORDS = frozenset({"Manufacturer", "ManufacturerModelName"})


def collect_identifiers(ds: Dataset) -> Identifiers:
    """Every identifying value of *ds* (file meta and all nested sequences), with its search forms.

    Call it on the original input; it does not change *ds*. Values that are
    placeholders ("ANONYMOUS", "", "^") or too short to search are left out.
    Identical values found under several tags are kept once, under the first.

    Raises
    ------
    InputError
        If an element cannot be decoded: its identifiers would be unknown, so
        nothing could prove the output clean (DESIGN.md "Fail closed").
    """
    return _gather(walk_file(ds, skip=_not_identifying))


def collect_identifiers_from_bytes(data: bytes) -> Identifiers | None:
    """:func:`collect_identifiers` of ``pydicom.dcmread(BytesIO(data))``, read from the bytes themselves.

    The same identifiers in the same order, without building pydicom's Dataset
    (which costs more than the collecting): verify's own byte reader
    (:func:`medanon.verify._plain.read_input_visits`) reads plain
    little-endian files and decodes each value the way pydicom would.

    Returns ``None`` for any file whose reading by pydicom it cannot prove
    equal: big endian, deflate, character sets other than the default,
    ISO_IR 100 and ISO_IR 192, escapes, damaged structure, private attributes
    pydicom may fail to convert, and the like. The caller then parses the
    file with pydicom and calls :func:`collect_identifiers`, which raises
    :class:`InputError` where an element cannot be decoded.
    """
    visits = read_input_visits(data, _worth_reading)
    return None if visits is None else _gather(visits)


def _gather(visits: Iterable[Visit | PlainVisit]) -> Identifiers:
    """The identifiers of a walk's visits, the vendor-name rule applied (both readings end here)."""
    found: dict[tuple[str, tuple[str, ...]], Identifier] = {}
    vendor_words: set[str] = set()
    for visit in visits:
        if visit.keyword in VENDOR_KEYWORDS:
            vendor_words.update(_words(" ".join(visit.values)))
        for identifier in _identifiers(visit):
            found.setdefault((identifier.category, identifier.forms), identifier)
    return Identifiers(tuple(i for i in found.values() if not _is_vendor_name(i, vendor_words)))


@functools.lru_cache(maxsize=8192)
def _worth_reading(tag: int, vr: str, sequence: str) -> bool:
    """Whether a text element's values can matter to :func:`_gather`: an identifier or a vendor word."""
    keyword = keyword_of(tag)
    return keyword in VENDOR_KEYWORDS or _classify(keyword, vr, sequence) is not None


# Numbers, ages, times and code strings identify only when their keyword says so (KEYWORD_CATEGORY).
_KEYWORD_ONLY_VRS = frozenset({"AS", "CS", "DS", "IS", "TM"})


@functools.lru_cache(maxsize=4096)
def _not_identifying(tag: int, vr: str | None) -> bool:
    """True for an element that cannot yield an identifier, so it need not be decoded at all."""
    return vr in _KEYWORD_ONLY_VRS and keyword_for_tag(tag) not in KEYWORD_CATEGORY


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^0-9a-z]+", text.lower()) if w}


def _is_vendor_name(identifier: Identifier, vendor_words: set[str]) -> bool:
    """An institution or device value that only repeats the equipment maker's name ("TOSHIBA").

    Vendor and model names are public and are kept as technical attributes; a
    site that typed the vendor into Institution Name or Station Name names no one.
    """
    if identifier.category not in ("institution", "device") or not vendor_words:
        return False
    return all(_words(form) <= vendor_words for form in identifier.forms)


def _identifiers(visit: Visit | PlainVisit) -> Iterator[Identifier]:
    if visit.error is not None:
        kind = type(visit.error).__name__
        raise InputError(f"cannot decode element ({kind})", where=visit.path) from visit.error
    vr = visit.vr
    if vr not in TEXT_VRS:
        return
    classified = _classify(visit.keyword, vr, visit.sequence)
    if classified is None:
        return
    category, make_forms = classified
    for value in visit.values:
        if vr == "UI" and not _is_instance_uid(value):
            continue
        forms = _forms_of(value, vr, make_forms)
        if forms:
            yield _identifier(category, visit.path, forms)


@functools.lru_cache(maxsize=8192)
def _identifier(category: str, source: str, forms: tuple[str, ...]) -> Identifier:
    """One (immutable) record per distinct identifier: a series repeats them in every file."""
    return Identifier(category, source, forms)


def classify(element: DataElement, sequence: str) -> tuple[str, FormMaker] | None:
    """Category and form maker of an element: by keyword, then enclosing code sequence, then VR."""
    return _classify(element.keyword, element.VR, sequence)


@functools.lru_cache(maxsize=4096)
def _classify(keyword: str, vr: str, sequence: str) -> tuple[str, FormMaker] | None:
    category = KEYWORD_CATEGORY.get(keyword)
    if category is None and keyword in CODE_VALUE_KEYWORDS:
        category = CODE_SEQUENCES.get(sequence)
    if category is None:
        category = _category_by_vr(vr, keyword)
    if category is None:
        return None
    return category, _form_maker(category, vr, keyword)


def _category_by_vr(vr: str, keyword: str) -> str | None:
    if vr == "PN":
        return "name"
    if vr in ("DA", "DT"):
        return "date"
    if vr == "UI" and keyword not in NON_IDENTIFYING_UID_KEYWORDS:
        return "uid"
    return None


def _form_maker(category: str, vr: str, keyword: str) -> FormMaker:
    if vr == "PN":
        return f.name_forms
    if keyword in ADDRESS_LIKE_KEYWORDS:
        return f.address_forms
    makers: dict[str, FormMaker] = {"id": f.id_forms, "phone": f.phone_forms}
    return makers.get(category, f.plain_forms)


@functools.lru_cache(maxsize=8192)
def _forms_of(value: str, vr: str, make_forms: FormMaker) -> tuple[str, ...]:
    """Forms of one value (remembered: a series repeats its patient's values in every file)."""
    if vr in ("DA", "DT"):  # dates get date forms whatever their category
        return f.finish(form for date in f.dates_in(value, vr) for form in f.date_forms(date))
    return make_forms(value)


@functools.lru_cache(maxsize=8192)
def _is_instance_uid(value: str) -> bool:
    """False for registered UIDs (SOP classes, transfer syntaxes, ...): they identify no-one."""
    uid = UID(value.strip())
    return uid.is_private and uid not in UID_dictionary
