"""The course catalogue and course pages, as a visitor and a learner see them, and what they cost in queries."""

import datetime
from http import HTTPStatus
from unittest import mock

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wagtail.models import PageViewRestriction

import pytest

from accounts.factories import UserFactory
from assessments.factories import CaseExercisePageFactory
from assessments.models import CaseExercisePage
from content.factories import TopicFactory
from content.models import HomePage
from courses.factories import (
    CohortFactory,
    CohortSessionFactory,
    CourseIndexPageFactory,
    CoursePageFactory,
    EnrolmentFactory,
)
from courses.models import CourseIndexPage, CoursePage, EnrolmentStatus, VatStatus
from courses.selectors import COURSE_PAGE_COHORTS
from tests.content.helpers import soup, texts

pytestmark = pytest.mark.django_db


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def catalogue(home_page):
    return CourseIndexPageFactory(parent=home_page, introduction="CPD-accredited courses for safety investigators.")


@pytest.fixture
def course(catalogue):
    return CoursePageFactory(
        parent=catalogue,
        title="A systems approach to investigating patient safety incidents",
        cpd_hours=18,
        external_fee_pence=45000,
        outline=[("module", {"title": "Systems thinking", "description": "The SEIPS model of the work system."})],
    )


def test_page_tree_rules(home_page, catalogue):
    assert CourseIndexPage.can_create_at(home_page)
    assert CoursePage.can_create_at(catalogue)
    assert not CoursePage.can_create_at(home_page)
    assert CourseIndexPage.allowed_subpage_models() == [CoursePage]
    # Only page types that name the course page as their parent: a general page may not go under a course.
    assert CoursePage.allowed_subpage_models() == [CaseExercisePage]
    assert HomePage in CourseIndexPage.allowed_parent_page_models()


def test_catalogue_lists_every_course_with_format_cpd_hours_next_start_and_places(client, catalogue, course):
    CohortFactory(course=course, starts_on=days(40), capacity=12)
    soonest = CohortFactory(course=course, starts_on=days(20), capacity=10)
    EnrolmentFactory.create_batch(3, cohort=soonest)
    CoursePageFactory(parent=catalogue, title="Learning from deaths", cpd_hours=3.5)

    response = client.get(catalogue.url)

    assert response.status_code == HTTPStatus.OK
    cards = soup(response).select(".site-course-card")
    assert texts(card.select_one("h2") for card in cards) == [course.title, "Learning from deaths"]
    first = " ".join(texts(cards[0].select("dd")))
    assert "Online, live sessions" in first
    assert "18" in first
    assert soonest.starts_on.strftime("%-d %B %Y") in first
    assert "7 places left" in first
    assert "3.5" in " ".join(texts(cards[1].select("dd")))
    assert "No dates yet" in cards[1].get_text()


def test_catalogue_filters_by_topic_and_by_month_of_the_next_start(client, catalogue, course):
    maternity = TopicFactory(name="Maternity")
    other = CoursePageFactory(parent=catalogue, title="Investigating maternity incidents")
    other.topics.add(maternity)
    other.save_revision().publish()
    CohortFactory(course=course, starts_on=days(20))
    later = CohortFactory(course=other, starts_on=days(100))

    by_topic = soup(client.get(catalogue.url, {"topic": "maternity"}))
    by_month = soup(client.get(catalogue.url, {"month": later.starts_on.strftime("%Y-%m")}))
    nonsense = client.get(catalogue.url, {"month": "20x7-1", "topic": "no-such-topic\x00"})

    assert texts(by_topic.select(".site-course-card h2")) == [other.title]
    assert texts(by_month.select(".site-course-card h2")) == [other.title]
    month_options = texts(by_month.select("#filter-month option"))
    assert later.starts_on.strftime("%B %Y") in month_options
    assert "Maternity" in texts(by_topic.select("#filter-topic option"))
    assert nonsense.status_code == HTTPStatus.OK
    assert len(soup(nonsense).select(".site-course-card")) == 2


def test_course_page_shows_the_course_and_what_it_costs(client, course):
    course.vat_status = VatStatus.STANDARD
    course.accreditation_body = "The CPD Certification Service"
    course.accreditation_reference = "CPD-12345"
    course.save_revision().publish()

    page = soup(client.get(course.url))
    text = " ".join(page.get_text().split())

    assert page.h1.get_text() == course.title
    for expected in [
        "Online, live sessions",
        "Six half-day sessions",
        "The CPD Certification Service",
        "CPD-12345",
        "Who it is for",
        "Describe the work system using SEIPS.",
        "Systems thinking",
        "The SEIPS model of the work system.",
        "Attend at least 80% of the sessions.",
        "Free for NHS staff in England",
        "£450.00",
        "Includes VAT of £75.00",
    ]:
        assert expected in text, expected


