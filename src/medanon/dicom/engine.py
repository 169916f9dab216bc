"""The header engine: PS3.15 actions applied to every attribute at every depth.

``deidentify`` builds a new Dataset and never changes its input. Attributes
kept unchanged are carried over as the raw bytes pydicom read, so the output
keeps the input's encoding, character set and Pixel Data byte for byte
(DESIGN.md: the header path never decodes pixels).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache

from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence
from pydicom.tag import BaseTag, Tag
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    UID,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

import medanon
from medanon.core.enum import ActionCode, Option
from medanon.core.keys import KeyRing
from medanon.core.policy import Policy
from medanon.core.results import Action
from medanon.dicom import _ps315
from medanon.dicom._elements import stored, tags_in_order
from medanon.dicom.risk import review_notes
from medanon.dicom.table import COLLAPSE, ResolvedTable, resolve, safe_private
from medanon.dicom.values import DUMMY_BY_VR, round_age, shift_date, shift_datetime
from medanon.text import ForbiddenTokens, clean_descriptor, forbidden_tokens

TEXT_VRS = frozenset({"SH", "LO", "ST", "LT", "UT", "UC"})
# VRs whose values are ASCII by definition (PS3.5 6.2): their raw bytes are their values.
ASCII_VRS = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "TM", "UI"})
BINARY_VRS = frozenset({"OB", "OW", "OD", "OF", "OL", "OV", "UN"})
# Attributes medanon writes itself after cleaning (PS3.15 E.1, "headers made truthful").
WRITTEN_BY_MEDANON = frozenset({0x00120062, 0x00120063, 0x00120064, 0x00280303})
# Option -> CID 7050 concept that says it was applied.
OPTION_CODES = {
    Option.RETAIN_SAFE_PRIVATE: "RetainSafePrivateOption",
    Option.RETAIN_UIDS: "RetainUidsOption",
    Option.RETAIN_DEVICE_IDENTITY: "RetainDeviceIdentityOption",
    Option.RETAIN_INSTITUTION_IDENTITY: "RetainInstitutionIdentityOption",
    Option.RETAIN_PATIENT_CHARACTERISTICS: "RetainPatientCharacteristicsOption",
    Option.RETAIN_LONGITUDINAL_FULL_DATES: "RetainLongitudinalTemporalInformationFullDatesOption",
    Option.RETAIN_LONGITUDINAL_MODIFIED_DATES: "RetainLongitudinalTemporalInformationModifiedDatesOption",
    Option.CLEAN_DESCRIPTORS: "CleanDescriptorsOption",
    Option.CLEAN_STRUCTURED_CONTENT: "CleanStructuredContentOption",
    Option.CLEAN_GRAPHICS: "CleanGraphicsOption",
}
# Values whose words a descriptor must not repeat, besides every person name.
FORBIDDEN_SOURCES = frozenset(
    {
        0x00100020, 0x00101000, 0x00101002, 0x00080050, 0x00200010, 0x00080080, 0x00080081, 0x00081010,
        0x00101040, 0x00102154, 0x00081040, 0x00181000, 0x00100021, 0x00380010, 0x00400009, 0x00401001,
    }
)
PATIENT_IDENTITY = frozenset({0x00100010, 0x00100020})
META_KEPT = (0x00020001, 0x00020002, 0x00020010)  # version, SOP class, transfer syntax
OVERLAY_REMOVED = "overlay plane removed with its Overlay Data (PS3.15 E.1-1 60xx)"
PRIVATE_REMOVED = "private attribute (PS3.15 E.1-1); not a safe private attribute"
PRIVATE_KEPT = "safe private attribute (PS3.15 Table E.3.10-1)"
IMPLEMENTATION_VERSION = ("MEDANON_" + medanon.__version__.replace(".", "_"))[:16]


@dataclass
class Deidentified:
    """The engine's answer: a new dataset, what was done, what a person should review."""

    dataset: Dataset
    actions: list[Action] = field(default_factory=list)
    review: list[str] = field(default_factory=list)


