"""The run report: every item's record, actions included, exactly as the results said."""

from __future__ import annotations

import json
from pathlib import Path

from medanon.core.enum import Status
from medanon.core.policy import Policy
from medanon.core.results import Action, ItemResult
from medanon.pipeline.report import ReportWriter


def test_each_item_keeps_its_actions_in_order_with_any_characters(tmp_path: Path) -> None:
    shared = Action("(0010,0010)", "Z", "PS3.15: emptied")
    results = [
        ItemResult(source="a.dcm", status=Status.RELEASED, output="x/a.dcm",
                   actions=[shared, Action('(0008,1030)', "C", 'cleaned "descriptor" \\ naïve ✓')]),
        ItemResult(source="b.dcm", status=Status.QUARANTINED, reasons=["pixel screen found text"],
                   actions=[]),
        ItemResult(source="c.dcm", status=Status.RELEASED, actions=[shared, shared]),
    ]
    expected = [[a.to_dict() for a in r.actions] for r in results]
    writer = ReportWriter(tmp_path / "report.json")
    for result in results:
        writer.add(result)
    header = writer.finish(Policy.load("publication"), "fingerprint", ["in"])
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert [item["actions"] for item in report["items"]] == expected
    assert [item["source"] for item in report["items"]] == ["a.dcm", "b.dcm", "c.dcm"]
    assert report["items"][0]["actions_by_code"] == {"C": 1, "Z": 1}
    assert report["items"][1]["reasons"] == ["pixel screen found text"]
    assert header["actions_by_code"] == {"C": 1, "Z": 3}
