"""mlgov.audit: entries written without auditlog's receivers are the entries
its receivers write."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from auditlog.context import disable_auditlog, set_actor
from auditlog.models import LogEntry
from auditlog.receivers import log_create
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from deployments.models import Deployment, GateDecision
from mlgov.audit import (
    audit_entries_dated,
    create_audited,
    record_bulk_changes,
    record_creations,
)
from registry.models import Environment, ModelVersion, Tag
from tests.factories import MLModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db

ATTRIBUTION = (
    "action",
    "actor_id",
    "actor_email",
    "remote_addr",
    "remote_port",
    "additional_data",
)


def test_recorded_creations_are_the_entries_auditlog_writes(viewer):
    with set_actor(viewer, remote_addr="198.51.100.7", remote_port=4242):
        by_receiver = Environment(name="qa", rank=7)
        by_receiver._audit_note = "new stage"
        by_receiver.save()
        with disable_auditlog():
            recorded = Environment(name="uat", rank=8)
            recorded._audit_note = "new stage"
            recorded.save()
        assert not LogEntry.objects.get_for_object(recorded).exists()
        record_creations([recorded])

    expected = LogEntry.objects.get_for_object(by_receiver).get()
    entry = LogEntry.objects.get_for_object(recorded).get()
    assert [getattr(entry, name) for name in ATTRIBUTION] == [
        getattr(expected, name) for name in ATTRIBUTION
    ]
    assert entry.actor == viewer
    assert entry.additional_data == {"reason": "new stage"}
    assert (entry.object_pk, entry.object_repr) == (str(recorded.pk), "uat")
    different = {"id", "name", "rank"}
    assert entry.changes.keys() == expected.changes.keys()
    assert {k: v for k, v in entry.changes.items() if k not in different} == {
        k: v for k, v in expected.changes.items() if k not in different
    }
    assert entry.changes["name"] == ["None", "uat"]


# Every column of an entry but its own key and time: what the receiver and
# record_creations must agree on for the same row.
COMPARED = [
    f.attname
    for f in LogEntry._meta.concrete_fields
    if f.name not in {"id", "timestamp"}
]


def entries_of(instance) -> list[LogEntry]:
    return list(LogEntry.objects.get_for_object(instance).order_by("pk"))


def assert_recorded_as_auditlog_records(instance) -> None:
    """`instance` was saved with auditlog's receiver on: record_creations
    writes the same entry again, column by column."""
    (by_receiver,) = entries_of(instance)
    record_creations([instance])
    by_receiver_again, recorded = entries_of(instance)

    assert by_receiver_again.pk == by_receiver.pk
    assert {name: getattr(recorded, name) for name in COMPARED} == {
        name: getattr(by_receiver, name) for name in COMPARED
    }


def test_a_recorded_version_entry_is_auditlogs_column_by_column(
    viewer, data_scientist, team
):
    model = MLModelFactory(team=team)
    parent = ModelVersionFactory(model=model, created_by=data_scientist)
    with set_actor(viewer, remote_addr="198.51.100.7", remote_port=4242):
        version = ModelVersion.objects.create(
            model=model,
            version=parent.version + 1,
            artifact_uri="s3://bucket/model.pkl",
            artifact_sha256="a" * 64,
            framework="sklearn",
            metrics={"auc": 0.91, "f1": 0.5},
            params={"depth": 3, "nested": {"a": [1, 2]}},
            model_card={"intended_use": "churn"},
            parent=parent,
            created_by=data_scientist,
        )
        assert_recorded_as_auditlog_records(version)


def test_a_recorded_environment_entry_is_auditlogs_column_by_column(viewer):
    with set_actor(viewer, remote_addr="198.51.100.7"):
        environment = Environment(name="qa", rank=7, min_soak_hours=2)
        environment._audit_note = "new stage"
        environment.save()
        assert_recorded_as_auditlog_records(environment)


def test_recorded_deployment_entries_are_auditlogs_column_by_column(
    data_scientist, team
):
    model = MLModelFactory(team=team)
    version = ModelVersionFactory(model=model, created_by=data_scientist)
    environment = Environment.objects.create(name="qa", rank=7)
    with set_actor(data_scientist, remote_addr="198.51.100.7"):
        record = GateDecision.objects.create(
            version=version,
            environment=environment,
            strategy="full",
            traffic_percent=100,
            decision="approved",
            checks=[{"name": "governance", "passed": True}],
            evaluation={"passed": True, "results": []},
            requested_by=data_scientist,
            requested_at=timezone.now(),
        )
        # Before its deployment exists: the reverse relation is in the diff.
        assert_recorded_as_auditlog_records(record)
        deployment = Deployment.objects.create(
            gate_decision=record,
            model=model,
            version=version,
            environment=environment,
            strategy="full",
            traffic_percent=100,
            decision="approved",
            status=Deployment.Status.APPROVED,
            requested_by=data_scientist,
            requested_at=record.requested_at,
        )
        assert_recorded_as_auditlog_records(deployment)


@contextmanager
def statements_run() -> Iterator[list[str]]:
    """The SQL of every statement run inside the block (Django's query log
    has no text for the prepared ones)."""
    run: list[str] = []

    def record(execute, sql, params, many, context):
        run.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield run


def draw_version_key() -> int:
    """A new version's primary key, drawn as registry.hot draws it on
    PostgreSQL; past every existing one elsewhere."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('registry_modelversion', 'id'))"
            )
            return cursor.fetchone()[0]
    latest = ModelVersion.objects.order_by("-pk").values_list("pk", flat=True)
    return (latest.first() or 0) + 1000


