"""The sharing policy and ``decide``: purpose and consent give a level, refusals and a review checklist.

The rules are data (``sharing-policy.toml``, shipped; institutions pass their
own file), validated on load like a profile recipe: an unknown key or a
missing one is refused, so a typo cannot silently weaken a rule.
"""

from __future__ import annotations

import tomllib
import warnings
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from medanon.case.enum import ConsentLevel, MaterialKind, Purpose
from medanon.case.model import CaseManifest
from medanon.core.enum import Level
from medanon.core.errors import PolicyError

POLICY_KEYS = {"name", "adult_age_rounding_years", "thin_section_mm", "consent_statement", "purposes", "choices",
               "review"}
PURPOSE_KEYS = {"action", "reason", "level", "consent", "consent_required", "needs_partners", "note"}
REVIEW_KEYS = {"rare-condition", "small-population", "in-the-news", "thin-head-sections", "photo-anonymous",
               "volume-face"}
HEAD_WORDS = ("HEAD", "BRAIN", "FACE", "SKULL", "ORBIT", "SINUS", "NECK", "MAXILLOFACIAL", "IAC", "TEMPORAL")


@dataclass(frozen=True)
class PurposeRule:
    """What one purpose allows; a refusing rule carries only its reason."""

    purpose: Purpose
    action: str
    reason: str = ""
    level: Level | None = None
    consent: ConsentLevel | None = None
    consent_required: str = "if-identifiable"
    needs_partners: bool = False
    note: str = ""

    def __post_init__(self) -> None:
        if self.action not in ("de-identify", "refuse"):
            raise PolicyError(f"purposes.{self.purpose.value}.action must be de-identify or refuse")
        if self.action == "refuse" and not self.reason:
            raise PolicyError(f"purposes.{self.purpose.value}: a refusal must say why (reason)")
        if self.action == "de-identify" and self.level is None:
            raise PolicyError(f"purposes.{self.purpose.value}: a level is required")
        if self.consent_required not in ("always", "if-identifiable"):
            raise PolicyError(f"purposes.{self.purpose.value}.consent_required must be always or if-identifiable")
        if self.consent_required == "always" and self.consent is None:
            raise PolicyError(f"purposes.{self.purpose.value}: consent_required = always needs a consent level")


@dataclass(frozen=True)
class SharingPolicy:
    """The whole policy file: one rule per purpose, the stated choices, the review texts."""

    name: str
    adult_age_rounding_years: int
    thin_section_mm: float
    consent_statement: str
    purposes: dict[Purpose, PurposeRule]
    choices: dict[str, dict[str, str]]
    review: dict[str, str]
    source: str = "sharing-policy.toml"

    def __post_init__(self) -> None:
        missing = sorted(p.value for p in Purpose if p not in self.purposes)
        if missing:
            raise PolicyError(f"policy has no rule for purposes {missing}", item=self.source)
        if sorted(self.review) != sorted(REVIEW_KEYS):
            raise PolicyError(f"[review] must define exactly {sorted(REVIEW_KEYS)}", item=self.source)
        if "{permission_id}" not in self.consent_statement:
            raise PolicyError("consent_statement must contain {permission_id}", item=self.source)
        if not 1 <= self.adult_age_rounding_years <= 10:
            raise PolicyError("adult_age_rounding_years must be 1..10", item=self.source)

    @classmethod
    def load(cls, path: Path | None = None) -> SharingPolicy:
        """The shipped policy, or an institution's file."""
        if path is None:
            text = resources.files("medanon.case").joinpath("sharing-policy.toml").read_text(encoding="utf-8")
            return cls.from_toml(text, "sharing-policy.toml (shipped)")
        try:
            return cls.from_toml(path.read_text(encoding="utf-8"), str(path))
        except FileNotFoundError:
            raise PolicyError(f"policy file not found: {path}") from None

    @classmethod
    def from_toml(cls, text: str, source: str) -> SharingPolicy:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(f"{source}: {exc}") from None
        problems = sorted(set(data) ^ POLICY_KEYS)
        if problems:
            raise PolicyError(f"policy keys missing or unknown: {problems}", item=source)
        purposes = {}
        for name, rule in data["purposes"].items():
            purpose = _enum(Purpose, name, source)
            unknown = sorted(set(rule) - PURPOSE_KEYS)
            if unknown:
                raise PolicyError(f"purposes.{name}: unknown keys {unknown}", item=source)
            purposes[purpose] = PurposeRule(
                purpose=purpose, action=rule.get("action", ""), reason=rule.get("reason", ""),
                level=_enum(Level, rule["level"], source) if rule.get("level") else None,
                consent=_enum(ConsentLevel, rule["consent"], source) if rule.get("consent") else None,
                consent_required=rule.get("consent_required", "if-identifiable"),
                needs_partners=bool(rule.get("needs_partners", False)), note=rule.get("note", ""))
        return cls(name=data["name"], adult_age_rounding_years=int(data["adult_age_rounding_years"]),
                   thin_section_mm=float(data["thin_section_mm"]), consent_statement=data["consent_statement"],
                   purposes=purposes, choices=dict(data["choices"]), review=dict(data["review"]), source=source)


