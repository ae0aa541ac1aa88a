"""A generated technical document: one immutable revision per generation."""

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.utils import timezone

from registry.models import ModelVersion


class TechnicalDocument(models.Model):
    """One revision of a version's Annex IV technical documentation, as it was
    generated: the structured document, its HTML and PDF renderings, the PDF's
    SHA-256 and the gaps it declared. Never changed or deleted (triggers)."""

    version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="technical_documents"
    )
    revision = models.PositiveIntegerField()
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="technical_documents",
    )
    generated_at = models.DateTimeField(default=timezone.now, editable=False)
    content = models.JSONField(help_text="The structured document: sections, gaps.")
    gaps = models.JSONField(
        default=list, help_text="What the document could not fill: section, missing."
    )
    html = models.TextField(help_text="The standalone HTML rendering.")
    pdf = models.BinaryField(help_text="The PDF rendering, as downloaded.")
    pdf_sha256 = models.CharField("PDF SHA-256", max_length=64)

    class Meta:
        ordering = ["-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "revision"],
                name="technical_document_revision_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(revision__gte=1),
                name="technical_document_revision_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(pdf_sha256__regex=r"^[0-9a-f]{64}$"),
                name="technical_document_checksum_is_sha256",
            ),
        ]

    def __str__(self) -> str:
        return f"technical documentation of {self.version}, revision {self.revision}"

    @property
    def gap_count(self) -> int:
        return len(self.gaps)


# The renderings are large and sealed by the checksum the entry keeps.
auditlog.register(TechnicalDocument, exclude_fields=["content", "html", "pdf"])
