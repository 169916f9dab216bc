"""Profiles as data: recipes loaded from TOML and validated on construction.

A ``Policy`` that exists is valid (STYLE.md section 4): contradictions such as
publication with retained UIDs, or two date options at once, are refused with
the reason. Shipped recipes live in ``medanon/core/profiles``; users derive
their own by copying one and passing its path.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from medanon.core.enum import ActionCode, Level, Option
from medanon.core.errors import PolicyError

SHIPPED_PROFILES = ("publication", "limited-access")
UNLISTED_RULES = ("technical", "keep")
RECIPE_KEYS = {"name", "level", "description", "options", "unlisted", "overrides"}
# Options whose cleaner belongs to later work: refused rather than claimed. Clean Pixel Data is not
# among them: the DICOM pipeline redacts burnt-in text (medanon.pixels) under every profile, and the
# code is recorded in DeidentificationMethodCodeSequence only for files whose pixels were cleaned.
UNAVAILABLE_OPTIONS = frozenset({Option.CLEAN_RECOGNIZABLE_VISUAL_FEATURES})
# Options that keep indirect identifiers, which publication must not have.
NOT_FOR_PUBLICATION = frozenset(
    {
        Option.RETAIN_UIDS,
        Option.RETAIN_LONGITUDINAL_FULL_DATES,
        Option.RETAIN_DEVICE_IDENTITY,
        Option.RETAIN_INSTITUTION_IDENTITY,
        Option.RETAIN_SAFE_PRIVATE,
    }
)


@dataclass(frozen=True)
class TechnicalAllowList:
    """Unlisted attributes kept by VR or keyword (see ``profiles/technical.toml``)."""

    vrs: frozenset[str]
    keywords: frozenset[str]

    @classmethod
    def shipped(cls) -> TechnicalAllowList:
        data = _read_toml_text(resources.files("medanon.core.profiles").joinpath("technical.toml").read_text(
            encoding="utf-8"), "technical.toml")
        return cls(vrs=frozenset(data["vrs"]), keywords=frozenset(data["keywords"]))


@dataclass(frozen=True)
class Policy:
    """What to do: level, PS3.15 options, per-attribute overrides, rule for unlisted attributes."""

    name: str
    level: Level
    options: frozenset[Option] = frozenset()
    overrides: dict[str, ActionCode] = field(default_factory=dict)
    unlisted: str = "technical"
    description: str = ""
    allow: TechnicalAllowList = field(default_factory=TechnicalAllowList.shipped)

    def __post_init__(self) -> None:
        object.__setattr__(self, "level", _coerce(Level, self.level, "level"))
        object.__setattr__(self, "options", frozenset(_coerce(Option, o, "option") for o in self.options))
        overrides = {k: _coerce(ActionCode, v, f"override {k}") for k, v in self.overrides.items()}
        object.__setattr__(self, "overrides", overrides)
        for problem in self._problems():
            raise PolicyError(problem, item=self.name)

    def _problems(self) -> list[str]:
        from pydicom.datadict import tag_for_keyword

        problems = []
        if self.unlisted not in UNLISTED_RULES:
            problems.append(f"unlisted must be one of {UNLISTED_RULES}, not {self.unlisted!r}")
        unavailable = sorted(o.value for o in self.options & UNAVAILABLE_OPTIONS)
        if unavailable:
            problems.append(f"options {unavailable} have no cleaner yet; files that need them are quarantined")
        if {Option.RETAIN_LONGITUDINAL_FULL_DATES, Option.RETAIN_LONGITUDINAL_MODIFIED_DATES} <= self.options:
            problems.append("full dates and modified dates cannot both be retained")
        if self.level is Level.PUBLICATION:
            forbidden = sorted(o.value for o in self.options & NOT_FOR_PUBLICATION)
            if forbidden:
                problems.append(f"publication cannot retain indirect identifiers: {forbidden}")
            if self.overrides.get("PatientAge") in (ActionCode.KEEP, ActionCode.CLEAN):
                problems.append("publication must round or remove PatientAge")
            if ActionCode.PSEUDONYM in self.overrides.values():
                problems.append("publication has no key-coded pseudonyms; use limited-access")
        for keyword in self.overrides:
            if tag_for_keyword(keyword) is None:
                problems.append(f"override names an unknown DICOM keyword {keyword!r}")
        return problems

    @property
    def shifts_dates(self) -> bool:
        return Option.RETAIN_LONGITUDINAL_MODIFIED_DATES in self.options

    @classmethod
    def from_toml(cls, text: str, source: str = "<recipe>") -> Policy:
        data = _read_toml_text(text, source)
        unknown = sorted(set(data) - RECIPE_KEYS)
        if unknown:
            raise PolicyError(f"unknown recipe keys {unknown}", item=source)
        missing = sorted({"name", "level"} - set(data))
        if missing:
            raise PolicyError(f"recipe lacks {missing}", item=source)
        return cls(
            name=str(data["name"]),
            level=data["level"],
            options=frozenset(data.get("options", [])),
            overrides=dict(data.get("overrides", {})),
            unlisted=str(data.get("unlisted", "technical")),
            description=str(data.get("description", "")),
        )

    @classmethod
    def load(cls, name_or_path: str | Path) -> Policy:
        """A shipped profile by name (``publication``, ``limited-access``) or a recipe file."""
        if str(name_or_path) in SHIPPED_PROFILES:
            text = resources.files("medanon.core.profiles").joinpath(f"{name_or_path}.toml").read_text(
                encoding="utf-8")
            return cls.from_toml(text, f"{name_or_path}.toml")
        path = Path(name_or_path)
        if not path.is_file():
            raise PolicyError(f"no shipped profile or recipe file named {str(name_or_path)!r}; "
                              f"shipped: {', '.join(SHIPPED_PROFILES)}")
        return cls.from_toml(path.read_text(encoding="utf-8"), str(path))

    def with_options(self, extra: frozenset[Option] | set[Option]) -> Policy:
        """The same policy with more options (``--options`` on the command line); validated again."""
        return Policy(self.name, self.level, self.options | frozenset(extra), dict(self.overrides),
                      self.unlisted, self.description, self.allow)


def _coerce(enum: Any, value: Any, what: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(e.value for e in enum)
        raise PolicyError(f"{what}: {value!r} is not one of {choices}") from None


def _read_toml_text(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: {exc}") from None
