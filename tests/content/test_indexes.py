"""The report and article indexes (filters, pages of ten) and site search, as a visitor uses them."""

import datetime
from http import HTTPStatus

from django.test import Client

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

# Every test runs both ways: reading each time, and with counts and filters kept in the shared cache.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fragments")]

BAD_PAGE_NUMBERS = ["0", "-1", "abc", "1.5", "", "999", "99999999999999999999999", "2; DROP TABLE", "%00", "\u00b2"]


@pytest.fixture
def client():
    """A client that returns a 500 response as a visitor would see it instead of raising the exception."""
    return Client(raise_request_exception=False)


@pytest.fixture
def report_index(home_page):
    return ReportIndexPageFactory(parent=home_page)


@pytest.fixture
def article_index(home_page):
    return ArticleIndexPageFactory(parent=home_page)


@pytest.fixture
def topics(db):
    return TopicFactory(name="Maternity", slug="maternity"), TopicFactory(name="Medication safety", slug="medication")


def card_titles(response):
    return texts(soup(response).select("main .nhsuk-card__heading"))


def status_text(response):
    return texts(soup(response).select("main [role=status]"))[0]


def pagination(response):
    return texts(soup(response).select(".nhsuk-pagination__link"))


def make_reports(report_index, count, **fields):
    """`count` reports published a day apart, titled 'Report 1' (oldest) to 'Report <count>' (newest)."""
    return [
        ReportSummaryPageFactory(
            parent=report_index,
            title=f"Report {n}",
            publication_date=datetime.date(2025, 1, 1) + datetime.timedelta(days=n),
            **fields,
        )
        for n in range(1, count + 1)
    ]


# --- Report index -----------------------------------------------------------------------------------------------------


def test_report_index_lists_published_reports_newest_first(client, report_index):
    make_reports(report_index, 3)
    ReportSummaryPageFactory(parent=report_index, title="Draft report", live=False)

    response = client.get(report_index.url)

    assert response.status_code == HTTPStatus.OK
    assert card_titles(response) == ["Report 3", "Report 2", "Report 1"]
    assert status_text(response) == "3 reports"
    assert pagination(response) == []


def test_report_index_filters_by_topic(client, report_index, topics):
    maternity, medication = topics
    birth = ReportSummaryPageFactory(parent=report_index, title="Birth injuries")
    birth.topics.add(maternity)
    birth.save_revision().publish()
    insulin = ReportSummaryPageFactory(parent=report_index, title="Insulin omissions")
    insulin.topics.add(medication)
    insulin.save_revision().publish()

    response = client.get(report_index.url, {"topic": "maternity"})

    assert card_titles(response) == ["Birth injuries"]
    assert status_text(response) == "1 report"
    selected = soup(response).select_one("#filter-topic option[selected]")
    assert texts([selected]) == ["Maternity"]
    assert texts(soup(response).select("#filter-topic option")) == ["All topics", "Maternity", "Medication safety"]


def test_report_index_filters_by_year(client, report_index):
    ReportSummaryPageFactory(parent=report_index, title="From 2024", publication_date=datetime.date(2024, 6, 1))
    ReportSummaryPageFactory(parent=report_index, title="From 2025", publication_date=datetime.date(2025, 6, 1))

    response = client.get(report_index.url, {"year": "2025"})

    assert card_titles(response) == ["From 2025"]
    assert texts(soup(response).select("#filter-year option")) == ["All years", "2025", "2024"]
    assert texts(soup(response).select("#filter-year option[selected]")) == ["2025"]


def test_report_index_filters_combine(client, report_index, topics):
    maternity, _ = topics
    for year in [2024, 2025]:
        for topic in topics:
            report = ReportSummaryPageFactory(
                parent=report_index, title=f"{topic.name} {year}", publication_date=datetime.date(year, 3, 1)
            )
            report.topics.add(topic)
            report.save_revision().publish()

    response = client.get(report_index.url, {"topic": "maternity", "year": "2024"})

    assert card_titles(response) == ["Maternity 2024"]


