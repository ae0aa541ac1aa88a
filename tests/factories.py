"""factory_boy factories for every model the tests need."""

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from registry.models import Environment, MLModel, ModelVersion, Team


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def roles(user, create, extracted, **kwargs):
        if create and extracted:
            user.groups.set(Group.objects.filter(name__in=extracted))


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ["name"]
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"team-{n}")
    display_name = factory.LazyAttribute(lambda team: team.name.title())

    @factory.post_generation
    def members(team, create, extracted, **kwargs):
        if create and extracted:
            team.members.add(*extracted)


class MLModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MLModel
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"model-{n:04d}")
    display_name = factory.LazyAttribute(lambda model: model.name.title())
    team = factory.SubFactory(TeamFactory)
    risk_tier = MLModel.RiskTier.MEDIUM

    @factory.post_generation
    def tags(model, create, extracted, **kwargs):
        if create and extracted:
            from registry.services import ensure_tags

            model.tags.set(ensure_tags(extracted))


class ModelVersionFactory(factory.django.DjangoModelFactory):
    """A version; non-draft statuses get a submitter and submission time."""

    class Meta:
        model = ModelVersion

    model = factory.SubFactory(MLModelFactory)
    version = factory.Sequence(lambda n: n + 1)
    status = ModelVersion.Status.DRAFT
    artifact_uri = factory.LazyAttribute(
        lambda version: f"s3://models/{version.model.name}/{version.version}"
    )
    framework = "sklearn"
    metrics = factory.LazyFunction(lambda: {"auc": 0.9})
    model_card = factory.LazyFunction(lambda: {"intended_use": "Testing."})
    created_by = factory.SubFactory(UserFactory)
    submitted_by = factory.Maybe(
        factory.LazyAttribute(lambda version: version.status != "draft"),
        yes_declaration=factory.SelfAttribute("created_by"),
        no_declaration=None,
    )
    submitted_at = factory.Maybe(
        factory.LazyAttribute(lambda version: version.status != "draft"),
        yes_declaration=factory.LazyFunction(timezone.now),
        no_declaration=None,
    )


class DriftReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "drift.DriftReport"

    version = factory.SubFactory(ModelVersionFactory)
    environment = factory.LazyFunction(
        lambda: Environment.objects.get(name="production")
    )
    window_start = factory.LazyFunction(lambda: timezone.now() - timedelta(days=7))
    window_end = factory.LazyFunction(timezone.now)
    severity = "warning"
    drift_share = 0.5
    dataset_drift = True
    n_features = 2
    n_evaluable = 2
    n_drifted = 1


class DriftAlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "drift.DriftAlert"

    latest_report = factory.SubFactory(DriftReportFactory)
    version = factory.SelfAttribute("latest_report.version")
    environment = factory.SelfAttribute("latest_report.environment")
    feature = factory.Sequence(lambda n: f"feature_{n}")
    severity = "warning"


class GateDecisionFactory(factory.django.DjangoModelFactory):
    """A recorded gate decision; approved with passing checks by default."""

    class Meta:
        model = "deployments.GateDecision"

    version = factory.SubFactory(ModelVersionFactory, status="approved")
    environment = factory.LazyFunction(lambda: Environment.objects.get(name="staging"))
    strategy = "full"
    traffic_percent = 100
    decision = "approved"
    checks = factory.LazyAttribute(
        lambda record: [
            {"check": name, "passed": record.decision == "approved", "detail": "…"}
            for name in (
                "version_status",
                "promotion_path",
                "freeze",
                "governance",
                "no_concurrent_rollout",
            )
        ]
    )
    evaluation = factory.LazyFunction(lambda: {"passed": True, "results": []})
    requested_by = factory.SelfAttribute("version.created_by")
    requested_at = factory.LazyFunction(timezone.now)


class DeploymentFactory(factory.django.DjangoModelFactory):
    """A deployment in any status, written directly (bypassing the gate), for
    setting the scene; `activated_at` defaults to now when it is serving."""

    class Meta:
        model = "deployments.Deployment"

    version = factory.SubFactory(ModelVersionFactory, status="approved")
    model = factory.SelfAttribute("version.model")
    environment = factory.LazyFunction(lambda: Environment.objects.get(name="staging"))
    strategy = "full"
    traffic_percent = 100
    decision = factory.LazyAttribute(
        lambda d: "blocked" if d.status == "blocked" else "approved"
    )
    status = "active"
    gate_decision = factory.SubFactory(
        GateDecisionFactory,
        version=factory.SelfAttribute("..version"),
        environment=factory.SelfAttribute("..environment"),
        strategy=factory.SelfAttribute("..strategy"),
        traffic_percent=factory.SelfAttribute("..traffic_percent"),
        decision=factory.SelfAttribute("..decision"),
    )
    requested_by = factory.SelfAttribute("version.created_by")
    requested_at = factory.LazyFunction(timezone.now)
    activated_at = factory.LazyAttribute(
        lambda d: timezone.now() if d.status in ("active", "superseded") else None
    )
