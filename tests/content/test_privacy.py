"""Private pages stay private while the shared fragment cache answers who may see what (content/models/privacy.py,
content/models/serving.py): refused to anonymous visitors the moment privacy is set, and kept out of every listing."""

from http import HTTPStatus

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from wagtail.models import PageViewRestriction

import pytest

from content.factories import (
    ArticleIndexPageFactory,
    ArticlePageFactory,
    ReportIndexPageFactory,
    ReportSummaryPageFactory,
    StandardPageFactory,
    TopicFactory,
)
from tests.content.helpers import soup, texts

# The shared fragments on, as in production.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fragments_on")]

SECRET = "Only for members of the investigation team"


@pytest.fixture
def members(home_page):
    """A section with a page below it, both carrying text that a refused visitor must not see."""
    section = StandardPageFactory(parent=home_page, title="Members", slug="members", introduction=SECRET)
    StandardPageFactory(parent=section, title="Minutes", slug="minutes", introduction=SECRET)
    return section


@pytest.fixture
def report_index(home_page):
    return ReportIndexPageFactory(parent=home_page)


@pytest.fixture
def article_index(home_page):
    return ArticleIndexPageFactory(parent=home_page)


def restrict(page, kind):
    if kind == PageViewRestriction.PASSWORD:
        return PageViewRestriction.objects.create(page=page, restriction_type=kind, password="correct horse")
    return PageViewRestriction.objects.create(page=page, restriction_type=kind)


def assert_refused(response, kind):
    """What Wagtail answers a visitor who has not passed the restriction: the sign-in page or the password form."""
    if kind == PageViewRestriction.LOGIN:
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"].startswith("/account/login/")
    else:
        assert response.status_code == HTTPStatus.OK
        assert soup(response).select_one("input[name=password]") is not None
    assert SECRET not in response.content.decode()
    assert "no-cache" in response["Cache-Control"]


RESTRICTIONS = [PageViewRestriction.LOGIN, PageViewRestriction.PASSWORD]


@pytest.mark.parametrize("kind", RESTRICTIONS)
@pytest.mark.parametrize("path", ["/members/", "/members/minutes/"])
def test_a_page_made_private_after_it_was_served_is_refused_at_once(client, members, kind, path):
    # Served first, so the shared copies of the restrictions, the site and the sections say "nothing is private".
    assert SECRET in client.get(path).content.decode()
    assert SECRET in client.get(path).content.decode()

    restrict(members, kind)

    assert_refused(client.get(path), kind)


@pytest.mark.parametrize("kind", RESTRICTIONS)
def test_a_report_in_a_section_made_private_is_refused_at_once(client, report_index, kind):
    report = ReportSummaryPageFactory(parent=report_index, summary=SECRET)
    assert client.get(report.url).status_code == HTTPStatus.OK

    restrict(report_index, kind)

    assert_refused(client.get(report.url), kind)
    assert_refused(client.get(report_index.url), kind)


def test_a_signed_in_visitor_still_passes_a_sign_in_restriction(client, members, learner):
    restrict(members, PageViewRestriction.LOGIN)
    client.force_login(learner)

    response = client.get("/members/minutes/")

    assert response.status_code == HTTPStatus.OK
    assert SECRET in response.content.decode()


def test_the_right_password_still_opens_a_password_restriction(client, members):
    restriction = restrict(members, PageViewRestriction.PASSWORD)
    assert_refused(client.get("/members/minutes/"), PageViewRestriction.PASSWORD)

    client.post(
        f"/_util/authenticate_with_password/{restriction.pk}/{members.pk}/",
        {"password": "correct horse", "return_url": "/members/minutes/"},
    )

    assert SECRET in client.get("/members/minutes/").content.decode()


def test_removing_the_restriction_opens_the_page_at_once(client, members):
    restriction = restrict(members, PageViewRestriction.LOGIN)
    assert_refused(client.get("/members/"), PageViewRestriction.LOGIN)

    restriction.delete()

    assert SECRET in client.get("/members/").content.decode()


