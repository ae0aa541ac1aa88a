from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.utils import timezone


class PortfolioSnapshot(models.Model):
    """The portfolio's headline numbers on one day; the trend reads these.

    One row per day: a second snapshot the same day updates the row."""

    day = models.DateField(unique=True)
    taken_at = models.DateTimeField(default=timezone.now)
    model_count = models.PositiveIntegerField()
    version_count = models.PositiveIntegerField()
    models_compliant = models.PositiveIntegerField()
    models_compliance_rate = models.FloatField(null=True)
    production_active = models.PositiveIntegerField(null=True)
    production_compliant = models.PositiveIntegerField(null=True)
    production_compliance_rate = models.FloatField(null=True)
    drift_alerts_warning = models.PositiveIntegerField(default=0)
    drift_alerts_critical = models.PositiveIntegerField(default=0)
    overdue_reviews = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(models_compliant__lte=models.F("model_count")),
                name="snapshot_compliant_within_models",
            ),
            models.CheckConstraint(
                condition=models.Q(models_compliance_rate__isnull=True)
                | models.Q(
                    models_compliance_rate__gte=0, models_compliance_rate__lte=1
                ),
                name="snapshot_models_rate_is_a_fraction",
            ),
            models.CheckConstraint(
                condition=models.Q(production_compliance_rate__isnull=True)
                | models.Q(
                    production_compliance_rate__gte=0,
                    production_compliance_rate__lte=1,
                ),
                name="snapshot_production_rate_is_a_fraction",
            ),
        ]

    def __str__(self) -> str:
        return f"portfolio on {self.day:%Y-%m-%d}"


class SavedSimulation(models.Model):
    """A what-if run kept for later: the proposal, what it found, who ran it
    and when. Saving it changes no policy."""

    name = models.CharField(max_length=200)
    proposal = models.JSONField(
        default=dict, help_text="The simulation request: upsert and remove."
    )
    policy_revisions = models.JSONField(
        default=dict, help_text="Revision of each stored policy when it ran."
    )
    result = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="saved_simulations",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(name=""), name="savedsimulation_is_named"
            )
        ]

    def __str__(self) -> str:
        return self.name


auditlog.register(PortfolioSnapshot, exclude_fields=["summary", "taken_at"])
auditlog.register(SavedSimulation, exclude_fields=["result"])
