"""The shared page cache for anonymous visitors (site/page_cache.py): what it serves, to whom, and when it forgets."""

import datetime
from http import HTTPStatus

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wagtail.models import PageViewRestriction

import pytest

from accounts.factories import UserFactory
from content.factories import ReportIndexPageFactory, ReportSummaryPageFactory
from courses.factories import CohortFactory, CourseIndexPageFactory, CoursePageFactory
from page_cache import _timeout
from tests.conftest import kept_as_in_production, verified
from tests.content.helpers import soup, texts

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    yield from kept_as_in_production(settings, "PAGE_CACHE_SECONDS")


@pytest.fixture
def catalogue(home_page):
    return CourseIndexPageFactory(parent=home_page, title="Courses", slug="courses")


@pytest.fixture
def course(catalogue):
    return CoursePageFactory(parent=catalogue, title="A systems approach to investigating patient safety incidents")


@pytest.fixture
def cohort(course):
    return CohortFactory(course=course, code="SYS-01", capacity=1)


def cached(response):
    return response.headers.get("X-Page-Cache")


def test_second_anonymous_visit_is_a_hit_with_the_same_page_and_no_queries(
    client, home_page, django_assert_num_queries
):
    first = client.get(home_page.url)
    assert first.status_code == HTTPStatus.OK
    assert cached(first) == "miss"

    with django_assert_num_queries(0):
        second = client.get(home_page.url)

    assert cached(second) == "hit"
    assert second.status_code == HTTPStatus.OK
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert "Vary" in second and "X-Frame-Options" in second


def test_head_is_answered_from_the_cached_get(client, home_page):
    client.get(home_page.url)
    response = client.head(home_page.url)
    assert cached(response) == "hit"
    assert response.status_code == HTTPStatus.OK


def test_signed_in_visitors_never_get_the_shared_page_nor_add_to_it(client, home_page):
    learner = UserFactory(email="casey@example.org", full_name="Casey Signedin")
    signed_in = Client()
    signed_in.force_login(learner)

    mine = signed_in.get(home_page.url)
    assert cached(mine) == "bypass"
    assert "Casey Signedin" in mine.content.decode()

    anonymous = client.get(home_page.url)
    assert cached(anonymous) == "miss", "the signed-in page was not stored"
    assert "Casey Signedin" not in anonymous.content.decode()
    assert cached(client.get(home_page.url)) == "hit"

    again = signed_in.get(home_page.url)
    assert cached(again) == "bypass"
    assert "Casey Signedin" in again.content.decode()


def test_any_session_or_messages_cookie_bypasses_the_cache(client, home_page):
    client.get(home_page.url)
    for name in ("sessionid", "messages"):
        visitor = Client()
        visitor.cookies[name] = "anything"
        assert cached(visitor.get(home_page.url)) == "bypass"
    assert cached(client.get(home_page.url)) == "hit"


def test_post_is_never_cached(client, home_page):
    assert cached(client.post(home_page.url)) == "bypass"
    assert cached(client.get(home_page.url)) == "miss"


def test_a_page_with_a_csrf_form_is_not_cached_even_outside_the_excluded_paths(client, settings):
    assert cached(client.get("/account/login/")) == "bypass"

    settings.PAGE_CACHE_EXCLUDED_PREFIXES = ()
    first, second = Client().get("/account/login/"), Client().get("/account/login/")
    assert first.status_code == HTTPStatus.OK
    assert b"csrfmiddlewaretoken" in first.content
    assert cached(first) == cached(second) == "miss"


def test_personal_paths_are_not_cached(client, home_page):
    for path in ("/my-learning/", "/my-cpd/", "/certificates/verify/", "/admin/"):
        assert cached(client.get(path)) == "bypass", path


def test_publishing_changes_what_anonymous_visitors_see_at_once(client, home_page):
    client.get(home_page.url)
    assert cached(client.get(home_page.url)) == "hit"

    home_page.title = "Learning from patient safety investigations"
    home_page.save_revision().publish()

    response = client.get(home_page.url)
    assert cached(response) == "miss"
    assert "Learning from patient safety investigations" in response.content.decode()


def test_taking_the_last_place_shows_at_once_on_the_catalogue_and_course_page(client, catalogue, course, cohort):
    def places():
        course_page = soup(client.get(course.url))
        listing = soup(client.get(catalogue.url))
        return texts(course_page.select(".site-places-left")), " ".join(listing.get_text().split())

    assert places()[0] == ["1 place left"]
    assert cached(client.get(course.url)) == cached(client.get(catalogue.url)) == "hit"

    learner = Client()
    learner.force_login(verified(UserFactory(email="sam.patel@nhs.net", full_name="Sam Patel")))
    learner.post(
        f"/courses/cohorts/{cohort.code}/enrol/",
        {"works_for_nhs_england": "yes", "employer": "Leeds Teaching Hospitals NHS Trust"},
    )
    assert learner.post(f"/courses/cohorts/{cohort.code}/enrol/check/").status_code == HTTPStatus.FOUND

    course_places, listing = places()
    assert course_places == ["None: the cohort is full"]
    assert "Full: you can join the waiting list" in listing
    assert "1 place left" not in listing


