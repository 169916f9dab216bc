"""Writing a whole file or nothing: temp file beside the destination, fsync, rename.

Every front end writes outputs this way (DESIGN.md "Never a partially cleaned file"): a crash leaves
a hidden temp file at worst, never half a file under the final name.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_bytes_atomic(destination: Path, data: bytes, prefix: str = ".medanon-") -> None:
    """``destination`` holds exactly ``data`` afterwards, or is untouched if anything failed."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=destination.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, destination)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
