"""The header engine on a file's bytes, for ordinary files: the same output as ``deidentify`` + ``encode_file``.

A batch spends most of its time building pydicom objects for elements it
copies unchanged. Here a file is a tree of byte ranges (``_bytes.read_plain``);
kept elements are copied as ranges, and only the values the engine changes
are decoded. Every decision is the dataset engine's own (:class:`engine.Plans`,
:func:`engine.replacement`); every created value is encoded by the writer
(pydicom's encoders). A series repeats its patient's names, dates and study
UIDs in every file, so each replaced value's encoding is remembered per
patient context and worker, and only the new SOP Instance UID is computed
per file.

Anything outside the ordinary raises :class:`NotPlain` and the caller takes the
reference path. ``tests/dicom/test_fastpath.py`` holds the two paths to the
same bytes, actions and review notes over every DICOM file pip packages ship.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydicom.dataelem import DataElement, RawDataElement, convert_raw_data_element
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.tag import BaseTag, Tag

from medanon.core.enum import ActionCode
from medanon.core.keys import KeyRing
from medanon.core.policy import Policy
from medanon.core.results import Action
from medanon.dicom import engine, writer
from medanon.dicom._bytes import UNDEFINED, Element, NotPlain, PlainFile, read_plain
from medanon.dicom.risk import RULE_PRESENCE, RULE_READS, review_notes
from medanon.dicom.table import resolve, safe_private
from medanon.text import ForbiddenTokens, forbidden_tokens

__all__ = ["FastDeidentified", "HeaderRule", "NotPlain", "deidentify_bytes", "header_dataset", "read_plain"]
T = TypeVar("T")

# Character sets whose text the writer and the verifier both read without escapes (one for the whole file).
PLAIN_CHARSETS = frozenset({"", "ISO_IR 6", "ISO_IR 100", "ISO_IR 192"})
CHARSET_TAG = 0x00080005
# Output values that name the file and its folders, and fill the file meta.
NAMING_TAGS = (0x0020000D, 0x0020000E, 0x00080018, 0x00080016)
MEMO_LIMIT = 1 << 15
_ITEM = struct.Struct("<HHL")
_SQ_HEADER = struct.Struct("<HH2sHL")
_GROUP_LENGTH = struct.Struct("<HH2sHL")  # tag, "UL", a 2-byte length of 4, the value
Parts = list[bytes | memoryview]


@dataclass
class FastDeidentified:
    """The encoded output file, what was done, what a person should review, and the names it goes by."""

    encoded: bytes
    actions: list[Action]
    review: list[str]
    names: dict[int, str]  # output Study, Series, SOP Instance and SOP Class UIDs by tag


def header_dataset(plain: PlainFile) -> Dataset:
    """A pydicom Dataset over the file's top-level elements, unconverted, for rules that read a few values.

    Pixel Data is present as a view of the file's bytes, not a copy.
    """
    return _dataset_of(plain, plain.elements, plain.meta)


def _dataset_of(plain: PlainFile, elements: Iterable[Element], meta_elements: Iterable[Element]) -> Dataset:
    view = memoryview(plain.data)
    ds = Dataset()
    for element in elements:
        tag = _tag(element.tag)
        value = view[element.value_start:element.value_end] if element.tag == 0x7FE00010 else plain.value(element)
        length = UNDEFINED if element.undefined else element.value_end - element.value_start
        ds._dict[tag] = RawDataElement(tag, element.vr, length, value, element.value_start, False, True)  # type: ignore[arg-type]
    meta = FileMetaDataset()
    for element in meta_elements:
        tag = _tag(element.tag)
        meta._dict[tag] = RawDataElement(tag, element.vr, element.value_end - element.value_start,
                                         plain.value(element), element.value_start, False, True)
    ds.file_meta = meta
    ds.preamble = plain.data[:128]
    ds.set_original_encoding(False, True, ds._character_set)
    return ds


class HeaderRule(Generic[T]):
    """A rule over a few top-level attributes, remembered per worker by their stored bytes.

    ``reads`` are the attributes whose values the rule reads and ``presence``
    those it asks only the presence of (file meta tags may be among ``reads``).
    The files of a series repeat them, so the rule runs once per series, on a
    dataset of just those attributes (and the character set): a read outside
    them finds nothing, rather than a value the key does not cover.
    """

    def __init__(self, rule: Callable[[Dataset], T], reads: Iterable[int], presence: Iterable[int] = ()) -> None:
        self.rule = rule
        self.reads = tuple(sorted({*reads, CHARSET_TAG}))
        self.presence = tuple(sorted(set(presence)))
        self.answers: dict[tuple, object] = {}

    def __call__(self, plain: PlainFile) -> T:
        index = plain.index()
        key = (tuple(plain.value(index[tag]) if tag in index else None for tag in self.reads),
               tuple(tag in index for tag in self.presence))
        answer = self.answers.get(key, _UNKNOWN)
        if answer is _UNKNOWN:
            chosen = [index[tag] for tag in (*self.reads, *self.presence) if tag in index]
            answer = self.rule(_dataset_of(plain, (e for e in chosen if e.tag >> 16 != 0x0002),
                                           (e for e in chosen if e.tag >> 16 == 0x0002)))
            if len(self.answers) >= 4096:
                self.answers.clear()
            self.answers[key] = answer
        return answer  # type: ignore[return-value]


_UNKNOWN = object()


@dataclass(frozen=True)
class _SeriesFacts:
    """What the byte engine needs of a file's header beyond its bytes: the same through a series."""

    character_set_value: object  # Specific Character Set as pydicom reads it
    codecs: str | list[str]  # how pydicom decodes this file's text
    patient_key: str
    review: tuple[str, ...]


