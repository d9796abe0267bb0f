"""The home page: the newest reports and articles, and the sections the editor links from it."""

import datetime
from http import HTTPStatus

from wagtail.models import PageViewRestriction

import pytest

from content.factories import (
    ArticleIndexPageFactory,
    ArticlePageFactory,
    ImageFactory,
    ReportIndexPageFactory,
    ReportSummaryPageFactory,
    StandardPageFactory,
)
from tests.content.helpers import soup, texts

pytestmark = pytest.mark.django_db


def day(n):
    return datetime.date(2025, 1, 1) + datetime.timedelta(days=n)


def card_titles(response, section):
    return texts(soup(response).select(f"section[aria-labelledby={section}] .nhsuk-card__heading"))


@pytest.fixture
def report_index(home_page):
    return ReportIndexPageFactory(parent=home_page)


@pytest.fixture
def article_index(home_page):
    return ArticleIndexPageFactory(parent=home_page)


def test_shows_the_three_newest_reports_newest_first(client, report_index):
    # Created out of date order, so the listing must sort by publication date rather than by creation.
    for n in [3, 1, 5, 2, 4]:
        ReportSummaryPageFactory(parent=report_index, title=f"Report {n}", publication_date=day(n))

    response = client.get("/")

    assert response.status_code == HTTPStatus.OK
    assert card_titles(response, "latest-reports") == ["Report 5", "Report 4", "Report 3"]


def test_shows_the_three_newest_articles_newest_first(client, article_index):
    for n in [2, 5, 1, 4, 3]:
        ArticlePageFactory(parent=article_index, title=f"Article {n}", publication_date=day(n))

    response = client.get("/")

    assert card_titles(response, "latest-articles") == ["Article 5", "Article 4", "Article 3"]


def test_never_shows_drafts_unpublished_or_private_pages(client, report_index, article_index):
    for n in [1, 2, 3]:
        ReportSummaryPageFactory(parent=report_index, title=f"Report {n}", publication_date=day(n))
        ArticlePageFactory(parent=article_index, title=f"Article {n}", publication_date=day(n))
    # Each of these is newer than everything published, so would push out an older card if it leaked.
    ReportSummaryPageFactory(parent=report_index, title="Draft report", publication_date=day(10), live=False)
    ReportSummaryPageFactory(parent=report_index, title="Withdrawn report", publication_date=day(11)).unpublish()
    private_report = ReportSummaryPageFactory(parent=report_index, title="Private report", publication_date=day(12))
    PageViewRestriction.objects.create(page=private_report, restriction_type=PageViewRestriction.LOGIN)
    ArticlePageFactory(parent=article_index, title="Draft article", publication_date=day(10), live=False)
    ArticlePageFactory(parent=article_index, title="Withdrawn article", publication_date=day(11)).unpublish()
    private_article = ArticlePageFactory(parent=article_index, title="Private article", publication_date=day(12))
    PageViewRestriction.objects.create(
        page=private_article, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )

    response = client.get("/")

    assert card_titles(response, "latest-reports") == ["Report 3", "Report 2", "Report 1"]
    assert card_titles(response, "latest-articles") == ["Article 3", "Article 2", "Article 1"]
    for title in ["Draft", "Withdrawn", "Private"]:
        assert title not in response.text


def test_each_report_card_links_to_the_report(client, report_index):
    report = ReportSummaryPageFactory(
        parent=report_index, title="Delayed recognition of sepsis", reference="NIR/2025/014", image=ImageFactory()
    )

    response = client.get("/")

    card = soup(response).select_one("section[aria-labelledby=latest-reports] .nhsuk-card")
    link = card.find("a", string="Read the Delayed recognition of sepsis report")
    assert link["href"] == report.url
    assert "NIR/2025/014" in texts([card])[0]
    assert card.select_one("img.nhsuk-card__img")["alt"] == ""


def test_each_article_card_links_to_the_article(client, article_index):
    article = ArticlePageFactory(parent=article_index, title="New course dates", kind="blog", author_name="Sam Patel")

    response = client.get("/")

    link = soup(response).select_one("section[aria-labelledby=latest-articles] a.nhsuk-card__link")
    assert (texts([link]), link["href"]) == (["New course dates"], article.url)


def test_with_nothing_published_says_so(client, home_page):
    response = client.get("/")

    assert "No reports have been published yet." in response.text
    assert "Nothing has been published yet." in response.text


def test_shows_the_education_link_the_editor_chose(client, home_page):
    courses = StandardPageFactory(parent=home_page, title="Courses", slug="courses")
    home_page.education_heading = "Learn with us"
    home_page.education_text = "<p>CPD-accredited courses.</p>"
    home_page.education_link = courses
    home_page.education_link_text = "Browse our courses"
    home_page.save_revision().publish()

    response = client.get("/")

    section = soup(response).select_one("section[aria-labelledby=education]")
    assert texts(section.select("h2, p")) == ["Learn with us", "CPD-accredited courses.", "Browse our courses"]
    assert section.find("a", string="Browse our courses")["href"] == "/courses/"


def test_without_an_education_link_shows_no_link(client, home_page):
    response = client.get("/")

    section = soup(response).select_one("section[aria-labelledby=education]")
    assert section.find("a") is None


def test_shows_the_hero_the_editor_wrote(client, home_page, report_index):
    home_page.hero_heading = "Learning from incidents"
    home_page.hero_link = report_index
    home_page.hero_link_text = "Read our reports"
    home_page.save_revision().publish()

    response = client.get("/")

    hero = soup(response).select_one(".site-hero")
    assert texts(hero.select("h1")) == ["Learning from incidents"]
    assert hero.select_one("a.nhsuk-action-link__link")["href"] == report_index.url
    assert texts(hero.select(".nhsuk-action-link__text")) == ["Read our reports"]


def test_the_four_section_links_cost_one_query_together(client, home_page, report_index, article_index):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        client.get("/")
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/")
        return len(queries), soup(response)

    without_links, _ = count()
    about = StandardPageFactory(parent=home_page, title="About us", slug="about")
    home_page.hero_link, home_page.about_link = article_index, about
    home_page.investigations_link, home_page.education_link = report_index, about
    home_page.save_revision().publish()
    with_links, page = count()

    hrefs = [page.select_one("a.nhsuk-action-link__link")["href"]] + [
        page.select_one(f"section[aria-labelledby={section}] a")["href"]
        for section in ("about-us", "investigations", "education")
    ]
    assert hrefs == [article_index.url, about.url, report_index.url, about.url]
    assert with_links == without_links + 1
