"""Burnt-in text redaction: boxes hidden, pixels changed outside boxes, frames per second.

One command (STYLE.md section 9)::

    python bench/bench_redact.py [--cases 8] [--out docs/BENCHMARKS.md] [--no-append]

Synthetic identifiers (names, dates of birth, record numbers) are rendered into real pixel data
from pip packages (deid-data's greyscale ultrasound and CT head, pydicom-data's RGB ultrasound),
each cut or padded to 512x512. Per case: a font from Debian packages (DejaVu Sans/Mono, Liberation
Sans/Serif) or Pillow's default font, a size from 9 to 24 px, bright-on-dark or dark-on-bright
(dark text on a light label), anti-aliased or not, one line in a corner and one mid-image. Each
case is stored in every transfer syntax pydicom can write here (native, deflate, RLE, JPEG-LS
lossless, JPEG 2000 lossless and lossy, JPEG baseline via Pillow) and given to
``medanon.pixels.redact_burnt_in`` with the identifiers as header forms.

* **hidden**: a rendered line counts as hidden when every one of its ink pixels lies in a filled
  box of the output (strict: no OCR judgement involved);
* **outside changed**: pixels outside the filled boxes whose decoded value differs from the input
  (lossless syntaxes must give 0);
* **filled area**: share of the frame filled outside the rendered lines (utility lost);
* **frames/s**: frames redacted and verified per second (whole call: decode, detect, OCR, fill,
  re-encode, verify, preview), single 512x512 frames and a 10-frame cine, wall clock;
* **CPU ms/frame**: CPU time of this process per frame over the same calls (``time.process_time``,
  all its threads), which depends far less than wall clock on other jobs sharing the machine.

* **workers**: the single-frame files once more through 1 and 2 warmed-up worker processes, the
  way ``medanon dicom --workers N`` spreads files over the machine's cores (frames/s, wall clock).

One redaction runs before the timed ones (a warm-up: imports, and the OCR model that a process
loads once); its cost is printed, not counted. The machine's load average is recorded.

Fonts that are not installed are left out (the table names the ones used).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import platform
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image, ImageDraw, ImageFont
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.pixels import get_decoder
from pydicom.uid import (
    JPEG2000,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLSLossless,
    RLELossless,
    SecondaryCaptureImageStorage,
    generate_uid,
)

from medanon.examples import all_package_files
from medanon.pixels import redact_burnt_in

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import cpu_model, git_state, ram_total  # noqa: E402
from _report import append_to_section  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SECTION_TITLE = "## Burnt-in text redaction (`bench/bench_redact.py`)"
SIZE = 512
FONT_FILES = {
    "DejaVu Sans": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "DejaVu Sans Mono": "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "Liberation Sans": "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "Liberation Serif": "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
}
SIZES = (9, 12, 16, 20, 24)
BASES = ("GREYSCALE_IMAGE.dcm", "693_UNCR.dcm", "US1_UNCR.dcm")
SYNTAXES = ("native", "deflate", "RLE", "JPEG-LS lossless", "J2K lossless", "J2K lossy", "JPEG baseline")
LOSSLESS = {"native", "deflate", "RLE", "JPEG-LS lossless", "J2K lossless"}
IDENTIFIERS = (("BLOGGS^JOSEPHINE", "Bloggs Josephine"), ("DOB 04/03/1961", "04/03/1961"),
               ("MRN 8842017735", "8842017735"), ("PRITCHARD, ALAN", "pritchard alan"))


@dataclass
class Tally:
    lines: int = 0
    hidden: int = 0
    outside_changed: int = 0
    filled_fraction: list[float] = field(default_factory=list)
    frames: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    inputs: list[bytes] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def fonts() -> dict[str, object]:
    found: dict[str, object] = {"Pillow default": None}
    found.update({name: path for name, path in FONT_FILES.items() if Path(path).exists()})
    return found


def load_font(path: object, size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    if path is None:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(str(path), size)


def base_frames() -> list[np.ndarray]:
    """8-bit frames (grey or RGB) cut or padded to 512x512 from real package images."""
    frames = []
    for path in all_package_files():
        if path.name not in BASES:
            continue
        ds = pydicom.dcmread(path)
        arr = ds.pixel_array
        if arr.dtype != np.uint8:
            lo, hi = np.percentile(arr, (1, 99))
            arr = np.clip((arr - lo) * 255.0 / max(1.0, hi - lo), 0, 255).astype(np.uint8)
        out = np.zeros((SIZE, SIZE) + arr.shape[2:], dtype=np.uint8)
        rows, cols = min(SIZE, arr.shape[0]), min(SIZE, arr.shape[1])
        r0, c0 = (arr.shape[0] - rows) // 2, (arr.shape[1] - cols) // 2
        out[:rows, :cols] = arr[r0:r0 + rows, c0:c0 + cols]
        frames.append(out)
    return frames


def render(frame: np.ndarray, text: str, font: object, size: int, xy: tuple[int, int], bright: bool,
           antialias: bool) -> tuple[np.ndarray, np.ndarray]:
    """Draw one line; return the new frame and the ink mask."""
    mask_image = Image.new("L", (SIZE, SIZE), 0)
    draw = ImageDraw.Draw(mask_image)
    if not antialias:
        draw.fontmode = "1"
    draw.text(xy, text, fill=255, font=load_font(font, size))
    mask = np.asarray(mask_image, dtype=np.float32) / 255.0
    out = frame.astype(np.float32)
    mask3 = mask[..., None] if out.ndim == 3 else mask
    if not bright:  # dark text on a light label
        ys, xs = np.nonzero(mask > 0)
        pad = max(2, size // 4)
        out[max(0, ys.min() - pad):ys.max() + pad, max(0, xs.min() - pad):xs.max() + pad] = 230.0
        out = out * (1 - mask3) + 10.0 * mask3
    else:  # bright text; on a bright part of the image it gets a dark label, as scanners draw it
        ys, xs = np.nonzero(mask > 0)
        pad = max(2, size // 4)
        label = (slice(max(0, ys.min() - pad), ys.max() + pad), slice(max(0, xs.min() - pad), xs.max() + pad))
        if float(out[label].mean()) > 100:
            out[label] = 20.0
        out = out * (1 - mask3) + 250.0 * mask3
    return np.clip(np.round(out), 0, 255).astype(np.uint8), mask > 0.25


def dataset(frames: np.ndarray, syntax: str) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "OT"
    ds.Rows, ds.Columns = SIZE, SIZE
    colour = frames.ndim == 4
    ds.SamplesPerPixel = 3 if colour else 1
    ds.PhotometricInterpretation = "RGB" if colour else "MONOCHROME2"
    if colour:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.NumberOfFrames = len(frames)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.PixelData = frames.tobytes()
    if syntax == "deflate":
        ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    elif syntax == "JPEG baseline":
        encoded = []
        for frame in frames:
            buffer = io.BytesIO()
            Image.fromarray(frame).save(buffer, format="JPEG", quality=90)
            encoded.append(buffer.getvalue())
        ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
        ds.PixelData = encapsulate(encoded)
        ds["PixelData"].VR = "OB"
        if colour:
            ds.PhotometricInterpretation = "YBR_FULL_422"
        ds.LossyImageCompression = "01"
    elif syntax != "native":
        uid = {"RLE": RLELossless, "JPEG-LS lossless": JPEGLSLossless, "J2K lossless": JPEG2000Lossless,
               "J2K lossy": JPEG2000}[syntax]
        kwargs = {"j2k_cr": [20]} if syntax == "J2K lossy" else {}
        ds.compress(uid, generate_instance_uid=False, **kwargs)
        if syntax == "J2K lossy":
            ds.LossyImageCompression = "01"
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    buffer.seek(0)
    return pydicom.dcmread(buffer)


def run_case(tally: Tally, frames: np.ndarray, masks: list[np.ndarray], syntax: str, forms: list[str]) -> None:
    ds = dataset(frames, syntax)
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    tally.inputs.append(buffer.getvalue())
    source = get_decoder(ds.file_meta.TransferSyntaxUID).as_array(ds, raw=True)[0]
    start, cpu = time.perf_counter(), time.process_time()
    outcome = redact_burnt_in(ds, forms)
    tally.seconds += time.perf_counter() - start
    tally.cpu_seconds += time.process_time() - cpu
    tally.frames += len(frames)
    tally.lines += len(masks) * len(frames)
    if outcome.dataset is None:
        tally.refused.append(str(outcome.reason))
        return
    filled = np.zeros((len(frames), SIZE, SIZE), dtype=bool)
    for region in outcome.regions:
        filled[region.frame, region.y0:region.y1, region.x0:region.x1] = True
    for index in range(len(frames)):
        for mask in masks:
            tally.hidden += bool(filled[index][mask].all())
        ink = np.logical_or.reduce(masks)
        tally.filled_fraction.append(float((filled[index] & ~ink).mean()))
    if syntax in LOSSLESS:
        out = outcome.dataset
        buffer = io.BytesIO()
        out.save_as(buffer, enforce_file_format=True)
        buffer.seek(0)
        again = pydicom.dcmread(buffer)
        result = get_decoder(again.file_meta.TransferSyntaxUID).as_array(again, raw=True)[0]
        src = source.reshape((len(frames), SIZE, SIZE, -1))
        res = result.reshape((len(frames), SIZE, SIZE, -1))
        tally.outside_changed += int(np.any(src != res, axis=-1)[~filled].sum())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", type=int, default=8, help="cases per transfer syntax")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "BENCHMARKS.md")
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    rng = np.random.default_rng(5)
    bases = base_frames()
    available = fonts()
    names = list(available)
    tallies = {syntax: Tally() for syntax in SYNTAXES}
    warm_up = Tally()
    frame, mask = render(bases[0], "WARM UP 1234", None, 16, (8, 8), True, True)
    run_case(warm_up, frame[np.newaxis], [mask], "native", [])
    print(f"warm-up (imports, OCR model load, first redaction): {warm_up.seconds:.2f} s")
    load_before = os.getloadavg()
    for syntax in SYNTAXES:
        for case in range(args.cases):
            base = bases[case % len(bases)]
            font = names[case % len(names)]
            size = SIZES[(case // len(names) + case) % len(SIZES)]
            bright = case % 2 == 0
            antialias = (case // 2) % 2 == 0
            shown, form = IDENTIFIERS[case % len(IDENTIFIERS)]
            corner = [(8, 8), (SIZE - 12 * size, 8), (8, SIZE - 2 * size), (SIZE - 12 * size, SIZE - 2 * size)]
            frame, mask1 = render(base, shown, available[font], size, corner[case % 4], bright, antialias)
            mid = (int(rng.integers(120, 260)), int(rng.integers(180, 320)))
            frame, mask2 = render(frame, IDENTIFIERS[(case + 1) % 4][0], available[font], size, mid, bright,
                                  antialias)
            forms = [f.lower() for pair in IDENTIFIERS for f in pair]
            run_case(tallies[syntax], frame[np.newaxis], [mask1, mask2], syntax, forms)
        print(syntax, tallies[syntax].hidden, "/", tallies[syntax].lines, "refused", len(tallies[syntax].refused))
    cine = Tally()
    frame, mask = render(bases[0], IDENTIFIERS[0][0], None, 16, (8, 8), True, True)
    run_case(cine, np.repeat(frame[np.newaxis], 10, axis=0), [mask], "native",
             [f.lower() for pair in IDENTIFIERS for f in pair])
    inputs = [data for syntax in SYNTAXES for data in tallies[syntax].inputs]
    forms = [f.lower() for pair in IDENTIFIERS for f in pair]
    pooled = {workers: parallel_rate(inputs, forms, workers) for workers in (1, 2)}
    load = (load_before, os.getloadavg())
    entry = report(tallies, cine, names, args, load, pooled)
    print(entry)
    if not args.no_append:
        append(args.out, entry)
    return 0


def _warm_worker() -> None:
    """Process-pool initializer: imports and the OCR model load happen before the timed work."""
    warnings.filterwarnings("ignore")
    frame, _ = render(np.full((SIZE, SIZE), 40, dtype=np.uint8), "WARM UP 1234", None, 16, (8, 8), True, True)
    redact_burnt_in(dataset(frame[np.newaxis], "native"), [])


def _ready(_: int) -> int:
    return os.getpid()


def _redact_bytes(data: bytes, forms: list[str]) -> bool:
    return redact_burnt_in(pydicom.dcmread(io.BytesIO(data)), forms).dataset is not None


def parallel_rate(inputs: list[bytes], forms: list[str], workers: int) -> float:
    """Single-frame files per second through ``workers`` warmed-up processes, as ``--workers`` runs them."""
    from concurrent.futures import ProcessPoolExecutor
    from itertools import repeat

    with ProcessPoolExecutor(max_workers=workers, initializer=_warm_worker) as pool:
        list(pool.map(_ready, range(4 * workers)))  # every worker started and warmed up
        start = time.perf_counter()
        list(pool.map(_redact_bytes, inputs, repeat(forms)))
        return len(inputs) / (time.perf_counter() - start)


def report(tallies: dict[str, Tally], cine: Tally, fonts_used: list[str], args: argparse.Namespace,
           load: tuple[tuple[float, float, float], tuple[float, float, float]], pooled: dict[int, float]) -> str:
    total = Tally()
    rows = []
    for syntax, t in tallies.items():
        total.lines += t.lines
        total.hidden += t.hidden
        total.frames += t.frames
        total.seconds += t.seconds
        total.cpu_seconds += t.cpu_seconds
        total.refused += t.refused
        outside = str(t.outside_changed) if syntax in LOSSLESS else "n/a (lossy)"
        filled = 100 * float(np.mean(t.filled_fraction)) if t.filled_fraction else 0.0
        rows.append(f"| {syntax} | {t.hidden}/{t.lines} ({100 * t.hidden / max(1, t.lines):.1f} %) | {outside} | "
                    f"{filled:.2f} % | {len(t.refused)} | {t.frames / max(t.seconds, 1e-9):.2f} | "
                    f"{1000 * t.cpu_seconds / max(1, t.frames):.0f} |")
    lines = [
        f"### {dt.date.today().isoformat()} — commit {git_state(REPO)}",
        "",
        f"Command: `python bench/bench_redact.py --cases {args.cases}`. Machine: {cpu_model()}, "
        f"{ram_total()} RAM, {platform.python_version()}, shared with other jobs (load average "
        f"{load[0][0]:.1f} before, {load[1][0]:.1f} after, on {os.cpu_count()} cores). Fonts: {', '.join(fonts_used)}; "
        f"sizes {', '.join(map(str, SIZES))} px; two lines per 512x512 frame (corner, mid-image).",
        "",
        "| transfer syntax | lines hidden | px changed outside boxes | filled area outside text | refused | frames/s "
        "| CPU ms/frame |",
        "|---|---|---|---|---|---|---|",
        *rows,
        f"| **all** | {total.hidden}/{total.lines} ({100 * total.hidden / max(1, total.lines):.1f} %) | | | "
        f"{len(total.refused)} | {total.frames / max(total.seconds, 1e-9):.2f} | "
        f"{1000 * total.cpu_seconds / max(1, total.frames):.0f} |",
        "",
        f"10-frame native cine (one static line): {cine.hidden}/{cine.lines} hidden, "
        f"{cine.outside_changed} px changed outside boxes, {cine.frames / max(cine.seconds, 1e-9):.2f} frames/s, "
        f"{1000 * cine.cpu_seconds / max(1, cine.frames):.0f} CPU ms/frame.",
        "",
        "The same single-frame files again through warmed-up worker processes (as `medanon dicom --workers N` "
        "runs them): " + ", ".join(f"{n} worker{'s' if n > 1 else ''} {rate:.2f} frames/s"
                                   for n, rate in sorted(pooled.items())) + ".",
    ]
    if total.refused:
        reasons = sorted({r.split(" on frame")[0] for r in total.refused})
        lines += ["", "Refusals (the file would be quarantined): " + "; ".join(reasons) + "."]
    return "\n".join(lines) + "\n"


def append(path: Path, entry: str) -> None:
    append_to_section(path, SECTION_TITLE, "bench/bench_redact.py", entry)


if __name__ == "__main__":
    raise SystemExit(main())
