"""Uploads are checked by their content, not their names, and kept under size limits; what people uploaded is served
back as a download typed by its content; and no CSV the site writes or reads carries a cell a spreadsheet would run."""

import csv
import datetime
import io
import json
import zipfile
from decimal import Decimal
from http import HTTPStatus

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from wagtail.admin.views.mixins import SpreadsheetExportMixin
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection

import pytest
from PIL import Image as PILImage

from accounts.factories import UserFactory
from assessments.factories import CaseExercisePageFactory
from certificates.models import CPDActivity
from courses.factories import CohortFactory, CourseIndexPageFactory, CoursePageFactory, EnrolmentFactory
from courses.models import Enrolment
from tests.content.helpers import make_group_member, make_superuser, soup, texts
from uploads import SafeCsvExportMixin

pytestmark = pytest.mark.django_db

ADD_ACTIVITY = "/my-cpd/activities/add/"
FORMULA_NAME = '=HYPERLINK("http://evil.example","Click")'
UPLOAD_CSP = "default-src 'none'; sandbox"


# Files, as the bytes that make them what they are ----------------------------------------------------------------------

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


def image_bytes(fmt="PNG", size=(4, 3), mode="RGB"):
    buffer = io.BytesIO()
    PILImage.new(mode, size, "white" if mode == "RGB" else 0).save(buffer, fmt)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


DOCX_MEMBERS = {"[Content_Types].xml": b"<Types/>", "_rels/.rels": b"<Relationships/>", "word/document.xml": b"<w/>"}
DOCX = zip_bytes(DOCX_MEMBERS)
DOCM = zip_bytes({**DOCX_MEMBERS, "word/vbaProject.bin": b"\xd0\xcf\x11\xe0"})
ODT = zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"})
XLSX = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
PLAIN_ZIP = zip_bytes({"readme.txt": b"hello"})
PNG, JPEG = image_bytes("PNG"), image_bytes("JPEG")


def upload(name, content):
    # The browser's content type is whatever the name suggests: the checks must not believe it.
    return SimpleUploadedFile(name, content, content_type="application/pdf")


# The CPD evidence upload -----------------------------------------------------------------------------------------------


@pytest.fixture
def nurse(db):
    return UserFactory(email="ngozi.adeyemi@nhs.net", full_name="Ngozi Adeyemi")


@pytest.fixture
def signed_in(client, nurse):
    client.force_login(nurse)
    return client


def activity_form(**extra):
    day = timezone.localdate() - datetime.timedelta(days=3)
    return {
        "title": "Medicines safety study day",
        "activity_type": "course",
        "date_day": str(day.day),
        "date_month": str(day.month),
        "date_year": str(day.year),
        "hours": "2",
        "participatory": "yes",
        **extra,
    }


