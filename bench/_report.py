"""Appending a dated entry to one benchmark's section of docs/BENCHMARKS.md."""

from __future__ import annotations

from pathlib import Path

HEADER = ("# Benchmarks\n\nWritten by the scripts in `bench/` (STYLE.md section 9); newest entry last. "
          "Numbers are for people to read: no test asserts a timing.\n")


def append_to_section(path: Path, title: str, script: str, entry: str) -> None:
    """Add ``entry`` at the end of the section headed ``title`` (created at the end of the file if absent).

    Sections stay together however many scripts write to the file, so a reader finds every run of
    one benchmark in one place, oldest first.
    """
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    if title not in text:
        text = text.rstrip("\n") + f"\n\n{title}\n\nRegenerate with `python {script}`.\n"
    start = text.index(title)
    following = text.find("\n## ", start + len(title))
    end = len(text) if following == -1 else following + 1
    # "<!-- name:start -->" lines just before the next heading open that section (bench_deface writes them).
    head = text[:end].rstrip("\n")
    while head.endswith(":start -->") and head.rfind("\n") > start:
        head = head[:head.rfind("\n")]
        end = len(head) + 1
    section = text[start:end].rstrip("\n") + "\n\n" + entry.rstrip("\n") + "\n"
    rest = text[end:]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text[:start] + section + ("\n" + rest if rest else ""), encoding="utf-8")