def _enum(enum: Any, value: Any, source: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise PolicyError(f"{value!r} is not one of {', '.join(e.value for e in enum)}", item=source) from None


@dataclass(frozen=True)
class ReviewItem:
    """One thing a person must look at; ``id`` is what a reviewer signs."""

    id: str
    text: str


@dataclass
class Decision:
    """What the policy says about a case: the level, what is refused and why, what needs review."""

    purpose: Purpose
    level: Level | None
    refusals: list[str] = field(default_factory=list)
    review: list[ReviewItem] = field(default_factory=list)
    refused_items: dict[str, str] = field(default_factory=dict)
    consent_statement: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.refusals)


def decide(manifest: CaseManifest, policy: SharingPolicy, folder: Path | None = None) -> Decision:
    """Apply ``policy`` to ``manifest``; with ``folder``, DICOM headers are read to find thin head sections.

    Refusals cannot be signed off; review items can (by their id).
    """
    rule = policy.purposes[manifest.purpose]
    if rule.action == "refuse":
        return Decision(manifest.purpose, None, refusals=[f"purpose {manifest.purpose.value}: {rule.reason}"])
    decision = Decision(manifest.purpose, rule.level)
    if rule.note:
        decision.notes.append(rule.note)
    consent_covers = rule.consent is None or manifest.consent.covers(rule.consent)
    _check_consent(manifest, rule, consent_covers, decision)
    if rule.needs_partners and (not manifest.partners or not manifest.contract.strip()):
        decision.refusals.append(f"purpose {manifest.purpose.value} needs named partners and a contract reference "
                                 "(case.partners, case.contract)")
    _check_photographs(manifest, policy, consent_covers, decision)
    for flag in ("rare_condition", "small_population", "in_the_news"):
        if getattr(manifest, flag):
            key = flag.replace("_", "-")
            decision.review.append(ReviewItem(key, policy.review[key]))
    if folder is not None and _has_thin_head_sections(manifest, folder, policy.thin_section_mm):
        decision.review.append(ReviewItem("thin-head-sections", policy.review["thin-head-sections"]))
    for item in manifest.material:
        if item.kind is MaterialKind.VOLUME:
            decision.review.append(ReviewItem(f"volume-face:{item.id}", policy.review["volume-face"]))
    if _consent_obtained(manifest):
        decision.consent_statement = policy.consent_statement.format(
            consent=manifest.consent.value.replace("-", " "), permission_id=manifest.permission_id)
    return decision


def _consent_obtained(manifest: CaseManifest) -> bool:
    return manifest.consent is not ConsentLevel.RECORD_ONLY and bool(manifest.permission_id.strip())


def _check_consent(manifest: CaseManifest, rule: PurposeRule, covers: bool, decision: Decision) -> None:
    if rule.consent_required != "always":
        return
    needed = rule.consent.value if rule.consent else ""
    if not covers:
        decision.refusals.append(f"consent recorded is {manifest.consent.value}; purpose {manifest.purpose.value} "
                                 f"needs consent for {needed}")
    elif not manifest.permission_id.strip():
        decision.refusals.append(f"purpose {manifest.purpose.value} needs the consent form's permission ID "
                                 "(case.permission_id)")


def _check_photographs(manifest: CaseManifest, policy: SharingPolicy, covers: bool, decision: Decision) -> None:
    photos = [m for m in manifest.material if m.kind is MaterialKind.PHOTO]
    consented = covers and manifest.consent is not ConsentLevel.RECORD_ONLY
    for photo in photos:
        if consented:
            continue
        if manifest.paediatric:
            decision.refused_items[photo.id] = "paediatric clinical photograph without consent covering the purpose"
        else:
            decision.review.append(ReviewItem(f"photo-anonymous:{photo.id}", policy.review["photo-anonymous"]))


def _has_thin_head_sections(manifest: CaseManifest, folder: Path, limit_mm: float) -> bool:
    """True if any readable DICOM item is a head/face series at or below ``limit_mm``.

    Unreadable files are left to the run, which quarantines them; this check
    only adds review items, it never clears one.
    """
    import pydicom

    for item in manifest.material:
        if item.kind is not MaterialKind.DICOM:
            continue
        path = item.resolve(folder)
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ds = pydicom.dcmread(file, stop_before_pixels=True, force=True,
                                         specific_tags=["BodyPartExamined", "SliceThickness", "StudyDescription",
                                                        "SeriesDescription", "Modality"])
                thickness = float(ds.get("SliceThickness", 0) or 0)
            except Exception:  # noqa: S112 - unreadable files are the run's business
                continue
            words = " ".join(str(ds.get(k, "") or "") for k in ("BodyPartExamined", "StudyDescription",
                                                               "SeriesDescription")).upper()
            if ds.get("Modality") in ("CT", "MR") and 0 < thickness <= limit_mm and any(w in words for w in HEAD_WORDS):
                return True
    return False
