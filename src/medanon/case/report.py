"""The case report for the person who signs off: one self-contained HTML page and JSON for machines.

Items are named by their case id (``dicom-1#2``), never by file name; the
report repeats no history or discussion text and no header value, so it can
travel inside the package. Previews are of *released* images only (after
cleaning), embedded as data URIs so the page needs nothing else.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import medanon
from medanon.case.model import CaseManifest, now
from medanon.case.rules import Decision, SharingPolicy
from medanon.core.enum import Status
from medanon.core.policy import Policy
from medanon.core.results import ItemResult

PREVIEW_PIXELS = 160
STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#1a1a1a;padding:0 1em}
h1{font-size:1.5em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;width:100%;margin:.5em 0}td,th{border:1px solid #ccc;padding:.3em .5em;
text-align:left;vertical-align:top}th{background:#f2f2f2}.released{color:#176d2c;font-weight:bold}
.quarantined,.failed,.refused{color:#a33;font-weight:bold}.open{color:#a60;font-weight:bold}
.signed{color:#176d2c}details{margin:.3em 0}img{image-rendering:pixelated;border:1px solid #999}
.sign{border:2px solid #333;padding:1em;margin-top:1em}.line{display:inline-block;min-width:20em;
border-bottom:1px solid #333}
"""


def build(manifest: CaseManifest, decision: Decision, policy: SharingPolicy, results: dict[str, list[ItemResult]],
          profile: Policy, key_fingerprint: str) -> dict[str, Any]:
    """The report as data; ``write`` renders it."""
    items = []
    for item_id, outcome in results.items():
        kind = next((m.kind.value for m in manifest.material if m.id == item_id), "text")
        for result in outcome:
            record = result.to_dict()
            record["item"] = item_id
            record["kind"] = kind
            record["actions_by_code"] = dict(sorted(Counter(a.code for a in result.actions).items()))
            items.append(record)
    signed = {s.item: {"by": s.by, "when": s.when, "note": s.note} for s in manifest.signoffs}
    return {
        "medanon": medanon.__version__,
        "created": now(),
        "case": {"id": manifest.id, "purpose": manifest.purpose.value, "destination": manifest.destination,
                 "consent": manifest.consent.value, "permission_id": manifest.permission_id,
                 "paediatric": manifest.paediatric, "partners": list(manifest.partners),
                 "contract": manifest.contract},
        "level": decision.level.value if decision.level else None,
        "profile": {"name": profile.name, "options": sorted(o.value for o in profile.options)},
        "key_fingerprint": key_fingerprint,
        "policy": {"name": policy.name, "source": policy.source,
                   "adult_age_rounding_years": policy.adult_age_rounding_years,
                   "choices": policy.choices, "notes": decision.notes},
        "refusals": decision.refusals,
        "review": [{"id": r.id, "text": r.text, "signed": signed.get(r.id)} for r in decision.review] + [
            {"id": f"review:{i['source']}", "text": "; ".join(i["review"]), "signed": signed.get(
                f"review:{i['source']}")} for i in items if i["status"] == Status.RELEASED.value and i["review"]],
        "withheld": [{"id": f"withheld:{i['source']}", "reasons": i["reasons"], "signed": signed.get(
            f"withheld:{i['source']}")} for i in items if i["status"] != Status.RELEASED.value],
        "consent_statement": decision.consent_statement,
        "counts": dict(Counter(i["status"] for i in items)),
        "items": items,
    }


def refresh_signoffs(out_dir: Path, manifest: CaseManifest) -> dict[str, Any]:
    """Sign-offs given after the run go into the report before it is packaged."""
    data: dict[str, Any] = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    signed = {s.item: {"by": s.by, "when": s.when, "note": s.note} for s in manifest.signoffs}
    for entry in data["review"] + data["withheld"]:
        entry["signed"] = signed.get(entry["id"])
    write(out_dir, data)
    return data


