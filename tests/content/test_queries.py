"""Listings cost the same number of database queries however many items they hold."""

from http import HTTPStatus

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from content.factories import (
    ArticleIndexPageFactory,
    ArticlePageFactory,
    ImageFactory,
    ReportIndexPageFactory,
    ReportSummaryPageFactory,
    TopicFactory,
)
from tests.content.helpers import soup

pytestmark = pytest.mark.django_db

FEW, MANY = 3, 30


class Listings:
    """A home page with a report index and an article index, each holding items with an image and two topics."""

    def __init__(self, home_page):
        self.report_index = ReportIndexPageFactory(parent=home_page)
        self.article_index = ArticleIndexPageFactory(parent=home_page)
        self.topics = [TopicFactory(name=name) for name in ["Maternity", "Medication safety", "Sepsis"]]
        self.count = 0

    def grow_to(self, count):
        while self.count < count:
            self.count += 1
            topics = [self.topics[self.count % 3], self.topics[(self.count + 1) % 3]]
            report = ReportSummaryPageFactory(
                parent=self.report_index,
                image=ImageFactory(file__width=64, file__height=36),
                summary="Learning about patient safety.",
            )
            article = ArticlePageFactory(
                parent=self.article_index,
                image=ImageFactory(file__width=64, file__height=36),
                teaser="News about patient safety.",
            )
            for page in [report, article]:
                page.topics.set(topics)
                page.save_revision().publish()


def count_queries(client, url, data=None):
    """Queries for one visitor's GET of `url`, after a first GET has made the image renditions it shows."""
    assert client.get(url, data).status_code == HTTPStatus.OK
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, data)
    assert response.status_code == HTTPStatus.OK
    return len(queries)


def test_listings_cost_the_same_queries_with_three_items_as_with_thirty(client, home_page):
    site = Listings(home_page)
    pages = {
        "home page": ("/", None),
        "report index": (site.report_index.url, None),
        "report index, filtered, page 2": (site.report_index.url, {"topic": "sepsis", "page": "2"}),
        "article index": (site.article_index.url, None),
        "article index, filtered": (site.article_index.url, {"kind": "news", "topic": "maternity"}),
        # Reports only: a page of results costs one query per page type shown, whatever the number of items.
        "search results": ("/search/", {"q": "learning"}),
    }

    site.grow_to(FEW)
    with_few = {name: count_queries(client, url, data) for name, (url, data) in pages.items()}
    site.grow_to(MANY)
    with_many = {name: count_queries(client, url, data) for name, (url, data) in pages.items()}

    assert with_many == with_few
    # The second count really was of fuller listings: a full page of ten cards, each with its picture.
    cards = soup(client.get(site.report_index.url)).select("main .nhsuk-card")
    assert len(cards) == 10
    assert all(card.select_one("img.nhsuk-card__img") for card in cards)


def test_with_the_shared_fragments_warm_each_page_costs_only_what_it_lists(client, home_page, fragments_on):
    site = Listings(home_page)
    site.grow_to(FEW)
    report = site.report_index.get_children().live().specific().first()  # tagged Sepsis, as the filter below asks
    article = site.article_index.get_children().live().specific().first()
    assert "sepsis" in [topic.slug for topic in report.topics.all()]

    counts = {
        "home page": count_queries(client, "/"),
        "report index": count_queries(client, site.report_index.url),
        "report index, filtered": count_queries(
            client, site.report_index.url, {"topic": "sepsis", "year": report.publication_date.year}
        ),
        "article index": count_queries(client, site.article_index.url),
        "report": count_queries(client, report.url),
        "article": count_queries(client, article.url),
    }

    # Routing, the privacy check, the site, breadcrumbs, topic tags, filter choices and an index's count cost nothing:
    # what is left is the page's own row, its listings (a page of them, or the newest three of each kind) and their
    # pictures. A report also reads its picture, recommendations, observations, related reports and case exercises; a
    # filtered index, the topic it names.
    assert counts == {
        "home page": 4,
        "report index": 2,
        "report index, filtered": 3,
        "article index": 2,
        "report": 6,
        "article": 2,
    }


def balanced(sql, start):
    """The parenthesised group of `sql` that opens at `start`."""
    depth = 0
    for end in range(start, len(sql)):
        depth += {"(": 1, ")": -1}.get(sql[end], 0)
        if depth == 0:
            return sql[start : end + 1]
    raise AssertionError(f"unbalanced from {start}: {sql}")


def search_filters(sql):
    """Each `(title || body) @@ (query)` condition in a statement Wagtail's database backend sent."""
    opening = '("wagtailsearch_indexentry"."title" || '
    filters, start = [], sql.find(opening)
    while start != -1:
        document = balanced(sql, start)
        operator = start + len(document)
        if sql[operator : operator + 4] == " @@ ":  # not the same expression selected for ranking
            filters.append(f"{document} @@ {balanced(sql, operator + 4)}")
        start = sql.find(opening, operator)
    return filters


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the index is PostgreSQL's (content 0004)")
def test_on_postgresql_a_search_reads_the_index_on_title_and_body(client, home_page):
    """Wagtail's backend filters on `title || body`; the expression index must match what it really sends. How
    the planner joins the entries to their pages depends on the tables' statistics, so each search condition is
    asked of the index entries alone."""
    Listings(home_page).grow_to(FEW)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/search/", {"q": "learning"}).status_code == HTTPStatus.OK
    filters = {condition for query in queries for condition in search_filters(query["sql"])}
    assert filters
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a table this small would be read whole anyway
        for condition in filters:
            explain = f"EXPLAIN SELECT 1 FROM wagtailsearch_indexentry WHERE {condition}"  # noqa: S608 (Wagtail's SQL)
            cursor.execute(explain)
            assert "search_indexentry_title_body" in " ".join(row[0] for row in cursor.fetchall()), condition
