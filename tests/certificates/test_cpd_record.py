"""My CPD record: totals per year and for the revalidation period against the NMC's 35/20/5, logging activities with
reflections and evidence, the CSV and PDF exports, and that nobody but the learner reaches their record."""

import csv
import datetime
import io
from decimal import Decimal
from http import HTTPStatus

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest
from pypdf import PdfReader

from accounts.factories import UserFactory
from certificates.models import ActivityType, Certificate, CertificateTemplate, CPDActivity, CPDProfile
from certificates.record import cpd_record, revalidation_period
from courses.factories import CohortFactory, CourseIndexPageFactory, CoursePageFactory, EnrolmentFactory
from tests.content.helpers import make_superuser, soup, texts

pytestmark = pytest.mark.django_db

RECORD = "/my-cpd/"
ADD = "/my-cpd/activities/add/"
REVALIDATION = "/my-cpd/revalidation-date/"
CSV_URL = "/my-cpd/cpd-record.csv"
PDF_URL = "/my-cpd/cpd-record.pdf"
TODAY = timezone.localdate


def days_ago(n):
    return TODAY() - datetime.timedelta(days=n)


# Fixtures --------------------------------------------------------------------------------------------------------------


@pytest.fixture
def nurse(db):
    return UserFactory(email="ngozi.adeyemi@nhs.net", full_name="Ngozi Adeyemi")


@pytest.fixture
def other(db):
    return UserFactory(email="someone.else@nhs.net", full_name="Someone Else")


@pytest.fixture
def signed_in(client, nurse):
    client.force_login(nurse)
    return client


@pytest.fixture
def make_certificate(home_page):
    """Certificates as issuing makes them: a snapshot, pinned to a revision of a certificate design."""
    design = CertificateTemplate.objects.create(
        name="CPD record tests",
        organisation_name="National Patient Safety Investigations",
        signatory_name="Dr Helen Marsh",
        signatory_role="Director of Education",
    )
    revision = design.save_revision()
    course = CoursePageFactory(parent=CourseIndexPageFactory(parent=home_page), title="Human factors essentials")

    def make(user, *, completed_on, hours, title="Human factors essentials", revoked=False):
        cohort = CohortFactory(
            course=course, starts_on=completed_on - datetime.timedelta(days=14), ends_on=completed_on
        )
        return Certificate.objects.create(
            enrolment=EnrolmentFactory(user=user, cohort=cohort),
            user=user,
            learner_name=user.full_name,
            course_title=title,
            cohort_code=cohort.code,
            cohort_starts_on=cohort.starts_on,
            cohort_ends_on=cohort.ends_on,
            completed_on=completed_on,
            cpd_hours=Decimal(hours),
            template_revision=revision,
            revoked_at=timezone.now() if revoked else None,
        )

    return make


REFLECTION = {
    "reflection_what": "A regional conference on learning from deaths.",
    "reflection_learned": "How structured judgement reviews look for the conditions of work.",
    "reflection_practice": "I now share review findings at our ward's monthly learning meeting.",
    "reflection_code": "Preserve safety; practise effectively.",
}


def activity(user, *, date, hours, participatory=False, reflected=False, title="Reading on human factors", **extra):
    return CPDActivity.objects.create(
        user=user,
        title=title,
        activity_type=ActivityType.READING,
        date=date,
        hours=Decimal(hours),
        participatory=participatory,
        **(REFLECTION if reflected else {}),
        **extra,
    )


