"""Photographs with every kind of metadata planted, made in memory for the tests.

Planted values are unusual strings so that a byte search for them in an output can only hit a leak.
"""

from __future__ import annotations

import io
import struct

import numpy as np
from PIL import Image, PngImagePlugin, TiffImagePlugin

SECRET_NAME = "Zebedee Quartermain"
SECRET_SERIAL = "SN-7741-QX"
SECRET_DATE = "2019:03:04 10:15:00"
SECRET_PLACE = "Ward 7 Leeds"
SECRETS = (SECRET_NAME, SECRET_SERIAL, SECRET_DATE, SECRET_PLACE)


def exif_block(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "ACME Cameras"  # Make
    exif[0x0110] = "ACME 3000"  # Model
    exif[0x013B] = SECRET_NAME  # Artist
    exif[0x013C] = SECRET_PLACE  # HostComputer
    exif[0x0132] = SECRET_DATE  # DateTime
    exif[0x0112] = orientation
    exif[0x8298] = SECRET_NAME  # Copyright
    ifd = exif.get_ifd(0x8769)
    ifd[0xA431] = SECRET_SERIAL  # BodySerialNumber
    ifd[0x9003] = SECRET_DATE  # DateTimeOriginal
    ifd[0x927C] = b"ACME maker note " + SECRET_SERIAL.encode()  # MakerNote
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (53.0, 48.0, 12.0)
    gps[3] = "W"
    gps[4] = (1.0, 33.0, 0.0)
    return exif


def _segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def _jfxx_thumbnail() -> bytes:
    thumb = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 10, 10)).save(thumb, "JPEG")
    return b"JFXX\x00\x10" + thumb.getvalue()


def _xmp() -> bytes:
    return (b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF><dc:creator>"
            + SECRET_NAME.encode() + b"</dc:creator></rdf:RDF></x:xmpmeta>")


def _photoshop_iptc() -> bytes:
    name = SECRET_NAME.encode()
    iptc = b"\x1c\x02\x50" + struct.pack(">H", len(name)) + name  # 2:80 By-line
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iptc)) + iptc
    if len(iptc) % 2:
        resource += b"\x00"
    return b"Photoshop 3.0\x00" + resource


def jpeg_with_everything(pixels: np.ndarray, orientation: int = 1) -> bytes:
    """A JPEG with EXIF (GPS, dates, serial, maker note, thumbnail), XMP, IPTC, a comment, a JFXX
    thumbnail and a vendor APP11 segment, plus bytes after the end of the image."""
    buffer = io.BytesIO()
    image = Image.fromarray(pixels)
    thumb = Image.fromarray(pixels).resize((32, 32))
    exif = exif_block(orientation)
    exif_bytes = exif.tobytes()
    image.save(buffer, "JPEG", quality=95, exif=exif_bytes, comment=SECRET_NAME.encode())
    data = buffer.getvalue()
    extra = (_segment(0xE0, _jfxx_thumbnail()) + _segment(0xE1, _xmp()) + _segment(0xED, _photoshop_iptc())
             + _segment(0xEB, b"VENDOR\x00" + SECRET_SERIAL.encode()))
    del thumb
    return data[:2] + extra + data[2:] + SECRET_PLACE.encode()


def png_with_everything(pixels: np.ndarray) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", SECRET_NAME)
    info.add_text("Comment", SECRET_PLACE, zip=True)
    info.add_itxt("Description", SECRET_SERIAL, lang="en")
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG", pnginfo=info, exif=exif_block().tobytes())
    data = buffer.getvalue()
    time_chunk = _png_chunk(b"tIME", struct.pack(">HBBBBB", 2019, 3, 4, 10, 15, 0))
    return data[:-12] + time_chunk + data[-12:]


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    import zlib

    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def tiff_with_everything(pixels: np.ndarray) -> bytes:
    tags = TiffImagePlugin.ImageFileDirectory_v2()
    tags[315] = SECRET_NAME  # Artist
    tags[316] = SECRET_PLACE  # HostComputer
    tags[306] = SECRET_DATE  # DateTime
    tags[270] = SECRET_SERIAL  # ImageDescription
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "TIFF", tiffinfo=tags)
    return buffer.getvalue()


def webp_with_everything(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "WEBP", quality=90, exif=exif_block().tobytes(), xmp=_xmp()[29:])
    return buffer.getvalue()


def heic_with_everything(pixels: np.ndarray) -> bytes:
    import pillow_heif

    buffer = io.BytesIO()
    heif = pillow_heif.from_bytes(mode="RGB", size=(pixels.shape[1], pixels.shape[0]), data=pixels.tobytes())
    heif.info["exif"] = b"Exif\x00\x00" + exif_block().tobytes()
    heif.info["xmp"] = _xmp()[29:]
    heif.save(buffer, quality=90)
    return buffer.getvalue()


def avif_with_everything(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "AVIF", quality=90, exif=exif_block().tobytes())
    return buffer.getvalue()
