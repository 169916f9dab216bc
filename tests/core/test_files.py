"""Whole file or nothing."""

from __future__ import annotations

import pytest

from medanon.core import files


def test_writes_exactly_the_bytes(tmp_path):
    target = tmp_path / "sub" / "out.bin"
    files.write_bytes_atomic(target, b"\x00abc")
    assert target.read_bytes() == b"\x00abc"
    assert [p.name for p in target.parent.iterdir()] == ["out.bin"]


def test_a_failed_rename_leaves_neither_file_nor_temp(tmp_path, monkeypatch):
    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(OSError):
        files.write_bytes_atomic(tmp_path / "out.bin", b"data")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_untouched_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    monkeypatch.setattr(files.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(5, "I/O error")))
    with pytest.raises(OSError):
        files.write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["out.bin"]