def test_report_index_says_when_nothing_matches(client, report_index):
    make_reports(report_index, 2)

    response = client.get(report_index.url, {"year": "1999"})

    assert card_titles(response) == []
    assert status_text(response) == "0 reports"
    assert soup(response).find("a", string="Show all reports")["href"] == report_index.url


def test_report_index_shows_ten_a_page(client, report_index):
    make_reports(report_index, 23)

    first = client.get(report_index.url)
    second = client.get(report_index.url, {"page": "2"})
    third = client.get(report_index.url, {"page": "3"})

    assert card_titles(first) == [f"Report {n}" for n in range(23, 13, -1)]
    assert card_titles(second) == [f"Report {n}" for n in range(13, 3, -1)]
    assert card_titles(third) == ["Report 3", "Report 2", "Report 1"]
    assert status_text(second) == "23 reports"
    assert pagination(first) == ["Next : Page 2 of 3"]
    assert pagination(second) == ["Previous : Page 1 of 3", "Next : Page 3 of 3"]
    assert pagination(third) == ["Previous : Page 2 of 3"]


def test_report_index_pagination_keeps_the_filters(client, report_index, topics):
    maternity, _ = topics
    for report in make_reports(report_index, 12):
        report.topics.add(maternity)
        report.save_revision().publish()

    response = client.get(report_index.url, {"topic": "maternity", "year": "2025"})

    next_link = soup(response).select_one(".nhsuk-pagination__link--next")
    assert next_link["href"] == "?topic=maternity&year=2025&page=2"


@pytest.mark.parametrize("page", BAD_PAGE_NUMBERS)
def test_report_index_bad_page_numbers_fall_back_safely(client, report_index, page):
    make_reports(report_index, 12)

    response = client.get(report_index.url, {"page": page})

    assert response.status_code == HTTPStatus.OK
    # A number past the end shows the last page; anything else shows the first.
    assert card_titles(response) in ([f"Report {n}" for n in range(12, 2, -1)], ["Report 2", "Report 1"])


@pytest.mark.parametrize(
    "params",
    [
        {"topic": "no-such-topic"},
        {"topic": "<script>alert(1)</script>"},
        {"topic": "a" * 2000},
        {"year": "abc"},
        {"year": "0"},
        {"year": "99999"},
        {"year": "-2025"},
        {"year": "2025.0"},
        {"year": "\u00b2"},
        {"year": "\u0663"},
        {"year": "9" * 40},
        {"year": "2025", "topic": "", "page": "-3"},
        {"topic": "no-such\x00topic"},
        {"year": "20\x0025"},
    ],
    ids=repr,
)
def test_report_index_bad_filter_values_show_every_report(client, report_index, topics, params):
    make_reports(report_index, 2)

    response = client.get(report_index.url, params)

    assert response.status_code == HTTPStatus.OK
    assert card_titles(response) == ["Report 2", "Report 1"]
    assert "<script>alert(1)</script>" not in response.text


# --- Article index ----------------------------------------------------------------------------------------------------


@pytest.fixture
def articles(article_index, topics):
    maternity, medication = topics
    news = ArticlePageFactory(parent=article_index, title="New maternity report", kind="news")
    news.topics.add(maternity)
    news.save_revision().publish()
    blog = ArticlePageFactory(parent=article_index, title="Why we ask why", kind="blog", author_name="Sam Patel")
    blog.topics.add(medication)
    blog.save_revision().publish()
    event = ArticlePageFactory(
        parent=article_index,
        title="Human factors workshop",
        kind="event",
        event_start=datetime.datetime(2026, 3, 4, 10, 0, tzinfo=datetime.UTC),
        event_online=True,
    )
    event.topics.add(maternity)
    event.save_revision().publish()
    ArticlePageFactory(parent=article_index, title="Draft news", kind="news", live=False)
    return news, blog, event


def test_article_index_lists_everything_published_newest_first(client, article_index, articles):
    response = client.get(article_index.url)

    assert card_titles(response) == ["Human factors workshop", "Why we ask why", "New maternity report"]
    assert status_text(response) == "3 items"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("news", ["New maternity report"]), ("blog", ["Why we ask why"]), ("event", ["Human factors workshop"])],
)
def test_article_index_filters_by_kind(client, article_index, articles, kind, expected):
    response = client.get(article_index.url, {"kind": kind})

    assert card_titles(response) == expected
    assert soup(response).select_one("#filter-kind option[selected]")["value"] == kind