def form_data(**overrides):
    date = overrides.pop("date", days_ago(7))
    data = {
        "title": "Medicines safety study day",
        "provider": "Northfield Hospitals NHS Foundation Trust",
        "activity_type": "course",
        "date_day": str(date.day),
        "date_month": str(date.month),
        "date_year": str(date.year),
        "hours": "6.5",
        "participatory": "yes",
        **REFLECTION,
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def errors(response):
    """The messages in the NHS.UK error summary."""
    return texts(soup(response).select(".nhsuk-error-summary__list li"))


def summary_value(page, key):
    for row in page.select(".nhsuk-summary-list__row"):
        if " ".join(row.select_one("dt").get_text().split()) == key:
            return " ".join(row.select_one("dd").get_text().split())
    raise AssertionError(f"no summary row {key!r}")


# Totals and revalidation progress --------------------------------------------------------------------------------------


def test_hours_per_calendar_year_count_certificates_as_participatory(nurse, make_certificate):
    make_certificate(nurse, completed_on=datetime.date(2025, 11, 20), hours="18")
    activity(nurse, date=datetime.date(2025, 3, 1), hours="2.5", participatory=True, reflected=True)
    activity(nurse, date=datetime.date(2025, 12, 31), hours="1.5")
    activity(nurse, date=datetime.date(2026, 1, 1), hours="4", reflected=True)

    years = cpd_record(user=nurse, today=datetime.date(2026, 6, 1)).years

    assert [(y.year, y.hours, y.participatory_hours, y.reflections, y.certificates, y.activities) for y in years] == [
        (2026, Decimal("4"), Decimal("0"), 1, 0, 1),
        (2025, Decimal("22"), Decimal("20.5"), 1, 1, 2),
    ]


def test_without_a_revalidation_date_the_period_is_the_three_years_up_to_today(nurse):
    today = datetime.date(2026, 6, 15)
    activity(nurse, date=datetime.date(2023, 6, 15), hours="10", participatory=True, reflected=True)  # a day too early
    activity(nurse, date=datetime.date(2023, 6, 16), hours="3", participatory=True, reflected=True)  # the first day
    activity(nurse, date=today, hours="2")

    progress = cpd_record(user=nurse, today=today).progress

    assert (progress.period.starts_on, progress.period.ends_on) == (datetime.date(2023, 6, 16), today)
    assert not progress.period.from_revalidation_date
    assert (progress.hours.done, progress.participatory_hours.done, progress.reflections.done) == (Decimal(5), 3, 1)


def test_with_a_revalidation_date_the_period_is_the_three_years_up_to_it(nurse, make_certificate):
    CPDProfile.objects.create(user=nurse, revalidation_due=datetime.date(2027, 3, 31))
    make_certificate(nurse, completed_on=datetime.date(2024, 3, 31), hours="6")  # the last period's
    make_certificate(nurse, completed_on=datetime.date(2024, 4, 1), hours="18")
    activity(nurse, date=datetime.date(2026, 5, 1), hours="2", participatory=False, reflected=True)

    record = cpd_record(user=nurse, today=datetime.date(2026, 6, 15))
    progress = record.progress

    assert record.revalidation_due == datetime.date(2027, 3, 31)
    assert progress.period.from_revalidation_date
    assert (progress.period.starts_on, progress.period.ends_on) == (
        datetime.date(2024, 4, 1),
        datetime.date(2027, 3, 31),
    )
    assert (progress.hours.done, progress.participatory_hours.done, progress.reflections.done) == (Decimal(20), 18, 1)


def test_a_period_ending_on_29_february_starts_on_1_march():
    period = revalidation_period(due=datetime.date(2028, 2, 29), today=datetime.date(2026, 1, 1))
    assert (period.starts_on, period.ends_on) == (datetime.date(2025, 3, 1), datetime.date(2028, 2, 29))


def test_progress_against_35_hours_20_participatory_and_5_reflections(nurse, make_certificate):
    make_certificate(nurse, completed_on=days_ago(100), hours="18")
    activity(nurse, date=days_ago(50), hours="10.5", reflected=True)
    for n in range(3):
        activity(nurse, date=days_ago(10 + n), hours="1", participatory=True, reflected=True)

    progress = cpd_record(user=nurse).progress

    assert (progress.hours.done, progress.hours.remaining, progress.hours.met) == (
        Decimal("31.5"),
        Decimal("3.5"),
        False,
    )
    assert (progress.participatory_hours.done, progress.participatory_hours.met) == (Decimal(21), True)
    assert progress.participatory_hours.remaining == 0
    assert (progress.reflections.done, progress.reflections.remaining, progress.reflections.target) == (4, 1, 5)
    assert not progress.met

    activity(nurse, date=days_ago(5), hours="4", reflected=True)
    progress = cpd_record(user=nurse).progress
    assert (progress.hours.met, progress.participatory_hours.met, progress.reflections.met, progress.met) == (
        True,
        True,
        True,
        True,
    )


def test_revoked_certificates_and_unfinished_reflections_do_not_count(nurse, other, make_certificate):
    make_certificate(nurse, completed_on=days_ago(30), hours="18", revoked=True)
    make_certificate(other, completed_on=days_ago(30), hours="18")
    activity(
        nurse, date=days_ago(3), hours="2", reflection_what="Started", reflection_learned="but", reflection_code=""
    )
    activity(other, date=days_ago(3), hours="9", reflected=True)

    record = cpd_record(user=nurse)

    assert record.certificates == []
    assert [c.cpd_hours for c in record.revoked_certificates] == [Decimal(18)], "listed as revoked, not counted"
    assert [a.hours for a in record.activities] == [Decimal(2)]
    assert (record.progress.hours.done, record.progress.reflections.done) == (Decimal(2), 0)


def test_the_record_takes_the_same_few_queries_however_long_it_is(nurse, make_certificate):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            record = cpd_record(user=nurse)
            [a.has_reflection for a in record.activities], [c.course_title for c in record.certificates]
        return len(captured)

    empty = queries()
    CPDProfile.objects.create(user=nurse, revalidation_due=TODAY() + datetime.timedelta(days=90))
    for n in range(4):
        make_certificate(nurse, completed_on=days_ago(40 * n + 1), hours="6")
        activity(nurse, date=days_ago(n), hours="1", reflected=True)
    assert queries() == empty == 3


# The record page -------------------------------------------------------------------------------------------------------


def test_the_record_page_shows_progress_years_certificates_and_activities(signed_in, nurse, make_certificate):
    new_year = TODAY().replace(month=1, day=1)  # all in this calendar year, whatever today is
    certificate = make_certificate(nurse, completed_on=new_year, hours="18", title="A systems approach")
    logged = activity(
        nurse, date=new_year, hours="2.5", participatory=True, reflected=True, title="Ward learning huddle"
    )
    activity(nurse, date=new_year, hours="1", title="Journal article", reflection_what="Half done")

    page = soup(signed_in.get(RECORD))

    assert page.h1.get_text() == "My CPD record"
    assert summary_value(page, "CPD hours") == "21.5 of 35 hours 13.5 more hours needed"
    assert summary_value(page, "Participatory hours") == "20.5 of 20 hours Target met"
    assert summary_value(page, "Written reflective accounts") == "1 of 5 4 more needed"
    assert "You have not added your revalidation date, so these totals count the three years up to today" in (
        page.select_one(".site-cpd-period").get_text()
    )
    rows = [texts(row.select("th, td")) for row in page.select(".site-cpd-years tbody tr")]
    assert rows == [[str(new_year.year), "21.5", "20.5", "1"]]

    certificates = page.select_one(".site-cpd-certificates")
    assert "A systems approach" in certificates.get_text()
    hrefs = [a["href"] for a in certificates.select("a")]
    assert hrefs == [
        f"/certificates/{certificate.code}.pdf",
        f"/certificates/verify/{certificate.code}/",
        f"/certificates/{certificate.code}/credential.json",
    ]
    activities = page.select(".site-cpd-activities tbody tr")
    # Newest first; logged the same day, the one logged last comes first.
    assert [row.td.strong.get_text() for row in activities] == ["Journal article", "Ward learning huddle"]
    assert [row.select_one(".nhsuk-tag").get_text() for row in activities] == ["Started", "Written"]
    assert activities[1].find("a", href=f"/my-cpd/activities/{logged.pk}/")


def test_the_record_page_says_when_the_period_runs_to_the_revalidation_date(signed_in, nurse):
    CPDProfile.objects.create(user=nurse, revalidation_due=datetime.date(2027, 3, 31))
    text = soup(signed_in.get(RECORD)).select_one(".site-cpd-period").get_text()
    assert text == (
        "Your revalidation is due on 31 March 2027. These totals count the three years up to it: 1 April 2024 to "
        "31 March 2027."
    )


def test_a_revalidation_date_that_has_passed_asks_for_the_next_one(signed_in, nurse):
    CPDProfile.objects.create(user=nurse, revalidation_due=days_ago(1))
    callout = soup(signed_in.get(RECORD)).select_one(".nhsuk-warning-callout")
    assert "Your revalidation date has passed" in callout.get_text()


def test_my_cpd_record_is_linked_from_the_account_navigation_and_my_learning(signed_in):
    nav = soup(signed_in.get(RECORD)).select_one("nav.site-account-nav")
    assert nav.find("a", string="My CPD record")["href"] == RECORD
    assert soup(signed_in.get("/my-learning/")).select_one(".site-cpd-record-link a")["href"] == RECORD


# Logging, changing and deleting an activity ----------------------------------------------------------------------------


def test_learner_logs_an_activity_with_a_reflection_and_evidence(signed_in, nurse):
    evidence = SimpleUploadedFile("certificate of attendance.pdf", b"%PDF-1.4 attendance", "application/pdf")
    response = signed_in.post(ADD, {**form_data(), "evidence": evidence}, follow=True)

    logged = CPDActivity.objects.get(user=nurse)
    assert (logged.title, logged.activity_type, logged.date, logged.hours, logged.participatory) == (
        "Medicines safety study day",
        "course",
        days_ago(7),
        Decimal("6.5"),
        True,
    )
    assert logged.has_reflection
    assert logged.evidence.read() == b"%PDF-1.4 attendance"
    assert response.redirect_chain == [(RECORD, HTTPStatus.FOUND)]
    assert "“Medicines safety study day” is now in your CPD record." in texts(soup(response).select(".site-message p"))


def test_an_activity_can_be_logged_without_a_reflection_and_does_not_count_as_one(signed_in, nurse):
    signed_in.post(
        ADD, form_data(reflection_what="", reflection_learned="", reflection_practice="", reflection_code="")
    )
    logged = CPDActivity.objects.get(user=nurse)
    assert not logged.has_reflection
    assert cpd_record(user=nurse).progress.reflections.done == 0


def test_the_add_form_starts_with_no_answer_chosen(signed_in):
    page = soup(signed_in.get(ADD))
    assert not page.select("input[type=radio][checked]")
    assert page.select_one("main form")["enctype"] == "multipart/form-data"
    assert page.select_one("#id_date_day")["inputmode"] == "numeric"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "Enter the title of the activity"),
        ({"activity_type": None}, "Select the type of activity"),
        ({"participatory": None}, "Select yes if the activity was participatory"),
        ({"hours": ""}, "Enter the hours the activity took"),
        ({"hours": "two"}, "Hours must be a number, like 1.5"),
        ({"hours": "0.2"}, "Hours must be 0.5 or more"),
        ({"hours": "200.5"}, "Hours must be 200 or fewer"),
        ({"hours": "1.25"}, "Hours must have no more than 1 decimal place, like 1.5"),
        ({"date_day": "", "date_month": "", "date_year": ""}, "Enter the date of the activity"),
        ({"date_month": ""}, "Date of the activity must include a month"),
        ({"date_day": "", "date_year": ""}, "Date of the activity must include a day and year"),
        ({"date_day": "31", "date_month": "2"}, "Date of the activity must be a real date"),
        ({"date_day": "first"}, "Date of the activity must be a real date"),
        ({"date_year": "26"}, "Year must include 4 numbers"),
        ({"date": TODAY() + datetime.timedelta(days=1)}, "Date of the activity must be today or in the past"),
        ({"reflection_code": "x" * 10_001}, "Your answer must be 10,000 characters or fewer"),
    ],
)
def test_a_bad_answer_is_shown_in_the_error_summary_and_nothing_is_saved(signed_in, changes, message):
    response = signed_in.post(ADD, form_data(**changes))

    assert response.status_code == HTTPStatus.OK
    assert errors(response) == [message]
    page = soup(response)
    assert page.title.get_text().startswith("Error:")
    assert page.select_one(".nhsuk-error-message").get_text(" ", strip=True) == f"Error: {message}"
    assert not CPDActivity.objects.exists()


