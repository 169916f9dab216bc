"""Finding the items of a batch: a file, a folder (recursive) or a zip archive.

Zip members are read into memory and never extracted, so a hostile archive
(``../`` paths, absolute paths, symlinks, bombs) cannot write anywhere; such a
member becomes an item that carries its error, and the batch goes on.
"""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_MEMBER_BYTES = 2 * 1024**3
MAX_COMPRESSION_RATIO = 200
SKIPPED_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


@dataclass(frozen=True)
class Item:
    """One thing to process: where it came from and how to get its bytes."""

    source: str
    path: Path | None = None
    archive: Path | None = None
    member: str | None = None
    error: str | None = None

    def read_bytes(self) -> bytes:
        if self.path is not None:
            return self.path.read_bytes()
        if self.archive is not None and self.member is not None:
            with zipfile.ZipFile(self.archive) as archive:
                return _read_member(archive, archive.getinfo(self.member))
        raise ValueError(f"{self.source}: item has no data")


def discover(paths: list[Path], exclude: tuple[Path, ...] = ()) -> Iterator[Item]:
    """Yield every item under ``paths``; folders in ``exclude`` (the output) are not entered."""
    excluded = tuple(p.resolve() for p in exclude)
    for path in paths:
        if not path.exists():
            yield Item(source=str(path), error="input does not exist")
        elif path.is_dir():
            yield from _walk(path, excluded)
        elif path.suffix.lower() == ".zip":  # an unreadable archive becomes an error item, not a "DICOM" file
            yield from _zip_members(path, str(path.name))
        else:
            yield Item(source=path.name, path=path)


def _walk(root: Path, excluded: tuple[Path, ...]) -> Iterator[Item]:
    unreadable: list[OSError] = []
    for folder, dirs, files in os.walk(root, followlinks=False, onerror=unreadable.append):
        while unreadable:
            yield _unreadable_folder(root, unreadable.pop())
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if (here / d).resolve() not in excluded and not d.startswith("."))
        for name in sorted(files):
            if name in SKIPPED_NAMES or name.startswith("."):
                continue
            path = here / name
            relative = str(path.relative_to(root))
            if path.is_symlink():
                yield Item(source=relative, error="symbolic link not followed")
            elif path.suffix.lower() == ".zip":
                yield from _zip_members(path, relative)
            else:
                yield Item(source=relative, path=path)
    for error in unreadable:
        yield _unreadable_folder(root, error)


def _unreadable_folder(root: Path, error: OSError) -> Item:
    try:
        where = Path(error.filename).relative_to(root) if error.filename else Path(".")
    except ValueError:
        where = Path(str(error.filename))
    return Item(source=str(where), error=f"folder cannot be read: {error.strerror or error}")


def _zip_members(archive_path: Path, label: str) -> Iterator[Item]:
    try:
        archive = zipfile.ZipFile(archive_path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield Item(source=label, error=f"unreadable zip archive: {exc}")
        return
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            source = f"{label}!{info.filename}"
            problem = member_problem(info)
            if problem:
                yield Item(source=source, error=problem)
            else:
                yield Item(source=source, archive=archive_path, member=info.filename)


def member_problem(info: zipfile.ZipInfo) -> str | None:
    """Why a zip member must not be read, or ``None`` when it is safe."""
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "zip member has an absolute path"
    if ".." in parts:
        return "zip member path escapes the archive ('..')"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "zip member is a symbolic link"
    if info.flag_bits & 0x1:
        return "zip member is encrypted"
    if info.file_size > MAX_MEMBER_BYTES:
        return f"zip member larger than {MAX_MEMBER_BYTES} bytes"
    if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO:
        return "zip member compression ratio suggests a zip bomb"
    if PurePosixPath(name).suffix.lower() == ".zip":
        return "nested zip archive: unpack it first"
    return None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """Read at most the declared size, so a lying header cannot exhaust memory."""
    with archive.open(info) as stream:
        data = stream.read(info.file_size + 1)
    if len(data) != info.file_size:
        raise ValueError("zip member size differs from its header")
    return data