@dataclass
class _Context:
    policy: Policy
    keys: KeyRing
    table: ResolvedTable
    shift_days: int
    patient_key: str
    forbidden: ForbiddenTokens  # prepared once per dataset
    actions: list[Action]
    plans: Plans = field(init=False)

    def __post_init__(self) -> None:
        self.plans = plans_for(self.table, self.policy)

    def record(self, path: str, code: str, reason: str) -> None:
        action = Action(path, code, reason)
        known = _ACTIONS.get(action)
        if known is None:
            if len(_ACTIONS) >= ACTIONS_LIMIT:
                _ACTIONS.clear()
            known = _ACTIONS[action] = action
        self.actions.append(known)


# A series records the same actions in every file: one shared object each, so that a worker's batch of
# results pickles each distinct action once and the report encodes it once (``pipeline.report``).
ACTIONS_LIMIT = 1 << 16
_ACTIONS: dict[Action, Action] = {}


def deidentify(ds: Dataset, policy: Policy, keys: KeyRing) -> Deidentified:
    """De-identify one dataset's header by ``policy`` with keyed replacements.

    Follows PS3.15 Annex E: Table E.1-1 codes with the policy's options and
    overrides at every depth; private attributes removed unless the Retain
    Safe Private option keeps a Table E.3.10-1 entry of its exact creator;
    attributes the table does not list handled by the policy's ``unlisted``
    rule. Pixel Data is carried over untouched.

    Pixel risks are not judged here but by ``dicom.risk``; the review notes
    it returns (e.g. a head series whose render may show a face) come from there.
    """
    patient_key = _patient_key(ds)
    context = _Context(
        policy=policy,
        keys=keys,
        table=resolve(policy),
        shift_days=keys.date_shift_days(patient_key),
        patient_key=patient_key,
        forbidden=_forbidden_tokens_of(ds),
        actions=[],
    )
    new = _clean_dataset(ds, context, "")
    _mark_deidentified(new, context)
    new.file_meta = _clean_meta(ds, new)
    new.preamble = b"\x00" * 128
    return Deidentified(dataset=new, actions=context.actions, review=review_notes(ds))


#: What :func:`_patient_key` reads: Patient ID, Issuer of Patient ID, Patient's Name, Birth Date, Study UID.
PATIENT_KEY_READS = frozenset({0x00100020, 0x00100021, 0x00100010, 0x00100030, 0x0020000D})


def _patient_key(ds: Dataset) -> str:
    """What identifies the patient for pseudonyms and date shifts; never shown anywhere."""
    patient_id = str(ds.get("PatientID", "") or "").strip()
    if patient_id:
        return "id\x00" + patient_id + "\x00" + str(ds.get("IssuerOfPatientID", "") or "").strip()
    name = str(ds.get("PatientName", "") or "").strip()
    birth = str(ds.get("PatientBirthDate", "") or "").strip()
    if name or birth:
        return "name\x00" + name + "\x00" + birth
    return "study\x00" + str(ds.get("StudyInstanceUID", "") or "")


_FORBIDDEN_BY_SOURCE: dict[tuple, ForbiddenTokens] = {}


def _forbidden_tokens_of(ds: Dataset) -> ForbiddenTokens:
    """Tokens descriptors must not repeat, remembered by the stored values they come from.

    Every file of a series carries the same names and IDs, so the key is their
    stored form (raw bytes, with the character set) and decoding happens only
    for a patient not met before in this worker.
    """
    key = tuple(_forbidden_sources(ds))
    tokens = _FORBIDDEN_BY_SOURCE.get(key)
    if tokens is None:
        if len(_FORBIDDEN_BY_SOURCE) >= 256:
            _FORBIDDEN_BY_SOURCE.clear()
        tokens = _FORBIDDEN_BY_SOURCE[key] = forbidden_tokens(list(_forbidden_values(ds)))
    return tokens


