"""Turning HTML into PDF, behind an adapter (as django-allauth does) so that another renderer can be swapped in with the
CERTIFICATES_RENDERER setting. The default is WeasyPrint, which needs Pango from the operating system."""

import base64
import mimetypes

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.module_loading import import_string


class WeasyPrintRenderer:
    def pdf_from_html(self, html: str) -> bytes:
        from weasyprint import HTML  # imported here: it loads Pango, which only PDF rendering needs

        # No base_url: every image is inlined as a data URI, so rendering never reads a URL or a path it was handed.
        return HTML(string=html).write_pdf()


def get_certificate_renderer():
    return import_string(getattr(settings, "CERTIFICATES_RENDERER", "certificates.rendering.WeasyPrintRenderer"))()


def pdf_from_template(template_name: str, context: dict) -> bytes:
    return get_certificate_renderer().pdf_from_html(render_to_string(template_name, context))


def data_uri(content: bytes, name: str) -> str:
    """An image inlined in the PDF's HTML."""
    mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(content).decode('ascii')}"
