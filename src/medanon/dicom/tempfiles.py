"""Checked outputs written to temp files with ``O_DIRECT``, by a thread of their own.

A batch writes half a megabyte per CT file. A buffered write copies it into
newly allocated page-cache pages, and on the benchmark machine (a VM whose
memory the host backs lazily) that copy was the largest single cost of the
header path: about 1 ms of kernel time per file. With ``O_DIRECT`` the device
reads the bytes from one of a few reused, page-aligned buffers, and a thread
waits for the device while the caller cleans the next file.

Durability is unchanged: a temp file gets its final name only after
:func:`~medanon.dicom.io.make_durable`, whose flush now has only metadata
left to write. Only local block file systems get ``O_DIRECT``
(:data:`LOCAL_FILE_SYSTEMS`); on network shares, FUSE, overlay and in-memory
file systems, where it refuses (odd block sizes) and for small or very large
files, the write is an ordinary buffered one.
"""

from __future__ import annotations

import errno
import functools
import mmap
import os
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

from medanon.dicom.io import fill_temp, make_temp, write_temp

ALIGNMENT = 4096  # a multiple of every usual logical block size (512, 4096)
DIRECT_MIN = 64 * 1024  # below this, one buffered copy costs less than a device round trip
DIRECT_MAX = 16 * 1024 * 1024  # above this, buffers would cost memory: buffered
BUFFERS = 3  # writes in flight per process; the caller waits for a buffer beyond that
_O_DIRECT = getattr(os, "O_DIRECT", 0)  # Linux and a few others; elsewhere every write is buffered
if sys.platform != "win32":
    import fcntl


class _Pending(NamedTuple):
    path: Path
    done: Future[None]
    buffer: mmap.mmap


class TempWriter:
    """Writes outputs to hidden temp files; :meth:`settle` waits for them and names the ones that failed.

    One per process (:func:`temp_writer`). A path returned by :meth:`write`
    holds its whole content only once :meth:`settle` has returned without
    naming it.
    """

    def __init__(self) -> None:
        self.direct = bool(_O_DIRECT)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="medanon-writer")
        self._pending: list[_Pending] = []
        self._free: list[mmap.mmap] = []
        self._failures: dict[Path, OSError] = {}

    def write(self, content: bytes, folder: Path) -> Path:
        """Create a temp file in ``folder`` and queue ``content`` for it."""
        size = len(content)
        if not (self.direct and DIRECT_MIN <= size <= DIRECT_MAX):
            return write_temp(content, folder, durable=False)
        handle, name = make_temp(folder)
        if not _on_local_disk(handle):
            return fill_temp(handle, name, content, durable=False)
        try:
            _set_direct(handle)
        except OSError:  # the file system refuses O_DIRECT: buffered from now on
            self.direct = False
            return fill_temp(handle, name, content, durable=False)
        path = Path(name)
        padded = -(-size // ALIGNMENT) * ALIGNMENT
        buffer = self._buffer(padded)
        buffer[:size] = content
        buffer[size:padded] = bytes(padded - size)  # zeros, never the tail of an earlier file
        self._pending.append(_Pending(path, self._thread.submit(self._write, handle, buffer, size, padded), buffer))
        return path

    def settle(self) -> dict[Path, OSError]:
        """Wait for every queued write; the temp files whose write failed, with the error."""
        while self._pending:
            self._finish_oldest()
        failures, self._failures = self._failures, {}
        return failures

    def _buffer(self, size: int) -> mmap.mmap:
        while not self._free and len(self._pending) >= BUFFERS:
            self._finish_oldest()
        buffer = self._free.pop() if self._free else None
        if buffer is None or len(buffer) < size:
            buffer = mmap.mmap(-1, max(size, 1 << 20))  # anonymous memory is page-aligned
        return buffer

    def _finish_oldest(self) -> None:
        pending = self._pending.pop(0)
        try:
            pending.done.result()
        except OSError as exc:
            self._failures[pending.path] = exc
        except Exception as exc:  # a bug in the writer fails its file, not the batch
            self._failures[pending.path] = OSError(errno.EIO, f"write failed: {type(exc).__name__}: {exc}")
        self._free.append(pending.buffer)

    def _write(self, handle: int, buffer: mmap.mmap, size: int, padded: int) -> None:
        try:
            try:
                _write_all(handle, memoryview(buffer)[:padded])
                os.ftruncate(handle, size)
            except OSError as exc:
                if exc.errno != errno.EINVAL:
                    raise
                self.direct = False  # the device wants another alignment: buffered from now on
                _rewrite_buffered(handle, memoryview(buffer)[:size])
        finally:
            os.close(handle)


# Where O_DIRECT is known to work as a plain write to a local device. Elsewhere (network shares, FUSE,
# overlay and in-memory file systems) the page cache is kept: a direct write there may be a synchronous
# round trip per call, or mean something else.
LOCAL_FILE_SYSTEMS = frozenset({"ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs"})


def writes_direct(folder: Path) -> bool:
    """Whether a :class:`TempWriter` writes files of the direct-write size into ``folder`` with O_DIRECT."""
    return bool(_O_DIRECT) and file_system_type(os.stat(folder).st_dev) in LOCAL_FILE_SYSTEMS


def _on_local_disk(handle: int) -> bool:
    return file_system_type(os.fstat(handle).st_dev) in LOCAL_FILE_SYSTEMS


@functools.lru_cache(maxsize=64)
def file_system_type(device: int) -> str | None:
    """The type of the file system mounted from ``device`` (Linux's ``/proc/self/mountinfo``), or ``None``."""
    wanted = f"{os.major(device)}:{os.minor(device)}"
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as mounts:
            for line in mounts:
                fields, _, described = line.partition(" - ")
                if fields.split()[2:3] == [wanted] and described:
                    return described.split()[0]
    except OSError:
        return None
    return None


def _set_direct(handle: int) -> None:
    fcntl.fcntl(handle, fcntl.F_SETFL, fcntl.fcntl(handle, fcntl.F_GETFL) | _O_DIRECT)


def _write_all(handle: int, data: memoryview) -> None:
    written = 0
    while written < len(data):
        written += os.write(handle, data[written:])


def _rewrite_buffered(handle: int, data: memoryview) -> None:
    fcntl.fcntl(handle, fcntl.F_SETFL, fcntl.fcntl(handle, fcntl.F_GETFL) & ~_O_DIRECT)
    os.ftruncate(handle, 0)
    os.lseek(handle, 0, os.SEEK_SET)
    _write_all(handle, data)


_WRITER: tuple[int, TempWriter] | None = None


def temp_writer() -> TempWriter:
    """This process's writer (a forked worker makes its own: threads do not survive a fork)."""
    global _WRITER
    if _WRITER is None or _WRITER[0] != os.getpid():
        _WRITER = (os.getpid(), TempWriter())
    return _WRITER[1]

