"""E-mail notifications: written in the transaction of the change that
causes them, as each user asked, and sent by the worker to a real SMTP
server on loopback, retried when it refuses."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from deployments.services import request_deployment
from governance.services import approve_version, grant_waiver, reject_version
from integrations import notifications
from integrations.models import EmailNotification, NotificationKind
from integrations.selectors import email_queue
from integrations.services import (
    notify_expiring_waivers,
    send_digests,
    send_due_emails,
    set_notification_preferences,
)
from registry.models import Environment
from tests.drift.conftest import report_body, shifted_numeric
from tests.factories import (
    DeploymentFactory,
    MLModelFactory,
    ModelVersionFactory,
    UserFactory,
)
from tests.governance.conftest import approvals, auc_floor

pytestmark = pytest.mark.django_db

ALL_KINDS = list(NotificationKind.values)


@pytest.fixture
def owner(db):
    return UserFactory(username="owner", email="owner@example.com")


@pytest.fixture
def model(team, owner):
    return MLModelFactory(name="churn", team=team, owner=owner, risk_tier="high")


@pytest.fixture
def version(model, data_scientist):
    return ModelVersionFactory(
        model=model,
        version=7,
        status="in_review",
        created_by=data_scientist,
        submitted_by=data_scientist,
    )


def sent_subjects(server, address):
    return [message["Subject"] for message in server.to(address)]


def test_a_decision_reaches_the_versions_author_by_smtp(
    mail_server, version, reviewer, make_policy
):
    make_policy("review", [approvals(1)])

    approve_version(version=version, reviewer=reviewer, comment="Looks sound.")
    assert mail_server.received == []  # nothing is sent from the request

    assert send_due_emails() == 1

    (message,) = mail_server.to("scientist@example.com")
    assert message["Subject"] == "churn v7 approved by reviewer"
    assert message["From"] == "mlgov@example.com"
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_content()
    assert "The version is now approved." in body
    assert "Their comment: Looks sound." in body
    assert "https://mlgov.example.com/models/churn/" in body
    assert "https://mlgov.example.com/account/notifications/" in body
    sent = EmailNotification.objects.get()
    assert (sent.state, sent.attempts, sent.kind) == ("sent", 1, "version_decided")
    assert sent.sent_at is not None


def test_a_rejection_tells_creator_and_submitter_each_once(
    mail_server, model, data_scientist, reviewer
):
    submitter = UserFactory(username="submitter", email="submitter@example.com")
    version = ModelVersionFactory(
        model=model,
        version=8,
        status="in_review",
        created_by=data_scientist,
        submitted_by=submitter,
    )

    reject_version(version=version, reviewer=reviewer, comment="AUC leaks labels.")
    send_due_emails()

    assert sent_subjects(mail_server, "scientist@example.com") == [
        "churn v8 rejected by reviewer"
    ]
    (to_submitter,) = mail_server.to("submitter@example.com")
    assert "Their comment: AUC leaks labels." in to_submitter.get_content()


def test_a_review_assignment_tells_the_reviewer(
    mail_server, version, reviewer, governance_admin
):
    with transaction.atomic():
        notifications.review_assigned(
            version=version, reviewer=reviewer, actor=governance_admin
        )
    send_due_emails()

    (message,) = mail_server.to("reviewer@example.com")
    assert message["Subject"] == "Review assigned: churn v7"
    assert "gov-admin assigned you the review of churn v7" in message.get_content()


def test_assigning_a_reviewer_through_the_service_mails_them(
    mail_server, version, reviewer, governance_admin
):
    from governance.services import assign_reviewer

    assign_reviewer(actor=governance_admin, version=version, reviewer=reviewer)
    assign_reviewer(actor=governance_admin, version=version, reviewer=reviewer)

    notification = EmailNotification.objects.get()
    assert (notification.recipient, notification.kind) == (reviewer, "review_assigned")
    send_due_emails()
    assert sent_subjects(mail_server, "reviewer@example.com") == [
        "Review assigned: churn v7"
    ]


def test_reviews_past_half_their_sla_remind_each_eligible_reviewer_once(
    mail_server,
    model,
    data_scientist,
    reviewer,
    second_reviewer,
    governance_admin,
    executive,
    make_policy,
):
    make_policy("review", [approvals(2)])
    now = timezone.now()
    # High risk: 5 days to decide, reminded from 2.5 days on.
    waiting = ModelVersionFactory(
        model=model,
        version=1,
        status="in_review",
        created_by=data_scientist,
        submitted_at=now - timedelta(days=3),
    )
    ModelVersionFactory(
        model=model,
        version=2,
        status="in_review",
        created_by=data_scientist,
        submitted_at=now - timedelta(days=2),
    )
    approve_version(version=waiting, reviewer=second_reviewer)

    first = notifications.send_review_reminders(now=now)
    second = notifications.send_review_reminders(now=now + timedelta(hours=1))
    send_due_emails()

    assert (first, second) == (2, 0)
    reminded = {
        message["To"]
        for message in mail_server.received
        if message["Subject"].startswith("Review waiting")
    }
    # The author, a reviewer who decided and a non-reviewer are not reminded.
    assert reminded == {"reviewer@example.com", "gov-admin@example.com"}
    (message,) = mail_server.to("reviewer@example.com")
    assert message["Subject"] == "Review waiting: churn v1 (due in 2 days)"


def test_a_review_with_assigned_reviewers_reminds_only_them(
    mail_server, model, data_scientist, reviewer, governance_admin
):
    from governance.services import assign_reviewer

    now = timezone.now()
    waiting = ModelVersionFactory(
        model=model,
        version=1,
        status="in_review",
        created_by=data_scientist,
        submitted_at=now - timedelta(days=3),
    )
    assign_reviewer(actor=governance_admin, version=waiting, reviewer=reviewer)

    assert notifications.send_review_reminders(now=now) == 1
    send_due_emails()

    reminded = {
        message["To"]
        for message in mail_server.received
        if message["Subject"].startswith("Review waiting")
    }
    assert reminded == {"reviewer@example.com"}


def test_an_expiring_waiver_tells_its_grantor_and_the_owner_once(
    mail_server, version, governance_admin, make_policy
):
    policy = make_policy("floor", [auc_floor(0.95)])
    grant_waiver(
        actor=governance_admin,
        version=version,
        policy=policy,
        rule_position=1,
        justification="Retraining with this week's data",
        expires_at=timezone.now() + timedelta(days=3),
    )

    notify_expiring_waivers()
    notify_expiring_waivers()
    send_due_emails()

    assert sent_subjects(mail_server, "gov-admin@example.com") == [
        "Waiver expiring: churn v7, floor rule 1"
    ]
    (to_owner,) = mail_server.to("owner@example.com")
    assert "After that the rule applies again" in to_owner.get_content()


def test_critical_drift_on_a_version_serving_production_tells_the_owner(
    mail_server, model, data_scientist, api_client_for
):
    serving = ModelVersionFactory(model=model, version=7, status="approved")
    DeploymentFactory(
        version=serving, environment=Environment.objects.get(name="production")
    )
    client = api_client_for(data_scientist)

    mild = client.post(
        "/api/v1/drift/reports/",
        report_body([shifted_numeric(shift=1.5)]),
        format="json",
    )
    assert mild.json()["severity"] == "warning"
    assert not EmailNotification.objects.exists()
    strong = client.post(
        "/api/v1/drift/reports/",
        report_body([shifted_numeric(shift=30)]),
        format="json",
    )
    send_due_emails()

    assert strong.json()["severity"] == "critical"
    assert sent_subjects(mail_server, "owner@example.com") == [
        "Critical drift: churn v7, feature age"
    ]


def test_critical_drift_on_a_version_not_in_production_tells_nobody(
    model, data_scientist, api_client_for
):
    ModelVersionFactory(model=model, version=7, status="approved")

    response = api_client_for(data_scientist).post(
        "/api/v1/drift/reports/",
        report_body([shifted_numeric(shift=30)]),
        format="json",
    )

    assert response.json()["severity"] == "critical"
    assert not EmailNotification.objects.exists()


def test_a_blocked_production_request_tells_requester_and_owner(
    mail_server, model, data_scientist
):
    draft = ModelVersionFactory(model=model, version=9, created_by=data_scientist)

    request_deployment(
        actor=data_scientist,
        version=draft,
        environment=Environment.objects.get(name="development"),
    )
    assert not EmailNotification.objects.exists()
    request_deployment(
        actor=data_scientist,
        version=draft,
        environment=Environment.objects.get(name="production"),
    )
    send_due_emails()

    (to_owner,) = mail_server.to("owner@example.com")
    assert to_owner["Subject"] == "Gate blocked churn v9 for production"
    assert "- version_status:" in to_owner.get_content()
    assert sent_subjects(mail_server, "scientist@example.com") == [
        "Gate blocked churn v9 for production"
    ]


def test_a_muted_kind_is_not_written(version, data_scientist, reviewer):
    set_notification_preferences(
        actor=data_scientist,
        kinds=[k for k in ALL_KINDS if k != "version_decided"],
        delivery="immediate",
    )

    reject_version(version=version, reviewer=reviewer, comment="No.")

    assert not EmailNotification.objects.exists()


def test_users_without_an_address_get_nothing(version, data_scientist, reviewer):
    data_scientist.email = ""
    data_scientist.save()

    reject_version(version=version, reviewer=reviewer, comment="No.")

    assert not EmailNotification.objects.exists()


def test_a_digest_user_gets_one_email_a_day_grouping_their_notifications(
    mail_server, model, version, data_scientist, reviewer, governance_admin
):
    set_notification_preferences(
        actor=data_scientist, kinds=ALL_KINDS, delivery="digest"
    )
    reject_version(version=version, reviewer=reviewer, comment="Leaky feature.")
    other = ModelVersionFactory(
        model=model, version=8, status="in_review", created_by=data_scientist
    )
    reject_version(version=other, reviewer=governance_admin, comment="Stale data.")
    request_deployment(
        actor=data_scientist,
        version=ModelVersionFactory(model=model, version=9),
        environment=Environment.objects.get(name="production"),
    )

    send_due_emails()
    assert mail_server.to("scientist@example.com") == []
    assert email_queue().held == 3

    assert send_digests() == 1
    assert send_digests() == 0
    send_due_emails()

    (digest,) = mail_server.to("scientist@example.com")
    assert digest["Subject"] == "mlgov daily digest: 3 notifications"
    body = digest.get_content()
    assert "A reviewer decided on my version (2)" in body
    assert "The gate blocked a production deployment (1)" in body
    assert "* churn v7 rejected by reviewer" in body
    assert "Their comment: Stale data." in body
    states = (
        EmailNotification.objects.filter(recipient=data_scientist)
        .exclude(kind="digest")
        .values_list("state", flat=True)
    )
    assert set(states) == {"digested"}


def test_a_refused_message_is_retried_after_a_backoff_then_sent(
    mail_server, version, reviewer, settings, log_lines
):
    settings.NOTIFICATION_BACKOFF_BASE_SECONDS = 60
    mail_server.refuse_next = 1
    reject_version(version=version, reviewer=reviewer, comment="No.")

    assert send_due_emails() == 1
    notification = EmailNotification.objects.get()
    assert notification.state == "pending"
    assert notification.attempts == 1
    assert notification.last_error.startswith("SMTP 451")
    assert notification.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert send_due_emails() == 0  # not due before the backoff

    EmailNotification.objects.update(next_attempt_at=timezone.now())
    assert send_due_emails() == 1

    notification.refresh_from_db()
    assert (notification.state, notification.attempts) == ("sent", 2)
    assert len(mail_server.to("scientist@example.com")) == 1
    events = [line["event"] for line in log_lines() if "event" in line]
    assert events.count("email.attempt_failed") == 1
    assert events.count("email.sent") == 1


def test_a_message_is_given_up_after_the_last_attempt(
    mail_server, version, reviewer, settings
):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    mail_server.refuse_next = 5
    reject_version(version=version, reviewer=reviewer, comment="No.")

    send_due_emails()
    EmailNotification.objects.update(next_attempt_at=timezone.now())
    send_due_emails()

    notification = EmailNotification.objects.get()
    assert (notification.state, notification.attempts) == ("failed", 2)
    assert email_queue().failed == 1
    assert mail_server.received == []


def test_an_unreachable_mail_server_is_a_recorded_failure(
    mail_server, version, reviewer, settings
):
    from tests.integrations.ports import free_port

    settings.EMAIL_PORT = free_port()
    reject_version(version=version, reviewer=reviewer, comment="No.")

    send_due_emails()

    notification = EmailNotification.objects.get()
    assert (notification.state, notification.last_error) == (
        "pending",
        "connection refused",
    )


def test_nothing_is_written_or_sent_when_the_change_rolls_back(
    mail_server, version, reviewer, make_policy
):
    make_policy("review", [approvals(1)])

    with pytest.raises(RuntimeError), transaction.atomic():
        approve_version(version=version, reviewer=reviewer)
        raise RuntimeError("the request failed after the decision")

    assert not EmailNotification.objects.exists()
    assert send_due_emails() == 0
    assert mail_server.received == []


def test_the_worker_sends_the_outbox(mail_server, version, reviewer):
    reject_version(version=version, reviewer=reviewer, comment="No.")
    out = io.StringIO()

    call_command("deliver_webhooks", "--once", "--waiver-check-seconds=0", stdout=out)

    assert "1 delivery attempt(s) made." in out.getvalue()
    assert len(mail_server.to("scientist@example.com")) == 1


def test_the_scheduled_commands_say_what_they_wrote(version):
    out = io.StringIO()

    call_command("send_review_reminders", stdout=out)
    call_command("send_notification_digests", stdout=out)

    assert out.getvalue().splitlines() == [
        "0 review reminder(s) written.",
        "0 digest(s) written.",
    ]


def test_the_queue_gauges_count_what_waits():
    from prometheus_client import generate_latest
    from prometheus_client.registry import CollectorRegistry

    from integrations.metrics import EmailQueueCollector

    user = UserFactory(username="someone")
    EmailNotification.objects.create(
        recipient=user, address="a@example.com", kind="x", subject="s", body="b"
    )
    registry = CollectorRegistry()
    registry.register(EmailQueueCollector())

    text = generate_latest(registry).decode()

    assert "mlgov_email_notifications_pending 1.0" in text
    assert "mlgov_email_notifications_held 0.0" in text


def test_a_subject_is_kept_on_one_line(mail_server, reviewer):
    from integrations.services import enqueue_notification

    enqueue_notification(
        recipient=reviewer,
        kind="critical_drift",
        subject="Critical drift: churn v7, feature age\r\nBcc: someone@example.com",
        body="…",
    )
    send_due_emails()

    (message,) = mail_server.received
    assert message["Subject"] == (
        "Critical drift: churn v7, feature age Bcc: someone@example.com"
    )
    assert message["Bcc"] is None


def test_an_unexpected_error_is_recorded_and_the_others_still_go(
    mail_server, reviewer, second_reviewer, monkeypatch
):
    from integrations.services import email_delivery, enqueue_notification

    for user in (reviewer, second_reviewer):
        enqueue_notification(
            recipient=user, kind="review_assigned", subject="Hello", body="…"
        )
    real_message = email_delivery._message

    def broken_for_the_first(notification):
        if notification.recipient == reviewer:
            raise KeyError("a bug")
        return real_message(notification)

    monkeypatch.setattr(email_delivery, "_message", broken_for_the_first)

    assert send_due_emails() == 2

    failed = EmailNotification.objects.get(recipient=reviewer)
    assert (failed.state, failed.last_error) == (
        "pending",
        "unexpected error: KeyError",
    )
    assert len(mail_server.to("reviewer2@example.com")) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_workers_never_send_one_email_twice(mail_server, reviewer):
    import threading

    from django.db import connection

    from integrations.services import enqueue_notification

    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL")
    with transaction.atomic():
        for n in range(30):
            enqueue_notification(
                recipient=reviewer, kind="review_assigned", subject=f"n{n}", body="…"
            )
    errors = []

    def work():
        try:
            while send_due_emails(limit=3):
                pass
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=work) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    subjects = [message["Subject"] for message in mail_server.received]
    assert sorted(subjects) == sorted(f"n{n}" for n in range(30))
    assert EmailNotification.objects.filter(state="sent", attempts=1).count() == 30


@pytest.mark.parametrize(
    ("page", "shown"),
    [
        ("/admin/integrations/emailnotification/", "churn v7 rejected by reviewer"),
        ("/admin/integrations/notificationpreference/", ">reviewer<"),
    ],
)
def test_the_outbox_is_in_the_admin_for_governance_admins_only(
    page, shown, version, reviewer, governance_admin, auditor
):
    from django.test import Client

    set_notification_preferences(actor=reviewer, kinds=ALL_KINDS, delivery="digest")
    reject_version(version=version, reviewer=reviewer, comment="No.")
    for user in (governance_admin, auditor):
        user.is_staff = True
        user.save()
    admin, other = Client(), Client()
    admin.force_login(governance_admin)
    other.force_login(auditor)

    response = admin.get(page)

    assert response.status_code == 200
    assert shown in response.content.decode()
    assert other.get(page).status_code == 403


def test_a_model_without_an_owner_is_answered_for_by_its_team(
    mail_server, team, data_scientist, governance_admin, make_policy
):
    colleague = UserFactory(username="colleague", email="colleague@example.com")
    team.members.add(colleague)
    version = ModelVersionFactory(
        model=MLModelFactory(name="ownerless", team=team), version=1
    )
    grant_waiver(
        actor=governance_admin,
        version=version,
        policy=make_policy("floor", [auc_floor(0.95)]),
        rule_position=1,
        justification="Retraining with this week's data",
        expires_at=timezone.now() + timedelta(days=1),
    )

    notify_expiring_waivers()
    send_due_emails()

    assert {message["To"] for message in mail_server.received} == {
        "gov-admin@example.com",
        "scientist@example.com",
        "colleague@example.com",
    }
