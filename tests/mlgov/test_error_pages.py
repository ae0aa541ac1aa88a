"""404 and 500 pages wear the command center's layout; API paths keep their
JSON errors; the 500 page needs no request and no database."""

import pytest
from django.template import loader
from django.test import Client

pytestmark = pytest.mark.django_db

LAYOUT = 'class="topbar"'


def test_an_unknown_page_is_the_layouts_404(viewer):
    client = Client()
    client.force_login(viewer)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert LAYOUT in page
    assert "Nothing lives at this address" in page
    assert 'href="/models/"' in page  # the signed-in user's navigation


def test_an_unknown_api_path_is_a_json_404(viewer):
    client = Client()
    client.force_login(viewer)

    response = client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.urls("tests.mlgov.urls_extra")
def test_a_failing_page_is_the_layouts_500_without_details():
    response = Client(raise_request_exception=False).get("/failing/?password=hunter2")

    assert response.status_code == 500
    page = response.content.decode()
    assert LAYOUT in page
    assert "Something went wrong" in page
    assert "hunter2" not in page
    assert "Traceback" not in page


@pytest.mark.urls("tests.mlgov.urls_extra")
def test_a_failing_api_call_is_a_json_500():
    response = Client(raise_request_exception=False).get("/api/v1/failing/")

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"


def test_the_500_page_renders_without_a_request_or_a_query(
    django_assert_num_queries,
):
    with django_assert_num_queries(0):
        page = loader.get_template("500.html").render()

    assert LAYOUT in page
    assert "Something went wrong" in page