def error_summary(response):
    return texts(soup(response).select(".nhsuk-error-summary__list li"))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("attendance.pdf", PDF),
        ("reflection.docx", DOCX),
        ("badge.png", PNG),
        ("photo.jpg", JPEG),
        ("photo.JPEG", JPEG),
        ("notes.txt", "Notes on the study day: café, naïve — all UTF-8.\n".encode()),
    ],
)
def test_evidence_of_each_kind_it_takes_is_kept(signed_in, nurse, name, content):
    response = signed_in.post(ADD_ACTIVITY, {**activity_form(), "evidence": upload(name, content)})

    assert response.status_code == HTTPStatus.FOUND, error_summary(response)
    assert CPDActivity.objects.get(user=nurse).evidence.read() == content


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("scan.png", PDF, "The selected file is not a real PNG: its contents do not match its name"),
        ("photo.png", JPEG, "The selected file is not a real PNG: its contents do not match its name"),
        ("report.pdf", HTML, "The selected file is not a real PDF: its contents do not match its name"),
        ("report.pdf", EXE, "The selected file is not a real PDF: its contents do not match its name"),
        ("notes.txt", HTML, "The selected file is not a real text file: its contents do not match its name"),
        ("notes.txt", SVG, "The selected file is not a real text file: its contents do not match its name"),
        (
            "notes.txt",
            b"notes\x00\x00",
            "The selected file is not a real text file: its contents do not match its name",
        ),
        (
            "notes.txt",
            "José's notes".encode("latin-1"),
            "The selected file is not a real text file: its contents do not match its name",
        ),
        (
            "notes.docx",
            PLAIN_ZIP,
            "The selected file is not a real Word document (.docx): its contents do not match its name",
        ),
        (
            "notes.docx",
            DOCM,
            "The selected file is not a real Word document (.docx): its contents do not match its name",
        ),
        (
            "notes.docx",
            PDF,
            "The selected file is not a real Word document (.docx): its contents do not match its name",
        ),
        ("logo.svg", SVG, "The selected file must be a PDF, Word document (.docx), PNG, JPG or text file"),
        ("setup.exe", EXE, "The selected file must be a PDF, Word document (.docx), PNG, JPG or text file"),
        ("page.html", HTML, "The selected file must be a PDF, Word document (.docx), PNG, JPG or text file"),
        ("no-extension", PDF, "The selected file must be a PDF, Word document (.docx), PNG, JPG or text file"),
    ],
)
def test_evidence_whose_content_is_not_what_it_is_called_is_refused(signed_in, name, content, message):
    response = signed_in.post(ADD_ACTIVITY, {**activity_form(), "evidence": upload(name, content)})

    assert response.status_code == HTTPStatus.OK
    assert error_summary(response) == [message]
    assert not CPDActivity.objects.exists()


def test_evidence_has_a_size_limit_from_the_settings(signed_in, settings):
    hint = soup(signed_in.get(ADD_ACTIVITY)).select_one("#id_evidence_helptext").get_text()
    assert "smaller than 10MB" in hint

    settings.CERTIFICATES_EVIDENCE_MAX_UPLOAD_SIZE = 2048
    response = signed_in.post(ADD_ACTIVITY, {**activity_form(), "evidence": upload("big.pdf", PDF + b"0" * 2048)})

    assert error_summary(response) == ["The selected file must be smaller than 2KB"]
    assert not CPDActivity.objects.exists()


def test_a_replacement_that_fails_the_check_keeps_the_evidence_already_there(signed_in, nurse):
    logged = CPDActivity.objects.create(
        user=nurse, title="Journal club", activity_type="reading", date=timezone.localdate(), hours=Decimal(1)
    )
    logged.evidence.save("notes.txt", ContentFile(b"my notes"))

    response = signed_in.post(
        f"/my-cpd/activities/{logged.pk}/", {**activity_form(), "evidence": upload("new.pdf", HTML)}
    )

    assert error_summary(response) == ["The selected file is not a real PDF: its contents do not match its name"]
    logged.refresh_from_db()
    assert (logged.title, logged.evidence.read()) == ("Journal club", b"my notes")


# Serving evidence back -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored_as", "content", "content_type"),
    [
        ("attendance.pdf", PDF, "application/pdf"),
        ("badge.png", PNG, "image/png"),
        ("notes.txt", b"notes", "text/plain; charset=utf-8"),
        ("reflection.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        # Stored before the content was checked, or put there some other way: the content decides, never the name.
        ("photo.jpg", PNG, "image/png"),
        ("report.pdf", HTML, "application/octet-stream"),
        ("notes.txt", SVG, "application/octet-stream"),
    ],
)
def test_evidence_is_served_as_a_download_typed_by_its_content(signed_in, nurse, stored_as, content, content_type):
    logged = CPDActivity.objects.create(
        user=nurse, title="Study day", activity_type="course", date=timezone.localdate(), hours=Decimal(1)
    )
    logged.evidence.save(stored_as, ContentFile(content))

    response = signed_in.get(f"/my-cpd/activities/{logged.pk}/evidence/")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == UPLOAD_CSP
    assert b"".join(response.streaming_content) == content


