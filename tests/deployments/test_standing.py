"""deployments.standing: which version a verdict speaks about, without a
database."""

from deployments.standing import (
    Canary,
    canary_label,
    subject_label,
    verdict_subject,
)
from registry.refs import VersionRef

V3 = VersionRef(version_id=13, version=3)
V4 = VersionRef(version_id=14, version=4)
V5 = VersionRef(version_id=15, version=5)


def test_the_serving_primary_speaks_with_its_canary_beside_it():
    canary = Canary(V4, 10)

    subject = verdict_subject(primary=V3, canary=canary, candidate=V5)

    assert (subject.version, subject.is_serving, subject.canary) == (V3, True, canary)
    assert subject.label == "v3 serving"


def test_a_canary_serving_alone_answers_for_the_model():
    subject = verdict_subject(primary=None, canary=Canary(V4, 10), candidate=V5)

    assert (subject.version, subject.is_serving, subject.canary) == (V4, True, None)


def test_where_nothing_serves_the_candidate_speaks():
    subject = verdict_subject(primary=None, canary=None, candidate=V5)

    assert (subject.version, subject.is_serving) == (V5, False)
    assert subject.label == "v5 candidate"


def test_a_model_of_drafts_has_no_subject():
    assert verdict_subject(primary=None, canary=None, candidate=None) is None


def test_labels():
    assert subject_label(7, serving=True) == "v7 serving"
    assert subject_label(7, serving=False) == "v7 candidate"
    assert canary_label(8, 25) == "v8 canary at 25%"