def test_a_bad_date_links_to_the_day_box_and_keeps_what_was_typed(signed_in):
    page = soup(signed_in.post(ADD, form_data(date_day="31", date_month="2", date_year="2026")))
    assert page.select_one(".nhsuk-error-summary__list a")["href"] == "#id_date_day"
    fieldset = page.find("input", id="id_date_day").find_parent("fieldset")
    assert fieldset.legend.get_text() == "Date of the activity"
    assert [fieldset.find("input", id=f"id_date_{part}")["value"] for part in ["day", "month", "year"]] == [
        "31",
        "2",
        "2026",
    ]
    assert "nhsuk-input--error" in fieldset.find("input", id="id_date_month")["class"]


def test_every_error_links_to_its_question_and_a_chosen_file_must_be_chosen_again(signed_in):
    upload = SimpleUploadedFile("notes.txt", b"notes", "text/plain")
    page = soup(signed_in.post(ADD, {**form_data(participatory=None, activity_type=None), "evidence": upload}))
    assert [a["href"] for a in page.select(".nhsuk-error-summary__list a")] == [
        "#id_activity_type_0",
        "#id_participatory_0",
    ]
    assert page.select_one("#id_evidence_helptext").get_text().startswith("Choose your file again.")


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("notes.exe", b"MZ", "application/octet-stream"), "The selected file must be a PDF"),
        (SimpleUploadedFile("notes.pdf", b"", "application/pdf"), "The selected file is empty"),
        (SimpleUploadedFile("big.pdf", b"%PDF" + b"0" * 2048, "application/pdf"), "The selected file must be smaller"),
    ],
)
def test_evidence_must_be_an_allowed_type_and_size(signed_in, settings, upload, message):
    settings.CERTIFICATES_EVIDENCE_MAX_UPLOAD_SIZE = 1024  # 10MB, made small for the test
    response = signed_in.post(ADD, {**form_data(), "evidence": upload})
    assert errors(response)[0].startswith(message)
    assert not CPDActivity.objects.exists()


