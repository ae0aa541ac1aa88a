"""/account/notifications/: every signed-in user sets what they receive."""

import pytest
from auditlog.models import LogEntry
from django.test import Client

from integrations.models import NotificationKind, NotificationPreference
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/account/notifications/"
# Session, user, the stored preference, the latest notifications, the roles
# for the navigation.
PAGE_QUERIES = 5


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_anonymous_visitors_are_sent_to_sign_in():
    response = Client().get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


def test_every_signed_in_user_opens_it_from_the_top_bar(any_role_user, no_role_user):
    for user in (any_role_user, no_role_user):
        overview = signed_in(user).get("/", follow=True)
        assert f'href="{URL}"' in overview.content.decode()

        page = signed_in(user).get(URL)

        assert page.status_code == 200
        html = page.content.decode()
        assert f"E-mails go to <strong>{user.email}</strong>" in html
        # Without a choice, every kind is ticked and delivery is immediate.
        assert html.count("checked") == len(NotificationKind.values) + 1


def test_the_page_reads_a_fixed_number_of_queries(reviewer, django_assert_num_queries):
    client = signed_in(reviewer)

    with django_assert_num_queries(PAGE_QUERIES):
        assert client.get(URL).status_code == 200


def test_saving_stores_the_choice_audited_as_the_user(reviewer):
    client = signed_in(reviewer)

    response = client.post(
        URL,
        {"kinds": ["review_assigned", "review_waiting"], "delivery": "digest"},
        follow=True,
    )

    assert response.status_code == 200
    assert "Your notification settings are saved." in response.content.decode()
    stored = NotificationPreference.objects.get(user=reviewer)
    assert stored.delivery == "digest"
    assert sorted(stored.muted_kinds) == sorted(
        set(NotificationKind.values) - {"review_assigned", "review_waiting"}
    )
    assert LogEntry.objects.get_for_object(stored).get().actor == reviewer
    page = client.get(URL).content.decode()
    assert 'value="digest" id="id_delivery_1" required checked' in page


def test_a_user_changes_only_their_own_choices(reviewer, viewer):
    signed_in(viewer).post(URL, {"kinds": [], "delivery": "digest"})

    assert list(NotificationPreference.objects.values_list("user", flat=True)) == [
        viewer.pk
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kinds": ["gate_blocked"]}, "How: Choose each notification at once"),
        (
            {"kinds": ["carrier_pigeon"], "delivery": "immediate"},
            "Unknown notification carrier_pigeon",
        ),
    ],
)
def test_bad_input_is_answered_400_naming_the_field(reviewer, data, message):
    response = signed_in(reviewer).post(URL, data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_a_user_without_an_address_is_told_nothing_is_sent(viewer):
    viewer.email = ""
    viewer.save()

    page = signed_in(viewer).get(URL).content.decode()

    assert "Your account has no e-mail address" in page


def test_the_page_lists_the_users_latest_notifications_only(reviewer, viewer):
    from integrations.services import enqueue_notification

    set_digest = {"kinds": list(NotificationKind.values), "delivery": "digest"}
    signed_in(reviewer).post(URL, set_digest)
    for user, subject in (
        (reviewer, "Review assigned: churn v7"),
        (viewer, "Not yours"),
    ):
        enqueue_notification(
            recipient=user, kind="review_assigned", subject=subject, body="…"
        )

    page = signed_in(reviewer).get(URL).content.decode()

    assert "Review assigned: churn v7" in page
    assert "Held for the digest" in page
    assert "Not yours" not in page
    assert "No notification has been written for you yet." in (
        signed_in(UserFactory(username="fresh")).get(URL).content.decode()
    )


def test_critical_monitoring_alerts_are_listed_and_can_be_muted(reviewer):
    client = signed_in(reviewer)
    label = "A critical performance or fairness alert on a version in production"
    assert label in client.get(URL).content.decode()

    client.post(
        URL,
        {
            "kinds": [k for k in NotificationKind.values if k != "critical_monitoring"],
            "delivery": "immediate",
        },
    )

    stored = NotificationPreference.objects.get(user=reviewer)
    assert stored.muted_kinds == ["critical_monitoring"]
    assert not stored.receives("critical_monitoring")
    page = client.get(URL).content.decode()
    assert page.count("checked") == len(NotificationKind.values)
