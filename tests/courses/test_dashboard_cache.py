"""The cohort dashboard keeps its roster and panel counts between requests (courses.dashboard_cache), and every change a
course lead or learner makes through the site shows on the next request all the same."""

import datetime
from http import HTTPStatus

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

import pytest

import page_cache
from accounts.factories import ProfileFactory, UserFactory
from assessments import services as assessment_services
from assessments.factories import CaseExercisePageFactory, free_text, stage
from assessments.models import Answer, FeedbackRelease
from assessments.selectors import attempt_stages
from certificates import services as certificate_services
from courses import dashboard_cache, services
from courses.factories import (
    CohortFactory,
    CohortSessionFactory,
    CourseIndexPageFactory,
    CoursePageFactory,
    EnrolmentFactory,
)
from courses.models import Attendance, AttendanceMark, EnrolmentStatus
from courses.personal_data import courses_close_account
from tests.content.helpers import make_group_member, soup
from tests.courses.roster import roster_by_heading

EXERCISE = "Anticoagulation withheld (required)"


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def world(home_page, dashboard_cache_on, design):
    """A running cohort with two sessions held, an exercise marked by hand, a certificate design and two learners."""
    course = CoursePageFactory(
        parent=CourseIndexPageFactory(parent=home_page), title="A systems approach", attendance_threshold_percent=50
    )
    cohort = CohortFactory(course=course, code="SYS-A", starts_on=days(-14), ends_on=days(14))
    lead = make_group_member("Course leads", "lead@example.org")
    cohort.leads.add(lead)
    cohort.save()
    sessions = [
        CohortSessionFactory(cohort=cohort, title=title, date=days(n)) for title, n in [("One", -14), ("Two", -7)]
    ]
    exercise = CaseExercisePageFactory(
        parent=course,
        title="Anticoagulation withheld",
        pass_mark_percent=50,
        feedback_release=FeedbackRelease.ON_SUBMISSION,
        stages=[stage("Only", [free_text(marks=4)])],
    )
    exercise.save_revision().publish()
    exercise.refresh_from_db()
    sam = EnrolmentFactory(cohort=cohort, user=UserFactory(full_name="Sam Learner", email="sam@nhs.net"))
    ProfileFactory(user=sam.user, organisation="Northfield Hospitals", job_role="Staff nurse")
    tom = EnrolmentFactory(cohort=cohort, user=UserFactory(full_name="Tom Other", email="tom@nhs.net"))
    return {"cohort": cohort, "lead": lead, "sessions": sessions, "exercise": exercise, "sam": sam, "tom": tom}


@pytest.fixture
def lead_client(client, world):
    client.force_login(world["lead"])
    return client


def dashboard_url(cohort):
    return reverse("courses_cohort_dashboards:dashboard", args=[cohort.pk])


def sam_row(client, world):
    return roster_by_heading(client.get(dashboard_url(world["cohort"])))["Sam Learner"]


def panel_text(client, world, heading):
    page = soup(client.get(dashboard_url(world["cohort"])))
    return " ".join(page.find("section", attrs={"aria-labelledby": heading}).get_text().split())


