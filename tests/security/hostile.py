"""Hostile input shared by the XSS and fuzz tests: the vectors, the checks on rendered HTML, a PDF renderer that keeps
the HTML it is given, and a guard that refuses what PostgreSQL would refuse, so SQLite runs catch it too."""

import re
from contextlib import contextmanager

from django.db import connection
from django.db.models.signals import pre_save

from bs4 import BeautifulSoup

# Fragments that, if they ever reach a page unescaped, run script in the reader's browser.
DANGEROUS = ("<script>alert(", "<img src=x onerror=", "<svg onload=")
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "data")


def payload(n: int, max_length: int = 200) -> str:
    """A value for one field, numbered so that each field can be found where it is shown, cut to fit the field.

    Every version starts by breaking out of an attribute and opens an element with a handler, so even the shortest
    still tests escaping in both text and attribute contexts.
    """
    parts = [
        f'"><img src=x onerror=alert({n})>',
        "{{7*7}}",
        f"<script>alert({n})</script>",
        f"'><svg onload=alert({n})>",
        f"javascript:alert({n})",
    ]
    value = ""
    for part in parts:
        if len(value) + len(part) > max_length:
            break
        value += part
    return value


def email_payload(n: int) -> str:
    """A valid address (a quoted local part may hold angle brackets) that is markup if shown raw."""
    return f'"<script>alert({n})</script>"@example.org'


def assert_escaped(html: str | bytes, *, where: str = ""):
    """Nothing in the page runs script that a learner wrote: no raw markup, no handler, no javascript: link."""
    if isinstance(html, bytes):
        html = html.decode("utf-8", "replace")
    for fragment in DANGEROUS:
        assert fragment not in html, f"{where}: unescaped {fragment!r}"
    soup = BeautifulSoup(html, "html.parser")
    for script in soup.find_all("script"):
        assert "alert(" not in (script.string or ""), f"{where}: a learner's text inside a <script>"
    for element in soup.find_all(True):
        for name, value in element.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            if name.startswith("on"):
                assert "alert(" not in text, f"{where}: a handler {name}={text!r} on <{element.name}>"
            if name in URL_ATTRIBUTES:
                assert not text.strip().lower().startswith("javascript:"), f"{where}: {name}={text!r}"


def shown_values(html: str | bytes) -> str:
    """Everything a reader or a form sees: the page's text and its attribute values, unescaped."""
    soup = BeautifulSoup(html, "html.parser")
    values = [soup.get_text(" ")]
    for element in soup.find_all(True):
        for value in element.attrs.values():
            values.append(" ".join(value) if isinstance(value, list) else str(value))
    return "\n".join(values)


def assert_shown_escaped(html: str | bytes, values, *, where: str = ""):
    """Each value is on the page (so it was rendered), and only ever as text."""
    assert_escaped(html, where=where)
    seen = shown_values(html)
    for value in values:
        assert value in seen, f"{where}: {value!r} is not shown"


class CapturingRenderer:
    """A certificates renderer (CERTIFICATES_RENDERER) that keeps the HTML it was asked to print."""

    htmls: list[str] = []

    def pdf_from_html(self, html: str) -> bytes:
        type(self).htmls.append(html)
        return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# PostgreSQL refuses a NUL character in text, and the \u0000 escape in jsonb; SQLite stores both. An escape preceded by
# an even number of backslashes is the real thing; after an odd number it is a learner's literal backslash.
JSON_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


class NulReachedDatabase(AssertionError):
    pass


def _nul_in(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value or bool(JSON_NUL.search(value))
    if isinstance(value, bytes | bytearray | memoryview):
        return b"\x00" in bytes(value)
    if isinstance(value, list | tuple):
        return any(_nul_in(item) for item in value)
    if isinstance(value, dict):
        return any(_nul_in(item) for item in value.values())
    return False


def refuse_nul(execute, sql, params, many, context):
    """A connection.execute_wrapper that fails, as PostgreSQL would, when a NUL character is sent to the database."""
    rows = params if many else [params]
    for row in rows or []:
        if _nul_in(row):
            raise NulReachedDatabase(f"A NUL character would reach PostgreSQL: {sql[:200]}")
    return execute(sql, params, many, context)


def _too_long(sender, instance, raw=False, **kwargs):
    """A pre_save check that fails, as PostgreSQL would, on text longer than its column (SQLite stores any length)."""
    if raw:
        return
    for field in sender._meta.concrete_fields:
        max_length = getattr(field, "max_length", None)
        value = getattr(instance, field.attname, None)
        if max_length and isinstance(value, str) and len(value) > max_length:
            raise ValueTooLongForDatabase(
                f"{sender.__name__}.{field.name} is {len(value)} characters, over its {max_length}: PostgreSQL refuses it"
            )


class ValueTooLongForDatabase(AssertionError):
    pass


@contextmanager
def as_strict_as_postgresql():
    """Within it, a NUL character sent to the database, or a model saved with text over its column's length, fails."""
    pre_save.connect(_too_long, dispatch_uid="hostile_too_long")
    try:
        with connection.execute_wrapper(refuse_nul):
            yield
    finally:
        pre_save.disconnect(dispatch_uid="hostile_too_long")
