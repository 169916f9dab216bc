"""Clinical photographs: faces found and obscured, residual faces, metadata leaks, seconds per image.

One command (STYLE.md section 9)::

    python bench/bench_photo.py [--out docs/BENCHMARKS.md] [--no-append] [--repeats 3]

Corpora (beside the repository, skipped with a message when absent):

* ``shared/testdata/faces`` with ``faces.json``: labelled face boxes (hairline to chin, ear to ear).
  A face is *found* by a detector when one of its boxes covers at least 30 % of the label, and
  *obscured* when the filled regions of :func:`medanon.photo.clean_photo` cover at least 90 % of the
  label. Detector boxes touching no label are false detections (on the three negatives, and extra
  boxes elsewhere). Residual detections: both detectors re-run on the written output.
* ``shared/testdata/photos``: every photo cleaned, written, and read back by the built-in check and
  by exiftool; leaks are counted per category (what the input carried is listed beside).
* Small faces: the astronaut's face pasted at known widths into plain 4:3 pictures of several
  sizes, searched by the same scan :func:`medanon.photo.clean_photo` runs (default ``min_face``).
* Speed: 12-megapixel images (the phone HEIC of ``photos`` when present, and scikit-image's
  astronaut scaled to 4000x3000 and saved as JPEG) through the whole photo path: decode, scan,
  fill, encode, residual re-check, text screen and the metadata check (with exiftool), for several
  ``min_face`` values (the smallest face searched for: the price of small faces). Two figures each:
  *single image* (one process, OpenCV's default threads; median wall seconds of ``--repeats`` runs,
  and the process's CPU seconds), and *batch on 2 cores* (``--batch`` images through 2 worker
  processes of one OpenCV thread each; wall seconds divided by the number of images). A CPU-time
  breakdown per stage of one default run says where the seconds go. No timing is asserted in any
  test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "bench"))

from _machine import cpu_model, git_state, ram_total  # noqa: E402
from _report import append_to_section  # noqa: E402

from medanon.photo import FaceBox, PhotoOutcome, clean_photo  # noqa: E402
from medanon.photo.faces import DEFAULT_DETECTORS, ScanPlan, detect_faces  # noqa: E402
from medanon.photo.io import read_photo  # noqa: E402
from medanon.verify.photo import check_photo_file, exiftool_available  # noqa: E402

SHARED = REPO.parent / "shared" / "testdata"
SECTION_TITLE = "## Clinical photographs (`bench/bench_photo.py`)"
FOUND_SHARE, OBSCURED_SHARE = 0.3, 0.9
T = TypeVar("T")


def coverage(label: FaceBox, regions: list[FaceBox]) -> float:
    mask = np.zeros((label.y1, label.x1), bool)
    for r in regions:
        mask[r.y0:r.y1, r.x0:r.x1] = True
    return float(mask[label.y0:label.y1, label.x0:label.x1].mean())


def bench_faces(root: Path) -> dict[str, object]:
    labels = json.loads((root / "faces.json").read_text())["images"]
    found = Counter[str]()
    false_boxes = Counter[str]()
    total = obscured = residual = 0
    missed: list[str] = []
    plan = ScanPlan()
    for name, info in labels.items():
        data = (root / name).read_bytes()
        rgb = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        faces = [FaceBox(*box) for box in info["faces"]]
        total += len(faces)
        hits: dict[str, list[FaceBox]] = {d: detect_faces(rgb, [d], plan) for d in DEFAULT_DETECTORS}
        hits["union"] = [b for d in DEFAULT_DETECTORS for b in hits[d]]
        for detector, boxes in hits.items():
            found[detector] += sum(any(b.intersection(f) >= FOUND_SHARE * f.width * f.height for b in boxes)
                                   for f in faces)
            false_boxes[detector] += sum(not any(b.intersection(f) for f in faces) for b in boxes)
        cleaned = clean_photo(data, name, screen_text=False)
        residual += len(cleaned.outcome.residual)
        for face in faces:
            if coverage(face, cleaned.outcome.obscured) >= OBSCURED_SHARE:
                obscured += 1
            else:
                missed.append(f"{name} {list(face.as_tuple())}")
    return {"images": len(labels), "faces": total, "found": dict(found), "false": dict(false_boxes),
            "obscured": obscured, "residual": residual, "missed": missed}


def bench_text(roots: list[Path]) -> tuple[int, list[str]]:
    """Photos of the development folders the text screen would withhold (OCR read a word)."""
    from medanon.photo.text import screen_photo_text

    paths = sorted(p for root in roots if root.is_dir() for p in root.iterdir()
                   if p.is_file() and p.suffix.lower() not in (".md", ".json"))
    withheld = [p.name for p in paths if screen_photo_text(read_photo(p.read_bytes(), p.name).pixels).confirmed]
    return len(paths), withheld


def bench_metadata(folder: Path) -> dict[str, object]:
    leaks = Counter[str]()
    carried = Counter[str]()
    rows = []
    with tempfile.TemporaryDirectory() as temp:
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            data = path.read_bytes()
            kinds = read_photo(data, path.name).metadata
            carried.update(kinds)
            cleaned = clean_photo(data, path.name, screen_text=False)
            out = Path(temp) / f"out{cleaned.extension}"
            out.write_bytes(cleaned.data)
            findings = check_photo_file(out, use_exiftool=True)
            leaks.update(f.where for f in findings)
            rows.append((path.name, ", ".join(kinds), len(findings), len(cleaned.outcome.residual)))
    return {"rows": rows, "leaks": dict(leaks), "carried": dict(carried)}


def bench_small_faces() -> list[tuple[int, list[tuple[int, bool]]]]:
    """Smallest face found by the default scan at several image widths: the astronaut's face pasted at
    known widths onto a plain 4:3 canvas (no body or context to help)."""
    try:
        from skimage import data as skdata
    except ImportError:
        return []
    crop = skdata.astronaut()[35:205, 155:295]
    rows = []
    for width in (1280, 2560, 4000):
        height = width * 3 // 4
        found = []
        for face_width in (20, 24, 30, 40, 60):
            face_height = face_width * crop.shape[0] // crop.shape[1]
            canvas = np.full((height, width, 3), 190, np.uint8)
            x, y = width // 3, height // 2
            canvas[y:y + face_height, x:x + face_width] = np.asarray(
                Image.fromarray(crop).resize((face_width, face_height)))
            label = FaceBox(x, y, x + face_width, y + face_height)
            found.append((face_width, any(b.intersection(label) for b in detect_faces(canvas, plan=ScanPlan()))))
        rows.append((width, found))
    return rows


def twelve_megapixel_inputs() -> dict[str, bytes]:
    inputs: dict[str, bytes] = {}
    heic = SHARED / "photos" / "iphone_13_pro_max.HEIC"
    if heic.exists():
        inputs["phone HEIC 4032x3024 (no face)"] = heic.read_bytes()
    try:
        from skimage import data as skdata

        big = Image.fromarray(skdata.astronaut()).resize((4000, 3000), Image.Resampling.BICUBIC)
        buffer = io.BytesIO()
        big.save(buffer, "JPEG", quality=92)
        inputs["astronaut JPEG 4000x3000 (one large face)"] = buffer.getvalue()
    except ImportError:
        pass
    return inputs


def _cpu_seconds() -> float:
    """CPU seconds of this process, of its finished children, and of its running stay-open exiftool."""
    import resource

    from medanon.verify.photo import exiftool_processes

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    running = 0.0
    for pid in exiftool_processes():  # a live child is not in RUSAGE_CHILDREN: read its clock ticks
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        running += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return time.process_time() + children.ru_utime + children.ru_stime + running


def _one_photo(data: bytes, min_face: int, folder: str) -> float:
    """The whole path for one photo (clean, write, verify with exiftool); CPU seconds, children included."""
    start = _cpu_seconds()
    cleaned = clean_photo(data, "bench", min_face=min_face)
    out = Path(folder) / f"out-{os.getpid()}{cleaned.extension}"
    out.write_bytes(cleaned.data)
    check_photo_file(out, use_exiftool=True)
    return _cpu_seconds() - start


def _init_bench_worker() -> None:
    import cv2

    cv2.setNumThreads(1)


def time_single(data: bytes, min_face: int, repeats: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds of one photo in this process (default threads)."""
    walls, cpus = [], []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(repeats):
            start = time.perf_counter()
            cpus.append(_one_photo(data, min_face, folder))
            walls.append(time.perf_counter() - start)
    return statistics.median(walls), statistics.median(cpus)