def _forbidden_sources(ds: Dataset) -> Iterable[tuple[int, object]]:
    """The stored values ``_forbidden_values`` decodes, without decoding them (plus the character set)."""
    # A snapshot of the dict (converting a sequence replaces its entry), read without a stored() call per
    # element: this walk meets every element of every file, and most are neither sequences nor sources.
    for tag, element in list(ds._dict.items()):
        vr = _vr_of(element, tag)  # the VR is read as stored even for a deferred element
        if vr == "SQ":
            for item in ds[tag].value or []:
                yield tag, "item"
                yield from _forbidden_sources(item)
        elif is_forbidden_source(int(tag), vr) or int(tag) == 0x00080005:
            element = stored(ds, tag)
            yield tag, element.value if isinstance(element, RawDataElement) else str(element.value)


@lru_cache(maxsize=4096)
def _cleaned_descriptor(value: str, forbidden: ForbiddenTokens) -> str:
    return clean_descriptor(value, forbidden)


def _forbidden_values(ds: Dataset) -> Iterable[str]:
    """Person names and identifying values anywhere in ``ds``: descriptors must not repeat them."""
    for tag in list(ds.keys()):
        raw = stored(ds, tag)
        vr = _vr_of(raw, tag)
        if vr == "SQ":
            for item in ds[tag].value or []:
                yield from _forbidden_values(item)
        elif is_forbidden_source(int(tag), vr):
            yield from forbidden_strings(ds[tag].value)


def is_forbidden_source(tag: int, vr: str) -> bool:
    """A person name, or a value in ``FORBIDDEN_SOURCES``: its words must not survive in a descriptor."""
    return vr == "PN" or tag in FORBIDDEN_SOURCES


def forbidden_strings(value: object) -> list[str]:
    """A forbidden source's values as text, the empty ones left out."""
    return [str(one) for one in _as_list(value) if one not in (None, "")]


def _clean_dataset(source: Dataset, context: _Context, prefix: str) -> Dataset:
    new = Dataset()
    implicit, little = source.original_encoding
    new.set_original_encoding(implicit, little, source.original_character_set)
    new._parent_encoding = source._parent_encoding  # so nested text decodes as in the source
    kept_private_blocks: set[tuple[int, int]] = set()
    private_elements: list[int] = []
    removed_groups = removed_overlay_groups(source.keys(), context)
    for tag in tags_in_order(source):
        # int(): an int-keyed lookup with pydicom's BaseTag would call its Python-level __eq__
        if tag >> 16 == 0x0002 or int(tag) in WRITTEN_BY_MEDANON:
            continue
        path = f"{prefix}({tag >> 16:04X},{tag & 0xFFFF:04X})"
        if (tag >> 16) in removed_groups:
            context.record(path, "X", OVERLAY_REMOVED)
            continue
        if (tag & 0xFFFF) == 0 and (tag >> 16) > 0x0006:
            continue  # group lengths are retired (PS3.5 7.2) and pydicom does not write them
        if (tag >> 16) & 1:
            private_elements.append(tag)
            continue
        _clean_element(source, tag, new, context, path)
    for private_tag in private_elements:
        _clean_private(source, private_tag, new, context, prefix, kept_private_blocks)
    return new


def removed_overlay_groups(tags: Iterable[int], context: _Context) -> set[int]:
    """Overlay groups whose Overlay Data goes: the rest of the plane goes with it."""
    groups = {tag >> 16 for tag in tags if 0x6000 <= (tag >> 16) <= 0x60FF and not (tag >> 16) & 1}
    if not groups:
        return set()
    return groups if context.table.overlay_data.code in (ActionCode.REMOVE, ActionCode.CLEAN) else set()


def _vr_of(raw: DataElement | RawDataElement, tag: int) -> str:
    """The VR the element's value means: a public attribute stored as UN is read with its dictionary VR,
    as pydicom converts it, so that it meets the same rule (and the same technical allow list) either way."""
    vr = raw.VR
    if vr and len(vr) == 2 and vr != "UN":
        return str(vr)
    return _dictionary_vr(tag)


@lru_cache(maxsize=4096)
def _dictionary_vr_text(tag: int) -> str:
    """PS3.6's VR for the tag as written there ("US or SS" when ambiguous), "UN" when unknown."""
    try:
        return str(dictionary_VR(tag))
    except KeyError:
        return "UN"


