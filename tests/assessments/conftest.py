"""A course with a running cohort and a learner with a confirmed place on it, for the exercise tests."""

import datetime

from django.utils import timezone

import pytest

from accounts.factories import UserFactory
from courses.factories import CohortFactory, CourseIndexPageFactory, CoursePageFactory, EnrolmentFactory


@pytest.fixture
def course(home_page):
    return CoursePageFactory(parent=CourseIndexPageFactory(parent=home_page), title="A systems approach")


@pytest.fixture
def cohort(course):
    today = timezone.localdate()
    return CohortFactory(
        course=course, starts_on=today - datetime.timedelta(days=3), ends_on=today + datetime.timedelta(days=30)
    )


@pytest.fixture
def learner(cohort):
    user = UserFactory(email="sam@nhs.net")
    EnrolmentFactory(user=user, cohort=cohort)
    return user