def test_course_page_lists_cohorts_with_places_and_the_right_button(client, course):
    now = timezone.now()
    open_ = CohortFactory(course=course, code="SYS-OPEN", starts_on=days(20), capacity=5)
    CohortSessionFactory(cohort=open_, title="Systems thinking")
    EnrolmentFactory.create_batch(2, cohort=open_)
    full = CohortFactory(course=course, code="SYS-FULL", starts_on=days(30), capacity=1)
    EnrolmentFactory(cohort=full)
    CohortFactory(
        course=course,
        code="SYS-SHUT",
        starts_on=days(40),
        enrolment_opens_at=now - datetime.timedelta(days=9),
        enrolment_closes_at=now - datetime.timedelta(days=1),
    )

    cards = {
        card.select_one(".site-meta").get_text(): card for card in soup(client.get(course.url)).select(".site-cohort")
    }

    assert "3 places left" in cards["Cohort SYS-OPEN"].get_text()
    assert "Systems thinking" in cards["Cohort SYS-OPEN"].get_text()
    assert cards["Cohort SYS-OPEN"].select_one("a.nhsuk-button")["href"] == "/courses/cohorts/SYS-OPEN/enrol/"
    assert "Enrol" in cards["Cohort SYS-OPEN"].select_one("a.nhsuk-button").get_text()
    assert "Join the waiting list" in cards["Cohort SYS-FULL"].select_one("a.nhsuk-button").get_text()
    assert cards["Cohort SYS-SHUT"].select_one("a.nhsuk-button") is None
    assert "Enrolment closed" in cards["Cohort SYS-SHUT"].get_text()


def test_course_page_tells_an_enrolled_learner_so(client, course):
    cohort = CohortFactory(course=course, code="SYS-MINE")
    learner = EnrolmentFactory(cohort=cohort, status=EnrolmentStatus.CONFIRMED).user
    client.force_login(learner)

    card = soup(client.get(course.url)).select_one(".site-cohort")

    assert "You are enrolled" in card.get_text()
    assert card.select_one("a.nhsuk-button") is None
    assert card.find("a", string="Go to My learning")["href"] == "/my-learning/"


def test_course_without_an_open_cohort_offers_to_tell_people_when_one_opens(client, course):
    now = timezone.now()
    CohortFactory(
        course=course,
        enrolment_opens_at=now + datetime.timedelta(days=5),
        enrolment_closes_at=now + datetime.timedelta(days=9),
    )

    anonymous = soup(client.get(course.url)).select_one(".site-interest")
    client.force_login(UserFactory())
    signed_in = soup(client.get(course.url)).select_one(".site-interest")

    assert "Tell me when the next cohort opens" in anonymous.get_text()
    assert anonymous.find("a")["href"] == f"/account/login/?next={course.url.replace('/', '%2F')}"
    form = signed_in.find("form")
    assert form["method"] == "post" and form["action"] == f"/courses/register-interest/{course.pk}/"
    assert "Enrolment not open yet" in soup(client.get(course.url)).select_one(".site-cohort").get_text()


def test_course_with_an_open_cohort_does_not_offer_interest(client, course):
    CohortFactory(course=course)
    assert soup(client.get(course.url)).select_one(".site-interest") is None


# Query counts ----------------------------------------------------------------------------------------------------------

FEW, MANY = 3, 15


def grow_catalogue(catalogue, topics, start, count):
    """Courses with a topic and three cohorts each (sessions, a confirmed learner), numbered from `start`."""
    for n in range(start, count):
        course = CoursePageFactory(parent=catalogue, title=f"Course {n:02d}")
        course.topics.add(topics[n % len(topics)])
        course.save_revision().publish()
        grow_cohorts(course, 3)


def grow_cohorts(course, count):
    for n in range(count):
        cohort = CohortFactory(course=course, starts_on=days(10 + 7 * n), ends_on=days(40 + 7 * n))
        CohortSessionFactory.create_batch(2, cohort=cohort)
        EnrolmentFactory(cohort=cohort)


def count_queries(client, url, data=None):
    """Queries for one GET of `url` after a warm-up GET (which fills the site-root and settings caches)."""
    assert client.get(url, data).status_code == HTTPStatus.OK
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, data)
    assert response.status_code == HTTPStatus.OK
    return len(queries), response


def test_catalogue_queries_do_not_grow_with_the_number_of_courses(client, catalogue):
    topics = [TopicFactory(name=name) for name in ["Maternity", "Medication safety", "Mental health"]]
    month = days(10).strftime("%Y-%m")

    grow_catalogue(catalogue, topics, 0, FEW)
    few, _ = count_queries(client, catalogue.url)
    few_filtered, _ = count_queries(client, catalogue.url, {"topic": "maternity", "month": month})
    grow_catalogue(catalogue, topics, FEW, MANY)
    many, response = count_queries(client, catalogue.url)
    many_filtered, _ = count_queries(client, catalogue.url, {"topic": "maternity", "month": month})

    print(f"catalogue queries: {FEW} courses {few}, {MANY} courses {many}; filtered {few_filtered}, {many_filtered}")  # noqa: T201
    assert many == few
    assert many_filtered == few_filtered
    assert len(soup(response).select(".site-course-card")) == MANY


