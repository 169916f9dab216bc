"""Independent metadata check of a written photograph (DESIGN.md "Verify, don't trust").

The photo cleaner writes fresh files from pixels; this module does not trust that. It reads the
output's bytes itself and allows only what a bare picture needs:

* JPEG: SOI, a JFIF APP0 without thumbnail, APP2 ICC profile chunks, the tables, frame and scan
  segments, EOI, and nothing after EOI. An APP1 (EXIF or XMP), APP13 (IPTC, Photoshop resources and
  their thumbnail), a comment, any other APPn (vendor segments) or trailing bytes is a finding.
* PNG: IHDR, PLTE, tRNS, the colour chunks (iCCP, sRGB, gAMA, cHRM, sBIT), pHYs, IDAT and IEND, and
  nothing after IEND. A text chunk (tEXt, zTXt, iTXt), eXIf, tIME or any other chunk is a finding.

When the ``exiftool`` program is installed (Debian ``libimage-exiftool-perl``), it reads the file a
second time and every tag outside a short allow list (image size, JFIF density, ICC profile, PNG
header fields) is a finding, named by category. Findings name the category and where, never a value.
One exiftool process per Python process answers every request (``-stay_open``): starting Perl and
exiftool's modules costs about 0.1 CPU seconds, reading one file afterwards a few milliseconds. If
that process fails or stalls, it is ended and the file is read by a one-off exiftool run instead.
It imports nothing of medanon but ``core``.
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import select
import shutil
import struct
import subprocess
import threading
import time
from pathlib import Path

from medanon.core.enum import Severity
from medanon.core.results import Finding

CHECK = "photo-metadata"
ALLOWED_PNG_CHUNKS = frozenset({b"IHDR", b"PLTE", b"tRNS", b"iCCP", b"sRGB", b"gAMA", b"cHRM", b"sBIT",
                                b"pHYs", b"IDAT", b"IEND"})
_JPEG_STRUCTURE = frozenset({0xC0, 0xC1, 0xC2, 0xC4, 0xDB, 0xDD})
#: exiftool groups (-G1) that hold no identifying data, and the tags allowed in mixed groups.
ALLOWED_GROUPS = frozenset({"ExifTool", "System", "ICC_Profile", "ICC-header", "ICC-meas", "ICC-view",
                            "PNG-pHYs"})
ALLOWED_TAGS = {
    "File": {"FileType", "FileTypeExtension", "MIMEType", "ImageWidth", "ImageHeight", "BitsPerSample",
             "ColorComponents", "EncodingProcess", "YCbCrSubSampling"},
    "Composite": {"ImageSize", "Megapixels"},
    "JFIF": {"JFIFVersion", "ResolutionUnit", "XResolution", "YResolution"},
    "PNG": {"ImageWidth", "ImageHeight", "BitDepth", "ColorType", "Compression", "Filter", "Interlace",
            "ProfileName", "SRGBRendering", "Gamma", "WhitePointX", "WhitePointY", "RedX", "RedY", "GreenX",
            "GreenY", "BlueX", "BlueY", "Palette", "Transparency", "SignificantBits"},
}
_GROUP_CATEGORY = {"IFD0": "exif", "ExifIFD": "exif", "InteropIFD": "exif", "SubIFD": "exif", "IFD1": "thumbnail",
                   "GPS": "gps", "IPTC": "iptc", "Photoshop": "photoshop", "Adobe": "vendor app segment",
                   "Ducky": "vendor app segment", "JFXX": "thumbnail", "MPF0": "thumbnail",
                   "PNG": "png text", "JFIF": "thumbnail", "Composite": "exif", "File": "exif"}
_FILE_TAG_CATEGORY = {"Comment": "comment", "CurrentIPTCDigest": "iptc", "ExifByteOrder": "exif"}


def check_photo_bytes(data: bytes) -> list[Finding]:
    """Findings of the built-in structural check of a JPEG or PNG medanon wrote."""
    if data.startswith(b"\xff\xd8"):
        return _check_jpeg(data)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _check_png(data)
    return [_finding("unknown format", "output is neither JPEG nor PNG")]


def check_photo_file(path: Path, use_exiftool: bool = True) -> list[Finding]:
    """The built-in check of the file at ``path`` plus, when installed and wanted, exiftool's reading."""
    findings = check_photo_bytes(path.read_bytes())
    if use_exiftool:
        findings.extend(exiftool_findings(path))
    return findings


def exiftool_available() -> bool:
    return shutil.which("exiftool") is not None


