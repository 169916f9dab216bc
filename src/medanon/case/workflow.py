"""A case from folder to export: ``init``, ``add``, ``run``, ``check``, ``signoff``, ``export``.

Layout of a case folder (the identifiable workspace; only ``out/`` is ever shared)::

    case.toml            manifest (purpose, consent, material, sign-offs)
    material/<id>/...    copies of the inputs, never modified
    out/                 cleaned material, discussion.txt, report.html, report.json
    quarantine/          why items were withheld (for the data controller)
    run.json             last run, with the real file names (for the data controller)
    sharing-log.jsonl    hash-chained record of every export
    exports/             packages
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from medanon.case import cleaners, log, report
from medanon.case.enum import ConsentLevel, MaterialKind, Purpose
from medanon.case.model import CaseManifest, Material, SignOff, load_manifest, now, save_manifest
from medanon.case.package import Encryption, Package, build_package
from medanon.case.rules import Decision, SharingPolicy, decide
from medanon.core.enum import Level, Status
from medanon.core.errors import PolicyError
from medanon.core.keys import KeyRing, default_key_path, load_or_create_key
from medanon.core.policy import Policy
from medanon.core.results import ItemResult

OUT, QUARANTINE, RUN_RECORD, LOG_NAME, EXPORTS = "out", "quarantine", "run.json", "sharing-log.jsonl", "exports"
SUFFIX_KINDS = {".dcm": MaterialKind.DICOM, ".dicom": MaterialKind.DICOM, ".txt": MaterialKind.TEXT,
                ".md": MaterialKind.TEXT, ".jpg": MaterialKind.PHOTO, ".jpeg": MaterialKind.PHOTO,
                ".png": MaterialKind.PHOTO, ".tif": MaterialKind.PHOTO, ".tiff": MaterialKind.PHOTO,
                ".heic": MaterialKind.PHOTO, ".nii": MaterialKind.VOLUME, ".nii.gz": MaterialKind.VOLUME,
                ".nrrd": MaterialKind.VOLUME, ".mgz": MaterialKind.VOLUME}
NOTES = ("history", "discussion")
REPORTS = frozenset({"report.html", "report.json"})


def init_case(folder: Path, purpose: str, destination: str, consent: str = ConsentLevel.RECORD_ONLY.value,
              **fields: Any) -> CaseManifest:
    """Create the folder and its manifest; refuses a folder that already holds a case."""
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / "case.toml").exists():
        raise PolicyError(f"{folder} already holds a case")
    # The dataclass coerces and validates the strings (an unknown purpose is refused there).
    manifest = CaseManifest(purpose=cast(Purpose, purpose), destination=destination,
                            consent=cast(ConsentLevel, consent), **fields)
    save_manifest(folder, manifest)
    return manifest


def guess_kind(path: Path) -> MaterialKind:
    """DICOM by its preamble or suffix, else by suffix; a folder is a DICOM study. Unknown -> refused."""
    if path.is_dir():
        return MaterialKind.DICOM
    with path.open("rb") as stream:
        if stream.read(132)[128:132] == b"DICM":
            return MaterialKind.DICOM
    name = path.name.lower()
    kind = SUFFIX_KINDS.get(".nii.gz" if name.endswith(".nii.gz") else path.suffix.lower())
    if kind is None:
        raise PolicyError(f"cannot tell what kind of material {path.name} is; pass --kind")
    return kind


def add_material(folder: Path, source: Path, kind: str | None = None) -> Material:
    """Copy ``source`` (file or folder) into ``material/<id>/`` and list it; the input is not touched."""
    manifest = load_manifest(folder, check_files=False)
    if not source.exists():
        raise PolicyError(f"{source} does not exist")
    material_kind = MaterialKind(kind) if kind else guess_kind(source)
    item_id = manifest.next_id(material_kind)
    target = folder / "material" / item_id / source.name
    target.parent.mkdir(parents=True, exist_ok=False)
    if source.is_dir():
        shutil.copytree(source, target, symlinks=False)
    else:
        shutil.copy2(source, target)
    item = Material(item_id, material_kind, target.relative_to(folder).as_posix())
    save_manifest(folder, manifest.with_material(item))
    return item


def manifest_digest(manifest: CaseManifest) -> str:
    """What a run depends on (everything but the sign-offs): an export refuses a run older than the manifest."""
    data = manifest.to_toml()
    data.pop("signoff", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()


@dataclass
class RunOutcome:
    decision: Decision
    results: dict[str, list[ItemResult]]
    out_dir: Path


def run_case(folder: Path, *, policy: SharingPolicy | None = None, key_path: Path | None = None) -> RunOutcome:
    """Clean every item into ``out/<id>/`` by its kind; write discussion, reports and ``run.json``.

    Raises ``PolicyError`` when the policy refuses the case (e.g. direct care):
    nothing is cleaned then. ``out/`` is built beside the old one and swapped
    in at the end, so a crash never leaves a mix of two runs.
    """
    folder = folder.resolve()
    manifest = load_manifest(folder)
    policy = policy or SharingPolicy.load()
    decision = decide(manifest, policy, folder)
    if decision.refused:
        raise PolicyError("the policy refuses this case: " + "; ".join(decision.refusals))
    assert decision.level is not None
    profile = Policy.load(decision.level.value)
    keys, _ = load_or_create_key(key_path or default_key_path(), forbidden_dirs=(folder,))
    shutil.rmtree(folder / cleaners.REVIEW, ignore_errors=True)  # previews of an earlier run must not linger
    staging = Path(tempfile.mkdtemp(prefix=".out-", dir=folder))
    work = Path(tempfile.mkdtemp(prefix=".work-", dir=folder))
    try:
        results = _clean_material(manifest, decision, folder, staging, profile, keys)
        results.update(_clean_notes(manifest, decision, work, staging, profile, keys))
        sources = _anonymise_sources(results)
        data = report.build(manifest, decision, policy, results, profile, keys.fingerprint)
        report.write(staging, data)
        released = material_hashes(staging)
        _swap(staging, folder / OUT)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
    _write_quarantine(folder, results, sources)
    report.write_review_sheet(folder / cleaners.REVIEW, manifest.id)
    record = {"when": now(), "manifest": manifest_digest(manifest), "level": decision.level.value,
              "released": released,
              "key_fingerprint": keys.fingerprint, "sources": sources,
              "items": {k: [r.to_dict() for r in v] for k, v in results.items()}}
    _write_json(folder / RUN_RECORD, record)
    return RunOutcome(decision, results, folder / OUT)


def _clean_material(manifest: CaseManifest, decision: Decision, folder: Path, staging: Path, profile: Policy,
                    keys: KeyRing) -> dict[str, list[ItemResult]]:
    results: dict[str, list[ItemResult]] = {}
    for item in manifest.material:
        if item.id in decision.refused_items:
            results[item.id] = [ItemResult(item.id, Status.QUARANTINED,
                                           reasons=[f"refused by policy: {decision.refused_items[item.id]}"])]
            continue
        results[item.id] = cleaners.clean(item.kind, item.resolve(folder), staging / item.id, profile, keys,
                                          label=item.id)
    return results


def _clean_notes(manifest: CaseManifest, decision: Decision, work: Path, staging: Path, profile: Policy,
                 keys: KeyRing) -> dict[str, list[ItemResult]]:
    """History and discussion through the text cleaner; ``discussion.txt`` ends with the consent statement."""
    results: dict[str, list[ItemResult]] = {}
    sections: list[str] = []
    for name in NOTES:
        text = getattr(manifest, name)
        if not text.strip():
            continue
        source = work / f"{name}.txt"
        source.write_text(text, encoding="utf-8")
        outcome = cleaners.clean(MaterialKind.TEXT, source, work / "clean" / name, profile, keys, label=name)
        results[name] = outcome
        released = [r for r in outcome if r.status is Status.RELEASED and r.output]
        if len(outcome) == 1 and released:
            cleaned = (work / "clean" / name / str(released[0].output)).read_text("utf-8")
            sections.append(f"{name.title()}\n\n{cleaned.strip()}")
            released[0].output = "discussion.txt"
        else:
            sections.append(f"{name.title()}\n\n[withheld: " + "; ".join(r for o in outcome for r in o.reasons) + "]")
    if decision.consent_statement:
        sections.append(decision.consent_statement)
    if sections:
        (staging / "discussion.txt").write_text("\n\n".join(sections).rstrip() + "\n", encoding="utf-8")
    return results


def _anonymise_sources(results: dict[str, list[ItemResult]]) -> dict[str, str]:
    """Reports name items ``<id>`` or ``<id>#n``, never by file name; the map stays in ``run.json``."""
    sources: dict[str, str] = {}
    for item_id, outcome in results.items():
        for n, result in enumerate(outcome, start=1):
            label = item_id if len(outcome) == 1 else f"{item_id}#{n}"
            sources[label] = result.source
            result.source = label
            if result.output and not result.output.startswith(item_id) and result.output != "discussion.txt":
                result.output = f"{item_id}/{result.output}"
    return sources


