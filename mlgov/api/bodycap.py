"""Per-view body caps for API views whose bodies may exceed Django's
DATA_UPLOAD_MAX_MEMORY_SIZE (or must stay below it). Apart from
mlgov.api.inputs because the parser module is imported while DRF's views
module is still loading."""

from rest_framework.views import APIView

from mlgov.api.inputs import read_capped_body


class BodyCapMixin(APIView):
    """For an APIView whose writes take a body cap other than Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE: `max_body_bytes()` gives it. Checked after
    authentication and permissions, so only permitted callers are read."""

    body_cap_hint = ""

    def max_body_bytes(self) -> int:
        raise NotImplementedError

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in ("POST", "PUT", "PATCH"):
            read_capped_body(request, self.max_body_bytes(), self.body_cap_hint)
