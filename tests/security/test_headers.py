"""Security headers on every response, and public pages that a strict Content Security Policy can serve unchanged."""

from http import HTTPStatus

from django.core.cache import cache

import pytest

from content.factories import (
    ArticleIndexPageFactory,
    ArticlePageFactory,
    ReportIndexPageFactory,
    ReportSummaryPageFactory,
)
from courses.factories import CohortFactory, CourseIndexPageFactory, CoursePageFactory
from tests.content.helpers import make_superuser, soup

pytestmark = pytest.mark.django_db


def directives(response):
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.fixture
def public_pages(home_page):
    reports = ReportIndexPageFactory(parent=home_page)
    articles = ArticleIndexPageFactory(parent=home_page)
    catalogue = CourseIndexPageFactory(parent=home_page, slug="courses")
    course = CoursePageFactory(parent=catalogue)
    CohortFactory(course=course)
    return [
        "/",
        reports.url,
        ReportSummaryPageFactory(parent=reports).url,
        articles.url,
        ArticlePageFactory(parent=articles).url,
        catalogue.url,
        course.url,
        "/search/?q=safety",
        "/account/login/",
        "/account/signup/",
        "/certificates/verify/",
    ]


def test_public_pages_send_a_policy_that_allows_no_inline_script(client, public_pages):
    for url in public_pages:
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK, url
        policy = directives(response)
        assert policy["script-src"] == ["'self'"], url
        assert policy["style-src"] == ["'self'"], url
        assert policy["object-src"] == ["'none'"], url
        assert policy["frame-ancestors"] == ["'none'"], url
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]
        assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def test_public_pages_carry_no_inline_script_style_or_event_handler(client, public_pages):
    """What the policy would block: so the pages work under it, not merely send it."""
    for url in public_pages:
        page = soup(client.get(url))
        for script in page.find_all("script"):
            assert script.get("src"), f"inline script on {url}: {script}"
        assert not page.find_all("style"), url
        for element in page.find_all(True):
            inline = [name for name in element.attrs if name == "style" or name.startswith("on")]
            assert not inline, f"{url}: <{element.name}> has {inline}"


def test_every_response_denies_framing_sniffing_and_unused_browser_features(client, home_page):
    for url in ["/", "/account/login/", "/no-such-page/", "/health/"]:
        response = client.get(url)
        assert response["X-Frame-Options"] == "DENY", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url
        features = dict(part.strip().split("=", 1) for part in response["Permissions-Policy"].split(","))
        for feature in ("camera", "microphone", "geolocation", "payment"):
            assert features[feature] == "()", (url, feature)


def test_the_admin_is_left_to_wagtail_but_still_denies_framing(client):
    client.force_login(make_superuser())
    response = client.get("/admin/")
    assert response.status_code == HTTPStatus.OK
    assert "Content-Security-Policy" not in response
    assert response["X-Frame-Options"] == "DENY"


def test_a_page_served_from_the_page_cache_keeps_its_headers(client, home_page, settings):
    settings.PAGE_CACHE_SECONDS = 300
    cache.clear()
    client.get("/")
    hit = client.get("/")
    assert hit["X-Page-Cache"] == "hit"
    assert directives(hit)["script-src"] == ["'self'"]
    assert "Permissions-Policy" in hit
    cache.clear()