@pytest.mark.parametrize("key", ["drawn", "not drawn"])
def test_create_audited_writes_the_row_and_auditlogs_entry(
    viewer, data_scientist, team, key
):
    model = MLModelFactory(team=team)
    parent = ModelVersionFactory(model=model, created_by=data_scientist)
    version = ModelVersion(
        id=draw_version_key() if key == "drawn" else None,
        model=model,
        version=parent.version + 1,
        artifact_uri="s3://bucket/model.pkl",
        artifact_sha256="b" * 64,
        framework="sklearn",
        metrics={"auc": 0.91},
        params={"depth": 3, "nested": {"a": [1, None]}},
        model_card={"intended_use": "churn"},
        parent=parent,
        created_by=data_scientist,
    )
    with set_actor(viewer, remote_addr="198.51.100.7", remote_port=4242):
        with statements_run() as run:
            create_audited([version])
        # The entry auditlog's own receiver writes for the same row.
        log_create(sender=ModelVersion, instance=version, created=True)

    # The row's INSERT and the entry's, on PostgreSQL in one round trip.
    assert [sql.split(" (")[0] for sql in run] == [
        'INSERT INTO "registry_modelversion"',
        'INSERT INTO "auditlog_logentry"',
    ]
    assert not version._state.adding
    # Every column holds what the instance holds, as save() leaves it
    # (updated_at set by its pre_save).
    stored = ModelVersion.objects.get(pk=version.pk)
    assert version.updated_at is not None
    assert [getattr(stored, f.attname) for f in ModelVersion._meta.concrete_fields] == [
        getattr(version, f.attname) for f in ModelVersion._meta.concrete_fields
    ]
    recorded, by_receiver = entries_of(version)
    assert {name: getattr(recorded, name) for name in COMPARED} == {
        name: getattr(by_receiver, name) for name in COMPARED
    }
    assert recorded.changes["artifact_sha256"] == ["None", "b" * 64]


def test_nothing_but_auditlog_listens_to_the_saves_create_audited_skips():
    """create_audited sends no save signal: a receiver added for a version's
    save would never hear of the API's creations."""
    for signal in (pre_save, post_save):
        receivers = [
            receiver
            for receiver in signal._live_receivers(ModelVersion)[0]
            if not receiver.__module__.startswith("auditlog.")
        ]
        assert receivers == [], signal


def test_creations_of_several_types_share_one_insert_and_correlation_id(viewer):
    with set_actor(viewer), disable_auditlog():
        tag = Tag.objects.create(name="credit")
        environment = Environment.objects.create(name="qa", rank=7)

    with statements_run() as run:
        record_creations([tag, environment])

    writes = [sql for sql in run if sql.startswith("INSERT")]
    assert len(writes) == 1
    assert writes[0].startswith('INSERT INTO "auditlog_logentry"')
    tag_entry = LogEntry.objects.get_for_object(tag).get()
    environment_entry = LogEntry.objects.get_for_object(environment).get()
    assert tag_entry.content_type.model == "tag"
    assert environment_entry.content_type.model == "environment"
    assert tag_entry.cid == environment_entry.cid


def test_an_entry_written_after_a_request_is_not_attributed_to_it(client, viewer):
    client.force_login(viewer)
    client.post("/api/v1/models/", {}, HTTP_X_REQUEST_ID="cid-of-the-request")
    tag = Tag.objects.create(name="after")  # written outside any request

    entry = LogEntry.objects.get_for_object(tag).get()
    record_creations([tag])

    recorded = LogEntry.objects.get_for_object(tag).exclude(pk=entry.pk).get()
    assert (entry.actor, recorded.actor) == (None, None)
    assert (entry.remote_addr, recorded.remote_addr) == (None, None)


def test_entries_written_inside_audit_entries_dated_carry_that_time():
    past = timezone.now() - timedelta(days=400)

    with audit_entries_dated(past):
        dated = Tag.objects.create(name="dated")
        record_bulk_changes(
            [dated], action=LogEntry.Action.UPDATE, changes=lambda tag: {}
        )
    live = Tag.objects.create(name="live")

    dated_entries = LogEntry.objects.get_for_object(dated)
    assert [entry.timestamp for entry in dated_entries] == [past, past]
    live_entry = LogEntry.objects.get_for_object(live).get()
    assert live_entry.timestamp > past + timedelta(days=399)


def test_record_bulk_changes_dates_each_entry_by_its_row():
    tags = [Tag.objects.create(name=f"t{day}") for day in (3, 9)]
    now = timezone.now()

    record_bulk_changes(
        tags,
        action=LogEntry.Action.UPDATE,
        changes=lambda tag: {},
        happened_at=lambda tag: now - timedelta(days=int(tag.name[1:])),
    )

    for tag, day in zip(tags, (3, 9), strict=True):
        entry = LogEntry.objects.get_for_object(tag).get(action=LogEntry.Action.UPDATE)
        assert entry.timestamp == now - timedelta(days=day)


def test_a_row_create_audited_cannot_insert_raises_and_writes_no_entry(
    data_scientist, team
):
    model = MLModelFactory(team=team)
    taken = ModelVersionFactory(model=model, created_by=data_scientist)
    clash = ModelVersion(
        id=draw_version_key(),
        model=model,
        version=taken.version,  # the number is taken
        artifact_uri="s3://bucket/model.pkl",
        created_by=data_scientist,
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        create_audited([clash])

    assert not ModelVersion.objects.filter(pk=clash.pk).exists()
    assert not LogEntry.objects.filter(
        content_type__model="modelversion", object_id=clash.pk
    ).exists()
