"""Intake answers the tests share."""

CREDIT_SCORING = {
    "purpose": "Scores consumer credit applications.",
    "affected_persons": "Applicants for consumer loans.",
    "affected_groups": ["consumers"],
    "autonomy": "human_in_the_loop",
    "domain": "creditworthiness",
    "prohibited_practices": [],
    "personal_data": ["personal"],
    "general_purpose": False,
    "generative": False,
    "interacts_with_people": False,
    "synthetic_content": False,
    "emotion_or_biometric_categorisation": False,
    "provenance": "in_house",
    "vendor_name": "",
    "human_oversight_measures": "",
    "human_oversight_contact": "",
}

MINIMAL = {
    **CREDIT_SCORING,
    "purpose": "Forecasts warehouse stock.",
    "affected_persons": "Nobody directly.",
    "affected_groups": [],
    "domain": "other",
    "personal_data": ["none"],
}


def answers(**changes):
    return {**CREDIT_SCORING, **changes}
