"""Free-text scrubber: token recall and precision on gold PHI, per-label recall, notes per second.

One command (STYLE.md section 9)::

    python bench/bench_text.py [--corpus PATH] [--out docs/BENCHMARKS.md] [--no-append] [--split A|B|both]

Corpus: ``../shared/testdata/text/physionet_dev.jsonl`` beside the repository (PhysioNet deid
gold-standard nursing notes, one ``{"id", "text", "spans"}`` a line); skipped with a message when
absent.  The corpus is for measuring only: no rule or word list of medanon comes from it.

Scoring is token-level: a token is a run of letters and digits.  A gold PHI token is *found* when
any character of it lies in a span the scrubber replaced.  Precision is the share of the scrubber's
tokens that lie in gold PHI.  Adult ages are rounded by rule, not removed, and the corpus counts only
ages over 89 as PHI, so age spans below 90 are reported apart and left out of precision (the raw
precision with them is printed too).  Speed: ``scrub`` on every note, one process, one core,
median of three passes.

Halves (``--split``): the notes are cut in two by a hash of the *patient* part of the note id
(``<patient>-<record>``), so every note of one patient lands in the same half and a name found in
half A is never a hint for half B.  Error analysis is done on half A only; half B stands in for the
hidden corpus: a change that helps A but not B is tuning and is dropped.  ``--split both`` scores
each half and the whole.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import cpu_model, git_state, ram_total  # noqa: E402

from medanon.text import Kind, scrub  # noqa: E402
from medanon.text.scrubber import find_spans  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "testdata" / "text" / "physionet_dev.jsonl"
_TOKEN = re.compile(r"[A-Za-z0-9]+")
PASSES = 3
FLOOR = {"recall": 0.967, "precision": 0.749}


def half_of(note_id: str) -> str:
    """``A`` or ``B``: a fixed half of the corpus by a hash of the note's patient (the id before its dash)."""
    patient = note_id.split("-", 1)[0]
    return "A" if hashlib.sha256(patient.encode("utf-8")).digest()[0] % 2 == 0 else "B"


def select(notes: list[dict], split: str) -> list[dict]:
    """The notes of one half (``A``, ``B``) or all of them (``all``)."""
    return notes if split == "all" else [n for n in notes if half_of(n["id"]) == split]


def covered(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in spans)


def score(notes: list[dict]) -> dict:
    gold_tokens = found_tokens = 0
    predicted = predicted_in_gold = 0
    ages_rounded = 0
    raw_predicted = raw_in_gold = 0
    per_label: Counter[str] = Counter()
    per_label_found: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    kinds_fp: Counter[str] = Counter()
    missed_shapes: Counter[str] = Counter()
    for note in notes:
        text = note["text"]
        gold = [(s["start"], s["end"]) for s in note["spans"]]
        spans = find_spans(text)
        hits = [(s.start, s.end) for s in spans]
        for g in note["spans"]:
            for m in _TOKEN.finditer(text, g["start"], g["end"]):
                gold_tokens += 1
                per_label[g["label"]] += 1
                if covered(hits, m.start(), m.end()):
                    found_tokens += 1
                    per_label_found[g["label"]] += 1
                else:
                    missed_shapes[f"{g['label']}:{_shape(m.group())}"] += 1
        for span in spans:
            for m in _TOKEN.finditer(text, span.start, span.end):
                in_gold = covered(gold, m.start(), m.end())
                raw_predicted += 1
                raw_in_gold += in_gold
                if span.kind is Kind.AGE and int(m.group()) < 90:
                    ages_rounded += 1
                    continue
                predicted += 1
                predicted_in_gold += in_gold
                kinds[span.kind.value] += 1
                if not in_gold:
                    kinds_fp[span.kind.value] += 1
    return {
        "notes": len(notes),
        "gold_tokens": gold_tokens,
        "recall": found_tokens / gold_tokens if gold_tokens else 0.0,
        "precision": predicted_in_gold / predicted if predicted else 0.0,
        "raw_precision": raw_in_gold / raw_predicted if raw_predicted else 0.0,
        "predicted_tokens": predicted,
        "ages_rounded": ages_rounded,
        "per_label": {k: (per_label_found[k], per_label[k]) for k in sorted(per_label)},
        "kinds": {k: (kinds[k], kinds_fp[k]) for k in sorted(kinds)},
        "missed_shapes": missed_shapes.most_common(12),
    }


def _shape(token: str) -> str:
    """A token's shape without its value: Xxxx, XXXX, 9999."""
    shape = re.sub(r"[0-9]", "9", re.sub(r"[A-Z]", "X", re.sub(r"[a-z]", "x", token)))
    return re.sub(r"(.)\1{2,}", r"\1\1\1", shape)


