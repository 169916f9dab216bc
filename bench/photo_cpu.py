"""CPU seconds of the whole photo path for one photo, in one thread: an A/B measure that load barely moves.

One command (STYLE.md section 9)::

    python bench/photo_cpu.py TREE PHOTO [--min-face 20] [--runs 2]

``TREE`` is a checkout of medanon (this one, or another branch's worktree): its own
``bench/bench_photo.py`` and ``src`` are used, so two trees can be compared minutes apart on the same
machine. The figure is the best of ``--runs`` warm runs of clean, write, byte check and exiftool
(OCR on), CPU seconds of this process and its children; OpenCV and onnxruntime get one thread each.
Wall-clock seconds and the load average are printed beside it. Nothing is written to the docs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("tree", type=Path, help="a medanon checkout whose bench/ and src/ are measured")
    parser.add_argument("photo", type=Path)
    parser.add_argument("--min-face", type=int, default=20)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    sys.path.insert(0, str(args.tree.resolve() / "bench"))
    bench = importlib.import_module("bench_photo")  # puts the tree's src first on the path
    import cv2

    cv2.setNumThreads(1)
    data = args.photo.read_bytes()
    with tempfile.TemporaryDirectory() as folder:
        bench._one_photo(data, args.min_face, folder)  # warm-up: models, sessions, exiftool
        cpus, walls = [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            cpus.append(bench._one_photo(data, args.min_face, folder))
            walls.append(time.perf_counter() - start)
    print(f"{args.tree} {args.photo.name}: CPU {min(cpus):.2f} s, wall {min(walls):.2f} s, "
          f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