def _series_facts(header: Dataset) -> _SeriesFacts:
    return _SeriesFacts(header.get("SpecificCharacterSet", ""), header._character_set, engine._patient_key(header),
                        tuple(review_notes(header)))


_SERIES_FACTS = HeaderRule(_series_facts, RULE_READS | engine.PATIENT_KEY_READS, RULE_PRESENCE)


def deidentify_bytes(plain: PlainFile, policy: Policy, keys: KeyRing) -> FastDeidentified:
    """De-identify ``plain`` exactly as ``deidentify`` + ``encode_file`` would the same file.

    Raises
    ------
    NotPlain
        A character set other than one plain set for the whole file, a group
        below 0008, or a character set the policy would change: the reference
        path handles these.
    """
    facts = _SERIES_FACTS(plain)
    charset = facts.character_set_value
    if not isinstance(charset, str) or charset.strip() not in PLAIN_CHARSETS:
        raise NotPlain("a character set other than ASCII, latin-1 or UTF-8")
    context = engine._Context(policy=policy, keys=keys, table=resolve(policy),
                              shift_days=keys.date_shift_days(facts.patient_key), patient_key=facts.patient_key,
                              forbidden=_forbidden_tokens(plain, facts), actions=[])
    has_charset = CHARSET_TAG in plain.index()
    if has_charset and context.plans(CHARSET_TAG, "CS").step is not engine.Step.KEEP:
        raise NotPlain("the policy changes the character set")
    encodings = charset if has_charset else "iso8859"
    cleaner = _ByteCleaner(plain, facts.codecs, context, encodings)
    entries = cleaner.level(plain.elements, "", depth=0)
    entries += _marks(policy, encodings)
    entries.sort(key=_by_tag)
    if not {0x00080016, 0x00080018} <= cleaner.names.keys():
        raise NotPlain("no SOP Class or SOP Instance UID in the output")
    meta = _meta_parts(plain, cleaner.names)
    parts: Parts = [b"\x00" * 128, b"DICM", *meta]
    for _, pieces in entries:
        parts += pieces
    return FastDeidentified(b"".join(parts), context.actions, list(facts.review), cleaner.names)


def _by_tag(entry: tuple[int, Parts]) -> int:
    return entry[0]