def material_hashes(out_dir: Path) -> dict[str, str]:
    """SHA-256 of every file under ``out/`` but the reports (which export re-renders with the sign-offs)."""
    return {path.relative_to(out_dir).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(out_dir.rglob("*")) if path.is_file()
            and path.relative_to(out_dir).as_posix() not in REPORTS}


def _swap(staging: Path, out: Path) -> None:
    old = out.with_name(".out-old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        os.replace(out, old)
    os.replace(staging, out)
    shutil.rmtree(old, ignore_errors=True)


def _write_quarantine(folder: Path, results: dict[str, list[ItemResult]], sources: dict[str, str]) -> None:
    quarantine = folder / QUARANTINE
    shutil.rmtree(quarantine, ignore_errors=True)
    quarantine.mkdir()
    for outcome in results.values():
        for result in outcome:
            if result.status is not Status.RELEASED:
                _write_json(quarantine / f"{result.source.replace('#', '-')}.json",
                            {"item": result.source, "source": sources[result.source], "status": result.status.value,
                             "reasons": result.reasons})


def _write_json(path: Path, data: Any) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(temp, path)


@dataclass
class CheckOutcome:
    """``passed`` when nothing is refused and every review or withheld item is signed off."""

    decision: Decision
    problems: list[str] = field(default_factory=list)
    open_items: list[str] = field(default_factory=list)
    signed: list[str] = field(default_factory=list)
    ran: bool = False
    texts: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.problems and not self.open_items


def signable_items(folder: Path, manifest: CaseManifest, decision: Decision) -> dict[str, str]:
    """Every id a reviewer may sign: the policy's review items, items the last run withheld
    (``withheld:<label>``) and released items an engine asked a person to check (``review:<label>``)."""
    items = {r.id: r.text for r in decision.review}
    record = _run_record(folder)
    for outcome in (record or {}).get("items", {}).values():
        for result in outcome:
            if result["status"] != Status.RELEASED.value:
                items[f"withheld:{result['source']}"] = "; ".join(result["reasons"])
            elif result["review"]:  # an engine's "a person should check this" (e.g. a head series, no defacing)
                items[f"review:{result['source']}"] = "; ".join(result["review"])
    return items


def check_case(folder: Path, *, policy: SharingPolicy | None = None, require_run: bool = False) -> CheckOutcome:
    folder = folder.resolve()
    manifest = load_manifest(folder)
    decision = decide(manifest, policy or SharingPolicy.load(), folder)
    outcome = CheckOutcome(decision, problems=list(decision.refusals))
    record = _run_record(folder)
    outcome.ran = record is not None and record.get("manifest") == manifest_digest(manifest)
    if record is not None and not outcome.ran:
        outcome.problems.append("the manifest changed since the last run: run the case again")
    elif require_run and not outcome.ran:
        outcome.problems.append("the case has not been run: `medanon case run` first")
    signed = manifest.signed()
    outcome.texts = signable_items(folder, manifest, decision)
    for item_id in outcome.texts:
        (outcome.signed if item_id in signed else outcome.open_items).append(item_id)
    return outcome


def _run_record(folder: Path) -> dict[str, Any] | None:
    path = folder / RUN_RECORD
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def signoff(folder: Path, item: str, by: str, note: str = "", *, policy: SharingPolicy | None = None) -> SignOff:
    """Record a reviewer's sign-off of one review or withheld item; refusals and unknown ids are refused."""
    folder = folder.resolve()
    manifest = load_manifest(folder)
    decision = decide(manifest, policy or SharingPolicy.load(), folder)
    known = signable_items(folder, manifest, decision)
    if item not in known:
        raise PolicyError(f"nothing to sign named {item!r}; open items: {', '.join(sorted(known)) or 'none'}")
    entry = SignOff(item=item, by=by, when=now(), note=note)
    save_manifest(folder, manifest.with_signoff(entry))
    return entry


@dataclass
class ExportOutcome:
    package: Package
    head: str


def export_case(folder: Path, by: str, *, destination: Path | None = None, encryption: Encryption | None = None,
                policy: SharingPolicy | None = None, key_path: Path | None = None) -> ExportOutcome:
    """Package ``out/`` after ``check`` passes (with a current run); record the export in the sharing log."""
    folder = folder.resolve()
    if not by.strip():
        raise PolicyError("say who exports the case (--by)")
    check = check_case(folder, policy=policy, require_run=True)
    if not check.passed:
        raise PolicyError("the case does not pass check: " + "; ".join(check.problems + [
            f"{i} is open" for i in check.open_items]))
    manifest = load_manifest(folder)
    encryption = encryption or Encryption()
    if check.decision.level is Level.LIMITED_ACCESS and not encryption.enabled:
        raise PolicyError("limited-access material leaves only encrypted: give a recipient or a passphrase")
    keys, _ = load_or_create_key(key_path or default_key_path(), forbidden_dirs=(folder,))
    suffix = ".zip.age" if encryption.enabled else ".zip"
    record = _run_record(folder) or {}
    if material_hashes(folder / OUT) != record.get("released"):
        raise PolicyError("out/ differs from what the last run released (a file was added, changed or removed): "
                          "run the case again")
    report.refresh_signoffs(folder / OUT, manifest)
    target = destination or folder / EXPORTS / f"{manifest.id}-{now().replace(':', '')}{suffix}"
    package = build_package(folder / OUT, target, encryption, keys)
    head = log.append_entry(folder / LOG_NAME, {
        "when": now(), "case": manifest.id, "purpose": manifest.purpose.value, "destination": manifest.destination,
        "permission_id": manifest.permission_id, "by": by, "package": package.sha256, "files": package.files})
    return ExportOutcome(package, head)
