"""The readiness help page: rendered from the engine's weights, linked from
every page that shows a score, open to every reader of the inventory."""

import re

import pytest
from django.test import Client

from command_center.portfolio import READINESS_PART_LABELS, READINESS_PART_MEANINGS
from governance.engine import READINESS_WEIGHTS
from tests.factories import ModelVersionFactory

pytestmark = pytest.mark.django_db

HELP = "/help/readiness/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_part_has_a_label_and_a_meaning():
    assert set(READINESS_PART_LABELS) == set(READINESS_WEIGHTS)
    assert set(READINESS_PART_MEANINGS) == set(READINESS_WEIGHTS)


def test_the_page_shows_each_part_with_the_engines_weight(viewer):
    response = signed_in(viewer).get(HELP)

    assert response.status_code == 200
    page = response.content.decode()
    for part, weight in READINESS_WEIGHTS.items():
        row = f'<th scope="row">{READINESS_PART_LABELS[part]}</th>'
        assert row in page
        assert f'{row}<td class="num" data-weight>{weight}</td>' in page
    assert f'<td class="num">{sum(READINESS_WEIGHTS.values())}</td>' in page


def test_the_page_follows_the_weights_when_they_change(viewer, monkeypatch):
    monkeypatch.setitem(READINESS_WEIGHTS, "rules", 35)
    monkeypatch.setitem(READINESS_WEIGHTS, "drift", 30)

    page = signed_in(viewer).get(HELP).content.decode()

    assert "data-weight>35</td>" in page
    assert "data-weight>30</td>" in page


def test_anonymous_users_sign_in_first():
    response = Client().get(HELP)

    assert response.status_code == 302
    assert response["Location"] == f"/sign-in/?next={HELP}"


@pytest.mark.parametrize("path", ["/", "/models/", "/models/{name}/"])
def test_pages_that_show_readiness_link_the_help(viewer, path):
    version = ModelVersionFactory(status="approved")

    page = signed_in(viewer).get(path.format(name=version.model.name))

    assert f'href="{HELP}" data-help="readiness"' in page.content.decode()


def test_the_page_gives_each_tiers_review_deadline(viewer, settings):
    settings.REVIEW_SLA_DAYS = {"critical": 2, "high": 4, "medium": 9, "low": 21}

    html = signed_in(viewer).get("/help/readiness/").content.decode()

    table = html[
        html.index('id="review-sla"') : html.index(
            "</table>", html.index('id="review-sla"')
        )
    ]
    assert re.findall(r"<td>(\w+)</td><td class=\"num\">(\d+)</td>", table) == [
        ("Critical", "2"),
        ("High", "4"),
        ("Medium", "9"),
        ("Low", "21"),
    ]
