"""Generating technical documentation: numbered, immutable, audited
revisions whose PDF reads back with every Annex IV section."""

import hashlib
import shutil
import subprocess
import threading
import time

import pytest
from auditlog.models import LogEntry
from django.db import DatabaseError, connection, transaction

from compliance.documentation.services import generate_technical_document
from compliance.models import TechnicalDocument
from mlgov.exceptions import PermissionDeniedError
from registry.constants import MODEL_CARD_FIELDS
from registry.intake import submit_intake
from tests.registry.intake_answers import answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def v1(documented):
    return documented.versions.get(version=1)


def test_each_generation_is_the_next_revision(v1, data_scientist, governance_admin):
    first = generate_technical_document(actor=data_scientist, version=v1)
    second = generate_technical_document(actor=governance_admin, version=v1)

    assert (first.revision, second.revision) == (1, 2)
    assert second.generated_by == governance_admin
    stored = TechnicalDocument.objects.get(pk=first.pk)
    assert stored.pdf_sha256 == hashlib.sha256(bytes(stored.pdf)).hexdigest()
    assert bytes(stored.pdf).startswith(b"%PDF-")
    assert [gap["item"] for gap in stored.gaps] == [
        "EU AI Act category",
        "Use-case intake",
        "Obligation coverage",
        "Human-oversight measures",
        "Performance reports",
        "Fairness reports",
    ]
    assert stored.content["version"] == 1
    # The second revision's audit trail names the first generation.
    audit = next(
        table
        for section in second.content["sections"]
        if section["key"] == "changes"
        for table in section["tables"]
        if table["caption"] == "Audit trail"
    )
    assert any("technicaldocument" in row[2] for row in audit["rows"])


def test_generation_is_audited_and_attributed(v1, data_scientist):
    document = generate_technical_document(actor=data_scientist, version=v1)

    (entry,) = LogEntry.objects.get_for_object(document)
    assert entry.action == LogEntry.Action.CREATE
    assert entry.changes_dict["pdf_sha256"][1] == document.pdf_sha256
    assert "pdf" not in entry.changes_dict


@pytest.mark.parametrize(
    "role", ["viewer", "auditor", "executive", "reviewer", "other_data_scientist"]
)
def test_only_admins_and_the_models_team_generate(v1, request, role):
    with pytest.raises(PermissionDeniedError):
        generate_technical_document(actor=request.getfixturevalue(role), version=v1)

    assert not TechnicalDocument.objects.exists()


def test_a_stored_revision_is_never_changed_or_deleted(v1, data_scientist):
    document = generate_technical_document(actor=data_scientist, version=v1)

    with pytest.raises(DatabaseError), transaction.atomic():
        TechnicalDocument.objects.filter(pk=document.pk).update(pdf_sha256="0" * 64)
    with pytest.raises(DatabaseError), transaction.atomic():
        TechnicalDocument.objects.filter(pk=document.pk).delete()
    assert TechnicalDocument.objects.get(pk=document.pk).pdf_sha256 == (
        document.pdf_sha256
    )


def pdf_text(document, tmp_path) -> str:
    """The words of a revision's PDF, as pdftotext reads them."""
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext (Debian poppler-utils) is needed: .ci/run installs it"
    path = tmp_path / f"annex-iv-{document.revision}.pdf"
    path.write_bytes(bytes(document.pdf))
    # Cells wrap their text over lines: words are compared, not line breaks.
    return " ".join(
        subprocess.run(
            [pdftotext, str(path), "-"], check=True, capture_output=True, text=True
        ).stdout.split()
    )


def test_the_pdf_reads_back_with_every_section(v1, data_scientist, tmp_path):
    document = generate_technical_document(actor=data_scientist, version=v1)
    text = pdf_text(document, tmp_path)

    assert "Technical documentation: Churn (churn) version 1" in text
    headings = [
        "Gaps (6)",
        "1. General description",
        "2. Intended purpose",
        "3. Development process and data",
        "4. Metrics and validation",
        "5. Risk management",
        "6. Human oversight",
        "7. Changes over the lifecycle",
        "8. Post-market monitoring",
    ]
    positions = [text.index(heading) for heading in headings]
    assert positions == sorted(positions)
    for expected in (
        "a" * 40,  # the artifact's SHA-256 (wrapped in its cell)
        "Retention offers",
        "Looks sound",
        "Retraining with Q4 data",
        "auc 0.91 is below the minimum 0.95",
        "Gap: Human-oversight measures.",
        "Revision 1, generated",
    ):
        assert expected in text, expected