# The bulk-enrolment CSV ------------------------------------------------------------------------------------------------


@pytest.fixture
def lead_cohort(home_page):
    lead = make_group_member("Course leads", "lead@example.org")
    course = CoursePageFactory(parent=CourseIndexPageFactory(parent=home_page), title="A systems approach")
    today = timezone.localdate()
    cohort = CohortFactory(
        course=course, starts_on=today + datetime.timedelta(days=20), ends_on=today + datetime.timedelta(days=40)
    )
    cohort.leads.add(lead)
    cohort.save()
    return lead, cohort


def bulk_enrol(client, cohort, file):
    url = reverse("courses_cohort_dashboards:bulk_enrol", args=[cohort.pk])
    return client.post(url, {"employer": "Northgate NHS Foundation Trust", "file": file})


def field_errors(response):
    return texts(soup(response).select(".error-message"))


def test_bulk_enrolment_refuses_a_file_with_formula_cells_and_enrols_nobody(client, lead_cohort):
    lead, cohort = lead_cohort
    client.force_login(lead)
    rows = [
        ["name", "email"],
        ["Nina New", "nina.new@nhs.net"],
        [FORMULA_NAME, "eve@nhs.net"],
        ["+44 20 7946 0000", "plus@nhs.net"],
        ["Sam Minus", "-sam@nhs.net"],
        ["  @SUM(A1:A9)", "at@nhs.net"],  # spreadsheets ignore the leading spaces
        ["\tTabbed", "tab@nhs.net"],
        ["\rReturned", "cr@nhs.net"],
        ["Olly Over", "olly.over@nhs.net"],
    ]
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    users_before = UserFactory._meta.model.objects.count()

    response = bulk_enrol(client, cohort, SimpleUploadedFile("group.csv", text.getvalue().encode()))

    assert response.status_code == HTTPStatus.OK
    assert field_errors(response) == [
        " ".join(
            [
                'Line 3: “=HYPERLINK("http://evil.example","Click")” starts with “=”, which a spreadsheet would run '
                "as a formula.",
                "Line 4: “+44 20 7946 0000” starts with “+”, which a spreadsheet would run as a formula.",
                "Line 5: “-sam@nhs.net” starts with “-”, which a spreadsheet would run as a formula.",
                "Line 6: “@SUM(A1:A9)” starts with “@”, which a spreadsheet would run as a formula.",
                "Line 7: “Tabbed” starts with a tab, which a spreadsheet would run as a formula.",
                "1 more cell starts the same way.",
                "Nobody has been enrolled. Remove those characters from the start of the cells and upload the file "
                "again.",
            ]
        )
    ]
    assert not Enrolment.objects.filter(cohort=cohort).exists()
    assert UserFactory._meta.model.objects.count() == users_before


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("group.xlsx", XLSX, "The file must be a CSV file, with a name ending in .csv."),
        ("group.txt", b"Nina New,nina.new@nhs.net\n", "The file must be a CSV file, with a name ending in .csv."),
        ("group.csv", XLSX, "The file must be a CSV file saved as UTF-8 text."),
        ("group.csv", PDF, "The file must be a CSV file saved as UTF-8 text."),
        ("group.csv", b"Nina New,nina.new@nhs.net\x00\n", "The file must be a CSV file saved as UTF-8 text."),
        ("group.csv", b"Nina New,nina.new@nhs.net\n" * 11_000, "The file is too big: keep it under 256 KB."),
    ],
)
def test_bulk_enrolment_takes_only_a_text_csv_under_the_limit(client, lead_cohort, name, content, message):
    lead, cohort = lead_cohort
    client.force_login(lead)

    response = bulk_enrol(client, cohort, SimpleUploadedFile(name, content))

    assert field_errors(response) == [message]
    assert not Enrolment.objects.filter(cohort=cohort).exists()


# CSV exports -----------------------------------------------------------------------------------------------------------


