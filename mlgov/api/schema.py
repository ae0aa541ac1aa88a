"""OpenAPI generation that documents the error responses, not only success."""

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable error code.")
    message = serializers.CharField(help_text="A sentence for people.")
    details = serializers.DictField(
        help_text="Field name → list of problems, or extra facts about the error."
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


_ERRORS_BY_METHOD = {
    "GET": ("401", "403", "404", "429"),
    "POST": ("400", "401", "403", "404", "409", "413", "429"),
    "PATCH": ("400", "401", "403", "404", "409", "413", "429"),
    "PUT": ("400", "401", "403", "404", "409", "413", "429"),
    "DELETE": ("401", "403", "404", "409", "429"),
}
_ERROR_DESCRIPTIONS = {
    "400": "Validation failed; `details` names each field.",
    "401": "No valid bearer token or session.",
    "403": "The caller's role does not allow this.",
    "404": "No such object, or not visible to the caller.",
    "409": "The object's state does not allow this change.",
    "413": "The request body is larger than allowed.",
    "429": "Rate limit exceeded; see the Retry-After header.",
}


class ErrorAwareAutoSchema(AutoSchema):
    """AutoSchema that adds the single error shape for every error status an
    operation can answer with."""

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
