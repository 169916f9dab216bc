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

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import medanon
from medanon.core.enum import Option, Status
from medanon.core.errors import MedanonError
from medanon.core.policy import SHIPPED_PROFILES, Policy
from medanon.core.results import ItemResult

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

    demo = sub.add_parser("demo", help="de-identify a mixed example set shipped by pip packages")
    demo.add_argument("out", nargs="?", type=Path, default=Path("medanon-demo"), help="output folder")
    _add_common(demo)

    _add_deface_parser(sub)

    profiles = sub.add_parser("profiles", help="list shipped profiles and PS3.15 options")
    profiles.add_argument("--json", action="store_true")
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
        if args.command == "deface":
            return _run_deface(args, out, err)
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
            out.print("The demo set mixes clean files with files medanon must withhold (burnt-in text, "
                      "DICOMDIR); withheld items above are the expected outcome.")
        return EXIT_OK
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


if __name__ == "__main__":
    sys.exit(main())
