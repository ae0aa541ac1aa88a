"""The EU AI Act classification engine, branch by branch (no database)."""

import pytest

from registry.ai_act import Answers, classify, transparency_duties

BASE = Answers()


def answers(**changes) -> Answers:
    return Answers(**{**BASE.__dict__, **changes})


@pytest.mark.parametrize(
    ("given", "category", "tier", "first_line"),
    [
        # Art. 5: a prohibited practice decides alone, whatever else is said.
        (
            answers(prohibited_practices=("social_scoring",)),
            "prohibited",
            "critical",
            "Art. 5(1)(c)",
        ),
        (
            answers(
                prohibited_practices=("manipulation", "social_scoring"),
                domain="creditworthiness",
                interacts_with_people=True,
            ),
            "prohibited",
            "critical",
            "Art. 5(1)(a)",
        ),
        # Annex III: high risk; tier by autonomy and affected groups.
        (
            answers(domain="creditworthiness", autonomy="human_in_the_loop"),
            "high_risk",
            "high",
            "Art. 6(2), Annex III 5(b)",
        ),
        (
            answers(domain="employment", autonomy="advisory"),
            "high_risk",
            "high",
            "Art. 6(2), Annex III 4",
        ),
        (
            answers(domain="creditworthiness", autonomy="fully_automated"),
            "high_risk",
            "critical",
            "Art. 6(2), Annex III 5(b)",
        ),
        (
            answers(domain="education", autonomy="human_on_the_loop"),
            "high_risk",
            "critical",
            "Art. 6(2), Annex III 3",
        ),
        (
            answers(domain="education", affected_groups=("students", "children")),
            "high_risk",
            "critical",
            "Art. 6(2), Annex III 3",
        ),
        (
            answers(
                domain="essential_public_services",
                affected_groups=("vulnerable_groups",),
            ),
            "high_risk",
            "critical",
            "Art. 6(2), Annex III 5(a)",
        ),
        (
            answers(emotion_or_biometric_categorisation=True),
            "high_risk",
            "high",
            "Art. 6(2), Annex III 1(b)-(c)",
        ),
        # Art. 50 triggers without Annex III: limited risk, medium.
        (answers(interacts_with_people=True), "limited_risk", "medium", "Art. 50"),
        (answers(generative=True), "limited_risk", "medium", "Art. 50"),
        (answers(synthetic_content=True), "limited_risk", "medium", "Art. 50"),
        # Nothing: minimal, low.
        (answers(), "minimal", "low", "Art. 5, 6, 50"),
        (answers(general_purpose=True), "minimal", "low", "Art. 5, 6, 50"),
        # The floors personal data and children set.
        (answers(personal_data=("personal",)), "minimal", "medium", "Art. 5, 6, 50"),
        (
            answers(personal_data=("special_category",)),
            "minimal",
            "high",
            "Art. 5, 6, 50",
        ),
        (
            answers(interacts_with_people=True, personal_data=("biometric",)),
            "limited_risk",
            "high",
            "Art. 50",
        ),
        (
            answers(generative=True, personal_data=("children",)),
            "limited_risk",
            "high",
            "Art. 50",
        ),
        (answers(affected_groups=("children",)), "minimal", "high", "Art. 5, 6, 50"),
        # A floor never lowers: critical stays critical.
        (
            answers(
                domain="law_enforcement",
                autonomy="fully_automated",
                personal_data=("personal",),
            ),
            "high_risk",
            "critical",
            "Art. 6(2), Annex III 6",
        ),
    ],
)
def test_classification(given, category, tier, first_line):
    result = classify(given)

    assert (result.category, result.proposed_tier) == (category, tier)
    assert result.reasoning[0].citation == first_line
    assert all(line.citation and line.text for line in result.reasoning)


def test_the_credit_scoring_summary_names_the_annex_point():
    result = classify(answers(domain="creditworthiness"))

    assert result.summary == "high-risk (Annex III 5(b), creditworthiness)"


def test_every_annex_iii_domain_is_high_risk_and_other_is_not():
    from registry.ai_act import DOMAINS

    for code, domain in DOMAINS.items():
        expected = "high_risk" if domain.annex_iii else "minimal"
        assert classify(answers(domain=code)).category == expected, code


@pytest.mark.parametrize(
    ("given", "duties"),
    [
        (answers(), []),
        (answers(interacts_with_people=True), ["disclose_ai_interaction"]),
        (answers(generative=True), ["mark_synthetic_content"]),
        (
            answers(synthetic_content=True),
            ["mark_synthetic_content", "disclose_deepfake"],
        ),
        (
            answers(emotion_or_biometric_categorisation=True),
            ["inform_emotion_or_biometric_categorisation"],
        ),
        (
            answers(
                interacts_with_people=True,
                generative=True,
                synthetic_content=True,
                emotion_or_biometric_categorisation=True,
            ),
            [
                "disclose_ai_interaction",
                "mark_synthetic_content",
                "inform_emotion_or_biometric_categorisation",
                "disclose_deepfake",
            ],
        ),
    ],
)
def test_transparency_duties(given, duties):
    assert [duty.code for duty in transparency_duties(given)] == duties


def test_a_high_risk_chatbot_keeps_its_transparency_duty():
    result = classify(answers(domain="employment", interacts_with_people=True))

    assert result.category == "high_risk"
    assert [duty.code for duty in result.transparency_duties] == [
        "disclose_ai_interaction"
    ]
    assert any(line.citation == "Art. 50(1)" for line in result.reasoning)


def test_a_general_purpose_model_is_told_its_provider_duties():
    result = classify(answers(general_purpose=True, generative=True))

    assert any(line.citation == "Art. 53" for line in result.reasoning)


@pytest.mark.parametrize(
    ("given", "field"),
    [
        (answers(domain="astrology"), "domain"),
        (answers(autonomy="telepathic"), "autonomy"),
        (answers(affected_groups=("aliens",)), "affected_groups"),
        (answers(prohibited_practices=("mind_reading",)), "prohibited_practices"),
        (answers(personal_data=("none", "personal")), "personal_data"),
    ],
)
def test_answers_outside_the_vocabulary_name_their_field(given, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        classify(given)


def test_the_critical_tier_is_reasoned_in_words_not_codes():
    result = classify(
        answers(
            domain="creditworthiness",
            autonomy="fully_automated",
            affected_groups=("vulnerable_groups", "children", "consumers"),
        )
    )

    (line,) = [line for line in result.reasoning if line.citation == "Art. 14"]
    assert line.text == (
        "Proposed tier critical: high-risk and its decisions take effect "
        "unconfirmed (fully automated); it affects children and vulnerable "
        "groups (age, disability, social or economic situation)."
    )