def test_learner_changes_an_activity_and_replaces_its_evidence(signed_in, nurse, django_capture_on_commit_callbacks):
    logged = activity(nurse, date=days_ago(30), hours="1", title="Journal club")
    logged.evidence.save("old.txt", ContentFile(b"old notes"))
    old_name = logged.evidence.name
    url = f"/my-cpd/activities/{logged.pk}/"

    page = soup(signed_in.get(url))
    assert page.h1.get_text() == "Change “Journal club”"
    assert page.select_one("#id_title")["value"] == "Journal club"
    assert page.select_one("#id_participatory input[value=no]").has_attr("checked")
    assert "old.txt" in page.select_one("#id_evidence_helptext").get_text()

    new = SimpleUploadedFile("new.txt", b"new notes", "text/plain")
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(url, {**form_data(title="Journal club: never events"), "evidence": new})

    assert response.status_code == HTTPStatus.FOUND
    logged.refresh_from_db()
    assert (logged.title, logged.hours, logged.has_reflection) == ("Journal club: never events", Decimal("6.5"), True)
    assert logged.evidence.read() == b"new notes"
    assert not logged.evidence.storage.exists(old_name)


def test_changing_an_activity_without_a_new_file_keeps_the_evidence_and_remove_drops_it(
    signed_in, nurse, django_capture_on_commit_callbacks
):
    logged = activity(nurse, date=days_ago(30), hours="1")
    logged.evidence.save("notes.txt", ContentFile(b"notes"))
    name = logged.evidence.name
    url = f"/my-cpd/activities/{logged.pk}/"

    signed_in.post(url, form_data(hours="2"))
    logged.refresh_from_db()
    assert (logged.hours, logged.evidence.name) == (Decimal(2), name)

    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(url, form_data(hours="2", remove_evidence="on"))
    logged.refresh_from_db()
    assert not logged.evidence
    assert not logged.evidence.storage.exists(name)