def _unambiguous_vr(tag: int) -> str | None:
    vr = _dictionary_vr_text(tag)
    return vr if " " not in vr and vr != "UN" else None


def _dictionary_vr(tag: int) -> str:
    return _dictionary_vr_text(tag).split(" ")[0]


# pydicom's __setitem__ resets its pixel array cache for these; private tags get their creator; sequences a parent
PIXEL_DATA_TAGS = frozenset({0x7FE00008, 0x7FE00009, 0x7FE00010})


def _keep(new: Dataset, tag: int, element: DataElement | RawDataElement) -> None:
    """Carry an element over unchanged.

    Public, non-sequence, non-pixel elements go straight into the dict: for
    them pydicom's ``__setitem__`` only checks the tag and stores, and it costs
    a few microseconds per element on every element of every file.
    """
    if isinstance(element, RawDataElement) and not element.VR and _unambiguous_vr(tag):
        # read as implicit VR (some files say explicit but are not): give it the VR it means, so it
        # can be written as explicit VR; ambiguous ones ("US or SS") stay for pydicom to resolve
        element = element._replace(VR=_unambiguous_vr(tag))
    if (tag >> 16) & 1 or tag in PIXEL_DATA_TAGS or (isinstance(element, DataElement) and element.VR == "SQ"):
        new[tag] = element
    else:
        key = element.tag  # a BaseTag, as pydicom keys its dict (a plain int key would break keys())
        new._dict[key if isinstance(key, BaseTag) else Tag(key)] = element


class Step(Enum):
    """What the engine does with one element, decided from its tag and VR alone (values come later)."""

    KEEP = "keep"
    REMOVE = "remove"
    RECURSE = "recurse"  # a sequence: every item is cleaned by the same rules
    EMPTY_SEQUENCE = "empty-sequence"
    REPLACE = "replace"  # a new value from the old one: Z, D, U, C and medanon's P, AGE, S
    UNLISTED_UID = "unlisted-uid"  # kept if every value is a registered UID, else replaced


@dataclass(frozen=True)
class Plan:
    """The step for one (tag, VR) under one policy, with the codes and the reason it records."""

    step: Step
    code: ActionCode = ActionCode.KEEP
    basic: ActionCode = ActionCode.KEEP
    reason: str = ""


UNLISTED_UID_REASON = "UID not listed in PS3.15 E.1-1 and not registered in PS3.6: replaced"


class Plans:
    """The step for each (tag, VR) of public elements under one table and policy, decided once.

    The dataset engine and the byte engine (``dicom.fastpath``) both ask this,
    so they cannot disagree on what happens to an attribute.
    """

    def __init__(self, table: ResolvedTable, policy: Policy) -> None:
        self.table, self.policy = table, policy
        self.known: dict[tuple[int, str], Plan] = {}

    def __call__(self, tag: int, vr: str) -> Plan:
        plan = self.known.get((tag, vr))
        if plan is None:
            if len(self.known) >= 8192:
                self.known.clear()
            plan = self.known[(tag, vr)] = _decide(self.table, self.policy, tag, vr)
        return plan


_PLAN_SETS: dict[tuple, Plans] = {}


def plans_for(table: ResolvedTable, policy: Policy) -> Plans:
    """One :class:`Plans` per table, unlisted rule and allow list in this process."""
    key = (id(table), policy.unlisted, policy.allow)
    plans = _PLAN_SETS.get(key)
    if plans is None or plans.table is not table:  # the table is held, so its id is not reused while kept
        if len(_PLAN_SETS) >= 64:
            _PLAN_SETS.clear()
        plans = _PLAN_SETS[key] = Plans(table, policy)
    return plans


