"""OpenAPI generation that documents the error responses, not only success."""

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from rest_framework import serializers

from mlgov.api.serializers import StrictInputSerializer


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable error code.")
    message = serializers.CharField(help_text="A sentence for people.")
    details = serializers.DictField(
        help_text="Field name → list of problems, or extra facts about the error."
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


# Every operation may answer 400: query parameters (filters, cursors) are
# validated on reads too, and unknown ones are refused. 503: the database or
# the rate limiter's cache cannot be reached.
_ERRORS_BY_METHOD = {
    "GET": ("400", "401", "403", "404", "429", "503"),
    "POST": ("400", "401", "403", "404", "409", "413", "429", "503"),
    "PATCH": ("400", "401", "403", "404", "409", "413", "429", "503"),
    "PUT": ("400", "401", "403", "404", "409", "413", "429", "503"),
    "DELETE": ("400", "401", "403", "404", "409", "429", "503"),
}
_ERROR_DESCRIPTIONS = {
    "400": (
        "Validation failed; `details` names each field or query parameter. "
        "Body fields and query parameters the operation does not declare are "
        "refused, never ignored; a cursor not handed out by the server is "
        "`invalid_cursor`."
    ),
    "401": "No valid bearer token or session.",
    "403": "The caller's role does not allow this.",
    "404": "No such object, or not visible to the caller.",
    "409": "The object's state does not allow this change.",
    "413": "The request body is larger than allowed.",
    "429": "Rate limit exceeded; see the Retry-After header.",
    "503": "The database or the cache is unavailable; see the Retry-After header.",
}


def _model_field_is_nullable(field: serializers.Field) -> bool:
    """Whether a read-only field of a ModelSerializer shows a column (followed
    through relations, as in `source="version.model.name"`) that may be NULL."""
    parent = getattr(field, "parent", None)
    model = getattr(getattr(parent, "Meta", None), "model", None)
    if model is None or not field.read_only or field.source == "*":
        return False
    nullable = False
    for part in (field.source or "").split("."):
        if model is None:
            return False
        try:
            model_field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        if model_field.one_to_many or model_field.many_to_many:
            return False
        nullable = nullable or bool(getattr(model_field, "null", False))
        model = model_field.related_model
    return nullable


class ErrorAwareAutoSchema(AutoSchema):
    """AutoSchema that adds the single error shape for every error status an
    operation can answer with."""

    def _get_serializer_field_meta(self, field, direction):
        # Read-only fields declared by hand (a SlugRelatedField for a user, a
        # relation's name) lose the column's NULL; take it back from the model.
        meta = super()._get_serializer_field_meta(field, direction)
        if _model_field_is_nullable(field):
            meta["nullable"] = True
        return meta

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        # A body that answers 400 to a field it does not declare says so, so
        # that clients generated from the schema refuse them too.
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if direction == "request" and isinstance(
            force_instance(serializer), StrictInputSerializer
        ):
            schema["additionalProperties"] = False
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status_code in _ERRORS_BY_METHOD.get(self.method, ()):
            if status_code in responses:
                continue
            response = self._get_response_for_code(
                ErrorSerializer, status_code, direction=direction
            )
            response["description"] = _ERROR_DESCRIPTIONS[status_code]
            responses[status_code] = response
        return responses
