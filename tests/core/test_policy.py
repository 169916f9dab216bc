"""Profiles as data: shipped recipes load, contradictions are refused with the reason."""

from __future__ import annotations

from importlib import resources

import pytest
from pydicom.datadict import tag_for_keyword

from medanon.core.enum import ActionCode, Level, Option
from medanon.core.errors import PolicyError
from medanon.core.policy import SHIPPED_PROFILES, Policy
from medanon.dicom.table import resolve


def shipped_text(name: str) -> str:
    return resources.files("medanon.core.profiles").joinpath(f"{name}.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", SHIPPED_PROFILES)
def test_shipped_profile_loads(name):
    policy = Policy.load(name)
    assert policy.name == name and policy.level is Level(name)


def test_publication_has_no_pseudonyms_and_rounds_age():
    policy = Policy.load("publication")
    assert ActionCode.PSEUDONYM not in policy.overrides.values()
    assert policy.overrides["PatientAge"] is ActionCode.AGE


def test_limited_access_shifts_dates():
    assert Policy.load("limited-access").shifts_dates


def test_publication_with_retain_uids_is_refused():
    with pytest.raises(PolicyError, match=r"publication cannot retain indirect identifiers: \['retain-uids'\]"):
        Policy.load("publication").with_options({Option.RETAIN_UIDS})


def test_publication_with_pseudonym_override_is_refused():
    with pytest.raises(PolicyError, match="no key-coded pseudonyms"):
        Policy(name="p", level=Level.PUBLICATION, overrides={"PatientID": "P"})


def test_publication_keeping_patient_age_is_refused():
    with pytest.raises(PolicyError, match="round or remove PatientAge"):
        Policy(name="p", level=Level.PUBLICATION, overrides={"PatientAge": "K"})


def test_full_and_modified_dates_together_are_refused():
    with pytest.raises(PolicyError, match="full dates and modified dates cannot both be retained"):
        Policy.load("limited-access").with_options({Option.RETAIN_LONGITUDINAL_FULL_DATES})


def test_unknown_option_is_refused():
    with pytest.raises(PolicyError, match="'retain-everything' is not one of"):
        Policy(name="p", level=Level.LIMITED_ACCESS, options=frozenset({"retain-everything"}))


def test_unknown_level_is_refused():
    with pytest.raises(PolicyError, match="level: 'public' is not one of"):
        Policy(name="p", level="public")  # type: ignore[arg-type]


def test_unknown_unlisted_rule_is_refused():
    with pytest.raises(PolicyError, match="unlisted must be one of"):
        Policy(name="p", level=Level.LIMITED_ACCESS, unlisted="everything")


def test_unknown_recipe_key_is_refused_by_name():
    with pytest.raises(PolicyError, match="unknown recipe keys \\['colour'\\]"):
        Policy.from_toml('name = "x"\nlevel = "publication"\ncolour = "red"\n')


def test_recipe_without_level_is_refused():
    with pytest.raises(PolicyError, match="recipe lacks \\['level'\\]"):
        Policy.from_toml('name = "x"\n')


def test_malformed_toml_is_refused():
    with pytest.raises(PolicyError, match="bad.toml"):
        Policy.from_toml('name = "x\n', "bad.toml")


def test_unknown_override_keyword_is_refused_by_name():
    with pytest.raises(PolicyError, match="unknown DICOM keyword 'PatientFavouriteColour'"):
        Policy.from_toml('name = "x"\nlevel = "publication"\n[overrides]\nPatientFavouriteColour = "X"\n')


def test_unknown_override_action_code_is_refused():
    with pytest.raises(PolicyError, match="override StationName: 'Q' is not one of"):
        Policy.from_toml('name = "x"\nlevel = "publication"\n[overrides]\nStationName = "Q"\n')


def test_user_recipe_file_derived_from_publication_loads(tmp_path):
    text = shipped_text("publication").replace('name = "publication"', 'name = "teaching"')
    path = tmp_path / "teaching.toml"
    path.write_text(text + 'BodyPartExamined = "X"\n', encoding="utf-8")  # [overrides] is the last table
    policy = Policy.load(path)
    assert policy.name == "teaching" and policy.level is Level.PUBLICATION
    assert policy.overrides["BodyPartExamined"] is ActionCode.REMOVE
    assert policy.overrides["PatientAge"] is ActionCode.AGE


def test_missing_profile_or_file_is_refused(tmp_path):
    with pytest.raises(PolicyError, match="no shipped profile or recipe file named"):
        Policy.load(tmp_path / "absent.toml")


@pytest.mark.parametrize("option", [Option.CLEAN_RECOGNIZABLE_VISUAL_FEATURES])
def test_options_without_a_cleaner_are_refused(option):
    with pytest.raises(PolicyError, match="no cleaner yet"):
        Policy.load("publication").with_options({option})


def test_clean_pixel_data_is_accepted_because_the_pipeline_redacts_pixels():
    # medanon.pixels.redact_burnt_in cleans burnt-in text (issue 5): the option is no longer refused.
    policy = Policy.load("publication").with_options({Option.CLEAN_PIXEL_DATA})
    assert Option.CLEAN_PIXEL_DATA in policy.options


def test_with_options_keeps_the_original_unchanged():
    policy = Policy.load("limited-access")
    policy.with_options({Option.RETAIN_DEVICE_IDENTITY})
    assert Option.RETAIN_DEVICE_IDENTITY not in policy.options


# --- the technical allow-list ------------------------------------------------------------------

def test_allow_list_keywords_are_real_dicom_keywords():
    unknown = sorted(k for k in Policy.load("publication").allow.keywords if tag_for_keyword(k) is None)
    assert unknown == []


def test_allow_list_keywords_are_not_in_table_e1_1():
    policy = Policy.load("publication")
    table = resolve(Policy(name="bare", level=Level.PUBLICATION))  # no overrides: the table itself
    listed = sorted(k for k in policy.allow.keywords if table.rule_for(tag_for_keyword(k)) is not None)
    assert listed == []
