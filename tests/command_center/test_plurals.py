"""Counts read as English: "1 version", "2 versions", never "1 versions"."""

import pytest
from django.test import Client

from tests.factories import ModelVersionFactory

pytestmark = pytest.mark.django_db


def overview(viewer) -> str:
    client = Client()
    client.force_login(viewer)
    return client.get("/").content.decode()


def test_the_overview_says_one_version_in_the_singular(viewer):
    ModelVersionFactory(status="approved")

    page = overview(viewer)

    assert 'data-number="versions">1</a> version</span>' in page
    assert 'data-number="production_active">0</a> active deployments' in page


def test_the_overview_says_versions_in_the_plural(viewer):
    ModelVersionFactory(status="approved")
    ModelVersionFactory(status="approved")

    page = overview(viewer)

    assert 'data-number="versions">2</a> versions</span>' in page