def test_article_index_filters_by_topic(client, article_index, articles):
    response = client.get(article_index.url, {"topic": "maternity"})

    assert card_titles(response) == ["Human factors workshop", "New maternity report"]


def test_article_index_filters_combine(client, article_index, articles):
    response = client.get(article_index.url, {"topic": "maternity", "kind": "news"})

    assert card_titles(response) == ["New maternity report"]


def test_the_pages_of_an_index_follow_publishing_unpublishing_and_privacy(client, report_index, topics):
    maternity, medication = topics
    make_reports(report_index, 10, topics=[maternity])
    ReportSummaryPageFactory(parent=report_index, title="Report on doses", topics=[medication])

    def pages(**filters):
        return status_text(client.get(report_index.url, filters)), pagination(client.get(report_index.url, filters))

    assert pages() == ("11 reports", ["Next : Page 2 of 2"])
    assert pages(topic="maternity") == ("10 reports", [])
    assert pages(topic="medication") == ("1 report", [])

    eleventh = ReportSummaryPageFactory(parent=report_index, title="Report 11", live=False, topics=[maternity])
    eleventh.save_revision().publish()
    assert pages(topic="maternity") == ("11 reports", ["Next : Page 2 of 2"])
    assert pages() == ("12 reports", ["Next : Page 2 of 2"])

    PageViewRestriction.objects.create(page=eleventh, restriction_type=PageViewRestriction.LOGIN)
    assert pages(topic="maternity") == ("10 reports", [])
    PageViewRestriction.objects.filter(page=eleventh).delete()
    assert pages(topic="maternity") == ("11 reports", ["Next : Page 2 of 2"])

    eleventh.refresh_from_db()  # published from its revision: this copy still reads as a draft
    eleventh.unpublish()
    assert pages(topic="maternity") == ("10 reports", [])
    assert pages() == ("11 reports", ["Next : Page 2 of 2"])


def test_article_index_shows_ten_a_page(client, article_index):
    for n in range(1, 16):
        ArticlePageFactory(parent=article_index, title=f"Article {n}", publication_date=datetime.date(2025, 1, n))

    first = client.get(article_index.url)
    second = client.get(article_index.url, {"page": "2", "kind": "news"})

    assert card_titles(first) == [f"Article {n}" for n in range(15, 5, -1)]
    assert card_titles(second) == [f"Article {n}" for n in range(5, 0, -1)]
    assert soup(second).select_one(".nhsuk-pagination__link--prev")["href"] == "?kind=news&page=1"


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "podcast"},
        {"kind": "<script>alert(1)</script>"},
        {"topic": "no-such-topic"},
        {"topic": "\u00b2"},
        {"topic": "no-such\x00topic", "kind": "news\x00"},
        {"page": "abc"},
        {"page": "-1"},
        {"page": "999"},
    ],
    ids=repr,
)
def test_article_index_bad_filter_values_show_everything(client, article_index, articles, params):
    response = client.get(article_index.url, params)

    assert response.status_code == HTTPStatus.OK
    assert len(card_titles(response)) == 3
    assert "<script>alert(1)</script>" not in response.text


# --- Search -----------------------------------------------------------------------------------------------------------


def result_titles(response):
    return texts(soup(response).select(".site-search-results h2"))


def test_search_with_no_query_shows_just_the_form(client):
    for params in [{}, {"q": ""}, {"q": "   "}]:
        response = client.get("/search/", params)

        assert response.status_code == HTTPStatus.OK
        html = soup(response)
        assert texts(html.select("h1")) == ["Search"]
        assert html.select_one("main form[role=search] input[name=q]")["value"] == ""
        assert html.select(".site-search-results, [role=status]") == []