def test_course_page_queries_do_not_grow_with_the_number_of_cohorts(client, course):
    learner = UserFactory()
    grow_cohorts(course, FEW)
    EnrolmentFactory(cohort=course.cohorts.first(), user=learner)

    anonymous_few, _ = count_queries(client, course.url)
    client.force_login(learner)
    signed_in_few, _ = count_queries(client, course.url)
    client.logout()
    grow_cohorts(course, MANY - FEW)
    anonymous_many, response = count_queries(client, course.url)
    client.force_login(learner)
    signed_in_many, _ = count_queries(client, course.url)

    print(  # noqa: T201
        f"course page queries: {FEW} cohorts {anonymous_few} (signed in {signed_in_few}), "
        f"{MANY} cohorts {anonymous_many} (signed in {signed_in_many})"
    )
    assert anonymous_many == anonymous_few
    assert signed_in_many == signed_in_few
    # The soonest dates are listed, the rest one link away.
    assert len(soup(response).select(".site-cohort")) == COURSE_PAGE_COHORTS < MANY
    assert soup(response).find("a", string=f"Show all {MANY} dates")["href"] == "?dates=all#dates"
    assert len(soup(client.get(course.url, {"dates": "all"})).select(".site-cohort")) == MANY


def test_a_course_whose_later_cohort_is_the_open_one_offers_no_interest_form(client, course):
    # Only the soonest dates are listed; whether any cohort is open is asked of them all.
    now = timezone.now()
    for n in range(COURSE_PAGE_COHORTS + 1):
        CohortFactory(
            course=course,
            starts_on=days(20 + n),
            enrolment_opens_at=now + datetime.timedelta(days=5),
            enrolment_closes_at=now + datetime.timedelta(days=9),
        )
    CohortFactory(course=course, starts_on=days(60))
    assert course.cohorts.filter(enrolment_opens_at__lte=now, enrolment_closes_at__gt=now).count() == 1

    page = soup(client.get(course.url))

    assert page.select_one(".site-interest") is None
    assert len(page.select(".site-cohort")) == COURSE_PAGE_COHORTS
    assert page.find("a", string=f"Show all {COURSE_PAGE_COHORTS + 2} dates") is not None


# With the shared fragments on, as in production ------------------------------------------------------------------------


def publish(page):
    page.save_revision().publish()
    return page


def test_catalogue_filters_follow_cohorts_publishing_and_the_date(client, catalogue, course, fragments_on):
    def options(name):
        return texts(soup(client.get(catalogue.url)).select(f"#filter-{name} option"))[1:]

    today = timezone.localdate()
    CohortFactory(course=course, starts_on=today)
    assert options("month") == [today.strftime("%B %Y")]
    assert options("topic") == []

    later = CohortFactory(course=course, starts_on=today + datetime.timedelta(days=70))
    course.topics.add(TopicFactory(name="Maternity"))
    publish(course)
    assert options("month") == [today.strftime("%B %Y"), later.starts_on.strftime("%B %Y")]
    assert options("topic") == ["Maternity"]

    # Tomorrow today's cohort has started, though nothing was saved to say so.
    with mock.patch("django.utils.timezone.localdate", return_value=today + datetime.timedelta(days=1)):
        assert options("month") == [later.starts_on.strftime("%B %Y")]


@pytest.mark.parametrize("kind", ["login", "password"])
def test_a_course_made_private_is_refused_and_leaves_the_catalogue_at_once(
    client, catalogue, course, fragments_on, kind
):
    other = CoursePageFactory(parent=catalogue, title="Learning from deaths")
    assert client.get(course.url).status_code == HTTPStatus.OK
    assert len(soup(client.get(catalogue.url)).select(".site-course-card")) == 2

    PageViewRestriction.objects.create(page=course, restriction_type=kind, password="correct horse")

    refused = client.get(course.url)
    assert course.summary not in refused.content.decode()
    assert refused.status_code == (HTTPStatus.FOUND if kind == "login" else HTTPStatus.OK)
    assert texts(soup(client.get(catalogue.url)).select(".site-course-card h2")) == [other.title]

    PageViewRestriction.objects.create(page=catalogue, restriction_type="login")
    assert client.get(other.url).status_code == HTTPStatus.FOUND


def test_the_course_page_lists_its_published_public_case_exercises(client, course, fragments_on):
    def exercises():
        return texts(soup(client.get(course.url)).select("#exercises + p + ul a"))

    first = CaseExercisePageFactory(parent=course, title="Anticoagulation withheld")
    assert exercises() == ["Anticoagulation withheld"]

    publish(CaseExercisePageFactory(parent=course, title="A delayed diagnosis", live=False))
    assert exercises() == ["A delayed diagnosis", "Anticoagulation withheld"]

    PageViewRestriction.objects.create(page=first, restriction_type="login")
    assert exercises() == ["A delayed diagnosis"]


def test_with_the_shared_fragments_warm_the_catalogue_and_course_page_cost_few_queries(
    client, catalogue, course, fragments_on
):
    grow_cohorts(course, FEW)
    course.topics.add(TopicFactory(name="Maternity"))
    publish(course)

    catalogue_queries, _ = count_queries(client, catalogue.url)
    course_queries, _ = count_queries(client, course.url)

    # The courses, their topics and their next cohorts; the course's own row, its cohorts, their sessions and totals.
    assert catalogue_queries == 3
    assert course_queries == 4