def test_a_bad_change_changes_nothing(signed_in, nurse):
    logged = activity(nurse, date=days_ago(30), hours="1", title="Journal club")
    response = signed_in.post(
        f"/my-cpd/activities/{logged.pk}/", form_data(title="Renamed", hours="500", date_year="20x6")
    )

    assert errors(response) == ["Date of the activity must be a real date", "Hours must be 200 or fewer"]
    # The heading names the activity as it is stored, not as the rejected answer would have it.
    assert soup(response).h1.get_text() == "Change “Journal club”"
    logged.refresh_from_db()
    assert (logged.title, logged.hours, logged.date) == ("Journal club", Decimal(1), days_ago(30))


def test_deleting_asks_first_then_removes_the_activity_and_its_evidence(
    signed_in, nurse, django_capture_on_commit_callbacks
):
    logged = activity(nurse, date=days_ago(30), hours="1", title="Journal club")
    logged.evidence.save("notes.txt", ContentFile(b"notes"))
    name = logged.evidence.name
    url = f"/my-cpd/activities/{logged.pk}/delete/"

    page = soup(signed_in.get(url))
    assert page.h1.get_text() == "Are you sure you want to delete “Journal club”?"
    assert CPDActivity.objects.filter(pk=logged.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(url, follow=True)
    assert response.redirect_chain == [(RECORD, HTTPStatus.FOUND)]
    assert not CPDActivity.objects.filter(pk=logged.pk).exists()
    assert not logged.evidence.storage.exists(name)
    assert "“Journal club” is deleted from your CPD record." in texts(soup(response).select(".site-message p"))


def test_evidence_downloads_as_an_attachment_for_its_owner_only(signed_in, client, nurse, other):
    logged = activity(nurse, date=days_ago(30), hours="1")
    logged.evidence.save("reflection notes.pdf", ContentFile(b"%PDF-1.4 notes"))
    url = f"/my-cpd/activities/{logged.pk}/evidence/"

    response = signed_in.get(url)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Disposition"].startswith("attachment;")
    assert "reflection" in response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == b"%PDF-1.4 notes"

    without = activity(nurse, date=days_ago(30), hours="1")
    assert signed_in.get(f"/my-cpd/activities/{without.pk}/evidence/").status_code == HTTPStatus.NOT_FOUND

    client.force_login(other)
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND


# The revalidation date -------------------------------------------------------------------------------------------------


def test_learner_sets_changes_and_removes_the_revalidation_date(signed_in, nurse):
    due = TODAY() + datetime.timedelta(days=400)
    response = signed_in.post(
        REVALIDATION,
        {"revalidation_due_day": due.day, "revalidation_due_month": due.month, "revalidation_due_year": due.year},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert CPDProfile.objects.get(user=nurse).revalidation_due == due
    page = soup(signed_in.get(REVALIDATION))
    assert page.select_one("#id_revalidation_due_year")["value"] == str(due.year)

    signed_in.post(
        REVALIDATION, {"revalidation_due_day": "", "revalidation_due_month": "", "revalidation_due_year": ""}
    )
    assert CPDProfile.objects.get(user=nurse).revalidation_due is None
    assert not cpd_record(user=nurse).progress.period.from_revalidation_date


@pytest.mark.parametrize(
    ("due", "message"),
    [
        (TODAY() - datetime.timedelta(days=1), "Revalidation date must be today or in the future"),
        (TODAY() + datetime.timedelta(days=3 * 366 + 1), "Revalidation date must be within the next 3 years"),
    ],
)
def test_a_bad_revalidation_date_changes_nothing(signed_in, nurse, due, message):
    CPDProfile.objects.create(user=nurse, revalidation_due=TODAY() + datetime.timedelta(days=30))
    response = signed_in.post(
        REVALIDATION,
        {"revalidation_due_day": due.day, "revalidation_due_month": due.month, "revalidation_due_year": due.year},
    )
    assert errors(response) == [message]
    assert CPDProfile.objects.get(user=nurse).revalidation_due == TODAY() + datetime.timedelta(days=30)


# Exports ---------------------------------------------------------------------------------------------------------------


def read_csv(response):
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # so that Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_export_lists_certificates_and_activities_with_reflections(signed_in, nurse, other, make_certificate):
    certificate = make_certificate(nurse, completed_on=days_ago(40), hours="18", title="A systems approach")
    activity(
        nurse, date=days_ago(5), hours="2.5", participatory=True, reflected=True, title="Conference", provider="RCN"
    )
    activity(other, date=days_ago(5), hours="9", title="Someone else's activity")

    response = signed_in.get(CSV_URL)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="cpd-record-{TODAY().isoformat()}.csv"'
    header, *rows = read_csv(response)
    assert header[:9] == [
        "Kind",
        "Date",
        "Title",
        "Provider",
        "Type",
        "Hours",
        "Participatory",
        "In revalidation period",
        "Reflective account written",
    ]
    assert len(rows) == 2
    cert_row, activity_row = (dict(zip(header, row, strict=True)) for row in rows)
    assert (cert_row["Kind"], cert_row["Title"], cert_row["Hours"], cert_row["Participatory"]) == (
        "Certificate",
        "A systems approach",
        "18.0",
        "Yes",
    )
    assert cert_row["Certificate code"] == certificate.code
    assert cert_row["Verification link"] == f"http://testserver/certificates/verify/{certificate.code}/"
    assert (activity_row["Date"], activity_row["Title"], activity_row["Provider"], activity_row["Hours"]) == (
        days_ago(5).isoformat(),
        "Conference",
        "RCN",
        "2.5",
    )
    assert activity_row["Reflective account written"] == "Yes"
    assert activity_row["How did you change or improve your practice as a result?"] == REFLECTION["reflection_practice"]


def test_csv_export_defuses_cells_a_spreadsheet_would_run_as_formulas(signed_in, nurse):
    activity(
        nurse,
        date=days_ago(5),
        hours="1",
        title='=HYPERLINK("http://evil.example","Click")',
        provider="+44 20 7946 0000",
        reflection_what="-2+3",
        reflection_learned="@SUM(A1:A2)",
        reflection_practice="\tindented",
        reflection_code="\rreturn",
    )
    (_header, row) = read_csv(signed_in.get(CSV_URL))
    assert row[2:4] == ['\'=HYPERLINK("http://evil.example","Click")', "'+44 20 7946 0000"]
    assert row[9:13] == ["'-2+3", "'@SUM(A1:A2)", "'\tindented", "'\rreturn"]


def test_pdf_export_is_an_a4_record_with_totals_and_reflections(signed_in, nurse, make_certificate):
    CPDProfile.objects.create(user=nurse, revalidation_due=datetime.date(2027, 3, 31))
    make_certificate(nurse, completed_on=days_ago(40), hours="18", title="A systems approach")
    activity(nurse, date=days_ago(5), hours="2.5", participatory=True, reflected=True, title="Regional conference")

    response = signed_in.get(PDF_URL)

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="cpd-record-{TODAY().isoformat()}.pdf"'
    reader = PdfReader(io.BytesIO(response.content))
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 portrait, in points
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for expected in [
        "CPD record",
        "Ngozi Adeyemi",
        "Revalidation due on 31 March 2027",
        "1 April 2024 to 31 March 2027",
        "CPD hours 20.5 35 14.5",
        "Participatory hours 20.5 20 Met",
        "Written reflective accounts 1 5 4",
        "A systems approach",
        "Regional conference",
        REFLECTION["reflection_practice"],
        "Page 1 of",
    ]:
        assert expected in text, expected


# Who reaches the record ------------------------------------------------------------------------------------------------


def activity_urls(pk):
    return [
        f"/my-cpd/activities/{pk}/",
        f"/my-cpd/activities/{pk}/delete/",
        f"/my-cpd/activities/{pk}/evidence/",
    ]


def test_nobody_else_reaches_a_learners_activities_not_even_an_administrator(client, nurse, other):
    logged = activity(nurse, date=days_ago(5), hours="1", title="Private reflection", reflected=True)
    logged.evidence.save("notes.txt", ContentFile(b"private"))

    for person in [other, make_superuser()]:
        client.force_login(person)
        for url in activity_urls(logged.pk):
            assert client.get(url).status_code == HTTPStatus.NOT_FOUND, url
        for url in activity_urls(logged.pk)[:2]:  # the two that take a POST: change and delete
            assert client.post(url, form_data(title="Hijacked")).status_code == HTTPStatus.NOT_FOUND, url
        # Their own record, page and exports, says nothing of hers.
        for url in [RECORD, CSV_URL]:
            assert b"Private reflection" not in client.get(url).content
    logged.refresh_from_db()
    assert (logged.title, logged.evidence.read()) == ("Private reflection", b"private")


def test_an_activity_that_does_not_exist_is_a_404(signed_in):
    for url in activity_urls(999_999):
        assert signed_in.get(url).status_code == HTTPStatus.NOT_FOUND, url


@pytest.mark.parametrize("url", [RECORD, ADD, REVALIDATION, CSV_URL, PDF_URL, *activity_urls(1)])
def test_anonymous_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == f"/account/login/?next={url}"


def test_a_revoked_certificate_shows_as_revoked_without_downloads(signed_in, nurse, make_certificate):
    revoked = make_certificate(nurse, completed_on=days_ago(30), hours="18", revoked=True)
    page = soup(signed_in.get(RECORD))
    listed = page.select_one(".site-cpd-revoked")
    assert "Revoked" in listed.get_text() and revoked.code in listed.get_text()
    assert [a["href"] for a in listed.select("a")] == [f"/certificates/verify/{revoked.code}/"]
    assert page.select_one(".site-cpd-certificates") is None
