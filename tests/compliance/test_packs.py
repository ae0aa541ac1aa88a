"""Framework packs: every shipped pack loads; the schema refuses bad packs
with an error naming the obligation and the field."""

from pathlib import Path

import pytest
import yaml

from compliance.engine import (
    EVIDENCE_KINDS,
    PackError,
    validate_obligation,
    validate_pack,
)
from compliance.packs import (
    PACK_DIRECTORY,
    PackFileError,
    load_pack_file,
    shipped_packs,
)


def _pack(**changes):
    obligation = {
        "id": "art-9",
        "reference": "Art. 9",
        "title": "Risk management system",
        "summary": "Keep a risk management process.",
        "applies_to": {"categories": ["high_risk"]},
        "evidence": [{"kind": "independent_approval", "params": {"count": 2}}],
    }
    obligation.update(changes)
    return {
        "id": "eu_ai_act",
        "title": "EU AI Act",
        "version": "1",
        "source": "Regulation (EU) 2024/1689",
        "obligations": [obligation],
    }


def test_every_shipped_pack_loads_with_identity_and_unique_obligations():
    packs = shipped_packs()

    assert set(packs) == {"eu_ai_act", "nist_ai_rmf", "iso_iec_42001"}
    for pack in packs.values():
        assert pack.title and pack.version and pack.obligations
        assert all(item.reference for item in pack.obligations)
        assert len({item.id for item in pack.obligations}) == len(pack.obligations)


def test_the_eu_pack_covers_the_high_risk_articles_and_article_50():
    references = [item.reference for item in shipped_packs()["eu_ai_act"].obligations]

    for article in ("9", "10", "11", "12", "13", "14", "15", "17", "26", "72", "50"):
        assert any(ref.startswith(f"Art. {article}") for ref in references), article


def test_the_nist_pack_has_every_function_and_category():
    ids = {item.id for item in shipped_packs()["nist_ai_rmf"].obligations}

    assert {f"govern-{n}" for n in range(1, 7)} <= ids
    assert {f"map-{n}" for n in range(1, 6)} <= ids
    assert {f"measure-{n}" for n in range(1, 5)} <= ids
    assert {f"manage-{n}" for n in range(1, 5)} <= ids


def test_every_evidence_kind_is_used_by_some_shipped_pack():
    used = {
        evidence.kind
        for pack in shipped_packs().values()
        for obligation in pack.obligations
        for evidence in obligation.evidence
    }

    assert used == set(EVIDENCE_KINDS)


def test_an_unknown_evidence_kind_names_the_obligation():
    data = _pack(evidence=[{"kind": "vibes"}])

    with pytest.raises(PackError) as error:
        validate_pack(data)

    assert error.value.field == "obligations[art-9].evidence[0].kind"
    assert "Unknown evidence kind 'vibes'" in error.value.message


def test_a_missing_reference_names_the_obligation():
    data = _pack()
    del data["obligations"][0]["reference"]

    with pytest.raises(PackError, match=r"obligations\[art-9\]\.reference: This field"):
        validate_pack(data)


@pytest.mark.parametrize(
    ("evidence", "field", "message"),
    [
        ({"kind": "independent_approval"}, "params.count", "required"),
        (
            {"kind": "independent_approval", "params": {"count": 0}},
            "params.count",
            "at least 1",
        ),
        (
            {"kind": "independent_approval", "params": {"count": 2, "who": "x"}},
            "params.who",
            "Unknown parameter",
        ),
        (
            {"kind": "model_card_fields", "params": {"fields": ["vibe"]}},
            "params.fields",
            "Unknown value 'vibe'",
        ),
        (
            {"kind": "enforced_rule", "params": {"rule_kind": "nope"}},
            "params.rule_kind",
            "Unknown value 'nope'",
        ),
    ],
)
def test_evidence_parameters_are_checked_against_the_kind(evidence, field, message):
    with pytest.raises(PackError) as error:
        validate_pack(_pack(evidence=[evidence]))

    assert error.value.field == f"obligations[art-9].evidence[0].{field}"
    assert message in error.value.message


def test_unknown_keys_categories_and_duplicate_ids_are_refused():
    with pytest.raises(PackError, match=r"obligations\[art-9\]\.article: Unknown key"):
        validate_pack(_pack(article="9"))
    with pytest.raises(
        PackError, match=r"applies_to\.categories: Unknown value 'risky'"
    ):
        validate_pack(_pack(applies_to={"categories": ["risky"]}))
    twice = _pack()
    twice["obligations"].append(dict(twice["obligations"][0]))
    with pytest.raises(PackError, match=r"obligations\[art-9\]\.id: Appears twice"):
        validate_pack(twice)


def test_a_version_must_be_text():
    data = _pack()
    data["version"] = 1.0

    with pytest.raises(PackError, match="version: Must be text"):
        validate_pack(data)


def test_an_obligation_without_evidence_is_refused():
    with pytest.raises(PackError, match="evidence: Name at least one"):
        validate_obligation({**_pack()["obligations"][0], "evidence": []})


def test_a_pack_file_whose_id_differs_from_its_name_is_refused(tmp_path: Path):
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump(_pack()))

    with pytest.raises(PackFileError, match=r"other\.yaml: id 'eu_ai_act' differs"):
        load_pack_file(path)


def test_a_broken_pack_file_names_the_file_and_the_field(tmp_path: Path):
    data = _pack(evidence=[{"kind": "vibes"}])
    path = tmp_path / "eu_ai_act.yaml"
    path.write_text(yaml.safe_dump(data))

    with pytest.raises(PackFileError, match=r"eu_ai_act.yaml: obligations\[art-9\]"):
        load_pack_file(path)


def test_the_shipped_packs_live_in_the_repository():
    assert sorted(p.name for p in PACK_DIRECTORY.glob("*.yaml")) == [
        "eu_ai_act.yaml",
        "iso_iec_42001.yaml",
        "nist_ai_rmf.yaml",
    ]


def test_a_broken_shipped_pack_fails_the_system_check(tmp_path: Path, monkeypatch):
    from compliance import packs
    from compliance.checks import check_framework_packs

    (tmp_path / "eu_ai_act.yaml").write_text(
        yaml.safe_dump(_pack(evidence=[{"kind": "vibes"}]))
    )
    monkeypatch.setattr(packs, "PACK_DIRECTORY", tmp_path)
    shipped_packs.cache_clear()
    try:
        (error,) = check_framework_packs()
    finally:
        shipped_packs.cache_clear()

    assert error.id == "compliance.E001"
    assert "eu_ai_act.yaml: obligations[art-9].evidence[0].kind" in error.msg


def test_the_shipped_packs_pass_the_system_check():
    from compliance.checks import check_framework_packs

    assert check_framework_packs() == []