def _decide(table: ResolvedTable, policy: Policy, tag: int, vr: str) -> Plan:
    rule = table.rule_for(tag)
    if rule is None:
        return _decide_unlisted(policy, tag, vr)
    code = _collapse(rule.code)
    if code is ActionCode.KEEP:
        return Plan(Step.RECURSE if vr == "SQ" else Step.KEEP)
    if code is ActionCode.REMOVE:
        return Plan(Step.REMOVE, code, code, rule.reason)
    if vr == "SQ":
        return Plan(Step.EMPTY_SEQUENCE if code is ActionCode.ZERO else Step.RECURSE, code, code, rule.reason)
    return Plan(Step.REPLACE, code, _collapse(rule.basic), rule.reason)


def _collapse(code: ActionCode) -> ActionCode:
    return COLLAPSE.get(code, code)


def _decide_unlisted(policy: Policy, tag: int, vr: str) -> Plan:
    """Attributes Table E.1-1 does not list: kept if technical, UIDs remapped, the rest removed."""
    if vr == "SQ":
        return Plan(Step.RECURSE)
    if policy.unlisted == "keep" or vr in policy.allow.vrs or keyword_for_tag(tag) in policy.allow.keywords:
        return Plan(Step.KEEP)
    if vr == "UI":
        return Plan(Step.UNLISTED_UID, ActionCode.UID, ActionCode.REMOVE, UNLISTED_UID_REASON)
    reason = f"not listed in PS3.15 E.1-1 and not technical ({vr}): removed"
    return Plan(Step.REMOVE, ActionCode.REMOVE, ActionCode.REMOVE, reason)


def _clean_element(source: Dataset, tag: int, new: Dataset, context: _Context, path: str) -> None:
    raw = stored(source, tag)
    vr = _vr_of(raw, tag)
    plan = context.plans(tag, vr)
    step = plan.step
    if step is Step.KEEP:
        _keep(new, tag, raw)
    elif step is Step.RECURSE:
        _recurse(source, tag, new, context, path)
    elif step is Step.REMOVE:
        context.record(path, "X", plan.reason)
    elif step is Step.EMPTY_SEQUENCE:
        new[tag] = DataElement(tag, "SQ", Sequence())
        context.record(path, "Z", plan.reason)
    elif step is Step.UNLISTED_UID and all(_registered_uid(v) for v in _source_values(source, tag, vr) if v):
        _keep(new, tag, raw)
    else:
        value, letter, reason = replacement(_source_values(source, tag, vr), tag, vr, plan, context)
        if value is not REMOVED:
            _keep(new, tag, DataElement(tag, vr, value))
        context.record(path, letter, reason)


def _registered_uid(value: str) -> bool:
    uid = UID(str(value))
    return uid.name != str(uid)


def _recurse(source: Dataset, tag: int, new: Dataset, context: _Context, path: str) -> None:
    original = source[tag]
    items = Sequence()
    for index, item in enumerate(original.value or []):
        items.append(_clean_dataset(item, context, f"{path}[{index}]>"))
    element = DataElement(tag, "SQ", items)
    element.is_undefined_length = original.is_undefined_length
    new[tag] = element


REMOVED = object()  # replacement()'s answer when the element goes


def replacement(values: list, tag: int, vr: str, plan: Plan, context: _Context) -> tuple[object, str, str]:
    """The element's new value (or ``REMOVED``), the action letter and the reason, from its old values.

    A pure function of the values and the context, so the byte engine may
    remember its answer for values that repeat through a series.
    """
    code, reason = plan.code, plan.reason
    if code is ActionCode.UID or (vr == "UI" and code in (ActionCode.DUMMY, ActionCode.CLEAN)):
        uids = [context.keys.uid(str(v)) for v in values if v]
        note = " (UID replaced as its dummy)" if code is ActionCode.DUMMY else ""
        return _single(uids or None, vr), "U", reason + note
    if code in (ActionCode.ZERO, ActionCode.DUMMY):
        return _blank(vr, code, reason)
    transformed = _transform(values, tag, vr, code, context)
    if transformed is None:
        # what cleaning could not keep gets the Basic Profile's own action
        return _blank(vr, plan.basic, reason + "; nothing safe remained")
    return _single(transformed, vr), code.value, reason


