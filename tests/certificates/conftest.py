"""A finished cohort with a course lead, a certificate design, and learners in each standing against the completion rule."""

import datetime

from django.utils import timezone

import pytest

from accounts.factories import UserFactory
from courses import services as course_services
from courses.factories import (
    CohortFactory,
    CohortSessionFactory,
    CourseIndexPageFactory,
    CoursePageFactory,
    EnrolmentFactory,
)
from courses.models import AttendanceMark
from tests.content.helpers import make_group_member


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def cert_course(home_page):
    return CoursePageFactory(
        parent=CourseIndexPageFactory(parent=home_page),
        title="Human factors essentials",
        cpd_hours=6,
        accreditation_body="The CPD Certification Service",
        accreditation_reference="CPD-HFE-0212",
        attendance_threshold_percent=80,
    )


@pytest.fixture
def course_lead(db):
    return make_group_member("Course leads", "lead@example.org")


@pytest.fixture
def finished_cohort(cert_course, course_lead):
    cohort = CohortFactory(course=cert_course, code="HFE-00", starts_on=days(-35), ends_on=days(-21))
    cohort.leads.add(course_lead)
    cohort.save()
    for week in range(3):
        CohortSessionFactory(cohort=cohort, title=f"Session {week + 1}", date=days(-35 + 7 * week))
    return cohort


def enrol(cohort, name):
    user = UserFactory(full_name=name, email=f"{name.lower().replace(' ', '.')}@nhs.net")
    return EnrolmentFactory(user=user, cohort=cohort)


def attend(enrolment, sessions: int, by_user):
    for session in enrolment.cohort.sessions.order_by("date")[:sessions]:
        course_services.attendance_record(
            session=session, marks={enrolment.pk: AttendanceMark.PRESENT}, by_user=by_user
        )


def sign_off(enrolment, by_user, override_reason=""):
    return course_services.enrolments_sign_off(
        cohort=enrolment.cohort,
        enrolments=[enrolment],
        completed=True,
        by_user=by_user,
        override_reason=override_reason,
    )[0]


@pytest.fixture
def completed(finished_cohort, course_lead, design, django_capture_on_commit_callbacks):
    """A learner who attended every session and was signed off: the certificate is issued (and drawn) on sign-off."""
    enrolment = enrol(finished_cohort, "Priya Shah")
    attend(enrolment, 3, course_lead)
    with django_capture_on_commit_callbacks(execute=True):
        return sign_off(enrolment, course_lead)


@pytest.fixture
def certificate(completed):
    return completed.certificates.get()
