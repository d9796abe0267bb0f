"""Factories for courses, cohorts and enrolments; the tests and the demo loader build on them."""

import datetime

from django.utils import timezone

import factory
import wagtail_factories
from factory.django import DjangoModelFactory

from accounts.factories import UserFactory

from .models import Cohort, CohortSession, CourseIndexPage, CoursePage, Enrolment, EnrolmentStatus, FeeBand


class CourseIndexPageFactory(wagtail_factories.PageFactory):
    title = "Courses"
    slug = "courses"

    class Meta:
        model = CourseIndexPage


class CoursePageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Course {n}")
    summary = "Learn the systems approach to investigating patient safety incidents."
    audience = "<p>Anyone who investigates or learns from patient safety incidents.</p>"
    learning_outcomes = "<ul><li>Describe the work system using SEIPS.</li></ul>"
    time_commitment = "Six half-day sessions"
    cpd_hours = 18
    accreditation_body = "The CPD Certification Service"
    accreditation_reference = factory.Sequence(lambda n: f"CPD-{n:05d}")
    completion_requirements = "<p>Attend at least 80% of the sessions.</p>"
    external_fee_pence = 45000

    class Meta:
        model = CoursePage


def _days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


class CohortFactory(DjangoModelFactory):
    course = factory.SubFactory(CoursePageFactory)
    code = factory.Sequence(lambda n: f"COH-{n:04d}")
    starts_on = factory.LazyFunction(lambda: _days(30))
    ends_on = factory.LazyFunction(lambda: _days(60))
    enrolment_opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    enrolment_closes_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=20))
    capacity = 10
    joining_instructions = "Join ten minutes early to test your sound."
    joining_link = "https://meet.example.org/cohort"

    class Meta:
        model = Cohort


class CohortSessionFactory(DjangoModelFactory):
    cohort = factory.SubFactory(CohortFactory)
    title = factory.Sequence(lambda n: f"Session {n}")
    date = factory.LazyAttribute(lambda obj: obj.cohort.starts_on)
    start_time = datetime.time(9, 30)
    end_time = datetime.time(12, 30)
    # As the admin's inline panel saves them; without it PostgreSQL returns sessions in no particular order.
    sort_order = factory.Sequence(lambda n: n)

    class Meta:
        model = CohortSession


class EnrolmentFactory(DjangoModelFactory):
    user = factory.SubFactory(UserFactory)
    cohort = factory.SubFactory(CohortFactory)
    status = EnrolmentStatus.CONFIRMED
    fee_band = FeeBand.FREE
    fee_pence = 0
    confirmed_at = factory.LazyFunction(timezone.now)

    class Meta:
        model = Enrolment