def _blank(vr: str, code: ActionCode, reason: str) -> tuple[object, str, str]:
    """Z (empty value), D (dummy for the VR) or, for any other code, X (removed)."""
    if code is ActionCode.ZERO:
        return _empty(vr), "Z", reason
    if code is ActionCode.DUMMY:
        return DUMMY_BY_VR.get(vr, _empty(vr)), "D", reason
    return REMOVED, "X", reason


def _transform(value: object, tag: int, vr: str, code: ActionCode, context: _Context) -> list | str | None:
    """Value-level cleaning; ``None`` means "cannot be made safe", so the caller removes it."""
    values = [v for v in _as_list(value) if v not in (None, "")]
    if not values:
        return None
    if code is ActionCode.PSEUDONYM:
        if tag in PATIENT_IDENTITY:
            # Name and ID both derive from the patient key, so they agree in every file.
            return context.keys.pseudonym("patient", context.patient_key)
        return [context.keys.pseudonym(f"value:{vr}", str(v)) for v in values]
    if code is ActionCode.AGE or (code is ActionCode.CLEAN and vr == "AS"):
        return _all_or_none([round_age(str(v)) for v in values])
    if code is ActionCode.SHIFT or code is ActionCode.CLEAN:
        if vr == "DA":
            return _all_or_none([shift_date(str(v), context.shift_days) for v in values]) \
                if context.policy.shifts_dates or code is ActionCode.SHIFT else None
        if vr == "DT":
            return _all_or_none([shift_datetime(str(v), context.shift_days) for v in values]) \
                if context.policy.shifts_dates or code is ActionCode.SHIFT else None
        if vr == "TM":
            return [str(v) for v in values] if context.policy.shifts_dates else None
    if code is ActionCode.CLEAN and vr in TEXT_VRS:
        cleaned = [_cleaned_descriptor(str(v), context.forbidden) for v in values]
        cleaned = [c for c in cleaned if c]
        return cleaned or None
    if code is ActionCode.CLEAN and vr == "PN":
        return DUMMY_BY_VR["PN"]  # type: ignore[return-value]
    return None


def _clean_private(source: Dataset, tag: int, new: Dataset, context: _Context, prefix: str,
                   kept_blocks: set[tuple[int, int]]) -> None:
    """Private attributes: removed unless Retain Safe Private keeps a Table E.3.10-1 entry."""
    group, element = tag >> 16, tag & 0xFFFF
    path = f"{prefix}({group:04X},{element:04X})"
    if 0x0010 <= element <= 0x00FF:
        return  # creators are written below, only for blocks that keep something
    creator_tag = (group << 16) | (element >> 8)
    keep = False
    if context.table.private.code is ActionCode.CLEAN and element > 0x00FF:
        creator = str(source[creator_tag].value).strip().upper() if creator_tag in source else ""
        keep = (group, creator, element & 0xFF) in safe_private()
    if not keep:
        context.record(path, "X", PRIVATE_REMOVED)
        return
    if (group, element >> 8) not in kept_blocks:
        new[creator_tag] = stored(source, creator_tag)
        kept_blocks.add((group, element >> 8))
    if _vr_of(stored(source, tag), tag) == "SQ":
        _recurse(source, tag, new, context, path)
    else:
        new[tag] = stored(source, tag)
    context.record(path, "K", PRIVATE_KEPT)


def _mark_deidentified(new: Dataset, context: _Context) -> None:
    """PatientIdentityRemoved, DeidentificationMethod(+Code Sequence), temporal flag (PS3.15 E.1.1)."""
    policy = context.policy
    for element in _deidentification_marks(policy.name, policy.options, policy.shifts_dates):
        new[element.tag] = element


