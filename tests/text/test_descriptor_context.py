"""The descriptor cleaner uses the scrubber: names found by context go even when they are clinical words."""

from __future__ import annotations

from medanon.text import clean_descriptor


def test_name_after_a_title_goes_although_it_is_a_clinical_word() -> None:
    assert clean_descriptor("CT CHEST WITH CONTRAST Dr Head") == "CT CHEST WITH CONTRAST"


def test_relative_name_goes() -> None:
    assert clean_descriptor("CT CHEST WITH CONTRAST husband Mark") == "CT CHEST WITH CONTRAST"


def test_clinical_words_of_a_description_stay() -> None:
    assert clean_descriptor("CT CHEST WITH CONTRAST") == "CT CHEST WITH CONTRAST"


def test_modality_mr_stays_before_a_body_part() -> None:
    assert clean_descriptor("MR HEAD WITHOUT CONTRAST") == "MR HEAD WITHOUT CONTRAST"


def test_description_of_identifiers_only_is_removed_whole() -> None:
    assert clean_descriptor("Mr SMITH 04/03/1961 tel 0161 555 0192") == ""
