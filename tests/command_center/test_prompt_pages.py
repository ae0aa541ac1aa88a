"""The generative side of the pages: an LLM application's provider, prompt
template and evaluation results on the model page and the review page, and
the prompt diff page between two versions."""

import pytest

from tests.command_center.test_model_page import signed_in, text
from tests.genai import support_assistant

pytestmark = pytest.mark.django_db


@pytest.fixture
def assistant(team, data_scientist):
    return support_assistant(team=team, created_by=data_scientist, status="in_review")


def test_the_model_page_shows_the_newest_llm_version(viewer, assistant):
    html = signed_in(viewer).get("/models/support-assistant/").content.decode()

    section = html[html.index('id="llm"') : html.index('id="versions-title"')]
    words = text(section)
    assert "LLM application" in words
    assert 'data-llm-version="2"' in section
    assert "openai" in words and "gpt-4.1-2025-04-14" in words
    assert "Never reveal personal data." in words
    assert "groundedness 0.91 gpt-4o-judge 400 support-rag-evals" in words
    assert "toxicity 0.03 detoxify 2000 safety" in words
    assert 'href="/models/support-assistant/prompts/"' in section


def test_a_predictive_model_page_has_no_llm_section(viewer, team):
    from tests.factories import MLModelFactory, ModelVersionFactory

    ModelVersionFactory(model=MLModelFactory(name="churn", team=team), version=1)

    html = signed_in(viewer).get("/models/churn/").content.decode()

    assert 'id="llm"' not in html


def test_the_review_page_shows_the_template_and_links_the_prompt_changes(
    reviewer, assistant
):
    response = signed_in(reviewer).get("/reviews/support-assistant/v2/")

    html = response.content.decode()
    assert response.status_code == 200
    words = text(html[html.index('id="llm"') : html.index('id="card-title"')])
    assert "Answer only from the context below; say you do not know otherwise." in words
    assert "toxicity 0.03 detoxify 2000 safety" in words
    assert 'href="/models/support-assistant/prompts/?from=1&amp;to=2"' in html


def test_the_prompt_diff_page_shows_both_sides_line_by_line(
    viewer, assistant, django_assert_num_queries
):
    client = signed_in(viewer)

    # The session, the user, their roles, the model, every template.
    with django_assert_num_queries(5):
        response = client.get("/models/support-assistant/prompts/?from=1&to=2")

    html = response.content.decode()
    assert response.status_code == 200
    table = html[html.index('id="prompt-side-by-side"') : html.index("</table>")]
    assert table.count('data-change="changed"') == 1
    assert table.count('data-change="added"') == 1
    assert table.count('data-change="equal"') == 3
    assert "say you do not know otherwise." in table
    assert "2 lines changed" in text(html)
    assert "+Never reveal personal data." in html
    assert "<script" not in html.split("</main>")[0].split("<main")[-1]
    assert " style=" not in html


def test_the_prompt_diff_page_defaults_to_the_last_change(viewer, assistant):
    html = signed_in(viewer).get("/models/support-assistant/prompts/").content.decode()

    assert "v1 → v2" in text(html)


def test_the_prompt_diff_page_names_an_unknown_version(viewer, assistant):
    response = signed_in(viewer).get("/models/support-assistant/prompts/?from=7")

    assert response.status_code == 400
    assert "No version &#x27;7&#x27;; this model has versions 1, 2." in (
        response.content.decode()
    )


def test_the_prompt_diff_page_of_an_unknown_model_is_404(viewer, assistant):
    assert signed_in(viewer).get("/models/nope/prompts/").status_code == 404


def test_the_prompt_diff_page_needs_a_sign_in(client, assistant):
    response = client.get("/models/support-assistant/prompts/")

    assert response.status_code == 302
    assert "/sign-in/" in response["Location"]


def test_the_models_list_filters_by_kind(viewer, assistant, team):
    from tests.factories import MLModelFactory, ModelVersionFactory

    ModelVersionFactory(model=MLModelFactory(name="churn", team=team), version=1)
    client = signed_in(viewer)

    llm = client.get("/models/?kind=llm_application").content.decode()
    predictive = client.get("/models/?kind=predictive").content.decode()
    refused = client.get("/models/?kind=chatbot")

    assert 'data-model="support-assistant"' in llm
    assert 'data-model="churn"' not in llm
    assert "LLM application" in llm
    assert 'data-model="churn"' in predictive
    assert 'data-model="support-assistant"' not in predictive
    assert refused.status_code == 400