def test_the_pdf_reads_the_intake_and_loses_the_oversight_gap_once_filled(
    v1, data_scientist, tmp_path
):
    submit_intake(actor=data_scientist, model=v1.model, answers=answers())
    first = pdf_text(
        generate_technical_document(actor=data_scientist, version=v1), tmp_path
    )

    for expected in (
        "Creditworthiness and credit scoring of natural persons (Annex III 5(b))",
        "Scores consumer credit applications.",
        "Applicants for consumer loans.",
        "Human in the loop: a person confirms each decision",
        "EU AI Act category high risk",
        "Gap: Human-oversight measures.",
        "Gap: Human-oversight contact.",
    ):
        assert expected in first, expected
    assert "Gap: Use-case intake." not in first

    submit_intake(
        actor=data_scientist,
        model=v1.model,
        answers=answers(
            human_oversight_measures="A credit officer confirms every refusal.",
            human_oversight_contact="credit-officers@example.com",
        ),
    )
    second = generate_technical_document(actor=data_scientist, version=v1)
    text = pdf_text(second, tmp_path)

    assert "A credit officer confirms every refusal." in text
    assert "credit-officers@example.com" in text
    assert "Human-oversight measures" not in [gap["item"] for gap in second.gaps]
    assert "Gap: Human-oversight" not in text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_generations_take_consecutive_revisions(documented, data_scientist):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and real concurrency need PostgreSQL")
    version = documented.versions.get(version=1)
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def generate() -> None:
        try:
            barrier.wait()
            generate_technical_document(actor=data_scientist, version=version)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=generate) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(
        TechnicalDocument.objects.filter(version=version).values_list(
            "revision", flat=True
        )
    ) == [1, 2, 3]


def test_a_fully_documented_version_renders_in_seconds_and_wraps_long_values(
    documented, data_scientist, tmp_path
):
    draft = documented.versions.get(version=2)
    # What a team writes: paragraphs in the intake and model card, and a link
    # longer than a cell is wide.
    paragraph = "An underwriter confirms every decline and can override it. " * 40
    draft.model_card = {name: paragraph for name in MODEL_CARD_FIELDS}
    draft.save(update_fields=["model_card"])
    submit_intake(
        actor=data_scientist,
        model=draft.model,
        answers=answers(
            purpose=f"See https://wiki/{'x' * 300}. {paragraph}",
            affected_persons=paragraph,
            human_oversight_measures=paragraph,
            human_oversight_contact="credit-underwriting@example.com",
        ),
    )

    started = time.monotonic()
    document = generate_technical_document(actor=data_scientist, version=draft)
    assert time.monotonic() - started < 30

    edges, page_width = right_edges_of_text(document, "xxxx")
    assert len(edges) > 1  # wrapped over lines
    assert max(edges) < page_width
    assert "x" * 40 in pdf_text(document, tmp_path)


def test_a_long_value_in_the_changes_table_wraps_inside_the_page(
    documented, data_scientist, tmp_path
):
    draft = documented.versions.get(version=2)
    # A training-data reference longer than the changes table's column.
    draft.training_data_ref = f"s3://data/churn/{'y' * 300}"
    draft.save(update_fields=["training_data_ref"])

    started = time.monotonic()
    document = generate_technical_document(actor=data_scientist, version=draft)
    assert time.monotonic() - started < 30

    edges, page_width = right_edges_of_text(document, "yyyy")
    assert len(edges) > 1  # wrapped over lines
    assert max(edges) < page_width
    text = pdf_text(document, tmp_path)
    assert "Changes against version 1" in text
    assert "s3://data/churn/2026-10" in text  # the parent's value beside it
    assert "y" * 40 in text


def right_edges_of_text(document, marker: str) -> tuple[list[float], float]:
    """Where each laid-out line holding `marker` ends on the PDF's pages,
    and the page width."""
    from weasyprint import HTML

    layout = HTML(string=document.html).render()

    def right_edges(box):
        if type(box).__name__ == "TextBox" and marker in box.text:
            yield box.position_x + box.width
        for child in getattr(box, "children", None) or []:
            yield from right_edges(child)

    edges = [edge for page in layout.pages for edge in right_edges(page._page_box)]
    return edges, layout.pages[0].width
