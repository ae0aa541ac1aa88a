import hashlib
import secrets
from typing import Self

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "mlg_"


def hash_token(raw: str) -> str:
    """SHA-256 of a raw token; tokens are random, so no salt or stretching."""
    return hashlib.sha256(raw.encode()).hexdigest()


def generate_raw_token() -> str:
    """A new random bearer token, shown to its owner once."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class APITokenQuerySet(models.QuerySet["APIToken"]):
    def usable(self) -> Self:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class APIToken(models.Model):
    """A bearer token for the API, stored as a hash, expiring, revocable."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_hint = models.CharField(
        max_length=12, editable=False, help_text="First characters, to recognise it."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = APITokenQuerySet.as_manager()

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="apitoken_expires_after_creation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_hint}…) for {self.user}"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


auditlog.register(APIToken, exclude_fields=["key_hash"])


class DemoObject(models.Model):
    """A row that `seed_demo` created: the demo completes and decides only on
    its own rows, never on a user's."""

    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "demo object"
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"], name="demoobject_unique"
            )
        ]

    def __str__(self) -> str:
        return f"demo {self.content_type.model} #{self.object_id}"