def time_batch(data: bytes, min_face: int, images: int, workers: int = 2) -> float:
    """Wall seconds per image for ``images`` photos through ``workers`` processes (one OpenCV thread each)."""
    from concurrent.futures import ProcessPoolExecutor

    spawn = multiprocessing.get_context("spawn")  # a fork after OpenCV started its threads can hang
    with tempfile.TemporaryDirectory() as folder, ProcessPoolExecutor(
            workers, initializer=_init_bench_worker, mp_context=spawn) as pool:
        list(pool.map(_one_photo, [data] * workers, [min_face] * workers, [folder] * workers))  # warm-up
        start = time.perf_counter()
        list(pool.map(_one_photo, [data] * images, [min_face] * images, [folder] * images))
        return (time.perf_counter() - start) / images


def stage_breakdown(data: bytes) -> list[tuple[str, float]]:
    """CPU seconds per stage of one default run (the engine's steps called one by one)."""
    from medanon.photo.engine import _recheck
    from medanon.photo.io import write_photo
    from medanon.photo.obscure import obscure_faces
    from medanon.photo.text import screen_photo_text

    stages: list[tuple[str, float]] = []

    def timed(name: str, step: Callable[[], T]) -> T:
        start = time.process_time()
        value = step()
        stages.append((name, time.process_time() - start))
        return value

    plan = ScanPlan()
    import cv2

    cv2.setNumThreads(1)  # CPU seconds of one thread's work, as in a batch worker
    detect_faces(read_photo(data).pixels, DEFAULT_DETECTORS, plan)  # warm-up: one-thread sessions are new here
    photo = timed("decode", lambda: read_photo(data))
    faces = timed("scan (overview + fine tiles)", lambda: detect_faces(photo.pixels, DEFAULT_DETECTORS, plan))
    stages.extend(scan_parts(photo.pixels, plan))
    outcome = PhotoOutcome(photo.output_format, (photo.pixels.shape[1], photo.pixels.shape[0]), faces=faces)
    pixels, outcome.obscured = timed("fill", lambda: obscure_faces(photo.pixels, faces))
    encoded = timed("encode", lambda: write_photo(pixels, photo.output_format, photo.icc_profile))
    _, encoded, written = timed("residual check (decode + overview + fine around fills)", lambda: _recheck(
        pixels, encoded, photo.output_format, photo.icc_profile, DEFAULT_DETECTORS, plan, outcome))
    timed("text screen", lambda: screen_photo_text(written))
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out.jpg"
        out.write_bytes(encoded)
        wall = time.perf_counter()
        check_photo_file(out, use_exiftool=True)
        stages.append(("metadata check (stay-open exiftool: wall seconds, a child process)",
                       time.perf_counter() - wall))
    return stages