def write(out_dir: Path, data: dict[str, Any]) -> tuple[Path, Path]:
    """``report.json`` and ``report.html`` into ``out_dir``."""
    json_path = out_dir / "report.json"
    html_path = out_dir / "report.html"
    for path, text in ((json_path, json.dumps(data, indent=1)), (html_path, render_html(data, out_dir))):
        temp = path.with_name(f".{path.name}.tmp")
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, path)
    return json_path, html_path


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def render_html(data: dict[str, Any], out_dir: Path) -> str:
    case = data["case"]
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>medanon case report "
             f"{_e(case['id'])}</title><style>{STYLE}</style></head><body>",
             f"<h1>Case report {_e(case['id'])}</h1>",
             "<table>" + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in (
                 ("purpose", case["purpose"]), ("destination", case["destination"]), ("consent", case["consent"]),
                 ("permission ID", case["permission_id"] or "none"),
                 ("paediatric", "yes" if case["paediatric"] else "no"),
                 ("level", data["level"]), ("DICOM profile", data["profile"]["name"]),
                 ("key fingerprint", data["key_fingerprint"]), ("medanon", data["medanon"]),
                 ("created", data["created"]))) + "</table>"]
    if data["refusals"]:
        parts.append("<h2>Refused</h2><ul>" + "".join(f"<li class='refused'>{_e(r)}</li>" for r in data["refusals"])
                     + "</ul>")
    parts.append(_items_html(data["items"], out_dir))
    parts.append(_review_html(data))
    parts.append(_policy_html(data))
    if data["consent_statement"]:
        parts.append(f"<h2>Consent statement</h2><p>{_e(data['consent_statement'])}</p>")
    parts.append("<h2>Sign-off</h2><div class='sign'><p>I have reviewed every item and every open point above "
                 "and confirm the material is fit to share for the stated purpose.</p>"
                 "<p>Name: <span class='line'></span></p><p>Role: <span class='line'></span></p>"
                 "<p>Date: <span class='line'></span></p><p>Signature: <span class='line'></span></p></div>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _items_html(items: list[dict[str, Any]], out_dir: Path) -> str:
    rows = []
    for item in items:
        status = item["status"]
        why = "<br>".join(_e(r) for r in item["reasons"]) or "—"
        actions = "".join(f"<tr><td>{_e(a['path'])}</td><td>{_e(a['code'])}</td><td>{_e(a['reason'])}</td></tr>"
                          for a in item["actions"])
        detail = (f"<details><summary>{len(item['actions'])} changes "
                  f"({_e(', '.join(f'{k}: {v}' for k, v in item['actions_by_code'].items()))})</summary>"
                  f"<table><tr><th>attribute</th><th>action</th><th>why</th></tr>{actions}</table></details>"
                  if item["actions"] else "")
        review = "".join(f"<div>review: {_e(r)}</div>" for r in item["review"])
        preview = _preview(out_dir / item["output"]) if item["output"] and status == "released" else ""
        rows.append(f"<tr class='item' data-item='{_e(item['source'])}'><td>{_e(item['source'])}</td>"
                    f"<td>{_e(item['kind'])}</td><td class='{_e(status)}'>{_e(status)}</td>"
                    f"<td>{why}{detail}{review}</td><td>{preview}</td></tr>")
    return ("<h2>Items</h2><table><tr><th>item</th><th>kind</th><th>status</th>"
            "<th>what was removed or changed, or why it was withheld</th><th>after</th></tr>"
            + "".join(rows) + "</table>")


def _review_html(data: dict[str, Any]) -> str:
    rows = []
    for entry in data["review"] + data["withheld"]:
        text = entry.get("text") or "withheld: " + "; ".join(entry.get("reasons", []))
        signed = entry["signed"]
        state = (f"<span class='signed'>signed by {_e(signed['by'])} {_e(signed['when'])}</span>" if signed
                 else "<span class='open'>open</span>")
        rows.append(f"<tr><td>{_e(entry['id'])}</td><td>{_e(text)}</td><td>{state}</td></tr>")
    if not rows:
        return "<h2>Review checklist</h2><p>Nothing needs a human review.</p>"
    return ("<h2>Review checklist</h2><table><tr><th>id</th><th>what to check</th><th>state</th></tr>"
            + "".join(rows) + "</table>")


def _policy_html(data: dict[str, Any]) -> str:
    policy = data["policy"]
    choices = "".join(f"<tr><td>{_e(name)}</td><td>{_e(c.get('choice', ''))}</td><td>{_e(c.get('alternative', ''))}"
                      f"</td><td>{_e(c.get('why', ''))}</td></tr>" for name, c in policy["choices"].items())
    notes = "".join(f"<li>{_e(n)}</li>" for n in policy["notes"])
    return (f"<h2>Policy choices</h2><p>{_e(policy['name'])} ({_e(policy['source'])}); adult ages rounded to "
            f"{_e(policy['adult_age_rounding_years'])} years.</p><ul>{notes}</ul>"
            "<table><tr><th>question</th><th>this policy's choice</th><th>other guidance</th><th>why</th></tr>"
            + choices + "</table>")


def _preview(path: Path) -> str:
    """A small PNG of a released image's first frame, or nothing if it cannot be drawn."""
    if not path.is_file() or path.suffix.lower() != ".dcm" or os.path.getsize(path) > 256 * 1024**2:
        return ""
    try:
        import numpy as np
        import pydicom
        from PIL import Image

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pixels = np.asarray(pydicom.dcmread(path).pixel_array, dtype=np.float64)
        if pixels.ndim == 3 and pixels.shape[-1] not in (3, 4):
            pixels = pixels[0]
        low, high = float(pixels.min()), float(pixels.max())
        scaled = ((pixels - low) / (high - low or 1.0) * 255).astype(np.uint8)
        image = Image.fromarray(scaled)
        size = (PREVIEW_PIXELS, max(1, PREVIEW_PIXELS * image.height // max(1, image.width)))
        image = image.resize(size, Image.Resampling.NEAREST)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
    except Exception:  # a preview is a courtesy: no preview never changes an outcome
        return ""
    return f"<img alt='preview' src='data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}'>"


REVIEW_SHEET = "index.html"
PREVIEW_SUFFIXES = (".png", ".jpg", ".jpeg")


def write_review_sheet(review_dir: Path, case_id: str) -> Path | None:
    """The signer's before/after page: ``<case>/review/index.html``, linking each item's previews.

    The 'before' images show original pixels (burnt-in text, faces), so this page and its folder stay
    beside ``out/`` on the reviewer's machine: export packages ``out/`` only and never sees them.
    """
    items = sorted(p for p in review_dir.iterdir() if p.is_dir()) if review_dir.is_dir() else []
    sections = []
    for folder in items:
        images = sorted(p for p in folder.iterdir() if p.suffix.lower() in PREVIEW_SUFFIXES)
        if not images:
            continue
        pictures = "".join(f"<figure><img alt='{_e(p.name)}' src='{_e(folder.name)}/{_e(p.name)}'>"
                           f"<figcaption>{_e(p.stem)}</figcaption></figure>" for p in images)
        sections.append(f"<section><h2>{_e(folder.name)}</h2>{pictures}</section>")
    if not sections:
        return None
    page = ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>medanon review sheet {_e(case_id)}</title><style>"
            "body{font-family:sans-serif;margin:2em} img{max-width:100%;border:1px solid #999}"
            ".warn{background:#fee;border:1px solid #c00;padding:.5em}</style></head><body>"
            f"<h1>Before and after, case {_e(case_id)}</h1><p class='warn'>For the person who signs the case off. "
            "The 'before' images show the original pixels: this page stays on this machine and is never "
            "exported or shared.</p>" + "".join(sections) + "</body></html>\n")
    target = review_dir / REVIEW_SHEET
    target.write_text(page, encoding="utf-8")
    return target