class _ByteCleaner:
    """One file's walk: each level's elements become (tag, pieces) in the writer's encoding."""

    def __init__(self, plain: PlainFile, codecs: str | list[str], context: engine._Context,
                 encodings: str | list[str]) -> None:
        self.plain, self.view = plain, memoryview(plain.data)
        self.context, self.plans = context, context.plans
        self.kinds = _kinds_for(context.plans)
        self.character_set = codecs  # how pydicom decodes this file's text
        self.encodings = encodings
        self.memo = _memo_for(context, encodings)
        self.names: dict[int, str] = {}

    def level(self, elements: list[Element], prefix: str, depth: int) -> list[tuple[int, Parts]]:
        context, kinds, view = self.context, self.kinds, self.view
        out: list[tuple[int, Parts]] = []
        privates: list[Element] = []
        removed_groups = engine.removed_overlay_groups((e.tag for e in elements), context)
        for element in elements:
            tag = element.tag
            if depth and tag == CHARSET_TAG:
                raise NotPlain("a character set inside an item")
            if removed_groups and tag >> 16 in removed_groups and tag not in engine.WRITTEN_BY_MEDANON:
                context.record(f"{prefix}{_tag_text(tag)}", "X", engine.OVERLAY_REMOVED)
                continue
            kind = kinds.get((tag, element.vr)) or self._kind(tag, element.vr)
            if kind is _KEEP:
                out.append((tag, [view[element.start:element.end]]))
            elif kind is _SKIP:
                continue
            elif kind is _PRIVATE:
                privates.append(element)
            else:
                self.public(element, kind, prefix, depth, out)  # type: ignore[arg-type]
        if privates:
            self.private(elements, privates, prefix, depth, out)
        return out

    def _kind(self, tag: int, vr: str) -> engine.Plan | str:
        """What :meth:`level` does with an element, by tag and VR alone (the dataset engine's order of rules)."""
        group = tag >> 16
        if group < 0x0008:
            raise NotPlain("a group below 0008")
        if tag in engine.WRITTEN_BY_MEDANON or tag & 0xFFFF == 0:
            kind: engine.Plan | str = _SKIP  # written anew; group lengths are retired (PS3.5 7.2)
        elif group & 1:
            kind = _PRIVATE
        else:
            plan = self.plans(tag, vr)
            kind = _KEEP if plan.step is engine.Step.KEEP and tag not in NAMING_TAGS else plan
        self.kinds[(tag, vr)] = kind
        return kind

    def public(self, element: Element, plan: engine.Plan, prefix: str, depth: int,
               out: list[tuple[int, Parts]]) -> None:
        tag = element.tag
        step = plan.step
        if step is engine.Step.KEEP:
            out.append((tag, [self.view[element.start:element.end]]))
            if depth == 0 and tag in NAMING_TAGS:
                self.names[tag] = _uid_text(self.plain.value(element))
        elif step is engine.Step.RECURSE:
            out.append((tag, self.sequence(element, f"{prefix}{_tag_text(tag)}", depth)))
        elif step is engine.Step.REMOVE:
            self.context.record(f"{prefix}{_tag_text(tag)}", "X", plan.reason)
        elif step is engine.Step.EMPTY_SEQUENCE:
            out.append((tag, [_SQ_HEADER.pack(tag >> 16, tag & 0xFFFF, b"SQ", 0, 0)]))
            self.context.record(f"{prefix}{_tag_text(tag)}", "Z", plan.reason)
        else:
            self.replace(element, plan, f"{prefix}{_tag_text(tag)}", depth, out)

    def replace(self, element: Element, plan: engine.Plan, path: str, depth: int,
                out: list[tuple[int, Parts]]) -> None:
        tag, raw = element.tag, self.plain.value(element)
        key = (tag, element.vr, raw)  # the plan follows from the tag, the VR and the memo's policy
        known = self.memo.get(key)
        if known is None:
            known = self._replacement(element, raw, plan)
            if len(self.memo) >= MEMO_LIMIT:
                self.memo.clear()
            self.memo[key] = known
        encoded, letter, reason, value = known
        if letter == "K":
            out.append((tag, [self.view[element.start:element.end]]))
        else:
            if encoded is not None:
                out.append((tag, [encoded]))
            self.context.record(path, letter, reason)
        if depth == 0 and tag in NAMING_TAGS:
            self.names[tag] = value if letter != "K" else _uid_text(raw)

    def _replacement(self, element: Element, raw: bytes, plan: engine.Plan) -> tuple[bytes | None, str, str, str]:
        """(encoded element or None, letter, reason, first value as text); letter "K" means kept unchanged."""
        tag, vr = element.tag, element.vr
        values = self.values(element, raw)
        if plan.step is engine.Step.UNLISTED_UID and all(engine._registered_uid(v) for v in values if v):
            return None, "K", "", ""
        value, letter, reason = engine.replacement(values, tag, vr, plan, self.context)
        if value is engine.REMOVED:
            return None, letter, reason, ""
        if vr == "UI" and (encoded := writer.uid_element(tag, value)) is not None:
            return encoded, letter, reason, str(value)
        created = DataElement(tag, vr, value)
        return writer._by_pydicom(created, False, self.encodings), letter, reason, str(created.value or "")

    def values(self, element: Element, raw: bytes) -> list:
        """The element's values as the dataset engine reads them (``engine._source_values``)."""
        values = engine.ascii_values(raw, element.vr)
        if values is not None:
            return values
        return engine._as_list(_decoded(element.tag, element.vr, raw, self.character_set))

    def sequence(self, element: Element, path: str, depth: int) -> Parts:
        """Items always of defined length, the sequence's own length form kept (as ``engine._recurse``)."""
        body: Parts = []
        size = 0
        for index, item in enumerate(element.items or []):
            pieces: Parts = []
            for _, item_parts in sorted(self.level(item, f"{path}[{index}]>", depth + 1), key=_by_tag):
                pieces += item_parts
            length = sum(map(len, pieces))
            body.append(_ITEM.pack(0xFFFE, 0xE000, length))
            body += pieces
            size += 8 + length
        tag = element.tag
        header = _SQ_HEADER.pack(tag >> 16, tag & 0xFFFF, b"SQ", 0, UNDEFINED if element.undefined else size)
        return [header, *body, writer.SEQUENCE_DELIMITER] if element.undefined else [header, *body]

    def private(self, elements: list[Element], privates: list[Element], prefix: str, depth: int,
                out: list[tuple[int, Parts]]) -> None:
        """As ``engine._clean_private``: removed unless Retain Safe Private keeps a Table E.3.10-1 entry."""
        by_tag = {e.tag: e for e in elements}
        kept_blocks: set[int] = set()
        retains = self.context.table.private.code is ActionCode.CLEAN
        for element in privates:
            tag = element.tag
            number = tag & 0xFFFF
            if 0x0010 <= number <= 0x00FF:
                continue  # creators are written only for blocks that keep something
            path = f"{prefix}{_tag_text(tag)}"
            creator_tag = (tag & 0xFFFF0000) | (number >> 8)
            if not (retains and number > 0x00FF and self._is_safe(tag, by_tag.get(creator_tag))):
                self.context.record(path, "X", engine.PRIVATE_REMOVED)
                continue
            if creator_tag not in kept_blocks:
                creator = by_tag[creator_tag]
                out.append((creator_tag, [self.view[creator.start:creator.end]]))
                kept_blocks.add(creator_tag)
            if element.vr == "SQ":
                out.append((tag, self.sequence(element, path, depth)))
            else:
                out.append((tag, [self.view[element.start:element.end]]))
            self.context.record(path, "K", engine.PRIVATE_KEPT)

    def _is_safe(self, tag: int, creator: Element | None) -> bool:
        if creator is None:
            return (tag >> 16, "", tag & 0xFF) in safe_private()
        name = str(_decoded(creator.tag, creator.vr, self.plain.value(creator), self.character_set)).strip().upper()
        return (tag >> 16, name, tag & 0xFF) in safe_private()


