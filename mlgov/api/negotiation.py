"""Content negotiation for the API."""

from rest_framework.negotiation import DefaultContentNegotiation


class FirstRendererNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, answered at once for what nearly every client
    sends: no Accept header, `*/*`, or exactly the first renderer's media
    type, without a format override. The first renderer is what DRF picks
    then too; parsing and ranking the header was a tenth of DRF's own CPU
    on a small read. Any other header (several types, quality factors,
    parameters such as `indent`) is negotiated as DRF does, 406 included."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if renderers and not format_suffix:
            first = renderers[0]
            accept = request.META.get("HTTP_ACCEPT", "*/*")
            if (
                accept in ("*/*", first.media_type)
                and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
            ):
                return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)