def queries_for(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == HTTPStatus.OK
    return len(queries)


def submit_exercise(world):
    attempt = assessment_services.attempt_start(user=world["sam"].user, exercise=world["exercise"])
    only = attempt_stages(attempt)[0]
    assessment_services.answers_save(
        attempt=attempt,
        user=world["sam"].user,
        stage_id=only.id,
        answers={only.questions[0].id: {"text": "Two rotas."}},
    )
    return assessment_services.stage_submit(attempt=attempt, user=world["sam"].user, stage_id=only.id)


def test_the_roster_and_counts_are_read_once_and_then_kept(lead_client, world, settings):
    url = dashboard_url(world["cohort"])
    queries_for(lead_client, url)
    kept = queries_for(lead_client, url)
    assert roster_by_heading(lead_client.get(url)) == roster_by_heading(lead_client.get(url))

    settings.DASHBOARD_CACHE_SECONDS = 0
    built = queries_for(lead_client, url)
    assert queries_for(lead_client, url) == built
    # The roster page, its attendance, exercise cells and certificate codes, the rule's sign-offs and the backlog.
    assert built - kept >= 5


def test_taking_the_register_shows_at_once(lead_client, world):
    assert sam_row(lead_client, world)["Attendance"] == "0% (0 of 2)"
    one, sam = world["sessions"][0], world["sam"]
    response = lead_client.post(
        reverse("courses_cohort_dashboards:register", args=[world["cohort"].pk, one.pk]),
        {f"mark_{sam.pk}": AttendanceMark.PRESENT, f"mark_{world['tom'].pk}": AttendanceMark.ABSENT},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert sam_row(lead_client, world)["Attendance"] == "50% (1 of 2)"

    Attendance.objects.filter(enrolment=sam).delete()  # as a cohort's deletion cascades
    assert sam_row(lead_client, world)["Attendance"] == "0% (0 of 2)"


def test_a_session_added_or_moved_shows_at_once(lead_client, world):
    assert sam_row(lead_client, world)["Attendance"] == "0% (0 of 2)"
    third = CohortSessionFactory(cohort=world["cohort"], title="Three", date=days(-1))
    assert sam_row(lead_client, world)["Attendance"] == "0% (0 of 3)"
    third.date = days(3)
    third.save()
    assert sam_row(lead_client, world)["Attendance"] == "0% (0 of 2)"


def test_a_learners_new_name_and_details_show_at_once(client, world):
    client.force_login(world["sam"].user)
    lead_client_ = Client()
    lead_client_.force_login(world["lead"])
    assert sam_row(lead_client_, world)["Organisation"] == "Northfield Hospitals"

    response = client.post(
        "/account/profile/",
        {
            "full_name": "Sam Renamed",
            "job_role": "Ward manager",
            "organisation": "Southfield Hospitals",
            "professional_body": "nmc",
            "professional_body_other": "",
            "registration_number": "12A3456E",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    row = roster_by_heading(lead_client_.get(dashboard_url(world["cohort"])))["Sam Renamed"]
    assert (row["Organisation"], row["Job role"], row["Registration"]) == (
        "Southfield Hospitals",
        "Ward manager",
        "Nursing and Midwifery Council (NMC) 12A3456E",
    )


def test_signing_in_keeps_the_roster(lead_client, world, password):
    url = dashboard_url(world["cohort"])
    queries_for(lead_client, url)
    kept = queries_for(lead_client, url)
    sam = world["sam"].user
    sam.set_password(password)
    sam.save()
    queries_for(lead_client, url)  # a new password is a change of the account: read afresh once
    learner = Client()
    assert learner.post("/account/login/", {"login": sam.email, "password": password}).status_code == HTTPStatus.FOUND
    assert queries_for(lead_client, url) == kept  # signing in saved last_login alone, which no dashboard shows


def test_exercise_progress_and_the_marking_backlog_show_at_once(lead_client, world, django_capture_on_commit_callbacks):
    assert sam_row(lead_client, world)[EXERCISE] == "Not started"
    assert "0 attempts to mark or release." in panel_text(lead_client, world, "exercises-heading")

    attempt = submit_exercise(world)
    assert sam_row(lead_client, world)[EXERCISE] == "Waiting for marking"
    assert "1 attempt to mark or release." in panel_text(lead_client, world, "exercises-heading")

    written = Answer.objects.get(attempt=attempt)
    with django_capture_on_commit_callbacks(execute=True):
        response = lead_client.post(
            reverse("assessments_marking:mark", args=[attempt.pk]),
            {f"score_{written.pk}": "3", f"feedback_{written.pk}": "Clear."},
        )
    assert response.status_code == HTTPStatus.FOUND
    assert sam_row(lead_client, world)[EXERCISE] == "75% (passed)"
    assert "0 attempts to mark or release." in panel_text(lead_client, world, "exercises-heading")


def test_sign_off_and_certificates_show_at_once(lead_client, world, django_capture_on_commit_callbacks):
    submit_exercise(world)
    sam = world["sam"]
    assert sam_row(lead_client, world)["Certificate"] == "-"
    with django_capture_on_commit_callbacks(execute=True):
        response = lead_client.post(
            reverse("courses_cohort_dashboards:sign_off", args=[world["cohort"].pk]),
            {"enrolments": [sam.pk], "outcome": "completed", "override_reason": "Attended the catch-up session."},
        )
    assert response.status_code == HTTPStatus.FOUND
    row = sam_row(lead_client, world)
    certificate = sam.certificates.get()  # issued on sign-off, after the commit
    assert (row["Status"], row["Completion rule"], row["Certificate"]) == (
        "Completed",
        "Met (signed off with an override)",
        certificate.code,
    )
    assert "1 learner meets the completion rule; 1 certificate issued." in panel_text(
        lead_client, world, "certificates-heading"
    )

    certificate_services.certificate_revoke(certificate=certificate, by_user=world["lead"], reason="Issued in error.")
    assert sam_row(lead_client, world)["Certificate"] == "-"


def test_publishing_a_change_to_the_course_shows_at_once(lead_client, world):
    assert sam_row(lead_client, world)[EXERCISE] == "Not started"
    world["exercise"].unpublish()
    assert EXERCISE not in sam_row(lead_client, world)


def test_closing_an_account_erases_the_employer_at_once(lead_client, world):
    tom = world["tom"]
    tom.employer, tom.status = "Eastfield Trust", EnrolmentStatus.COMPLETED  # stays on the roster once closed
    tom.save()

    def organisation():
        return roster_by_heading(lead_client.get(dashboard_url(world["cohort"])))["Tom Other"]["Organisation"]

    assert organisation() == "Eastfield Trust"
    courses_close_account(tom.user)  # courses' part of closing: the employer is erased by update(), no signal sent
    assert organisation() == ""


def test_a_register_retires_the_cohort_once_and_a_step_through_a_case_not_at_all(lead_client, world, monkeypatch):
    retired = []
    monkeypatch.setattr(
        page_cache,
        "invalidate",
        lambda *, generation_key=page_cache.GENERATION_KEY, **kw: retired.append(generation_key),
    )
    one, sam, tom = world["sessions"][0], world["sam"], world["tom"]
    services.attendance_record(
        session=one, marks={sam.pk: AttendanceMark.PRESENT, tom.pk: AttendanceMark.LATE}, by_user=world["lead"]
    )
    assert retired == [f"cohort-dashboard:{world['cohort'].pk}:generation"]

    attempt = assessment_services.attempt_start(user=sam.user, exercise=world["exercise"])
    retired.clear()
    attempt.route = [*attempt.route]
    attempt.save(update_fields=["route"])  # where the learner is in the case: no dashboard shows it
    assert retired == []


def test_another_cohorts_changes_leave_this_ones_kept(lead_client, world):
    other = CohortFactory(course=world["cohort"].course, code="SYS-B", starts_on=days(-14), ends_on=days(14))
    session = CohortSessionFactory(cohort=other, date=days(-3))
    elsewhere = EnrolmentFactory(cohort=other)
    url = dashboard_url(world["cohort"])
    queries_for(lead_client, url)
    kept = queries_for(lead_client, url)

    Attendance.objects.create(enrolment=elsewhere, session=session, mark=AttendanceMark.PRESENT)
    assert queries_for(lead_client, url) == kept
    Attendance.objects.create(enrolment=world["sam"], session=world["sessions"][0], mark=AttendanceMark.PRESENT)
    assert queries_for(lead_client, url) > kept


def test_a_piece_is_kept_per_language_and_day(world, settings):
    cohort, built = world["cohort"], []

    def build():
        built.append(1)
        return len(built)

    assert dashboard_cache.kept(cohort, "piece", build) == dashboard_cache.kept(cohort, "piece", build) == 1
    with translation.override("cy"):
        assert dashboard_cache.kept(cohort, "piece", build) == 2
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
        assert dashboard_cache.kept(cohort, "piece", build) == 3
    dashboard_cache.retire([cohort.pk])
    assert dashboard_cache.kept(cohort, "piece", build) == 4