def _decoded(tag: int, vr: str, raw: bytes, codecs: str | list[str]) -> object:
    """A stored value decoded by pydicom, as ``Dataset.__getitem__`` would decode it in this file."""
    return convert_raw_data_element(RawDataElement(_tag(tag), vr, len(raw), raw, 0, False, True),
                                    encoding=codecs).value


def _uid_text(raw: bytes) -> str:
    """A stored UID as text, its padding gone (for the output's names)."""
    return raw.decode("ascii", "replace").strip(" \0")


_TAGS: dict[int, BaseTag] = {}
_TAG_TEXTS: dict[int, str] = {}


def _tag(tag: int) -> BaseTag:
    """pydicom's key object for ``tag``, made once per process (``Tag()`` costs more than the rest of a key)."""
    known = _TAGS.get(tag)
    if known is None:
        if len(_TAGS) >= 65536:
            _TAGS.clear()
        known = _TAGS[tag] = Tag(tag)
    return known


def _tag_text(tag: int) -> str:
    known = _TAG_TEXTS.get(tag)
    if known is None:
        if len(_TAG_TEXTS) >= 65536:
            _TAG_TEXTS.clear()
        known = _TAG_TEXTS[tag] = f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
    return known


# -- remembered per worker ------------------------------------------------------------------------
_KEEP, _SKIP, _PRIVATE = "keep", "skip", "private"  # kinds of element that need no plan at hand
_KINDS: dict[int, tuple[engine.Plans, dict[tuple[int, str], engine.Plan | str]]] = {}


def _kinds_for(plans: engine.Plans) -> dict[tuple[int, str], engine.Plan | str]:
    """Each (tag, VR)'s kind under one set of plans, kept as long as those plans are."""
    known = _KINDS.get(id(plans))
    if known is None or known[0] is not plans:
        if len(_KINDS) >= 64:
            _KINDS.clear()
        known = _KINDS[id(plans)] = (plans, {})
    return known[1]