def test_the_exercise_progress_export_writes_a_formula_name_as_text(client, lead_cohort):
    lead, cohort = lead_cohort
    CaseExercisePageFactory(parent=cohort.course, title="-Anticoagulation withheld").save_revision().publish()
    EnrolmentFactory(user=UserFactory(full_name=FORMULA_NAME, email="eve@nhs.net"), cohort=cohort)
    client.force_login(lead)

    response = client.get(reverse("assessments_marking:progress_csv", args=[cohort.pk]))

    assert list(csv.reader(io.StringIO(response.content.decode()))) == [
        ["Name", "Email", "'-Anticoagulation withheld"],
        [f"'{FORMULA_NAME}", "eve@nhs.net", "Not started"],
    ]


def test_the_course_report_export_writes_a_formula_title_as_text_and_numbers_as_numbers(client, home_page):
    course = CoursePageFactory(parent=CourseIndexPageFactory(parent=home_page), title="@SUM(A1:A9) human factors")
    CohortFactory(course=course, code="HF-1", capacity=12)
    client.force_login(make_superuser())

    response = client.get("/admin/courses/report/", {"export": "csv"})

    _heading, row = list(csv.reader(io.StringIO(response.content.decode())))
    assert (row[0], row[1], row[3]) == ("'@SUM(A1:A9) human factors", "HF-1", "12")


def test_the_cpd_record_export_writes_a_formula_title_as_text(signed_in, nurse):
    CPDActivity.objects.create(
        user=nurse, title=FORMULA_NAME, activity_type="reading", date=timezone.localdate(), hours=Decimal(1)
    )
    text = signed_in.get("/my-cpd/cpd-record.csv").content.decode("utf-8-sig")
    (_heading, row) = list(csv.reader(io.StringIO(text)))
    assert row[2] == f"'{FORMULA_NAME}"


def _csv_rows(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_enrolments_admin_export_writes_a_formula_name_as_text(client, lead_cohort):
    _lead, cohort = lead_cohort
    EnrolmentFactory(user=UserFactory(full_name=FORMULA_NAME, email="eve@nhs.net"), cohort=cohort)
    client.force_login(make_superuser())

    rows = _csv_rows(client.get(reverse("courses_enrolments:index"), {"export": "csv"}))

    cells = [cell for row in rows[1:] for cell in row]
    assert f"'{FORMULA_NAME}" in cells and FORMULA_NAME not in cells


def test_the_cohort_roster_export_writes_a_formula_name_as_text(client, lead_cohort):
    lead, cohort = lead_cohort
    EnrolmentFactory(user=UserFactory(full_name=FORMULA_NAME, email="eve@nhs.net"), cohort=cohort)
    client.force_login(lead)

    rows = _csv_rows(client.get(reverse("courses_cohort_dashboards:dashboard", args=[cohort.pk]), {"export": "csv"}))

    cells = [cell for row in rows[1:] for cell in row]
    assert f"'{FORMULA_NAME}" in cells and FORMULA_NAME not in cells


def test_the_mixin_for_wagtail_list_exports_writes_formula_text_as_text():
    class Export(SafeCsvExportMixin, SpreadsheetExportMixin):
        list_export = ["name", "score"]

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=Export.list_export)
    for row in [{"name": FORMULA_NAME, "score": -3}, {"name": "Ann Able", "score": 4}]:
        Export().write_csv_row(writer, row)

    assert list(csv.reader(io.StringIO(out.getvalue()))) == [[f"'{FORMULA_NAME}", "-3"], ["Ann Able", "4"]]


# Wagtail documents -----------------------------------------------------------------------------------------------------


@pytest.fixture
def superuser_client(client, db):
    client.force_login(make_superuser())
    return client


