"""Files people upload, checked by what their bytes are rather than what their names say; the headers they are served
back with; and CSV cells that a spreadsheet would run as formulas.

There is no libmagic here: the few kinds the site takes are told apart by their first bytes and, for the ZIP-based
office formats, by the members inside. A name's extension must agree with the content, so that a PDF named .png, a web
page named .pdf, an SVG or a program is refused, and whatever is served later is served as what it really is.
"""

from __future__ import annotations

import codecs
import csv
import posixpath
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from wagtail.documents.forms import BaseDocumentForm

# Kinds -----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    name: str
    label: Promise
    extensions: tuple[str, ...]
    content_type: str
    # What the content is recognised as: text kinds (.txt, .csv) share one, since their bytes cannot tell them apart.
    family: str


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"

# In the order error messages list them.
KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("pdf", gettext_lazy("PDF"), ("pdf",), "application/pdf", "pdf"),
        Kind("docx", gettext_lazy("Word document (.docx)"), ("docx",), DOCX, "docx"),
        Kind("odt", gettext_lazy("OpenDocument text (.odt)"), ("odt",), ODT, "odt"),
        Kind("xlsx", gettext_lazy("Excel spreadsheet (.xlsx)"), ("xlsx",), XLSX, "xlsx"),
        Kind("png", gettext_lazy("PNG"), ("png",), "image/png", "png"),
        Kind("jpeg", gettext_lazy("JPG"), ("jpg", "jpeg"), "image/jpeg", "jpeg"),
        Kind("gif", gettext_lazy("GIF"), ("gif",), "image/gif", "gif"),
        Kind("webp", gettext_lazy("WebP image"), ("webp",), "image/webp", "webp"),
        Kind("csv", gettext_lazy("CSV file"), ("csv",), "text/csv; charset=utf-8", "text"),
        Kind("txt", gettext_lazy("text file"), ("txt",), "text/plain; charset=utf-8", "text"),
    )
}
_BY_EXTENSION = {extension: kind for kind in KINDS.values() for extension in kind.extensions}


def kinds_for_extensions(extensions: Iterable[str]) -> tuple[str, ...]:
    """The kinds that a list of allowed extensions (a model validator's, WAGTAILDOCS_EXTENSIONS) stands for."""
    wanted = {extension.lower().lstrip(".") for extension in extensions}
    unknown = wanted - _BY_EXTENSION.keys()
    if unknown:
        # A kind nobody can check would be taken on its name alone: refuse to run rather than let it through.
        raise ImproperlyConfigured(f"No content check for the upload extension(s): {', '.join(sorted(unknown))}")
    return tuple(name for name, kind in KINDS.items() if wanted & set(kind.extensions))


def kinds_text(kinds: Sequence[str]) -> str:
    """'a PDF, PNG or text file', for hints and errors."""
    labels = [str(KINDS[name].label) for name in kinds]
    if len(labels) == 1:
        return labels[0]
    return gettext("%(first)s or %(last)s") % {"first": ", ".join(labels[:-1]), "last": labels[-1]}


def size_text(size: int) -> str:
    """'10MB', '256KB', as the NHS.UK file upload messages write sizes."""
    mb, kb = 1024 * 1024, 1024
    if size >= mb:
        return f"{size // mb}MB" if size % mb == 0 else f"{size / mb:.1f}MB"
    if size >= kb:
        return f"{size // kb}KB"
    return gettext("%(size)d bytes") % {"size": size}


# Sniffing --------------------------------------------------------------------------------------------------------------

_HEAD_BYTES = 4096
_CHUNK_BYTES = 64 * 1024
# Text that a browser would take for a web page or an image (SVG is XML), whatever it is called.
_MARKUP_STARTS = ("<!doctype", "<html", "<head", "<body", "<script", "<svg", "<?xml", "<iframe", "<meta", "<!--")


def _zip_family(file) -> str | None:
    try:
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                # OpenDocument: the first member, a few bytes naming the format; never read more than that.
                with archive.open("mimetype") as member:
                    mimetype = member.read(100).strip()
                macros = any(name.startswith(("Basic/", "Scripts/")) for name in names)
                return "odt" if mimetype == ODT.encode() and not macros else None
            if "[Content_Types].xml" in names:
                # A macro project makes it a .docm or .xlsm, whatever it is called.
                if any(posixpath.basename(name).lower() == "vbaproject.bin" for name in names):
                    return None
                if any(name.startswith("word/") for name in names):
                    return "docx"
                if any(name.startswith("xl/") for name in names):
                    return "xlsx"
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        KeyError,
        ValueError,
        NotImplementedError,
        RuntimeError,  # an encrypted member
    ):
        return None
    return None