_MEMOS: dict[tuple, dict] = {}
_MARKS: dict[tuple, list[tuple[int, Parts]]] = {}
_FORBIDDEN: dict[tuple, ForbiddenTokens] = {}


def _memo_for(context: engine._Context, encodings: object) -> dict:
    """Replaced values' encodings for one patient context: what they depend on, and nothing else."""
    policy = context.policy
    key = (policy.name, policy.level, policy.options, tuple(sorted(policy.overrides.items())), policy.unlisted,
           policy.allow, context.keys, context.patient_key, context.forbidden, _hashable(encodings))
    memo = _MEMOS.get(key)
    if memo is None:
        if len(_MEMOS) >= 64:
            _MEMOS.clear()
        memo = _MEMOS[key] = {}
    return memo


def _hashable(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value  # type: ignore[arg-type]


def _marks(policy: Policy, encodings: object) -> list[tuple[int, Parts]]:
    """The four de-identification marks, encoded once per policy and character set."""
    key = (policy.name, policy.options, policy.shifts_dates, _hashable(encodings))
    known = _MARKS.get(key)
    if known is None:
        elements = engine._deidentification_marks(policy.name, policy.options, policy.shifts_dates)
        known = []
        for element in elements:
            pieces: list[bytes] = []
            if element.VR == "SQ":
                writer._encode_sequence(element, pieces, False, encodings)  # type: ignore[arg-type]
            else:
                pieces.append(writer._by_pydicom(element, False, encodings))  # type: ignore[arg-type]
            known.append((int(element.tag), [b"".join(pieces)]))
        _MARKS[key] = known
    return list(known)


_META_TEMPLATES: dict[tuple, tuple[bytes, bytes]] = {}


def _meta_parts(plain: PlainFile, names: dict[int, str]) -> list[bytes]:
    """The rebuilt file meta (``engine._clean_meta``, encoded by the writer) for the output's UIDs.

    Everything but the SOP Instance UID repeats through a series, so the
    elements before and after it are encoded once per input meta and SOP Class.
    """
    key = (tuple((e.tag, plain.value(e)) for e in plain.meta if e.tag in engine.META_KEPT), names[0x00080016])
    template = _META_TEMPLATES.get(key)
    if template is None:
        template = _META_TEMPLATES[key] = _meta_template(header_dataset(plain), names[0x00080016])
    before, after = template
    instance = (writer.uid_element(0x00020003, names[0x00080018])
                or writer._by_pydicom(DataElement(0x00020003, "UI", names[0x00080018]), False, "iso8859"))
    length = len(before) + len(instance) + len(after)
    return [_GROUP_LENGTH.pack(0x0002, 0x0000, b"UL", 4, length), before, instance, after]


def _meta_template(header: Dataset, sop_class: str) -> tuple[bytes, bytes]:
    new = Dataset()
    new._dict[Tag(0x00080016)] = DataElement(0x00080016, "UI", sop_class)
    new._dict[Tag(0x00080018)] = DataElement(0x00080018, "UI", "1")
    meta = engine._clean_meta(header, new)
    encoded = writer._encode_meta(meta)[1:]  # one piece per element after the group length
    instance = sorted(int(tag) for tag in meta._dict).index(0x00020003)
    return b"".join(encoded[:instance]), b"".join(encoded[instance + 1:])


def _forbidden_tokens(plain: PlainFile, facts: _SeriesFacts) -> ForbiddenTokens:
    """``engine._forbidden_tokens_of`` keyed by the stored bytes of every source value at every depth."""
    sources = tuple(_forbidden_sources(plain, plain.elements))
    key = (_hashable(facts.character_set_value), sources)
    tokens = _FORBIDDEN.get(key)
    if tokens is None:
        if len(_FORBIDDEN) >= 256:
            _FORBIDDEN.clear()
        character_set = facts.codecs
        values = []
        for tag, vr, raw in sources:
            if vr != "item":
                values += engine.forbidden_strings(_decoded(tag, vr, raw, character_set))
        tokens = _FORBIDDEN[key] = forbidden_tokens(values)
    return tokens


def _forbidden_sources(plain: PlainFile, elements: Iterable[Element]) -> Iterable[tuple[int, str, bytes]]:
    for element in elements:
        if element.items is not None:
            for item in element.items:
                yield element.tag, "item", b""
                yield from _forbidden_sources(plain, item)
        elif engine.is_forbidden_source(element.tag, element.vr):
            yield element.tag, element.vr, plain.value(element)
