"""mlgov.audit: entries written without auditlog's receivers are the entries
its receivers write."""

import pytest
from auditlog.context import disable_auditlog, set_actor
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mlgov.audit import record_creations
from registry.models import Environment, Tag

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


def test_creations_of_several_types_share_one_insert_and_correlation_id(viewer):
    with set_actor(viewer), disable_auditlog():
        tag = Tag.objects.create(name="credit")
        environment = Environment.objects.create(name="qa", rank=7)

    with CaptureQueriesContext(connection) as queries:
        record_creations([tag, environment])

    writes = [q["sql"] for q in queries if q["sql"].startswith("INSERT")]
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
