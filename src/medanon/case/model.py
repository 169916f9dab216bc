"""The case manifest: typed records that refuse invalid input (STYLE.md section 4).

A case is a folder holding ``case.toml`` and its material. Paths in the
manifest are relative to the folder and may not leave it, so a manifest
cannot point the cleaners at (or the export at) files elsewhere.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import tempfile
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

import tomli_w

from medanon.case.enum import ConsentLevel, MaterialKind, Purpose
from medanon.core.errors import PolicyError

MANIFEST_NAME = "case.toml"
ITEM_ID = re.compile(r"^[a-z]+-[0-9]+$")
CASE_KEYS = {"id", "purpose", "destination", "consent", "permission_id", "paediatric", "rare_condition",
             "small_population", "in_the_news", "partners", "contract", "history", "discussion"}
TOP_KEYS = {"case", "material", "signoff"}


def _coerce(enum: Any, value: Any, what: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise PolicyError(f"{what}: {value!r} is not one of {', '.join(e.value for e in enum)}") from None


@dataclass(frozen=True)
class Material:
    """One item of the case: an id the reports use (never the file name), its kind and its path."""

    id: str
    kind: MaterialKind
    path: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _coerce(MaterialKind, self.kind, f"material {self.id}: kind"))
        if not ITEM_ID.match(self.id):
            raise PolicyError(f"material id {self.id!r} must look like 'dicom-1'")
        relative = PurePosixPath(self.path)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise PolicyError(f"material {self.id}: path must be relative and stay inside the case folder")

    def resolve(self, folder: Path) -> Path:
        """The item's path inside ``folder``; refuses symlinks that lead out of it and missing files."""
        root = folder.resolve()
        path = (root / self.path).resolve()
        if path != root and root not in path.parents:
            raise PolicyError(f"material {self.id}: path leads outside the case folder")
        if not path.exists():
            raise PolicyError(f"material {self.id}: file is missing from the case folder")
        return path


@dataclass(frozen=True)
class SignOff:
    """A reviewer's sign-off of one review item, refusal-free by construction (refusals cannot be signed)."""

    item: str
    by: str
    when: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if not self.item.strip() or not self.by.strip():
            raise PolicyError("a sign-off needs the item it signs and the reviewer's name")


@dataclass(frozen=True)
class CaseManifest:
    """What is shared, why, to whom, under which consent; validated on construction."""

    purpose: Purpose
    destination: str
    consent: ConsentLevel = ConsentLevel.RECORD_ONLY
    permission_id: str = ""
    paediatric: bool = False
    rare_condition: bool = False
    small_population: bool = False
    in_the_news: bool = False
    partners: tuple[str, ...] = ()
    contract: str = ""
    history: str = ""
    discussion: str = ""
    id: str = field(default_factory=lambda: "case-" + secrets.token_hex(4))
    material: tuple[Material, ...] = ()
    signoffs: tuple[SignOff, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "purpose", _coerce(Purpose, self.purpose, "purpose"))
        object.__setattr__(self, "consent", _coerce(ConsentLevel, self.consent, "consent"))
        object.__setattr__(self, "partners", tuple(self.partners))
        for flag in ("paediatric", "rare_condition", "small_population", "in_the_news"):
            if not isinstance(getattr(self, flag), bool):
                raise PolicyError(f"{flag} must be true or false")
        if not self.destination.strip():
            raise PolicyError("destination is required: say where the case is going")
        ids = [m.id for m in self.material]
        if len(ids) != len(set(ids)):
            raise PolicyError("material ids must be unique")

    def next_id(self, kind: MaterialKind) -> str:
        taken = {m.id for m in self.material}
        n = 1
        while f"{kind.value}-{n}" in taken:
            n += 1
        return f"{kind.value}-{n}"

    def with_material(self, item: Material) -> CaseManifest:
        return replace(self, material=(*self.material, item))

    def with_signoff(self, signoff: SignOff) -> CaseManifest:
        return replace(self, signoffs=(*self.signoffs, signoff))

    def signed(self) -> set[str]:
        return {s.item for s in self.signoffs}

    def to_toml(self) -> dict[str, Any]:
        case = {"id": self.id, "purpose": self.purpose.value, "destination": self.destination,
                "consent": self.consent.value, "permission_id": self.permission_id, "paediatric": self.paediatric,
                "rare_condition": self.rare_condition, "small_population": self.small_population,
                "in_the_news": self.in_the_news, "partners": list(self.partners), "contract": self.contract,
                "history": self.history, "discussion": self.discussion}
        return {"case": case,
                "material": [{"id": m.id, "kind": m.kind.value, "path": m.path} for m in self.material],
                "signoff": [{"item": s.item, "by": s.by, "when": s.when, "note": s.note} for s in self.signoffs]}

    @classmethod
    def from_toml(cls, data: dict[str, Any], source: str = MANIFEST_NAME) -> CaseManifest:
        unknown = sorted(set(data) - TOP_KEYS) + sorted(f"case.{k}" for k in set(data.get("case", {})) - CASE_KEYS)
        if unknown:
            raise PolicyError(f"unknown manifest keys {unknown}", item=source)
        case = dict(data.get("case", {}))
        for required in ("purpose", "destination"):
            if required not in case:
                raise PolicyError(f"manifest lacks case.{required}", item=source)
        try:
            material = tuple(Material(**m) for m in data.get("material", []))
            signoffs = tuple(SignOff(**s) for s in data.get("signoff", []))
            case["partners"] = tuple(case.get("partners", ()))
            return cls(**case, material=material, signoffs=signoffs)
        except TypeError as exc:
            raise PolicyError(f"manifest entry has unknown or missing fields ({exc})", item=source) from None


def manifest_path(folder: Path) -> Path:
    return folder / MANIFEST_NAME


def load_manifest(folder: Path, *, check_files: bool = True) -> CaseManifest:
    """Read ``case.toml``; with ``check_files`` every material path must exist inside the folder."""
    path = manifest_path(folder)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyError(f"no {MANIFEST_NAME} in {folder}: run `medanon case init` first") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{MANIFEST_NAME}: {exc}") from None
    manifest = CaseManifest.from_toml(data)
    if check_files:
        for item in manifest.material:
            item.resolve(folder)
    return manifest


def save_manifest(folder: Path, manifest: CaseManifest) -> Path:
    """Write ``case.toml`` atomically (temp file + rename): a crash never leaves half a manifest."""
    path = manifest_path(folder)
    handle, temp = tempfile.mkstemp(prefix=".case-", suffix=".toml", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(render_toml(manifest))
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


def render_toml(manifest: CaseManifest) -> str:
    """``[case]`` then one ``[[material]]`` / ``[[signoff]]`` table per entry, so a reviewer can append a
    ``[[signoff]]`` block by hand (tomli-w alone would write inline arrays that a new table cannot extend)."""
    data = manifest.to_toml()
    parts = [tomli_w.dumps({"case": data["case"]}, multiline_strings=True)]
    for section in ("material", "signoff"):
        parts.extend(f"[[{section}]]\n" + tomli_w.dumps(entry) for entry in data[section])
    return "\n".join(parts)


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
