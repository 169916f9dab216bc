"""Small typed records that pass between stages (STYLE.md section 2).

No record ever holds a patient value: actions name the tag path and the code,
findings name the check and where, never the identifying string itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from medanon.core.enum import Severity, Status


class Action(NamedTuple):
    """One thing done to one attribute: tag path, action code, why.

    A named tuple: a header makes dozens per file, and they cross process boundaries.
    """

    path: str
    code: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code, "reason": self.reason}


@dataclass(frozen=True)
class Finding:
    """One result of an independent check of an output.

    ``where`` is a tag path or ``"bytes@<offset>"``; ``message`` names the kind
    of identifier (e.g. "PatientName in form 'First Last'"), never its value.
    """

    severity: Severity
    check: str
    where: str
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", Severity(self.severity))

    @property
    def blocks_release(self) -> bool:
        return self.severity >= Severity.ERROR

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity.name,
            "check": self.check,
            "where": self.where,
            "message": self.message,
        }


@dataclass
class ItemResult:
    """The outcome for one input item; the only thing front ends look at."""

    source: str
    status: Status
    output: str | None = None
    reasons: list[str] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    review: list[str] = field(default_factory=list)
    modality: str | None = None
    sop_class: str | None = None

    def __post_init__(self) -> None:
        self.status = Status(self.status)

    def to_dict(self, with_actions: bool = True) -> dict[str, Any]:
        record = {
            "source": self.source,
            "status": self.status.value,
            "output": self.output,
            "reasons": list(self.reasons),
            "modality": self.modality,
            "sop_class": self.sop_class,
            "findings": [f.to_dict() for f in self.findings],
            "review": list(self.review),
        }
        if with_actions:
            record["actions"] = [action.to_dict() for action in self.actions]
        return record