_EXIFTOOL_ARGUMENTS = ("-j", "-a", "-u", "-G1", "-q")
_EXIFTOOL_TIMEOUT = 60.0


class _StayOpenExiftool:
    """One long-running ``exiftool -stay_open True -@ -``: arguments in on stdin, JSON out on stdout.

    Each request ends with ``-executeN``; exiftool answers ``{readyN}`` after the JSON, so a reply
    is never mistaken for another's. Requests are serialised by a lock (one process, one pipe).
    """

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self._process: subprocess.Popen[bytes] | None = None
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def read(self, path: Path) -> bytes | None:
        """exiftool's JSON for ``path``, or ``None`` if the long-running process failed (it is then ended)
        or cannot be made to end with this process (no ``setpriv``)."""
        if shutil.which("setpriv") is None or "\n" in str(path) or "\r" in str(path):
            return None  # one argument per line: such a name cannot be passed
        with self._lock:
            try:
                return self._request(path)
            except (OSError, ValueError, TimeoutError):
                self._stop()
                return None

    def _request(self, path: Path) -> bytes:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(_orphan_proof([self.executable, "-stay_open", "True", "-@", "-"]),
                                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                             stderr=subprocess.DEVNULL)
        process = self._process
        assert process.stdin is not None and process.stdout is not None
        number = next(self._numbers)
        request = "\n".join([*_EXIFTOOL_ARGUMENTS, str(path), f"-execute{number}", ""])
        process.stdin.write(request.encode("utf-8"))
        process.stdin.flush()
        return _read_until(process.stdout.fileno(), f"{{ready{number}}}".encode(), _EXIFTOOL_TIMEOUT)

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.poll() is None and process.stdin is not None:
                process.stdin.write(b"-stay_open\nFalse\n")
                process.stdin.flush()
            process.wait(timeout=5)
        except (OSError, ValueError, subprocess.SubprocessError):
            process.kill()
            process.wait()

    def close(self) -> None:
        with self._lock:
            self._stop()


def _orphan_proof(command: list[str]) -> list[str]:
    """``command`` run so that it gets SIGTERM when this process ends, however it ends.

    A stay-open exiftool whose input closes does not exit: it polls the closed pipe every 10 ms for
    ever. A clean exit stops it (atexit), but a killed worker would leave it behind; the parent-death
    signal, set by util-linux's ``setpriv`` (Debian: essential), covers that case.
    """
    return ["setpriv", "--pdeathsig", "TERM", "--", *command]


def _read_until(descriptor: int, marker: bytes, timeout: float) -> bytes:
    """Bytes from ``descriptor`` up to the line ``marker`` (excluded).

    Raises
    ------
    TimeoutError
        If the marker has not come within ``timeout`` seconds.
    OSError
        If the pipe closed first (exiftool died).
    """
    deadline = time.monotonic() + timeout
    buffer = b""
    while True:
        end = buffer.find(marker + b"\n")
        if end >= 0 and (end == 0 or buffer[end - 1:end] == b"\n"):
            return buffer[:end]
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([descriptor], [], [], remaining)[0]:
            raise TimeoutError("exiftool did not answer")
        chunk = os.read(descriptor, 65536)
        if not chunk:
            raise OSError("exiftool closed its output")
        buffer += chunk


_SERVERS: dict[str, _StayOpenExiftool] = {}
_SERVERS_LOCK = threading.Lock()


def _server(executable: str) -> _StayOpenExiftool:
    with _SERVERS_LOCK:
        if executable not in _SERVERS:
            _SERVERS[executable] = _StayOpenExiftool(executable)
        return _SERVERS[executable]


def exiftool_processes() -> list[int]:
    """Process IDs of this process's running stay-open exiftools (a benchmark adds their CPU time)."""
    return [server._process.pid for server in _SERVERS.values()
            if server._process is not None and server._process.poll() is None]


@atexit.register
def _close_servers() -> None:
    for server in list(_SERVERS.values()):
        server.close()


def _exiftool_json(executable: str, path: Path) -> bytes:
    """exiftool's JSON reading of ``path``: from the long-running process, else from a one-off run."""
    answer = _server(executable).read(path)
    if answer is not None:
        return answer
    done = subprocess.run([executable, *_EXIFTOOL_ARGUMENTS, str(path)], capture_output=True,
                          timeout=_EXIFTOOL_TIMEOUT, check=False)
    return done.stdout


