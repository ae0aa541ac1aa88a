"""The document's renderings: standalone HTML (what the PDF is made from, and
what is stored beside it) and the PDF, by WeasyPrint."""

from datetime import datetime

from django.template.loader import render_to_string

from compliance.documentation.builder import TechnicalDocumentation

TEMPLATE = "compliance/technical_document.html"


def render_html(
    document: TechnicalDocumentation,
    *,
    revision: int,
    generated_by: str,
    generated_at: datetime,
) -> str:
    """The standalone page of one revision (styles inline, no external files)."""
    return render_to_string(
        TEMPLATE,
        {
            "document": document,
            "revision": revision,
            "generated_by": generated_by,
            "generated_at": generated_at,
        },
    )


def render_pdf(html: str) -> bytes:
    """The PDF of a standalone page."""
    # Imported here: WeasyPrint loads Pango through ctypes when imported, and
    # only generating a document needs it.
    from weasyprint import HTML

    return HTML(string=html, base_url=None).write_pdf()
