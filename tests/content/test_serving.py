"""Serving pages from what routing and the shared fragments already hold (content/models/serving.py, HomePage.route,
page_cache.site_remember): the same pages, breadcrumbs and filters as Wagtail's own way, with fragments on or off."""

from http import HTTPStatus

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wagtail.models import Page, Site

import pytest

from content.factories import (
    ArticleIndexPageFactory,
    ArticlePageFactory,
    ReportIndexPageFactory,
    ReportSummaryPageFactory,
    StandardPageFactory,
    TopicFactory,
)
from content.models import StandardPage
from content.templatetags.content_tags import breadcrumb_ancestors
from tests.content.helpers import soup, texts

pytestmark = pytest.mark.django_db


@pytest.fixture
def report_index(home_page):
    return ReportIndexPageFactory(parent=home_page, title="Investigation reports", slug="reports")


@pytest.fixture
def report(report_index):
    return ReportSummaryPageFactory(parent=report_index, title="Delayed recognition of sepsis")


def publish(page):
    page.save_revision().publish()
    return page


def breadcrumbs(response):
    nav = soup(response).select_one("nav.nhsuk-breadcrumb")
    if nav is None:
        return None
    links = [(link.get_text(strip=True), link["href"]) for link in nav.select(".nhsuk-breadcrumb__link")]
    back = nav.select_one(".nhsuk-back-link")
    return links, back["href"] if back else None


# --- Breadcrumbs ----------------------------------------------------------------------------------------------------------


def test_breadcrumbs_run_from_the_home_page_to_the_parent(client, fragments, home_page, report_index, report):
    assert breadcrumbs(client.get(report.url)) == (
        [(home_page.title, "/"), ("Investigation reports", "/reports/")],
        "/reports/",
    )
    assert breadcrumbs(client.get(report_index.url)) == ([(home_page.title, "/")], "/")
    assert breadcrumbs(client.get("/")) is None


def test_breadcrumbs_of_a_routed_page_cost_no_query_and_match_the_tree(client, fragments, report):
    routed = client.get(report.url).context["page"]
    loaded = Page.objects.get(pk=report.pk).specific  # not routed: its ancestors come from the database

    with CaptureQueriesContext(connection) as queries:
        from_routing = breadcrumb_ancestors(routed)
    from_tree = breadcrumb_ancestors(loaded)

    assert len(queries) == 0
    assert [(page.pk, page.title, page.url) for page in from_routing] == [
        (page.pk, page.title, page.url) for page in from_tree
    ]


def test_breadcrumbs_three_levels_down(client, fragments, home_page):
    about = StandardPageFactory(parent=home_page, title="About us", slug="about")
    team = StandardPageFactory(parent=about, title="Our team", slug="team")
    role = StandardPageFactory(parent=team, title="Investigators", slug="investigators")

    assert breadcrumbs(client.get(role.url)) == (
        [(home_page.title, "/"), ("About us", "/about/"), ("Our team", "/about/team/")],
        "/about/team/",
    )


# --- Routing ----------------------------------------------------------------------------------------------------------------


def test_a_page_of_an_unexpected_type_below_an_index_still_routes(client, fragments, report_index):
    # The tree rules keep other types out of a report index, but pages made before a rule changed can be there.
    odd = report_index.add_child(instance=StandardPage(title="Reading our reports", slug="reading"))

    response = client.get(odd.url)

    assert response.status_code == HTTPStatus.OK
    assert texts(soup(response).select("h1")) == ["Reading our reports"]


def test_drafts_and_missing_pages_are_not_found(client, fragments, report_index, report):
    draft = ReportSummaryPageFactory(parent=report_index, title="Not yet", live=False)

    assert client.get(draft.url).status_code == HTTPStatus.NOT_FOUND
    assert client.get("/reports/no-such-report/").status_code == HTTPStatus.NOT_FOUND
    assert client.get("/no-such-section/").status_code == HTTPStatus.NOT_FOUND
    assert client.get(report.url).status_code == HTTPStatus.OK


def test_a_live_page_below_an_unpublished_section_still_routes(client, fragments, home_page):
    # Wagtail only asks the page served whether it is live, not the pages on the way to it.
    section = StandardPageFactory(parent=home_page, title="Archive", slug="archive")
    kept = StandardPageFactory(parent=section, title="Kept page", slug="kept")
    client.get(kept.url)
    section.unpublish()

    assert client.get(section.url).status_code == HTTPStatus.NOT_FOUND
    assert client.get("/archive/kept/").status_code == HTTPStatus.OK