def exiftool_findings(path: Path) -> list[Finding]:
    """Every tag exiftool reads outside the allow list, one finding per category; none without exiftool."""
    executable = shutil.which("exiftool")
    if executable is None:
        return []
    try:
        records = json.loads(_exiftool_json(executable, path).strip() or b"[{}]")
    except (OSError, subprocess.SubprocessError, ValueError):
        return [_finding("exiftool", "exiftool could not read the output", Severity.ERROR)]
    categories: dict[str, set[str]] = {}
    for key in (records[0] if records else {}):
        if key == "SourceFile" or ":" not in key:
            continue
        group, tag = key.split(":", 1)
        if group in ALLOWED_GROUPS or group.startswith("ICC") or tag in ALLOWED_TAGS.get(group, ()):
            continue
        categories.setdefault(_category(group, tag), set()).add(f"{group}:{tag}")
    return [_finding(category, f"exiftool read {len(tags)} tag(s): {', '.join(sorted(tags)[:6])}")
            for category, tags in sorted(categories.items())]


def _category(group: str, tag: str) -> str:
    if "thumbnail" in tag.lower() or "preview" in tag.lower():
        return "thumbnail"
    if "gps" in tag.lower():
        return "gps"
    if group == "File":
        return _FILE_TAG_CATEGORY.get(tag, "exif")
    if group in ("Composite", "PNG") and "date" in tag.lower():
        return "date"
    if group.startswith("XMP"):
        return "xmp"
    if group.startswith("ICC"):
        return "icc"
    return _GROUP_CATEGORY.get(group, "maker notes or vendor data")


def _finding(category: str, message: str, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(severity, CHECK, category, message)


def _check_jpeg(data: bytes) -> list[Finding]:
    findings: list[Finding] = []
    position = 2
    while position < len(data):
        if data[position] != 0xFF:
            return findings + [_finding("structure", f"no marker at byte {position}")]
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xD9:
            if data[position + 2:].strip(b"\x00"):
                findings.append(_finding("trailing data", "bytes after the end of the image"))
            return findings
        if position + 4 > len(data):
            break
        length = struct.unpack(">H", data[position + 2:position + 4])[0]
        body = data[position + 4:position + 2 + length]
        problem = _jpeg_segment_problem(marker, body)
        if problem:
            findings.append(_finding(*problem))
        position += 2 + length
        if marker == 0xDA:
            position = _skip_scan(data, position)
    return findings + [_finding("structure", "no end-of-image marker")]


def _jpeg_segment_problem(marker: int, body: bytes) -> tuple[str, str] | None:
    if marker in _JPEG_STRUCTURE or marker == 0xDA:
        return None
    if marker == 0xE0:
        if body.startswith(b"JFIF\x00") and len(body) >= 14 and body[12] == 0 and body[13] == 0:
            return None
        return ("thumbnail", "APP0 segment other than a thumbnail-free JFIF header (JFXX or JFIF thumbnail)")
    if marker == 0xE2 and body.startswith(b"ICC_PROFILE\x00"):
        return None
    if marker == 0xE1:
        kind = "xmp" if b"ns.adobe.com/xap" in body[:64] else "exif"
        return (kind, "APP1 segment")
    if marker == 0xED:
        return ("iptc", "APP13 segment (IPTC or Photoshop resources)")
    if marker == 0xFE:
        return ("comment", "JPEG comment segment")
    if 0xE0 <= marker <= 0xEF:
        return ("vendor app segment", f"APP{marker - 0xE0} segment")
    return ("structure", f"unexpected marker 0x{marker:02X}")


def _skip_scan(data: bytes, position: int) -> int:
    """Position of the first marker after entropy-coded data (skipping stuffed bytes and restarts)."""
    while True:
        position = data.find(b"\xff", position)
        if position < 0 or position + 1 >= len(data):
            return len(data)
        following = data[position + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            position += 2
            continue
        return position


def _check_png(data: bytes) -> list[Finding]:
    findings: list[Finding] = []
    position = 8
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        position += 12 + length
        if kind == b"IEND":
            if data[position:]:
                findings.append(_finding("trailing data", "bytes after IEND"))
            return findings
        if kind in ALLOWED_PNG_CHUNKS:
            continue
        category = {b"tEXt": "png text", b"zTXt": "png text", b"iTXt": "png text", b"eXIf": "exif",
                    b"tIME": "date"}.get(kind, "png chunk")
        findings.append(_finding(category, f"{kind.decode('latin-1')} chunk"))
    return findings + [_finding("structure", "no IEND chunk")]
