"""Obligation frameworks in the database: which shipped packs are enabled
(and at which version), and the obligations governance admins add."""

from __future__ import annotations

from typing import Any

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.utils import timezone

from compliance.documentation.models import TechnicalDocument

__all__ = ["CustomObligation", "FrameworkPack", "TechnicalDocument"]


class FrameworkPack(models.Model):
    """A shipped framework pack (compliance/frameworks/<framework>.yaml) as a
    governance admin enabled or disabled it; `version` is the pack's version
    when it was last enabled."""

    framework = models.CharField(max_length=50, unique=True)
    enabled = models.BooleanField(default=False)
    version = models.CharField(max_length=20, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["framework"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(enabled=False) | ~models.Q(version=""),
                name="frameworkpack_enabled_has_version",
            ),
        ]

    def __str__(self) -> str:
        state = f"enabled at {self.version}" if self.enabled else "disabled"
        return f"{self.framework} ({state})"


class CustomObligation(models.Model):
    """An obligation a governance admin added to a framework, in the shape of
    the packs' obligations and validated by the same schema."""

    framework = models.CharField(max_length=50)
    obligation_id = models.CharField("id", max_length=50)
    reference = models.CharField(max_length=100)
    title = models.CharField(max_length=200)
    summary = models.TextField()
    applies_to = models.JSONField(default=dict, blank=True)
    evidence = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["framework", "obligation_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "obligation_id"],
                name="customobligation_unique_per_framework",
            ),
            models.CheckConstraint(
                condition=~models.Q(reference="") & ~models.Q(title=""),
                name="customobligation_has_reference_and_title",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.framework} {self.obligation_id} ({self.reference})"

    @property
    def document(self) -> dict[str, Any]:
        """The obligation in the packs' shape, as the schema reads it."""
        return {
            "id": self.obligation_id,
            "reference": self.reference,
            "title": self.title,
            "summary": self.summary,
            "applies_to": self.applies_to,
            "evidence": self.evidence,
        }


auditlog.register(FrameworkPack)
auditlog.register(CustomObligation, exclude_fields=["updated_at"])
