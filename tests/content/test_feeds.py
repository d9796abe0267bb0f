"""The RSS feeds and the sitemap, read as a feed reader or a search engine would."""

import datetime
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from http import HTTPStatus

from wagtail.models import PageViewRestriction

import pytest

from content.factories import (
    ArticleIndexPageFactory,
    ArticlePageFactory,
    ReportIndexPageFactory,
    ReportSummaryPageFactory,
    StandardPageFactory,
)

pytestmark = pytest.mark.django_db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def report_index(home_page):
    return ReportIndexPageFactory(parent=home_page)


@pytest.fixture
def article_index(home_page):
    return ArticleIndexPageFactory(parent=home_page)


def day(n):
    return datetime.date(2025, 1, 1) + datetime.timedelta(days=n)


def read_feed(client, url):
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("application/rss+xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own response, in a test
    assert (root.tag, root.get("version")) == ("rss", "2.0")
    return root.find("channel")


def item_fields(channel, field):
    return [item.findtext(field) for item in channel.findall("item")]


def test_news_feed_lists_published_articles_newest_first(client, article_index):
    for n in [2, 3, 1]:
        ArticlePageFactory(parent=article_index, title=f"Article {n}", publication_date=day(n), teaser=f"Teaser {n}")
    ArticlePageFactory(parent=article_index, title="Blog", publication_date=day(0), kind="blog", author_name="Sam")

    channel = read_feed(client, "/feeds/news/")

    assert channel.findtext("title") == "News, blogs and events"
    assert channel.findtext("link") == "http://testserver/"
    assert item_fields(channel, "title") == ["Article 3", "Article 2", "Article 1", "Blog"]
    assert item_fields(channel, "description") == [
        "Teaser 3",
        "Teaser 2",
        "Teaser 1",
        "A short teaser for the listing.",
    ]
    assert item_fields(channel, "category") == ["News", "News", "News", "Blog"]
    dates = [parsedate_to_datetime(value).date() for value in item_fields(channel, "pubDate")]
    assert dates == [day(3), day(2), day(1), day(0)]


def test_news_feed_links_are_absolute(client, article_index):
    article = ArticlePageFactory(parent=article_index, title="Article")

    channel = read_feed(client, "/feeds/news/")

    assert item_fields(channel, "link") == [f"http://testserver{article.url}"]
    assert item_fields(channel, "guid") == [f"http://testserver{article.url}"]


def test_reports_feed_lists_published_reports_newest_first(client, report_index):
    reports = [
        ReportSummaryPageFactory(
            parent=report_index, title=f"Report {n}", publication_date=day(n), summary=f"Summary {n}"
        )
        for n in [1, 3, 2]
    ]

    channel = read_feed(client, "/feeds/reports/")

    assert channel.findtext("title") == "Investigation reports"
    assert item_fields(channel, "title") == ["Report 3", "Report 2", "Report 1"]
    assert item_fields(channel, "description") == ["Summary 3", "Summary 2", "Summary 1"]
    by_title = {report.title: report for report in reports}
    assert item_fields(channel, "link") == [
        f"http://testserver{by_title[title].url}" for title in ["Report 3", "Report 2", "Report 1"]
    ]


def test_feeds_hold_at_most_the_twenty_newest(client, report_index, article_index):
    for n in range(1, 23):
        ReportSummaryPageFactory(parent=report_index, title=f"Report {n}", publication_date=day(n))
        ArticlePageFactory(parent=article_index, title=f"Article {n}", publication_date=day(n))

    reports = read_feed(client, "/feeds/reports/")
    news = read_feed(client, "/feeds/news/")

    assert item_fields(reports, "title") == [f"Report {n}" for n in range(22, 2, -1)]
    assert item_fields(news, "title") == [f"Article {n}" for n in range(22, 2, -1)]


def test_feeds_leave_out_drafts_unpublished_and_private_pages(client, report_index, article_index):
    ReportSummaryPageFactory(parent=report_index, title="Published report", publication_date=day(1))
    ReportSummaryPageFactory(parent=report_index, title="Draft report", publication_date=day(2), live=False)
    ReportSummaryPageFactory(parent=report_index, title="Withdrawn report", publication_date=day(3)).unpublish()
    private = ReportSummaryPageFactory(parent=report_index, title="Private report", publication_date=day(4))
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    ArticlePageFactory(parent=article_index, title="Published article", publication_date=day(1))
    ArticlePageFactory(parent=article_index, title="Draft article", publication_date=day(2), live=False)
    ArticlePageFactory(parent=article_index, title="Withdrawn article", publication_date=day(3)).unpublish()

    assert item_fields(read_feed(client, "/feeds/reports/"), "title") == ["Published report"]
    assert item_fields(read_feed(client, "/feeds/news/"), "title") == ["Published article"]


def test_empty_feeds_are_still_valid(client, home_page):
    assert read_feed(client, "/feeds/reports/").findall("item") == []
    assert read_feed(client, "/feeds/news/").findall("item") == []


def test_pages_advertise_the_feeds(client, home_page):
    response = client.get("/")

    assert (
        '<link rel="alternate" type="application/rss+xml" title="News and blogs" href="/feeds/news/">' in response.text
    )
    assert (
        '<link rel="alternate" type="application/rss+xml" title="Investigation reports" href="/feeds/reports/">'
        in response.text
    )


def test_sitemap_lists_live_public_pages(client, home_page, report_index, article_index):
    report = ReportSummaryPageFactory(parent=report_index, title="Published report")
    article = ArticlePageFactory(parent=article_index, title="Published article")
    about = StandardPageFactory(parent=home_page, title="About us")
    draft = ReportSummaryPageFactory(parent=report_index, title="Draft report", live=False)
    withdrawn = ArticlePageFactory(parent=article_index, title="Withdrawn article")
    withdrawn.unpublish()
    private = StandardPageFactory(parent=home_page, title="Staff only")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)

    response = client.get("/sitemap.xml")

    assert response.status_code == HTTPStatus.OK
    root = ET.fromstring(response.content)  # noqa: S314 - our own response, in a test
    assert root.tag == f"{SITEMAP}urlset"
    locations = [url.findtext(f"{SITEMAP}loc") for url in root.findall(f"{SITEMAP}url")]
    expected = [page.get_full_url() for page in [home_page, report_index, report, article_index, article, about]]
    assert sorted(locations) == sorted(expected)
    for page in [draft, withdrawn, private]:
        assert page.get_full_url() not in locations