def _is_text(file) -> bool:
    """UTF-8 throughout, no NUL bytes, and not markup."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    first = True
    while chunk := file.read(_CHUNK_BYTES):
        if b"\x00" in chunk:
            return False
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError:
            return False
        if first and text.strip():
            if text.lstrip().lower().startswith(_MARKUP_STARTS):
                return False
            first = False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def sniff(file) -> str | None:
    """What the content is (a Kind's family), from its bytes alone; None for anything the site does not take.

    The file is read from the start and left at the start.
    """
    file.seek(0)
    head = file.read(_HEAD_BYTES)
    file.seek(0)
    try:
        if head.startswith(b"%PDF-"):
            return "pdf"
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            return "png"
        if head.startswith(b"\xff\xd8\xff"):
            return "jpeg"
        if head[:6] in (b"GIF87a", b"GIF89a"):
            return "gif"
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            return "webp"
        if head.startswith(b"PK\x03\x04"):
            return _zip_family(file)
        return "text" if head and _is_text(file) else None
    finally:
        file.seek(0)


def _extension(name: str) -> str:
    return posixpath.splitext(name or "")[1].lower().lstrip(".")


# The check -------------------------------------------------------------------------------------------------------------


def upload_check(
    upload: UploadedFile,
    *,
    kinds: Sequence[str],
    max_bytes: int | None = None,
    messages: Mapping[str, str] | None = None,
) -> Kind:
    """The kind of an uploaded file, or a ValidationError saying what is wrong with it.

    The name must end in an extension of one of `kinds`, the content must be that kind, and the file no bigger than
    `max_bytes`. `messages` replaces the default message for a code: "empty", "too_big", "invalid_extension",
    "content_mismatch". The file is left at its start.
    """
    messages = messages or {}
    allowed = [KINDS[name] for name in kinds]

    def refuse(code, default):
        raise ValidationError(messages.get(code, default), code=code)

    if not upload.size:
        refuse("empty", gettext("The selected file is empty"))
    if max_bytes is not None and upload.size > max_bytes:
        refuse(
            "too_big",
            gettext("The selected file must be smaller than %(size)s") % {"size": size_text(max_bytes)},
        )
    named = _BY_EXTENSION.get(_extension(upload.name))
    if named not in allowed:
        refuse("invalid_extension", gettext("The selected file must be a %(kinds)s") % {"kinds": kinds_text(kinds)})
    if sniff(upload) != named.family:
        refuse(
            "content_mismatch",
            gettext("The selected file is not a real %(kind)s: its contents do not match its name")
            % {"kind": named.label},
        )
    # Whatever the browser said the type was, from now on it is what the content is.
    upload.content_type = named.content_type.split(";")[0]
    return named


class DocumentForm(BaseDocumentForm):
    """Wagtail's document form (WAGTAILDOCS_DOCUMENT_FORM_BASE): the file's content must match its extension."""

    def clean_file(self):
        file = self.cleaned_data.get("file")
        if isinstance(file, UploadedFile):
            # The size is checked already by Wagtail's field (WAGTAILDOCS_MAX_UPLOAD_SIZE), before this runs.
            upload_check(file, kinds=kinds_for_extensions(settings.WAGTAILDOCS_EXTENSIONS))
        return file


# Serving ---------------------------------------------------------------------------------------------------------------

# Nothing in a served upload may run, load anything or be treated as coming from this site.
UPLOAD_CSP = "default-src 'none'; sandbox"


def upload_content_type(file, filename: str) -> str:
    """The type to serve a stored file as: what its content is (the name only tells .txt from .csv)."""
    family = sniff(file)
    if family is None:
        return "application/octet-stream"
    named = _BY_EXTENSION.get(_extension(filename))
    if named and named.family == family:
        return named.content_type
    return next(kind.content_type for kind in KINDS.values() if kind.family == family)


def upload_response(file, *, filename: str) -> FileResponse:
    """A file someone uploaded, served so that no browser renders or runs it: a download, typed by its content."""
    response = FileResponse(
        file, as_attachment=True, filename=filename, content_type=upload_content_type(file, filename)
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = UPLOAD_CSP
    return response


# CSV -------------------------------------------------------------------------------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP's "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A cell a spreadsheet shows as text and never runs: a text starting like a formula gets an apostrophe first.

    Only text is changed: numbers our own code writes (a negative int, a Decimal) stay numbers.
    """
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def csv_formula_start(value: str) -> str | None:
    """The formula character a cell starts with (spaces ignored, as spreadsheets ignore them), or None."""
    for text in (value, value.lstrip(" ")):
        if text.startswith(FORMULA_STARTS):
            return text[0]
    return None


class SafeCsvWriter:
    """csv.writer, with every cell through csv_cell."""

    def __init__(self, stream, **kwargs):
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row):
        return self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(stream, **kwargs) -> SafeCsvWriter:
    """The writer every CSV export uses, so that no exported cell runs as a formula."""
    return SafeCsvWriter(stream, **kwargs)


class SafeCsvExportMixin:
    """For views on Wagtail's SpreadsheetExportMixin (list_export): CSV rows go through csv_cell.

    Wagtail already writes XLSX formulas as text, but not CSV. Put it before the Wagtail view in the bases.
    """

    def write_csv_row(self, writer, row_dict):
        return writer.writerow(
            {
                field: csv_cell(self.preprocess_field_value(field, value, self.FORMAT_CSV))
                for field, value in row_dict.items()
            }
        )
