"""The DICOM engine's Clean Descriptors option goes through the text scrubber (publication profile)."""

from __future__ import annotations

from medanon.core.keys import KeyRing
from medanon.core.policy import Policy
from medanon.dicom.engine import deidentify
from tests.conftest import make_ct

PUBLICATION = Policy.load("publication")
KEYS = KeyRing(b"e" * 32)


def test_description_keeps_clinical_words_and_loses_a_name_found_by_context() -> None:
    out = deidentify(make_ct(StudyDescription="CT CHEST WITH CONTRAST Dr Head"), PUBLICATION, KEYS).dataset
    assert out.StudyDescription == "CT CHEST WITH CONTRAST"


def test_description_of_identifiers_only_is_removed() -> None:
    out = deidentify(make_ct(StudyDescription="Mr SMITH 04/03/1961"), PUBLICATION, KEYS).dataset
    assert not out.get("StudyDescription")