def add_document(client, name, content):
    return client.post(
        reverse("wagtaildocs:add"),
        {"title": name, "file": upload(name, content), "collection": Collection.get_first_root_node().pk},
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [("report.pdf", PDF), ("form.docx", DOCX), ("minutes.odt", ODT), ("data.xlsx", XLSX), ("data.csv", b"a,b\n")],
)
def test_an_editor_uploads_documents_of_the_kinds_allowed(superuser_client, name, content):
    response = add_document(superuser_client, name, content)

    assert response.status_code == HTTPStatus.FOUND
    assert get_document_model().objects.get().file.read() == content


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", HTML, "The selected file is not a real PDF: its contents do not match its name"),
        ("form.docx", PLAIN_ZIP, "The selected file is not a real Word document (.docx): its contents do not match"),
        ("form.docx", DOCM, "The selected file is not a real Word document (.docx): its contents do not match"),
        ("minutes.odt", DOCX, "The selected file is not a real OpenDocument text (.odt): its contents do not match"),
        ("data.xlsx", DOCX, "The selected file is not a real Excel spreadsheet (.xlsx): its contents do not match"),
        ("data.csv", EXE, "The selected file is not a real CSV file: its contents do not match its name"),
        ("notes.txt", SVG, "The selected file is not a real text file: its contents do not match its name"),
    ],
)
def test_a_document_whose_content_is_not_what_it_is_called_is_refused(superuser_client, name, content, message):
    response = add_document(superuser_client, name, content)

    assert response.status_code == HTTPStatus.OK
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not get_document_model().objects.exists()


def test_the_multiple_document_uploader_refuses_a_disguised_file(superuser_client):
    response = superuser_client.post(reverse("wagtaildocs:add_multiple"), {"files[]": upload("report.pdf", HTML)})

    answer = json.loads(response.content)
    assert answer["success"] is False
    assert "The selected file is not a real PDF" in answer["error_message"]
    assert not get_document_model().objects.exists()


def test_documents_over_the_size_limit_are_refused(superuser_client):
    response = add_document(superuser_client, "report.pdf", PDF + b"0" * (20 * 1024 * 1024))

    assert "This file is too big" in response.content.decode()
    assert not get_document_model().objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "content_type", "inline"),
    [
        ("report.pdf", PDF, "application/pdf", True),
        ("form.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", False),
        ("minutes.odt", ODT, "application/vnd.oasis.opendocument.text", False),
        ("data.csv", b"a,b\n", "text/csv", False),
        ("notes.txt", b"notes\n", "text/plain", False),
    ],
)
def test_documents_are_served_with_only_a_pdf_inline(
    superuser_client, settings, tmp_path, name, content, content_type, inline
):
    # On disk, as in development: the test suite's in-memory storage reports a path that Wagtail cannot send from.
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    client = superuser_client
    add_document(client, name, content)
    document = get_document_model().objects.get()
    client.logout()

    response = client.get(document.url)

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == content_type
    if inline:
        assert response["Content-Disposition"].startswith("inline")
    else:
        assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert b"".join(response.streaming_content) == content


# Wagtail images --------------------------------------------------------------------------------------------------------


def add_image(client, name, content):
    return client.post(
        reverse("wagtailimages:add"),
        {"title": name, "file": upload(name, content), "collection": Collection.get_first_root_node().pk},
    )


def test_an_editor_uploads_an_image(superuser_client):
    response = add_image(superuser_client, "ward.png", PNG)

    assert response.status_code == HTTPStatus.FOUND
    assert (get_image_model().objects.get().width, get_image_model().objects.get().height) == (4, 3)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("logo.svg", SVG, "Not a supported image format"),
        ("scan.png", PDF, "Upload a valid image"),
        ("photo.png", JPEG, "Not a valid .png image. The extension does not match the file format (jpeg)"),
        ("big.png", PNG + b"\x00" * (10 * 1024 * 1024), "This file is too big"),
        ("huge.png", image_bytes("PNG", size=(7500, 7500), mode="1"), "This file has too many pixels (56250000)"),
    ],
)
def test_images_that_are_not_what_they_are_called_or_too_big_are_refused(superuser_client, name, content, message):
    response = add_image(superuser_client, name, content)

    assert response.status_code == HTTPStatus.OK
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not get_image_model().objects.exists()
