"""The shipped sharing policy: purpose decides the level; consent, photographs and rarity decide the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from medanon.case import CaseManifest, ConsentLevel, Material, MaterialKind, Purpose, SharingPolicy, decide
from medanon.core.enum import Level
from medanon.core.errors import PolicyError
from tests.conftest import make_ct, write

POLICY = SharingPolicy.load()


def manifest(purpose: Purpose, consent: ConsentLevel = ConsentLevel.RECORD_ONLY, **fields: object) -> CaseManifest:
    return CaseManifest(purpose=purpose, destination="somewhere", consent=consent, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("purpose", [Purpose.TEACHING, Purpose.PRINTED_PUBLICATION, Purpose.INTERNET_PUBLICATION])
def test_publication_and_teaching_use_the_publication_profile(purpose: Purpose) -> None:
    decision = decide(manifest(purpose, ConsentLevel.INTERNET_PUBLICATION, permission_id="P-1"), POLICY)
    assert decision.level is Level.PUBLICATION
    assert decision.refusals == []


def test_research_with_named_partners_under_contract_is_limited_access() -> None:
    decision = decide(manifest(Purpose.RESEARCH, partners=("Uni A",), contract="DSA-1"), POLICY)
    assert decision.level is Level.LIMITED_ACCESS and not decision.refused


def test_research_without_partners_or_contract_is_refused() -> None:
    decision = decide(manifest(Purpose.RESEARCH), POLICY)
    assert any("named partners and a contract" in r for r in decision.refusals)


def test_direct_care_is_refused_with_the_reason() -> None:
    decision = decide(manifest(Purpose.DIRECT_CARE), POLICY)
    assert decision.level is None
    assert decision.refusals and "identifiable record" in decision.refusals[0]


def test_consent_short_of_the_purpose_is_refused() -> None:
    decision = decide(manifest(Purpose.INTERNET_PUBLICATION, ConsentLevel.PRINTED_PUBLICATION, permission_id="P"),
                      POLICY)
    assert any("needs consent for internet-publication" in r for r in decision.refusals)


def test_consent_beyond_the_purpose_is_accepted() -> None:
    decision = decide(manifest(Purpose.PRINTED_PUBLICATION, ConsentLevel.INTERNET_PUBLICATION, permission_id="P"),
                      POLICY)
    assert not decision.refused


def test_publication_needs_the_permission_id() -> None:
    decision = decide(manifest(Purpose.INTERNET_PUBLICATION, ConsentLevel.INTERNET_PUBLICATION), POLICY)
    assert any("permission ID" in r for r in decision.refusals)


def test_consent_statement_is_built_only_when_consent_was_obtained() -> None:
    given = decide(manifest(Purpose.TEACHING, ConsentLevel.TEACHING, permission_id="CF-77"), POLICY)
    assert "CF-77" in given.consent_statement and "teaching" in given.consent_statement
    assert decide(manifest(Purpose.TEACHING), POLICY).consent_statement == ""


def test_unconsented_adult_photograph_needs_review_and_paediatric_one_is_refused() -> None:
    photo = (Material("photo-1", MaterialKind.PHOTO, "p.jpg"),)
    adult = decide(manifest(Purpose.TEACHING, material=photo), POLICY)
    assert [r.id for r in adult.review] == ["photo-anonymous:photo-1"] and not adult.refused_items
    child = decide(manifest(Purpose.TEACHING, material=photo, paediatric=True), POLICY)
    assert "photo-1" in child.refused_items and "paediatric" in child.refused_items["photo-1"]
    consented = decide(manifest(Purpose.TEACHING, ConsentLevel.TEACHING, material=photo, paediatric=True), POLICY)
    assert not consented.refused_items and not consented.review


def test_rarity_flags_become_review_items() -> None:
    decision = decide(manifest(Purpose.TEACHING, rare_condition=True, small_population=True, in_the_news=True),
                      POLICY)
    assert [r.id for r in decision.review] == ["rare-condition", "small-population", "in-the-news"]


def test_thin_head_sections_are_found_in_the_dicom_headers(tmp_path: Path) -> None:
    write(make_ct(BodyPartExamined="HEAD", SliceThickness="0.625"), tmp_path / "m" / "a.dcm")
    items = (Material("dicom-1", MaterialKind.DICOM, "m"),)
    decision = decide(manifest(Purpose.TEACHING, material=items), POLICY, tmp_path)
    assert "thin-head-sections" in [r.id for r in decision.review]
    write(make_ct(BodyPartExamined="CHEST", SliceThickness="0.625"), tmp_path / "n" / "a.dcm")
    chest = decide(manifest(Purpose.TEACHING, material=(Material("dicom-1", MaterialKind.DICOM, "n"),)), POLICY,
                   tmp_path)
    assert chest.review == []


def test_policy_states_its_choices_where_guidance_disagrees() -> None:
    assert "written consent" in POLICY.choices["publication-consent"]["choice"]
    assert POLICY.choices["publication-consent"]["alternative"]
    assert POLICY.adult_age_rounding_years == 5


def test_an_institution_policy_can_relax_the_publication_consent_choice(tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "src/medanon/case/sharing-policy.toml").read_text(encoding="utf-8")
    relaxed = text.replace('consent = "internet-publication"\nconsent_required = "always"',
                           'consent = "internet-publication"\nconsent_required = "if-identifiable"')
    assert relaxed != text
    (tmp_path / "p.toml").write_text(relaxed, encoding="utf-8")
    decision = decide(manifest(Purpose.INTERNET_PUBLICATION), SharingPolicy.load(tmp_path / "p.toml"))
    assert not decision.refused


def test_a_policy_with_a_typo_is_refused(tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "src/medanon/case/sharing-policy.toml").read_text(encoding="utf-8")
    (tmp_path / "p.toml").write_text(text.replace("needs_partners = true", "need_partners = true"), encoding="utf-8")
    with pytest.raises(PolicyError, match="unknown keys"):
        SharingPolicy.load(tmp_path / "p.toml")