@lru_cache(maxsize=64)
def _deidentification_marks(name: str, options: frozenset[Option], shifts_dates: bool) -> tuple[DataElement, ...]:
    """The four marks, built once per policy and shared by every output (never modified after this)."""
    method = [f"medanon {medanon.__version__}", f"profile {name}"[:64],
              f"PS3.15 {_ps315.STANDARD_VERSION} Basic Profile"]
    items = Sequence()
    for concept in ["BasicApplicationConfidentialityProfile"] + [
        OPTION_CODES[o] for o in sorted(options, key=lambda o: o.value) if o in OPTION_CODES
    ]:
        value, scheme, meaning = _ps315.CID_7050[concept]
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
        items.append(item)
    if Option.RETAIN_LONGITUDINAL_FULL_DATES in options:
        flag = "UNMODIFIED"
    elif shifts_dates:
        flag = "MODIFIED"
    else:
        flag = "REMOVED"
    return (DataElement(0x00120062, "CS", "YES"), DataElement(0x00120063, "LO", method),
            DataElement(0x00120064, "SQ", items), DataElement(0x00280303, "CS", flag))


def _clean_meta(source: Dataset, new: Dataset) -> FileMetaDataset:
    """File meta rebuilt: only what PS3.10 needs, SOP Instance UID matching the dataset.

    Built by tag into the meta's own dict: keyword access and FileMetaDataset's per-element
    checks cost more than the rest of a file's meta handling, and every tag here is group 2.
    """
    old = getattr(source, "file_meta", None) or FileMetaDataset()
    elements: dict[int, DataElement] = {}
    for tag in META_KEPT:
        if tag in old:
            kept = old[tag]
            elements[tag] = DataElement(tag, kept.VR, kept.value)
    if 0x00020001 not in elements:
        elements[0x00020001] = DataElement(0x00020001, "OB", b"\x00\x01")
    if 0x00020010 not in elements:
        elements[0x00020010] = DataElement(0x00020010, "UI", _syntax_read(source))
    for meta_tag, tag in ((0x00020002, 0x00080016), (0x00020003, 0x00080018)):
        if tag in new:
            elements[meta_tag] = DataElement(meta_tag, "UI", new[tag].value)
    elements[0x00020012] = DataElement(0x00020012, "UI", PYDICOM_IMPLEMENTATION_UID)
    elements[0x00020013] = DataElement(0x00020013, "SH", IMPLEMENTATION_VERSION)
    meta = FileMetaDataset()
    for tag in sorted(elements):
        meta._dict[Tag(tag)] = elements[tag]
    return meta


def _syntax_read(source: Dataset) -> UID:
    """The transfer syntax a meta-less file was actually read with, so its raw bytes stay valid."""
    implicit, little = source.original_encoding
    if implicit:
        return ImplicitVRLittleEndian
    return ExplicitVRLittleEndian if little in (True, None) else ExplicitVRBigEndian


def _source_values(source: Dataset, tag: int, vr: str) -> list:
    """The element's values, read from its raw bytes where that is what pydicom would give.

    Converting an element costs pydicom ~15 us; the values the engine changes
    are mostly UIDs, dates, times and codes whose bytes are plain ASCII, read
    here as pydicom reads them (split on backslashes, padding stripped). Text
    that may carry another character set, and everything else, is converted.
    """
    element = stored(source, tag)
    if isinstance(element, RawDataElement) and element.value is not None:
        values = ascii_values(element.value, vr)
        if values is not None:
            return values
    return _as_list(source[tag].value)


def ascii_values(value: bytes, vr: str) -> list[str] | None:
    """Values of an ASCII-only VR read from plain ASCII bytes as pydicom reads them; ``None`` otherwise."""
    if vr in ASCII_VRS and value.isascii() and b"\x1b" not in value:
        return [piece.strip(" \0") for piece in value.decode("ascii").split("\\")]
    return None


def _as_list(value: object) -> list:
    if value is None:
        return []
    if isinstance(value, (list, MultiValue, tuple)):
        return list(value)
    return [value]


def _all_or_none(values: list[str | None]) -> list[str] | None:
    return None if any(v is None for v in values) else [v for v in values if v is not None]


def _empty(vr: str) -> object:
    if vr in BINARY_VRS:
        return b""
    if vr in ("FL", "FD", "SL", "SS", "UL", "US", "SV", "UV", "AT"):
        return None
    return ""


def _single(value: list | str | None, vr: str) -> object:
    """A one-item list as its item, nothing as the VR's empty value (what the element is built from)."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value if value is not None else _empty(vr)