@pytest.mark.parametrize("kind", RESTRICTIONS)
def test_an_alias_of_a_private_page_is_refused_as_its_source_is(client, home_page, members, kind):
    # Wagtail gives an alias the restrictions of the page it copies, wherever the alias sits.
    members.create_alias(parent=home_page, update_slug="members-copy")
    assert SECRET in client.get("/members-copy/").content.decode()

    restrict(members, kind)

    assert_refused(client.get("/members-copy/"), kind)


def test_a_public_page_is_checked_without_reading_the_restrictions(client, members, report_index):
    report = ReportSummaryPageFactory(parent=report_index)
    restrict(members, PageViewRestriction.LOGIN)  # elsewhere in the tree
    client.get(report.url)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(report.url)

    assert response.status_code == HTTPStatus.OK
    assert not [query for query in queries.captured_queries if "wagtailcore_pageviewrestriction" in query["sql"]]


# --- Listings -----------------------------------------------------------------------------------------------------------


def publish(page):
    page.save_revision().publish()
    return page


@pytest.fixture
def listed(home_page, report_index, article_index):
    """A public and a soon-private report and article; the soon-private report alone has the topic Sepsis."""
    sepsis = TopicFactory(name="Sepsis", slug="sepsis")
    pages = {
        "public report": ReportSummaryPageFactory(parent=report_index, title="Public learning report"),
        "private report": ReportSummaryPageFactory(parent=report_index, title="Private learning report"),
        "public article": ArticlePageFactory(parent=article_index, title="Public learning article"),
        "private article": ArticlePageFactory(parent=article_index, title="Private learning article"),
    }
    pages["private report"].topics.set([sepsis])
    for page in pages.values():
        publish(page)
    return pages


def listing_texts(client):
    """Every place a visitor could find a page without knowing its address."""
    return {
        "reports": texts(soup(client.get("/reports/")).select("main .nhsuk-card__heading")),
        "report topics": texts(soup(client.get("/reports/")).select("#filter-topic option")),
        "articles": texts(soup(client.get("/news/")).select("main .nhsuk-card__heading")),
        "home": texts(soup(client.get("/")).select("main .nhsuk-card__heading")),
        "search": texts(soup(client.get("/search/", {"q": "learning"})).select("main .nhsuk-card__heading, main h2")),
        "feeds": client.get("/feeds/reports/").content.decode() + client.get("/feeds/news/").content.decode(),
    }


def test_pages_made_private_leave_every_listing_at_once(client, listed):
    before = listing_texts(client)
    assert "Private learning report" in " ".join(before["reports"])
    assert "Sepsis" in before["report topics"]
    assert "Private learning article" in " ".join(before["articles"])
    assert "Private learning report" in before["feeds"]

    restrict(listed["private report"], PageViewRestriction.LOGIN)
    restrict(listed["private article"], PageViewRestriction.PASSWORD)

    after = listing_texts(client)
    for name, shown in after.items():
        shown = " ".join(shown) if isinstance(shown, list) else shown
        assert "Private learning" not in shown, name
    assert "Public learning report" in " ".join(after["reports"])
    assert "Public learning article" in " ".join(after["articles"])
    assert "Sepsis" not in after["report topics"]


def test_listings_show_a_page_again_once_its_privacy_is_removed(client, listed):
    restriction = restrict(listed["private report"], PageViewRestriction.LOGIN)
    assert "Private learning report" not in " ".join(listing_texts(client)["reports"])

    restriction.delete()

    assert "Private learning report" in " ".join(listing_texts(client)["reports"])


def test_private_pages_stay_out_with_fragments_off_too(client, listed, settings):
    settings.FRAGMENT_CACHE_SECONDS = 0
    restrict(listed["private report"], PageViewRestriction.LOGIN)

    shown = listing_texts(client)

    assert "Private learning report" not in " ".join(shown["reports"] + shown["home"] + shown["search"])
    assert_refused(Client().get(listed["private report"].url), PageViewRestriction.LOGIN)