def test_search_finds_published_pages_by_words_in_their_text(client, home_page, report_index, article_index):
    ReportSummaryPageFactory(
        parent=report_index, title="Oxygen cylinders", summary="Empty oxygen cylinders on transfer to theatre."
    )
    ArticlePageFactory(parent=article_index, title="Ward round", teaser="A blog about ward rounds and oxygen.")
    StandardPageFactory(
        parent=home_page,
        title="Equipment",
        body='[{"type": "rich_text", "value": "<p>Checking oxygen supplies before transfer.</p>"}]',
    )
    StandardPageFactory(parent=home_page, title="Unrelated", body='[{"type": "rich_text", "value": "<p>Nothing.</p>"}]')
    ReportSummaryPageFactory(parent=report_index, title="Draft about oxygen", summary="Oxygen draft.", live=False)
    unpublished = ReportSummaryPageFactory(parent=report_index, title="Withdrawn", summary="Oxygen withdrawn.")
    unpublished.unpublish()

    response = client.get("/search/", {"q": "oxygen"})

    assert response.status_code == HTTPStatus.OK
    assert sorted(result_titles(response)) == ["Equipment", "Oxygen cylinders", "Ward round"]
    assert status_text(response) == "3 results"
    assert texts(soup(response).select("h1")) == ["Search results for 'oxygen'"]
    assert soup(response).select_one("main input[name=q]")["value"] == "oxygen"


def test_search_finds_words_in_a_stream_field_body_only(client, home_page):
    StandardPageFactory(
        parent=home_page,
        title="Handover",
        body='[{"type": "markdown", "value": "Use **SBAR** for every handover."}]',
    )

    response = client.get("/search/", {"q": "sbar"})

    assert result_titles(response) == ["Handover"]


def test_search_needs_every_word(client, report_index):
    ReportSummaryPageFactory(parent=report_index, title="Falls", summary="Falls in older patients at night.")
    ReportSummaryPageFactory(parent=report_index, title="Sepsis", summary="Sepsis in older patients.")

    response = client.get("/search/", {"q": "older falls"})

    assert result_titles(response) == ["Falls"]


def test_search_says_when_nothing_is_found(client):
    response = client.get("/search/", {"q": "zebra"})

    assert status_text(response) == "0 results"
    assert "No results. Check the spelling or try fewer words." in response.text


def test_search_paginates(client, report_index):
    for n in range(1, 13):
        ReportSummaryPageFactory(parent=report_index, title=f"Pressure ulcers {n}", summary="Pressure ulcers.")

    first = client.get("/search/", {"q": "pressure"})
    second = client.get("/search/", {"q": "pressure", "page": "2"})

    assert len(result_titles(first)) == 10
    assert len(result_titles(second)) == 2
    assert set(result_titles(first)).isdisjoint(result_titles(second))
    assert status_text(second) == "12 results"
    assert soup(first).select_one(".nhsuk-pagination__link--next")["href"] == "?q=pressure&page=2"


@pytest.mark.parametrize(
    "query",
    [
        '"',
        'oxygen"',
        '"oxygen cylinders"',
        "*",
        "(",
        "oxygen OR",
        "NEAR(",
        "-",
        "a:b",
        "'",
        "\\",
        "%",
        "<script>",
        "oxy\x00gen",
    ],
)
def test_search_never_fails_on_odd_input(client, report_index, query):
    ReportSummaryPageFactory(parent=report_index, title="Oxygen cylinders", summary="Empty oxygen cylinders.")

    for page in ["1", "abc", "-1", "999"]:
        response = client.get("/search/", {"q": query, "page": page})

        assert response.status_code == HTTPStatus.OK, page
        assert soup(response).select("main script") == []


def test_search_ignores_stray_quotes(client, report_index):
    ReportSummaryPageFactory(parent=report_index, title="Oxygen cylinders", summary="Empty oxygen cylinders.")

    response = client.get("/search/", {"q": '"oxygen cylinders"'})

    assert result_titles(response) == ["Oxygen cylinders"]


def test_search_query_is_cut_to_a_sensible_length(client):
    response = client.get("/search/", {"q": "x" * 1000})

    assert response.status_code == HTTPStatus.OK
    assert soup(response).select_one("main input[name=q]")["value"] == "x" * 200