def test_a_cohort_change_invalidates(client, course, cohort):
    client.get(course.url)
    cohort.capacity = 5
    cohort.save()
    response = client.get(course.url)
    assert cached(response) == "miss"
    assert texts(soup(response).select(".site-places-left")) == ["5 places left"]


def test_making_a_page_private_retires_its_cached_copy_and_the_listings_that_show_it(client, home_page):
    # Setting privacy publishes nothing, so only the restriction's own save can tell the cache.
    reports = ReportIndexPageFactory(parent=home_page, title="Reports", slug="reports")
    report = ReportSummaryPageFactory(parent=reports, title="Handover between wards", summary="Members only.")
    for url in (report.url, reports.url):
        client.get(url)
        assert cached(client.get(url)) == "hit"

    PageViewRestriction.objects.create(page=report, restriction_type=PageViewRestriction.LOGIN)

    response = client.get(report.url)
    assert cached(response) == "miss"
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/account/login/")
    listing = client.get(reports.url)
    assert cached(listing) == "miss"
    assert "Handover between wards" not in listing.content.decode()


def test_query_strings_are_separate_pages(client, home_page):
    assert cached(client.get("/search/?q=safety")) == "miss"
    assert cached(client.get("/search/?q=learning")) == "miss"
    safety, learning = client.get("/search/?q=safety"), client.get("/search/?q=learning")
    assert cached(safety) == cached(learning) == "hit"
    assert texts(soup(safety).select("h1")) == ["Search results for 'safety'"]
    assert texts(soup(learning).select("h1")) == ["Search results for 'learning'"]


def test_not_found_is_not_cached(client, home_page):
    for _ in range(2):
        response = client.get("/no-such-page/")
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert cached(response) == "miss"


def test_zero_seconds_turns_the_cache_off(client, home_page, settings):
    settings.PAGE_CACHE_SECONDS = 0
    client.get(home_page.url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(home_page.url)
    assert cached(response) is None
    assert response.status_code == HTTPStatus.OK
    assert len(queries) > 0, "rendered again"


def test_pages_expire_when_a_cohort_opens_or_closes_for_enrolment(course):
    CohortFactory(course=course, enrolment_opens_at=timezone.now() + datetime.timedelta(seconds=60))
    assert 1 <= _timeout(300) <= 61


def test_a_page_rendered_before_the_commit_is_retired_at_the_commit(
    client, course, cohort, django_capture_on_commit_callbacks
):
    # Another visitor rendering between the save and the commit sees the old rows; the commit must retire that page.
    with django_capture_on_commit_callbacks(execute=True):
        cohort.capacity = 5
        cohort.save()
        client.get(course.url)
        assert cached(client.get(course.url)) == "hit"
    assert cached(client.get(course.url)) == "miss"


# --- Shared fragments: the main navigation --------------------------------------------------------------------------


@pytest.fixture
def navigation(home_page, settings):
    from wagtail.models import Site

    from content.factories import ReportIndexPageFactory
    from content.models import NavigationSettings

    settings.FRAGMENT_CACHE_SECONDS = 300
    reports = ReportIndexPageFactory(parent=home_page, title="Reports", slug="reports")
    nav = NavigationSettings.for_site(Site.objects.get(is_default_site=True))
    nav.links = [("link", {"page": reports, "label": ""})]
    nav.save()
    return nav, reports


def nav_labels(response):
    return texts(soup(response).select(".nhsuk-header__navigation-list a"))


def test_the_navigation_is_built_once_and_then_costs_no_queries(navigation, learner, home_page):
    signed_in = Client()
    signed_in.force_login(learner)  # signed in, so no whole-page cache: only the fragment is shared
    signed_in.get(home_page.url)
    with CaptureQueriesContext(connection) as first:
        signed_in.get(home_page.url)
    cache.clear()
    with CaptureQueriesContext(connection) as rebuilt:
        response = signed_in.get(home_page.url)

    assert nav_labels(response) == ["Reports"]
    assert not any("content_navigationsettings" in query["sql"] for query in first.captured_queries)
    assert any("content_navigationsettings" in query["sql"] for query in rebuilt.captured_queries)


def test_editing_the_navigation_shows_at_once(client, navigation, home_page):
    nav, reports = navigation
    assert nav_labels(client.get(home_page.url, {"v": 1})) == ["Reports"]

    nav.links = [("link", {"page": reports, "label": "Investigation reports"})]
    nav.save()

    assert nav_labels(client.get(home_page.url, {"v": 2})) == ["Investigation reports"]


def test_retitling_or_unpublishing_a_linked_page_shows_at_once(client, navigation, home_page):
    _nav, reports = navigation
    assert nav_labels(client.get(home_page.url, {"v": 1})) == ["Reports"]

    reports.title = "Our investigations"
    reports.save_revision().publish()
    assert nav_labels(client.get(home_page.url, {"v": 2})) == ["Our investigations"]

    reports.unpublish()
    assert nav_labels(client.get(home_page.url, {"v": 3})) == []


def test_zero_fragment_seconds_builds_the_navigation_every_time(navigation, learner, home_page, settings):
    settings.FRAGMENT_CACHE_SECONDS = 0
    signed_in = Client()
    signed_in.force_login(learner)
    signed_in.get(home_page.url)
    with CaptureQueriesContext(connection) as again:
        signed_in.get(home_page.url)
    assert any("content_navigationsettings" in query["sql"] for query in again.captured_queries)
