"""Free-text scrubber: token recall and precision on gold PHI, per-label recall, notes per second.

One command (STYLE.md section 9)::

    python bench/bench_text.py [--corpus PATH] [--out docs/BENCHMARKS.md] [--no-append] [--errors N]

Corpus: ``../shared/testdata/text/physionet_dev.jsonl`` beside the repository (PhysioNet deid
gold-standard nursing notes, one ``{"id", "text", "spans"}`` a line); skipped with a message when
absent.  The corpus is for measuring only: no rule or word list of medanon comes from it.

Scoring is token-level: a token is a run of letters and digits.  A gold PHI token is *found* when
any character of it lies in a span the scrubber replaced.  Precision is the share of the scrubber's
tokens that lie in gold PHI.  Adult ages are rounded by rule, not removed, and the corpus counts only
ages over 89 as PHI, so age spans below 90 are reported apart and left out of precision (the raw
precision with them is printed too).  Speed: ``scrub`` on every note, one process, one core,
median of three passes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
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


def speed(notes: list[dict]) -> float:
    runs = []
    for _ in range(PASSES):
        start = time.perf_counter()
        for note in notes:
            scrub(note["text"], "publication")
        runs.append(time.perf_counter() - start)
    return len(notes) / statistics.median(runs)


def render(result: dict, rate: float, corpus: Path, command: str) -> str:
    lines = [
        "## Free text: scrubber on PhysioNet deid gold notes (`bench/bench_text.py`)",
        "",
        f"- when: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; commit {git_state(REPO)}",
        f"- machine: {cpu_model()}, {ram_total()} RAM, Python {platform.python_version()}, one process",
        f"- command: `{command}`",
        f"- corpus: `{corpus.name}` ({result['notes']} notes, {result['gold_tokens']} gold PHI tokens)",
        "",
        "| measure | medanon | target | PhysioNet deid (floor) |",
        "|---|---:|---:|---:|",
        f"| token recall of gold PHI | {result['recall']:.3f} | >= 0.98 | {FLOOR['recall']} |",
        f"| token precision (rounded ages < 90 apart) | {result['precision']:.3f} | >= 0.80 | {FLOOR['precision']} |",
        f"| token precision, rounded ages counted as false | {result['raw_precision']:.3f} | | |",
        f"| notes per second, one core | {rate:.0f} | >= 200 | |",
        "",
        f"Ages below 90 rounded (not PHI in this corpus, rounded by rule): {result['ages_rounded']} tokens.",
        "",
        "| gold label | tokens found / gold | recall |",
        "|---|---:|---:|",
    ]
    for label, (found, total) in result["per_label"].items():
        lines.append(f"| {label} | {found} / {total} | {found / total:.3f} |")
    lines += ["", "| kind found | tokens | not gold PHI |", "|---|---:|---:|"]
    for kind, (total, false) in result["kinds"].items():
        lines.append(f"| {kind} | {total} | {false} |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "BENCHMARKS.md")
    parser.add_argument("--no-append", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if not args.corpus.exists():
        print(f"skipped: corpus {args.corpus} is absent (it lives in shared/ beside the repository)")
        return 0
    notes = [json.loads(line) for line in args.corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    result = score(notes)
    rate = speed(notes)
    command = "python bench/bench_text.py" + (f" --corpus {args.corpus}" if args.corpus != DEFAULT_CORPUS else "")
    text = render(result, rate, args.corpus, command)
    print(text)
    print("missed tokens by label and shape:", result["missed_shapes"])
    if not args.no_append:
        with args.out.open("a", encoding="utf-8") as handle:
            handle.write("\n" + text)
        print(f"appended to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
