"""Temp files written with O_DIRECT by a thread: exact bytes, every fallback, failures named per file."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from medanon.dicom import tempfiles
from medanon.dicom.tempfiles import ALIGNMENT, BUFFERS, DIRECT_MAX, DIRECT_MIN, TempWriter, temp_writer

SIZES = [0, 1, ALIGNMENT - 1, DIRECT_MIN - 1, DIRECT_MIN, DIRECT_MIN + 1, 3 * ALIGNMENT + 7, 300_001,
         (1 << 20) + 3, DIRECT_MAX + 1]


def content(size: int, seed: int) -> bytes:
    return bytes((index * 31 + seed) % 251 for index in range(size)) if size < 4096 else \
        (bytes(range(seed % 200, seed % 200 + 50)) * (size // 50 + 1))[:size]


def _fail_write(monkeypatch, call: int, error: OSError) -> list[int]:
    """Make ``_write_all`` raise ``error`` on its ``call``-th use; the sizes it is asked to write."""
    real = tempfiles._write_all
    calls: list[int] = []

    def write_all(handle: int, data: memoryview) -> None:
        calls.append(len(data))
        if len(calls) == call:
            raise error
        real(handle, data)

    monkeypatch.setattr(tempfiles, "_write_all", write_all)
    return calls


@pytest.fixture
def direct_writer(tmp_path: Path) -> TempWriter:
    """A writer that has just written one file with O_DIRECT here (the test skips where that is refused)."""
    writer = TempWriter()
    writer.write(content(DIRECT_MIN, 0), tmp_path)
    if writer.settle() or not writer.direct or not tempfiles.writes_direct(tmp_path):
        pytest.skip("no O_DIRECT here (not a local block file system, or refused): writes are buffered")
    return writer


def test_every_size_is_written_exactly(tmp_path: Path) -> None:
    writer = TempWriter()
    expected = {writer.write(content(size, index), tmp_path / "out"): content(size, index)
                for index, size in enumerate(SIZES)}
    assert writer.settle() == {}
    for path, data in expected.items():
        assert path.name.startswith(".medanon-") and path.name.endswith(".part")
        assert path.read_bytes() == data


def test_a_smaller_file_after_a_larger_one_gets_none_of_its_tail(tmp_path: Path) -> None:
    writer = TempWriter()
    large, small = b"\xff" * 400_000, b"\x01" * (DIRECT_MIN + 5)
    paths = [writer.write(data, tmp_path) for data in (large, small) * (BUFFERS + 1)]
    assert writer.settle() == {}
    assert [p.read_bytes() for p in paths] == [large, small] * (BUFFERS + 1)


def test_a_file_system_that_refuses_o_direct_gets_buffered_writes(tmp_path: Path, monkeypatch) -> None:
    def refuse(handle: int) -> None:
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(tempfiles, "_on_local_disk", lambda handle: True)
    monkeypatch.setattr(tempfiles, "_set_direct", refuse)
    writer = TempWriter()
    data = content(200_000, 3)
    path = writer.write(data, tmp_path)
    assert writer.settle() == {} and path.read_bytes() == data
    assert writer.direct is False


def test_a_device_that_refuses_the_alignment_gets_the_file_rewritten_buffered(
        tmp_path: Path, monkeypatch, direct_writer: TempWriter) -> None:
    calls = _fail_write(monkeypatch, 1, OSError(errno.EINVAL, "Invalid argument"))
    data = content(DIRECT_MIN + 123, 5)
    path = direct_writer.write(data, tmp_path)
    assert direct_writer.settle() == {} and path.read_bytes() == data
    assert calls[0] % ALIGNMENT == 0  # the refused write was the padded, direct one
    assert direct_writer.direct is False


def test_a_failed_write_is_named_by_settle_and_the_others_complete(
        tmp_path: Path, monkeypatch, direct_writer: TempWriter) -> None:
    writer = direct_writer
    _fail_write(monkeypatch, 2, OSError(errno.ENOSPC, "No space left on device"))
    data = [content(DIRECT_MIN + i, i) for i in range(3)]
    paths = [writer.write(d, tmp_path) for d in data]
    failures = writer.settle()
    assert list(failures) == [paths[1]] and failures[paths[1]].errno == errno.ENOSPC
    assert [paths[0].read_bytes(), paths[2].read_bytes()] == [data[0], data[2]]
    assert writer.settle() == {}  # reported once


def test_an_unexpected_error_in_the_writer_fails_its_file_only(
        tmp_path: Path, monkeypatch, direct_writer: TempWriter) -> None:
    def broken(handle: int, data: memoryview) -> None:
        raise ValueError("boom")

    writer = direct_writer
    monkeypatch.setattr(tempfiles, "_write_all", broken)
    path = writer.write(content(DIRECT_MIN, 1), tmp_path)
    failures = writer.settle()
    assert list(failures) == [path] and "ValueError: boom" in str(failures[path])


def test_other_file_systems_keep_buffered_writes(tmp_path: Path, monkeypatch) -> None:
    asked: list[int] = []
    monkeypatch.setattr(tempfiles, "LOCAL_FILE_SYSTEMS", frozenset())
    monkeypatch.setattr(tempfiles, "_set_direct", asked.append)
    writer = TempWriter()
    data = content(200_000, 9)
    path = writer.write(data, tmp_path)
    assert writer.settle() == {} and path.read_bytes() == data
    assert asked == [] and not tempfiles.writes_direct(tmp_path)


class _FullDisk:
    """A file stream whose writes fail as on a full disk."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stream.close()

    def writelines(self, lines) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_failed_buffered_write_leaves_no_file(tmp_path: Path, monkeypatch) -> None:
    real_fdopen = os.fdopen
    monkeypatch.setattr(tempfiles, "LOCAL_FILE_SYSTEMS", frozenset())
    monkeypatch.setattr(os, "fdopen", lambda handle, *args, **kwargs: _FullDisk(real_fdopen(handle, *args, **kwargs)))
    with pytest.raises(OSError, match="No space"):
        TempWriter().write(content(200_000, 2), tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not Path("/proc/self/mountinfo").exists(), reason="Linux's mount table is absent")
def test_the_file_system_of_a_folder_is_named() -> None:
    assert tempfiles.file_system_type(os.stat("/proc").st_dev) == "proc"


def test_a_forked_process_gets_a_writer_of_its_own(monkeypatch) -> None:
    first = temp_writer()
    assert temp_writer() is first
    monkeypatch.setattr(os, "getpid", lambda: -1)
    assert temp_writer() is not first