def scan_parts(pixels: np.ndarray, plan: ScanPlan) -> list[tuple[str, float]]:
    """CPU seconds of the scan's parts, each run alone, and the network's cost per megapixel (the floor).

    The floor: CenterFace must see a 20-px face at full resolution (``NETWORK_MIN_FACE``), so the
    whole picture goes through the network once at full size; its seconds per megapixel times the
    picture's megapixels is what the fine pass costs with no tile overlap at all.
    """
    from medanon.photo.faces import get_detector
    from medanon.photo.faces._scale import downscale
    from medanon.photo.faces.scan import _fine_pass, _overlap

    centerface, haar = get_detector("centerface"), get_detector("haar")
    overview, factor = downscale(pixels, plan.overview_side)
    tile = np.ascontiguousarray(pixels[:1024, :1024])
    centerface.detect_at(tile, 1024)  # warm-up of this shape
    parts = []
    for name, step in (
            ("  of which: centerface on the overview", lambda: centerface.detect(overview)),
            ("  of which: haar cascades on the overview", lambda: haar.detect(overview)),
            ("  of which: centerface fine tiles at full size", lambda: _fine_pass(
                pixels, [centerface], 1.0, _overlap(plan, 1.0, factor), plan.tile, None)),
            ("  centerface network, one 1024x1024 tile (seconds per megapixel)",
             lambda: centerface.detect_at(tile, 1024))):
        start = time.process_time()
        step()
        parts.append((name, time.process_time() - start))
    megapixels = pixels.shape[0] * pixels.shape[1] / 1e6
    per_megapixel = parts[-1][1] / (1024 * 1024 / 1e6)
    parts[-1] = (parts[-1][0], per_megapixel)
    parts.append((f"  floor: network once over the whole {megapixels:.1f}-MP picture, no overlap (estimate)",
                  per_megapixel * megapixels))
    return parts


