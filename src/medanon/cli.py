"""``medanon``: one command with sub-commands; each is a thin wrapper over one library call.

Exit codes (click's convention): 0 every item released, 1 anything
quarantined or failed, 2 usage error. Progress goes to stderr, tables to
stdout; no header value of any input is ever printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import medanon
from medanon.core.enum import Option, Status
from medanon.core.errors import MedanonError
from medanon.core.policy import SHIPPED_PROFILES, Policy
from medanon.core.results import ItemResult

if TYPE_CHECKING:
    from medanon.case.rules import SharingPolicy
    from medanon.case.workflow import CheckOutcome

EXIT_OK, EXIT_WITHHELD, EXIT_USAGE = 0, 1, 2
STATUS_STYLE = {"released": "green", "quarantined": "yellow", "failed": "red", "skipped": "dim"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="medanon", description="Make medical images safe to share.")
    parser.add_argument("--version", action="version", version=f"medanon {medanon.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    dicom = sub.add_parser("dicom", help="de-identify DICOM files, folders or zip archives")
    dicom.add_argument("paths", nargs="+", type=Path, metavar="IN... OUT",
                       help="inputs (files, folders, .zip), then the output folder")
    _add_common(dicom)
    _add_head_routing_option(dicom)

    demo = sub.add_parser("demo", help="de-identify a mixed example set shipped by pip packages")
    demo.add_argument("out", nargs="?", type=Path, default=Path("medanon-demo"), help="output folder")
    _add_common(demo)

    _add_photo_parser(sub)
    _add_deface_parser(sub)
    _add_text_parser(sub)

    profiles = sub.add_parser("profiles", help="list shipped profiles and PS3.15 options")
    profiles.add_argument("--json", action="store_true")
    _add_case_parser(sub)
    return parser


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default="publication",
                        help=f"{' | '.join(SHIPPED_PROFILES)} or a recipe .toml file (default: publication)")
    parser.add_argument("--key", type=Path, default=None, metavar="KEYFILE",
                        help="project key file (created on first use; kept outside OUT). "
                             "Default: $MEDANON_KEY_FILE or ~/.config/medanon/project.key")
    parser.add_argument("--options", default="", help="extra PS3.15 options, comma-separated "
                                                       "(see `medanon profiles`)")
    parser.add_argument("--quarantine", type=Path, default=None, help="quarantine folder (default OUT/quarantine)")
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1),
                        help="worker processes (default: CPU count, at most 4)")
    parser.add_argument("--no-pixel-screen", action="store_true",
                        help="skip the burnt-in text screen (only header rules then guard pixel text)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of tables")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no tables")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    out = Console()
    err = Console(stderr=True)
    try:
        if args.command == "profiles":
            return _profiles(args, out)
        if args.command == "photo":
            return _run_photo(args, parser, out, err)
        if args.command == "case":
            return _case(args, out, err)
        if args.command == "deface":
            return _run_deface(args, out, err)
        if args.command == "text":
            return _run_text(args, out, err)
        if args.command == "demo":
            from medanon.examples import demo_files

            files = demo_files()
            if not files:
                err.print("[red]no example data found: pip install pydicom-data deid-data[/red]")
                return EXIT_USAGE
            return _run_dicom(files, args.out, args, out, err, demo=True)
        if len(args.paths) < 2:
            parser.error("give at least one input and the output folder: medanon dicom IN... OUT")
        return _run_dicom(args.paths[:-1], args.paths[-1], args, out, err)
    except MedanonError as exc:
        err.print(f"[red]error:[/red] {exc}")
        return EXIT_USAGE


def _run_dicom(inputs: list[Path], out_dir: Path, args: argparse.Namespace, out: Console, err: Console,
               demo: bool = False) -> int:
    from medanon.pipeline import deidentify_dicom

    options = [o.strip() for o in args.options.split(",") if o.strip()]
    key = args.key
    if demo and key is None:
        key = Path(tempfile.gettempdir()) / "medanon-demo.key"
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err, disable=args.quiet or args.json, transient=False)
    with progress:
        task = progress.add_task("de-identifying", total=None)
        outcome = deidentify_dicom(
            inputs, out_dir, args.profile, key_path=key, options=options, quarantine_dir=args.quarantine,
            workers=max(1, args.workers), screen_pixels=not args.no_pixel_screen,
            deface_heads=not getattr(args, "no_deface", False),
            on_start=lambda n: progress.update(task, total=n),
            on_result=lambda r: progress.advance(task),
        )
    if args.json:
        out.print_json(outcome.report_path.read_text(encoding="utf-8"))
    elif not args.quiet:
        _print_summary(outcome.results, out)
        if outcome.key_created:
            err.print(f"created project key {outcome.key_path} (keep it apart from the data)")
        out.print(f"report: {outcome.report_path}")
    withheld = any(r.status in (Status.QUARANTINED, Status.FAILED) for r in outcome.results)
    if demo:
        if not (args.quiet or args.json):
            out.print("The demo set mixes plain images, images whose pixels hold text or may show a face "
                      "(cleaned and verified; before/after previews in the output) and a DICOMDIR (never "
                      "released); anything withheld above says why.")
        return EXIT_OK
    return EXIT_WITHHELD if withheld else EXIT_OK


def _add_head_routing_option(parser: argparse.ArgumentParser) -> None:
    """Issue 7: head CT/MR series are defaced as whole volumes unless the user turns it off."""
    parser.add_argument("--no-deface", action="store_true",
                        help="do not deface head CT/MR series: their slices are cleaned one by one and flagged "
                             "for review (only when the face region is studied and sharing it is agreed)")


# --- medanon photo -------------------------------------------------------------------------

def _add_photo_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    photo = sub.add_parser("photo", help="clean clinical photographs: metadata removed, whole faces obscured")
    photo.add_argument("paths", nargs="+", type=Path, metavar="IN... OUT",
                       help="inputs (files, folders, .zip), then the output folder")
    photo.add_argument("--consent", default=None, metavar="REFERENCE",
                       help="keep faces unobscured under this consent (its form or record reference); "
                            "the report names it on every photo")
    photo.add_argument("--key", type=Path, default=None, metavar="KEYFILE",
                       help="project key file (names outputs by keyed hash; kept outside OUT)")
    photo.add_argument("--quarantine", type=Path, default=None, help="quarantine folder (default OUT/quarantine)")
    photo.add_argument("--no-preview", action="store_true", help="write no before/after previews")
    photo.add_argument("--text-review", action="store_true",
                       help="release photos in which OCR read text, with a review note, instead of withholding them")
    photo.add_argument("--no-text-screen", action="store_true",
                       help="do not screen pictures for text (every photo gets a review note)")
    photo.add_argument("--min-face", type=int, default=20, metavar="PX",
                       help="smallest face width searched for, in pixels (default 20; larger is faster, "
                            "and the report notes that smaller faces were not searched for)")
    photo.add_argument("--workers", type=int, default=1, help="photos cleaned in parallel processes (default 1)")
    photo.add_argument("--json", action="store_true", help="print the report as JSON instead of tables")
    photo.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no tables")


def _run_photo(args: argparse.Namespace, parser: argparse.ArgumentParser, out: Console, err: Console) -> int:
    from medanon.pipeline.photo import PhotoOptions, deidentify_photos

    if len(args.paths) < 2:
        parser.error("give at least one input and the output folder: medanon photo IN... OUT")
    options = PhotoOptions(consent=args.consent, previews=not args.no_preview, screen_text=not args.no_text_screen,
                           text_review=args.text_review, min_face=args.min_face)
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err, disable=args.quiet or args.json, transient=False)
    with progress:
        task = progress.add_task("cleaning photographs", total=None)
        outcome = deidentify_photos(
            args.paths[:-1], args.paths[-1], key_path=args.key, quarantine_dir=args.quarantine, options=options,
            on_start=lambda n: progress.update(task, total=n), on_result=lambda r: progress.advance(task),
            workers=max(1, args.workers))
    if args.json:
        out.print_json(outcome.report_path.read_text(encoding="utf-8"))
    elif not args.quiet:
        _print_summary(outcome.results, out)
        if args.consent:
            out.print(f"[yellow]faces were kept unobscured under consent {args.consent!r}[/yellow]")
        out.print(f"report: {outcome.report_path}")
    withheld = any(r.status in (Status.QUARANTINED, Status.FAILED) for r in outcome.results)
    return EXIT_WITHHELD if withheld else EXIT_OK


def _print_summary(results: list[ItemResult], out: Console) -> None:
    counts = Counter(r.status.value for r in results)
    table = Table(title="medanon: summary")
    table.add_column("status")
    table.add_column("items", justify="right")
    for status in ("released", "quarantined", "failed", "skipped"):
        table.add_row(f"[{STATUS_STYLE[status]}]{status}[/]", str(counts.get(status, 0)))
    out.print(table)
    withheld = [r for r in results if r.status is not Status.RELEASED]
    if withheld:
        detail = Table(title="withheld or skipped, and why")
        detail.add_column("item", overflow="fold", max_width=48)
        detail.add_column("status")
        detail.add_column("reason", overflow="fold")
        for result in withheld[:50]:
            detail.add_row(result.source, f"[{STATUS_STYLE[result.status.value]}]{result.status.value}[/]",
                           "; ".join(result.reasons))
        out.print(detail)
        if len(withheld) > 50:
            out.print(f"... and {len(withheld) - 50} more in the report")
    review = Counter(note for r in results for note in r.review)
    for note, n in review.items():
        out.print(f"[cyan]review[/cyan] ({n} items): {note}")


# --- deface (issue 7) -------------------------------------------------------------------------------------------

def _add_deface_parser(sub: argparse._SubParsersAction) -> None:
    deface = sub.add_parser("deface", help="remove the face from a head CT/MR volume and prove it with renders")
    deface.add_argument("input", type=Path, metavar="IN", help="NIfTI file, DICOM series folder or multi-frame file")
    deface.add_argument("output", type=Path, metavar="OUT", help="NIfTI file (for NIfTI in) or output folder")
    deface.add_argument("--profile", default="publication", help="header profile for DICOM (default: publication)")
    deface.add_argument("--key", type=Path, default=None, metavar="KEYFILE", help="project key file")
    deface.add_argument("--quarantine", type=Path, default=None, help="quarantine folder (default: beside OUT)")
    deface.add_argument("--preview", type=Path, default=None, metavar="DIR",
                        help="write before/after render strips here (the 'before' strip shows the face)")
    deface.add_argument("--no-pixel-screen", action="store_true", help="skip the burnt-in text screen (DICOM)")
    deface.add_argument("--json", action="store_true", help="print the result as JSON")
    deface.add_argument("-q", "--quiet", action="store_true", help="print nothing")


def _run_deface(args: argparse.Namespace, out: Console, err: Console) -> int:
    from medanon.pipeline.deface import deface_path

    with err.status("defacing and checking renders", spinner="dots") if not (args.quiet or args.json) \
            else _nothing():
        result = deface_path(args.input, args.output, args.profile, key_path=args.key,
                             quarantine_dir=args.quarantine, preview_dir=args.preview,
                             screen_pixels=not args.no_pixel_screen)
    if args.json:
        out.print_json(json.dumps(result.to_dict()))
    elif not args.quiet:
        style = STATUS_STYLE[result.status.value]
        out.print(f"[{style}]{result.status.value}[/]: {'; '.join(result.reasons or result.review[:1])}")
    return EXIT_OK if result.status is Status.RELEASED else EXIT_WITHHELD


def _nothing() -> contextlib.AbstractContextManager[None]:
    return contextlib.nullcontext()
# --- medanon text (issue 4) -------------------------------------------------------------------


def _add_text_parser(sub: argparse._SubParsersAction) -> None:
    text = sub.add_parser("text", help="de-identify free text: .txt/.md files, folders, JSONL batches")
    text.add_argument("input", type=Path, metavar="IN", help="a .txt, .md or .jsonl file, or a folder")
    text.add_argument("output", type=Path, metavar="OUT", help="output file (same suffix) or folder")
    text.add_argument("--profile", choices=SHIPPED_PROFILES, default="publication",
                      help="publication: tags; limited-access: keyed surrogates, dates shifted (default: publication)")
    text.add_argument("--output-style", choices=["tags", "remove", "surrogates"], default=None,
                      help="override the profile's output (surrogates only with limited-access)")
    text.add_argument("--key", type=Path, default=None, metavar="KEYFILE",
                      help="project key file, as for `medanon dicom` (limited-access only)")
    text.add_argument("--patient-id", default="",
                      help="Patient ID of the notes in .txt/.md files: same surrogates and date shift as its images")
    text.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    text.add_argument("-q", "--quiet", action="store_true", help="no table")


def _run_text(args: argparse.Namespace, out: Console, err: Console) -> int:
    from medanon.core.keys import default_key_path, load_or_create_key
    from medanon.text.files import TextJob, scrub_paths
    from medanon.text.model import Output

    keys = None
    if args.profile == "limited-access" or args.output_style == "surrogates":
        out_dir = args.output if not args.output.suffix else args.output.parent
        keys, created = load_or_create_key(args.key or default_key_path(), forbidden_dirs=(out_dir,))
        if created:
            err.print(f"created project key {args.key or default_key_path()} (keep it apart from the data)")
    job = TextJob(profile=args.profile, output=Output(args.output_style) if args.output_style else None,
                  keys=keys, patient_id=args.patient_id)
    results = scrub_paths(args.input, args.output, job)
    if args.json:
        out.print_json(json.dumps([r.to_dict() for r in results]))
    elif not args.quiet:
        _print_summary(results, out)
    withheld = any(r.status in (Status.QUARANTINED, Status.FAILED) for r in results)
    return EXIT_WITHHELD if withheld or not results else EXIT_OK


def _profiles(args: argparse.Namespace, out: Console) -> int:
    policies = [Policy.load(name) for name in SHIPPED_PROFILES]
    if args.json:
        out.print_json(json.dumps({p.name: {"level": p.level.value, "options": sorted(o.value for o in p.options),
                                            "overrides": {k: v.value for k, v in p.overrides.items()}}
                                   for p in policies}))
        return EXIT_OK
    table = Table(title="shipped profiles")
    for column in ("profile", "level", "options", "overrides"):
        table.add_column(column, overflow="fold")
    for p in policies:
        table.add_row(p.name, p.level.value, ", ".join(sorted(o.value for o in p.options)),
                      ", ".join(f"{k}={v.value}" for k, v in p.overrides.items()))
    out.print(table)
    out.print("PS3.15 options: " + ", ".join(o.value for o in Option))
    return EXIT_OK


# --- medanon case (issue 8): a whole case, from manifest to export package ------------------------------------


def _add_case_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from medanon.case import ConsentLevel, MaterialKind, Purpose

    case = sub.add_parser("case", help="a whole case: purpose, consent, review, sharing record, export package")
    verbs = case.add_subparsers(dest="case_command", required=True)
    init = verbs.add_parser("init", help="create a case folder and its manifest")
    init.add_argument("case_dir", type=Path, metavar="CASE")
    init.add_argument("--purpose", required=True, choices=[p.value for p in Purpose])
    init.add_argument("--destination", required=True, help="where the case is going (site, journal, partner)")
    init.add_argument("--consent", default=ConsentLevel.RECORD_ONLY.value, choices=[c.value for c in ConsentLevel])
    init.add_argument("--permission-id", default="", help="the consent form's or permission's reference")
    for flag in ("paediatric", "rare-condition", "small-population", "in-the-news"):
        init.add_argument(f"--{flag}", action="store_true")
    init.add_argument("--partner", action="append", default=[], help="named research partner (repeat)")
    init.add_argument("--contract", default="", help="contract or data sharing agreement reference")
    init.add_argument("--history-file", type=Path, help="clinical history (plain text)")
    init.add_argument("--discussion-file", type=Path, help="discussion (plain text)")
    add = verbs.add_parser("add", help="copy material into the case")
    add.add_argument("case_dir", type=Path, metavar="CASE")
    add.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    add.add_argument("--kind", choices=[k.value for k in MaterialKind], help="default: guessed from the file")
    for name, text in (("check", "does the case pass the policy and review? (exit 0 yes, 1 no)"),
                       ("run", "clean every item into CASE/out")):
        verb = verbs.add_parser(name, help=text)
        verb.add_argument("case_dir", type=Path, metavar="CASE")
        verb.add_argument("--policy", type=Path, help="an institution's sharing policy (default: shipped)")
        verb.add_argument("--json", action="store_true")
        if name == "run":
            verb.add_argument("--key", type=Path, metavar="KEYFILE", help="project key (kept outside the case)")
    sign = verbs.add_parser("signoff", help="a reviewer signs one review or withheld item")
    sign.add_argument("case_dir", type=Path, metavar="CASE")
    sign.add_argument("item", metavar="ITEM")
    sign.add_argument("--by", required=True)
    sign.add_argument("--note", default="")
    sign.add_argument("--policy", type=Path)
    export = verbs.add_parser("export", help="package CASE/out (after check passes) and record the sharing")
    export.add_argument("case_dir", type=Path, metavar="CASE")
    export.add_argument("--by", required=True, help="who sends the case")
    export.add_argument("-o", "--output", type=Path, help="package file (default CASE/exports/...)")
    export.add_argument("--recipient", action="append", default=[], help="age public key (age1...); repeat")
    export.add_argument("--passphrase-env", metavar="VAR", help="encrypt with the passphrase in this variable")
    export.add_argument("--key-out", type=Path, help="also write the project key, encrypted the same way")
    export.add_argument("--key", type=Path, metavar="KEYFILE")
    export.add_argument("--policy", type=Path)
    verify = verbs.add_parser("verify-log", help="check the sharing record's hash chain")
    verify.add_argument("case_dir", type=Path, metavar="CASE")
    verify.add_argument("--head", help="the head hash printed by the last export")


def _case(args: argparse.Namespace, out: Console, err: Console) -> int:
    from medanon import case

    policy = case.SharingPolicy.load(args.policy) if getattr(args, "policy", None) else None
    folder: Path = args.case_dir
    try:
        command = args.case_command
        if command == "init":
            notes = {name: path.read_text(encoding="utf-8") for name, path in
                     (("history", args.history_file), ("discussion", args.discussion_file)) if path}
            manifest = case.init_case(folder, args.purpose, args.destination, args.consent,
                                      permission_id=args.permission_id, paediatric=args.paediatric,
                                      rare_condition=args.rare_condition, small_population=args.small_population,
                                      in_the_news=args.in_the_news, partners=tuple(args.partner),
                                      contract=args.contract, **notes)
            out.print(f"case {manifest.id} created in {folder}")
        elif command == "add":
            for path in args.paths:
                item = case.add_material(folder, path, args.kind)
                out.print(f"added {item.id} ({item.kind.value})")
        elif command == "check":
            return _case_check(case.check_case(folder, policy=policy), args, out)
        elif command == "run":
            outcome = case.run_case(folder, policy=policy, key_path=args.key)
            results = [r for outcome_list in outcome.results.values() for r in outcome_list]
            if args.json:
                out.print_json((outcome.out_dir / "report.json").read_text(encoding="utf-8"))
            else:
                _print_summary(results, out)
                out.print(f"report: {outcome.out_dir / 'report.html'}")
            return EXIT_WITHHELD if any(r.status is not Status.RELEASED for r in results) else EXIT_OK
        elif command == "signoff":
            entry = case.signoff(folder, args.item, args.by, args.note, policy=policy)
            out.print(f"{entry.item} signed off by {entry.by}")
        elif command == "export":
            return _case_export(args, folder, policy, out, err)
        elif command == "verify-log":
            check = case.verify_log(folder / "sharing-log.jsonl", args.head)
            for problem in check.problems:
                out.print(f"[red]{problem}[/red]")
            out.print(f"{check.entries} entries, head {check.head}: {'verified' if check.ok else 'NOT verified'}")
            return EXIT_OK if check.ok else EXIT_WITHHELD
    except MedanonError as exc:
        err.print(f"[red]refused:[/red] {exc}")
        return EXIT_WITHHELD
    return EXIT_OK


def _case_check(check: CheckOutcome, args: argparse.Namespace, out: Console) -> int:
    if args.json:
        out.print_json(json.dumps({"passed": check.passed, "ran": check.ran, "problems": check.problems,
                                   "open": check.open_items, "signed": check.signed,
                                   "level": check.decision.level.value if check.decision.level else None}))
    else:
        for problem in check.problems:
            out.print(f"[red]refused[/red] {problem}")
        for item in check.open_items:
            out.print(f"[yellow]open[/yellow] {item}: {check.texts[item]}")
        for item in check.signed:
            out.print(f"[green]signed[/green] {item}")
        if not check.ran:
            out.print("not run yet: `medanon case run` cleans the material")
        out.print("check passed" if check.passed else "check NOT passed")
    return EXIT_OK if check.passed else EXIT_WITHHELD


def _case_export(args: argparse.Namespace, folder: Path, policy: SharingPolicy | None, out: Console,
                 err: Console) -> int:
    from medanon.case import Encryption, export_case, export_key
    from medanon.core.keys import default_key_path, load_key

    secret = None
    if args.passphrase_env:
        secret = os.environ.get(args.passphrase_env)
        if not secret:
            err.print(f"[red]error:[/red] ${args.passphrase_env} is empty")
            return EXIT_USAGE
    encryption = Encryption(recipients=tuple(args.recipient), passphrase=secret)
    outcome = export_case(folder, args.by, destination=args.output, encryption=encryption,
                          policy=policy, key_path=args.key)
    out.print(f"package: {outcome.package.path} ({'encrypted' if outcome.package.encrypted else 'NOT encrypted'})")
    out.print(f"sharing record head: {outcome.head} (keep it apart to detect a truncated log)")
    if args.key_out:
        export_key(load_key(args.key or default_key_path()), args.key_out, encryption)
        out.print(f"project key written encrypted to {args.key_out}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
