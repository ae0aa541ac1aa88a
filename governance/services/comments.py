"""The comment thread of a version under review."""

from django.db import transaction

from governance.constants import VERSION_COMMENT_MAX_CHARS
from governance.models import VersionComment
from mlgov.actors import Actor
from mlgov.events import announce
from mlgov.exceptions import FieldError, PermissionDeniedError
from mlgov.permissions import can_comment_on_version
from registry.models import ModelVersion


@transaction.atomic
def add_comment(*, author: Actor, version: ModelVersion, body: str) -> VersionComment:
    """Add a message to a version's thread: reviewers and governance admins
    on any version, data scientists on their own teams' versions."""
    if not can_comment_on_version(author, version.model):
        raise PermissionDeniedError(
            "Comments are written by reviewers, governance admins and the model's team."
        )
    body = body.strip()
    if not body:
        raise FieldError("body", "Write the comment.")
    if len(body) > VERSION_COMMENT_MAX_CHARS:
        raise FieldError(
            "body", f"A comment has at most {VERSION_COMMENT_MAX_CHARS} characters."
        )
    comment = VersionComment.objects.create(version=version, author=author, body=body)
    announce(
        "comment.added",
        comment_id=comment.pk,
        version_id=version.pk,
        author_id=author.pk,
    )
    return comment
