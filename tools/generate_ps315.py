#!/usr/bin/env python3
"""Generate medanon's PS3.15 data from the standard's DocBook XML.

    python tools/generate_ps315.py [--xml PATH] [--out PATH]

Reads Table E.1-1 (attributes and action codes per profile/option column),
Table E.1-1a (action code meanings) and Table E.3.10-1 (safe private
attributes) from ``part15_2023b.xml``, takes CID 7050 (de-identification
method codes) from pydicom's generated PS3.16 dictionary, and writes
``src/medanon/dicom/_ps315.py``. Nothing of the tables is typed by hand: to
change the data, change the source and re-run this script (STYLE.md section 6).
"""

from __future__ import annotations

import argparse
import hashlib
import pprint
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

DOCBOOK = "{http://docbook.org/ns/docbook}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
REPO = Path(__file__).resolve().parents[1]
DEFAULT_XML = REPO.parent / "shared" / "standard" / "part15_2023b.xml"
DEFAULT_OUT = REPO / "src" / "medanon" / "dicom" / "_ps315.py"

# Column headings of Table E.1-1 (after the four descriptive columns) and the
# medanon option name each one becomes.  The script refuses a table whose
# headings differ, so a new edition cannot silently shift a column.
OPTION_HEADINGS = {
    "Basic Prof.": "basic",
    "Rtn. Safe Priv. Opt.": "retain-safe-private",
    "Rtn. UIDs Opt.": "retain-uids",
    "Rtn. Dev. Id. Opt.": "retain-device-identity",
    "Rtn. Inst. Id. Opt.": "retain-institution-identity",
    "Rtn. Pat. Chars. Opt.": "retain-patient-characteristics",
    "Rtn. Long. Full Dates Opt.": "retain-longitudinal-full-dates",
    "Rtn. Long. Modif. Dates Opt.": "retain-longitudinal-modified-dates",
    "Clean Desc. Opt.": "clean-descriptors",
    "Clean Struct. Cont. Opt.": "clean-structured-content",
    "Clean Graph. Opt.": "clean-graphics",
}
TAG_RE = re.compile(r"^\(([0-9A-Fx]{4}),([0-9A-Fx]{4})\)$")
PRIVATE_TAG_RE = re.compile(r"^\(([0-9A-Fa-f]{4}),xx([0-9A-Fa-f]{2})\)$")


def _text(element: ET.Element) -> str:
    """Cell text with whitespace collapsed and zero-width spaces dropped."""
    return " ".join("".join(element.itertext()).replace("\u200b", "").split())


def _table(root: ET.Element, xml_id: str) -> ET.Element:
    for element in root.iter(DOCBOOK + "table"):
        if element.get(XML_ID) == xml_id:
            return element
    raise SystemExit(f"table {xml_id} not found in the XML")


def _rows(table: ET.Element) -> list[list[str]]:
    rows = []
    for tr in table.iter(DOCBOOK + "tr"):
        cells = list(tr)
        if any(c.get("rowspan") not in (None, "1") or c.get("colspan") not in (None, "1") for c in cells):
            raise SystemExit("spanning cells are not supported; the table layout changed")
        rows.append([_text(c) for c in cells])
    return rows


def parse_action_codes(root: ET.Element) -> dict[str, str]:
    return {code: meaning for code, meaning in _rows(_table(root, "table_E.1-1a"))}


def parse_attributes(root: ET.Element, known_codes: set[str]) -> list[dict[str, object]]:
    rows = _rows(_table(root, "table_E.1-1"))
    header, body = rows[0], rows[1:]
    headings = [re.sub(r"\s+\(from\s*\)", "", h) for h in header[4:]]
    if headings != list(OPTION_HEADINGS):
        raise SystemExit(f"unexpected Table E.1-1 columns: {headings}")
    columns = list(OPTION_HEADINGS.values())
    attributes = []
    for row in body:
        name, tag, retired, in_iod = row[:4]
        codes = row[4:]
        for code in codes:
            if code and code not in known_codes:
                raise SystemExit(f"{tag}: action code {code!r} is not in Table E.1-1a")
        if tag.startswith("(gggg,eeee)"):
            tag = "private"
        elif not TAG_RE.match(tag):
            raise SystemExit(f"unexpected tag notation {tag!r}")
        attributes.append(
            {
                "tag": tag.strip("()").replace(",", "") if tag != "private" else tag,
                "name": name,
                "retired": retired == "Y",
                "in_std_iod": in_iod == "Y",
                "basic": codes[0],
                "options": {col: code for col, code in zip(columns[1:], codes[1:], strict=True) if code},
            }
        )
    if not attributes or any(not a["basic"] for a in attributes):
        raise SystemExit("every attribute of Table E.1-1 needs a Basic Profile action")
    return attributes


def parse_safe_private(root: ET.Element) -> list[dict[str, str]]:
    rows = _rows(_table(root, "table_E.3.10-1"))
    if rows[0] != ["Data Element", "Private Creator", "VR", "VM", "Meaning"]:
        raise SystemExit(f"unexpected Table E.3.10-1 columns: {rows[0]}")
    entries = []
    for tag, creator, vr, vm, meaning in rows[1:]:
        match = PRIVATE_TAG_RE.match(tag)
        if not match:
            raise SystemExit(f"unexpected private tag notation {tag!r}")
        entries.append(
            {"group": match.group(1).upper(), "element": match.group(2).upper(), "creator": creator, "vr": vr, "vm": vm,
             "meaning": meaning}
        )
    return entries


def cid7050() -> dict[str, tuple[str, str, str]]:
    """CID 7050 from pydicom's generated PS3.16 data (the XML only links to PS3.16)."""
    from pydicom.sr.codedict import codes

    collection = codes.cid7050
    return {
        name: (code.value, code.scheme_designator, code.meaning)
        for name in collection.dir()
        for code in [getattr(collection, name)]
    }


def render(xml_path: Path) -> str:
    data = xml_path.read_bytes()
    root = ET.fromstring(data)
    action_codes = parse_action_codes(root)
    attributes = parse_attributes(root, set(action_codes))
    safe_private = parse_safe_private(root)
    import pydicom

    lines = [
        f'"""PS3.15 2023b tables as data: generated by tools/generate_ps315.py from {xml_path.name},',
        f"sha256 {hashlib.sha256(data).hexdigest()}; CID 7050 from pydicom {pydicom.__version__}.",
        "",
        "Do not edit: change the source and re-run the script.",
        '"""',
        "",
        "# fmt: off",
        'STANDARD_VERSION = "2023b"',
        f'SOURCE_SHA256 = "{hashlib.sha256(data).hexdigest()}"',
        "",
        "ACTION_CODES = " + pprint.pformat(action_codes, width=110, sort_dicts=False),
        "",
        "OPTION_COLUMNS = " + pprint.pformat(tuple(OPTION_HEADINGS.values())[1:], width=110),
        "",
        "ATTRIBUTES = " + pprint.pformat(attributes, width=110, sort_dicts=False),
        "",
        "SAFE_PRIVATE = " + pprint.pformat(safe_private, width=110, sort_dicts=False),
        "",
        "CID_7050 = " + pprint.pformat(cid7050(), width=110, sort_dicts=True),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xml", type=Path, default=DEFAULT_XML)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not args.xml.is_file():
        print(f"PS3.15 XML not found: {args.xml}", file=sys.stderr)
        return 2
    args.out.write_text(render(args.xml), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