def test_sections_published_moved_renamed_or_withdrawn_route_at_once(client, fragments, home_page):
    assert client.get("/").status_code == HTTPStatus.OK
    about = StandardPageFactory(parent=home_page, title="About us", slug="about", live=False)
    assert client.get("/about/").status_code == HTTPStatus.NOT_FOUND

    publish(about)
    assert client.get("/about/").status_code == HTTPStatus.OK

    about.slug = "who-we-are"
    publish(about)
    assert client.get("/about/").status_code == HTTPStatus.NOT_FOUND
    assert client.get("/who-we-are/").status_code == HTTPStatus.OK

    news = ArticleIndexPageFactory(parent=home_page)
    publish(news)
    about.refresh_from_db()
    about.move(news, pos="last-child")
    assert client.get("/news/who-we-are/").status_code == HTTPStatus.OK
    assert client.get("/who-we-are/").status_code != HTTPStatus.OK  # Wagtail's redirect to the new place, if any

    news.unpublish()
    assert client.get("/news/").status_code == HTTPStatus.NOT_FOUND


def test_a_new_site_root_routes_at_once(client, fragments, home_page):
    other = StandardPageFactory(parent=home_page, title="Another front page", slug="front")
    assert texts(soup(client.get("/")).select("h1")) != ["Another front page"]

    site = Site.objects.get(is_default_site=True)
    site.root_page = other
    site.save()

    assert texts(soup(client.get("/")).select("h1")) == ["Another front page"]


def test_with_fragments_on_a_page_reads_neither_the_sites_nor_the_tree_above_it(client, settings, report):
    settings.FRAGMENT_CACHE_SECONDS = 300
    cache.clear()
    client.get(report.url)

    with CaptureQueriesContext(connection) as queries:
        assert client.get(report.url).status_code == HTTPStatus.OK

    sql = [query["sql"] for query in queries.captured_queries]
    assert not [query for query in sql if "wagtailcore_site" in query]
    # Routing costs one query, for the report itself; the home page and the index come from the shared cache.
    assert len([query for query in sql if '"wagtailcore_page"."slug" =' in query]) == 1
    assert not [query for query in sql if '"wagtailcore_page"."path" IN' in query], "no ancestors read"


# --- What the fragments hold changes as soon as editors change it ---------------------------------------------------------


def filter_options(response, name):
    return texts(soup(response).select(f"#filter-{name} option"))[1:]


def test_filters_offer_the_topics_and_years_of_what_is_published(client, fragments, home_page, report_index):
    maternity = TopicFactory(name="Maternity", slug="maternity")
    first = ReportSummaryPageFactory(parent=report_index, publication_date="2024-03-01")
    first.topics.set([maternity])
    publish(first)
    assert filter_options(client.get("/reports/"), "topic") == ["Maternity"]
    assert filter_options(client.get("/reports/"), "year") == ["2024"]

    second = ReportSummaryPageFactory(parent=report_index, publication_date="2025-05-01")
    second.topics.set([TopicFactory(name="Sepsis", slug="sepsis")])
    publish(second)
    assert filter_options(client.get("/reports/"), "topic") == ["Maternity", "Sepsis"]
    assert filter_options(client.get("/reports/"), "year") == ["2025", "2024"]

    maternity.name = "Maternity and neonatal"
    maternity.save()
    assert filter_options(client.get("/reports/"), "topic") == ["Maternity and neonatal", "Sepsis"]

    second.unpublish()
    assert filter_options(client.get("/reports/"), "topic") == ["Maternity and neonatal"]
    assert filter_options(client.get("/reports/"), "year") == ["2024"]


def test_article_topics_filter_follows_publishing(client, fragments, home_page):
    news = ArticleIndexPageFactory(parent=home_page)
    article = ArticlePageFactory(parent=news)
    assert filter_options(client.get("/news/"), "topic") == []

    article.topics.set([TopicFactory(name="Medication safety", slug="medication")])
    publish(article)

    assert filter_options(client.get("/news/"), "topic") == ["Medication safety"]


def topic_tags(response):
    return texts(soup(response).select(".site-topic-list li"))


def test_a_pages_topic_tags_follow_publishing_and_its_preview_shows_the_draft(client, fragments, report):
    assert topic_tags(client.get(report.url)) == []
    report.topics.set([TopicFactory(name="Sepsis", slug="sepsis")])
    publish(report)
    assert topic_tags(client.get(report.url)) == ["Sepsis"]

    draft = report.get_latest_revision_as_object()
    draft.topics.set([TopicFactory(name="Maternity", slug="maternity")])
    draft.save_revision()

    assert topic_tags(client.get(report.url)) == ["Sepsis"], "a draft changes nothing until it is published"
    preview = draft.make_preview_request()
    assert topic_tags(preview.render()) == ["Maternity"]
    publish(draft)
    assert topic_tags(client.get(report.url)) == ["Maternity"]