def speed(notes: list[dict]) -> tuple[float, float]:
    """Notes per second by the wall clock and by this process's CPU time (load-independent), median of passes."""
    wall, cpu = [], []
    for _ in range(PASSES):
        start, start_cpu = time.perf_counter(), time.process_time()
        for note in notes:
            scrub(note["text"], "publication")
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return len(notes) / statistics.median(wall), len(notes) / statistics.median(cpu)


def render(results: dict[str, dict], rates: tuple[float, float], corpus: Path, command: str) -> str:
    """One dated entry: a row per half (A, B) and for the whole corpus, then per-label recall."""
    whole = results["all"]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "## Free text: scrubber on PhysioNet deid gold notes (`bench/bench_text.py`)",
        "",
        f"- when: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; commit {git_state(REPO)}",
        f"- machine: {cpu_model()}, {ram_total()} RAM, Python {platform.python_version()}, one process;"
        f" load average {load:.2f} (shared machine)",
        f"- command: `{command}`",
        f"- corpus: `{corpus.name}` ({whole['notes']} notes, {whole['gold_tokens']} gold PHI tokens);"
        " halves A and B by a hash of the patient id (error analysis on A only)",
        "",
        "| notes | gold tokens | token recall | precision (rounded ages < 90 apart) | precision, ages counted |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, result in results.items():
        label = "all" if name == "all" else f"half {name}"
        lines.append(f"| {label} ({result['notes']}) | {result['gold_tokens']} | {result['recall']:.3f} |"
                     f" {result['precision']:.3f} | {result['raw_precision']:.3f} |")
    lines += [
        f"| target / PhysioNet deid floor | | >= 0.98 / {FLOOR['recall']} | >= 0.80 / {FLOOR['precision']} | |",
        "",
        f"Speed on all notes, one core: {rates[0]:.0f} notes/s by the wall clock, {rates[1]:.0f} notes/s"
        " by CPU time (target 200).",
        f"Ages below 90 rounded (not PHI in this corpus, rounded by rule): {whole['ages_rounded']} tokens.",
        "",
        "| gold label | " + " | ".join(f"{'all' if n == 'all' else n}: found / gold" for n in results) + " |",
        "|---|" + "---:|" * len(results),
    ]
    for label in whole["per_label"]:
        cells = []
        for result in results.values():
            found, total = result["per_label"].get(label, (0, 0))
            cells.append(f"{found} / {total}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "| kind found (all) | tokens | not gold PHI |", "|---|---:|---:|"]
    for kind, (total, false) in whole["kinds"].items():
        lines.append(f"| {kind} | {total} | {false} |")
    lines.append("")
    return "\n".join(lines)


def show_misses(notes: list[dict], width: int = 30) -> None:
    """Print every missed gold token of half A with a little context (for error analysis; never half B)."""
    for note in select(notes, "A"):
        text = note["text"]
        hits = [(s.start, s.end) for s in find_spans(text)]
        for g in note["spans"]:
            for m in _TOKEN.finditer(text, g["start"], g["end"]):
                if not covered(hits, m.start(), m.end()):
                    left = text[max(0, m.start() - width) : m.start()].replace("\n", "|")
                    right = text[m.end() : m.end() + width].replace("\n", "|")
                    print(f"{note['id']}\t{g['label']}\t{left}[[{m.group()}]]{right}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "BENCHMARKS.md")
    parser.add_argument("--no-append", action="store_true", help="print only")
    parser.add_argument("--split", choices=("all", "A", "B", "both"), default="both",
                        help="score one half (A, B), the whole corpus (all), or each half and the whole (both)")
    parser.add_argument("--misses", action="store_true", help="print the missed tokens of half A and stop")
    parser.add_argument("--no-speed", action="store_true", help="score only")
    args = parser.parse_args(argv)
    if not args.corpus.exists():
        print(f"skipped: corpus {args.corpus} is absent (it lives in shared/ beside the repository)")
        return 0
    notes = [json.loads(line) for line in args.corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.misses:
        show_misses(notes)
        return 0
    names = ("A", "B", "all") if args.split == "both" else (args.split,)
    results = {name: score(select(notes, name)) for name in names}
    if "all" not in results:
        results["all"] = results[args.split]
        results.pop(args.split)
    rates = (float("nan"), float("nan")) if args.no_speed else speed(notes)
    command = "python bench/bench_text.py" + (f" --corpus {args.corpus}" if args.corpus != DEFAULT_CORPUS else "")
    command += f" --split {args.split}" if args.split != "both" else ""
    text = render(results, rates, args.corpus, command)
    print(text)
    print("missed tokens by label and shape:", results["all"]["missed_shapes"])
    if not args.no_append:
        with args.out.open("a", encoding="utf-8") as handle:
            handle.write("\n" + text)
        print(f"appended to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