def render(command: str, faces: dict | None, metadata: dict | None,
           speed: list[tuple[str, int, float, float, float, float]],
           small: list[tuple[int, list[tuple[int, bool]]]], text: tuple[int, list[str]] | None = None,
           stages: list[tuple[str, float]] | None = None) -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [f"### {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}", "", f"- command: `{command}`",
             f"- commit: {git_state(REPO)}",
             f"- machine: {cpu_model()}, {os.cpu_count()} cores, {ram_total()} RAM (shared with other sessions; "
             f"load average {load:.1f} at the end of the run)",
             f"- detectors: {', '.join(DEFAULT_DETECTORS)} (CenterFace on {_centerface_runtime()}); "
             f"exiftool: {'yes (stay-open)' if exiftool_available() else 'no'}", ""]
    if faces:
        n = faces["faces"]
        lines += ["| labelled set | faces | found by centerface | found by haar | found by union | "
                  "obscured (>= 90 % covered) | residual detections after obscuring | false detections "
                  "(centerface / haar) |", "|---|---|---|---|---|---|---|---|",
                  f"| shared/testdata/faces, {faces['images']} images | {n} | {faces['found'].get('centerface', 0)} "
                  f"| {faces['found'].get('haar', 0)} | {faces['found'].get('union', 0)} | {faces['obscured']}/{n} | "
                  f"{faces['residual']} | {faces['false'].get('centerface', 0)} / {faces['false'].get('haar', 0)} |",
                  ""]
        if faces["missed"]:
            lines += ["Not obscured: " + "; ".join(faces["missed"]), ""]
    if metadata:
        lines += ["| photo | metadata the input carried | findings in the output (built-in + exiftool) | "
                  "residual faces |", "|---|---|---|---|"]
        lines += [f"| {name} | {kinds or '-'} | {count} | {res} |" for name, kinds, count, res in metadata["rows"]]
        leaks = metadata["leaks"]
        lines += ["", "Leaks per category over every photo: " + (", ".join(f"{k} {v}" for k, v in sorted(
            leaks.items())) if leaks else "none (exif, gps, dates, serials, maker notes, thumbnails, xmp, iptc, "
            "comments, png text, tiff tags, vendor segments: 0 each)"), ""]
    if small:
        widths = [w for w, _ in small[0][1]]
        lines += ["Smallest face found by the default scan (min_face 20), the astronaut's face pasted at each width:",
                  "", "| image width (4:3) | " + " | ".join(f"{w} px face" for w in widths) + " |",
                  "|---|" + "---|" * len(widths)]
        lines += [f"| {width} | " + " | ".join("found" if ok else "missed" for _, ok in found) + " |"
                  for width, found in small]
        lines.append("")
    if text:
        count, withheld = text
        lines += [f"Text screen on the {count} development photos (shared/testdata/faces and photos): "
                  f"{len(withheld)} withheld for text OCR read ({', '.join(withheld) or 'none'}).", ""]
    if speed:
        lines += ["| 12-megapixel image | min_face (px) | single image: wall s (median) | "
                  "single image: CPU s (with OCR, exiftool) | "
                  "batch, 2 processes: wall s per image | load (1 min) after | meets < 0.3 s? |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {name} | {min_face} | {wall:.2f} | {cpu:.2f} | {batch:.2f} | {load:.1f} | "
                  f"{'single and batch' if wall < 0.3 else 'batch only' if batch < 0.3 else 'no'} |"
                  for name, min_face, wall, cpu, batch, load in speed]
        lines.append("")
    if stages:
        lines += ["CPU seconds per stage, one default run (min_face 20, one OpenCV thread) of the astronaut JPEG:", "",
                  "| stage | seconds |", "|---|---|"]
        lines += [f"| {name} | {seconds:.3f} |" for name, seconds in stages]
        lines.append("")
    return "\n".join(lines)


def _centerface_runtime() -> str:
    from medanon.photo.faces import get_detector

    detector = get_detector("centerface")
    if not getattr(detector, "uses_onnxruntime", lambda: False)():
        return "OpenCV DNN"
    used = getattr(detector, "_precision_used", lambda: "float")()
    return "onnxruntime, 8-bit copy with float confirmation of uncertain boxes" if used == "int8" else "onnxruntime"


def append_report(path: Path, entry: str) -> None:
    append_to_section(path, SECTION_TITLE, "bench/bench_photo.py", entry)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "BENCHMARKS.md")
    parser.add_argument("--no-append", action="store_true", help="print only")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=6, help="images per batch timing (2 processes)")
    parser.add_argument("--min-face", type=int, nargs="+", default=[20, 40, 80, 160],
                        help="min_face values timed (smallest face searched for, pixels)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    command = "python bench/bench_photo.py" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    faces = bench_faces(SHARED / "faces") if (SHARED / "faces" / "faces.json").exists() else None
    if faces is None:
        print(f"{SHARED / 'faces'} absent: labelled-face figures skipped")
    print("faces:", faces, flush=True)
    metadata = bench_metadata(SHARED / "photos") if (SHARED / "photos").is_dir() else None
    text = bench_text([SHARED / "faces", SHARED / "photos"]) if (SHARED / "faces").is_dir() else None
    speed = []
    inputs = twelve_megapixel_inputs()
    for name, data in inputs.items():
        clean_photo(data, "warm-up")
        for min_face in args.min_face:
            wall, cpu = time_single(data, min_face, args.repeats)
            batch = time_batch(data, min_face, args.batch)
            speed.append((name, min_face, wall, cpu, batch, os.getloadavg()[0]))
            print(speed[-1], flush=True)
    astronaut = next((data for name, data in inputs.items() if "astronaut" in name), None)
    stages = stage_breakdown(astronaut) if astronaut is not None else None
    entry = render(command, faces, metadata, speed, bench_small_faces(), text, stages)
    print(entry)
    if not args.no_append:
        append_report(args.out, entry)
        print(f"appended to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
