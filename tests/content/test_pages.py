"""Every page type: where it may be created, that it renders, and that editors can edit it in the admin."""

import datetime
import json
from http import HTTPStatus

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import inline_formset, rich_text, streamfield

from content.factories import (
    ArticleIndexPageFactory,
    ArticlePageFactory,
    DocumentFactory,
    ImageFactory,
    ReportIndexPageFactory,
    ReportSummaryPageFactory,
    StandardPageFactory,
    TopicFactory,
)
from content.models import (
    ArticleIndexPage,
    ArticleKind,
    ArticlePage,
    HomePage,
    ReportIndexPage,
    ReportSummaryPage,
    StandardPage,
)
from courses.models import CourseIndexPage
from tests.conftest import make_site_home
from tests.content.helpers import make_superuser, page_form, soup, texts

ALL_PAGE_TYPES = [HomePage, StandardPage, ReportIndexPage, ReportSummaryPage, ArticleIndexPage, ArticlePage]


def publish_form(page, **fields):
    """The edit form's data as an editor publishing `page` posts it."""
    return {**page_form(page, **fields), "action-publish": "action-publish"}


class PageTreeTestCase(WagtailPageTestCase):
    """One site tree, built once: home, a standard page, a report index with a report, a news index with an article."""

    @classmethod
    def setUpTestData(cls):
        cls.superuser = make_superuser()
        cls.home = make_site_home()
        cls.topic = TopicFactory(name="Medication safety")
        cls.image = ImageFactory(title="Ward corridor")
        cls.document = DocumentFactory(title="Full investigation report")
        cls.standard = StandardPageFactory(parent=cls.home, title="About us", slug="about-us")
        cls.report_index = ReportIndexPageFactory(parent=cls.home)
        cls.report = ReportSummaryPageFactory(parent=cls.report_index, title="Delayed recognition of sepsis")
        cls.related_report = ReportSummaryPageFactory(parent=cls.report_index, title="Wrong-route medication")
        cls.article_index = ArticleIndexPageFactory(parent=cls.home)
        cls.article = ArticlePageFactory(parent=cls.article_index, title="New learning resources")

    def article_form(self, **fields):
        defaults = {
            "kind": ArticleKind.NEWS,
            "publication_date": "2026-02-01",
            "teaser": "A short teaser.",
            "topics": [self.topic.pk],
            "body": streamfield([]),
        }
        return publish_form(self.article, **{**defaults, **fields})

    def assertEditPublishes(self, page, post_data, expected_title):
        """Post the edit form and check the page is now live with the new title (assertPageIsEditable does not look)."""
        self.client.force_login(self.superuser)
        response = self.client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), post_data)
        if response.status_code != HTTPStatus.FOUND:
            form = response.context["form"]
            errors = dict(form.errors)
            for name, formset in form.formsets.items():
                if formset.non_form_errors() or any(formset.errors):
                    errors[name] = [formset.non_form_errors(), formset.errors]
            self.fail(f"The edit form was not accepted: {errors}")
        page.refresh_from_db()
        self.assertEqual(page.title, expected_title)
        self.assertTrue(page.live)
        self.assertFalse(page.has_unpublished_changes)
        return page.specific_class.objects.get(pk=page.pk)


class TestWhereEachPageTypeGoes(PageTreeTestCase):
    def test_home_page_goes_under_the_root_only(self):
        self.assertCanCreateAt(Page, HomePage)
        self.assertAllowedParentPageTypes(HomePage, {Page})
        for page_type in ALL_PAGE_TYPES:
            with self.subTest(parent=page_type):
                self.assertCanNotCreateAt(page_type, HomePage)

    def test_home_page_children(self):
        self.assertAllowedSubpageTypes(HomePage, {StandardPage, ReportIndexPage, ArticleIndexPage, CourseIndexPage})
        self.assertCanNotCreateAt(HomePage, ReportSummaryPage)
        self.assertCanNotCreateAt(HomePage, ArticlePage)

    def test_there_can_be_only_one_home_page(self):
        self.assertFalse(HomePage.can_create_at(Page.get_first_root_node()))

    def test_standard_pages_nest_under_home_and_each_other(self):
        self.assertCanCreateAt(HomePage, StandardPage)
        self.assertCanCreateAt(StandardPage, StandardPage)
        self.assertAllowedParentPageTypes(StandardPage, {HomePage, StandardPage})
        self.assertAllowedSubpageTypes(StandardPage, {StandardPage})
        for parent in [Page, ReportIndexPage, ReportSummaryPage, ArticleIndexPage, ArticlePage]:
            with self.subTest(parent=parent):
                self.assertCanNotCreateAt(parent, StandardPage)

    def test_report_index_holds_report_summaries(self):
        self.assertCanCreateAt(HomePage, ReportIndexPage)
        self.assertAllowedParentPageTypes(ReportIndexPage, {HomePage})
        self.assertAllowedSubpageTypes(ReportIndexPage, {ReportSummaryPage})
        for parent in [Page, StandardPage, ReportIndexPage, ReportSummaryPage, ArticleIndexPage, ArticlePage]:
            with self.subTest(parent=parent):
                self.assertCanNotCreateAt(parent, ReportIndexPage)

    def test_report_summaries_go_only_in_a_report_index(self):
        self.assertCanCreateAt(ReportIndexPage, ReportSummaryPage)
        self.assertAllowedParentPageTypes(ReportSummaryPage, {ReportIndexPage})
        self.assertAllowedSubpageTypes(ReportSummaryPage, set())
        for parent in [Page, HomePage, StandardPage, ReportSummaryPage, ArticleIndexPage, ArticlePage]:
            with self.subTest(parent=parent):
                self.assertCanNotCreateAt(parent, ReportSummaryPage)

    def test_article_index_holds_articles(self):
        self.assertCanCreateAt(HomePage, ArticleIndexPage)
        self.assertAllowedParentPageTypes(ArticleIndexPage, {HomePage})
        self.assertAllowedSubpageTypes(ArticleIndexPage, {ArticlePage})
        for parent in [Page, StandardPage, ReportIndexPage, ReportSummaryPage, ArticleIndexPage, ArticlePage]:
            with self.subTest(parent=parent):
                self.assertCanNotCreateAt(parent, ArticleIndexPage)

    def test_articles_go_only_in_an_article_index(self):
        self.assertCanCreateAt(ArticleIndexPage, ArticlePage)
        self.assertAllowedParentPageTypes(ArticlePage, {ArticleIndexPage})
        self.assertAllowedSubpageTypes(ArticlePage, set())
        for parent in [Page, HomePage, StandardPage, ReportIndexPage, ReportSummaryPage, ArticlePage]:
            with self.subTest(parent=parent):
                self.assertCanNotCreateAt(parent, ArticlePage)


class TestEachPageTypeRenders(PageTreeTestCase):
    def test_home_page(self):
        self.assertPageIsRenderable(self.home)

    def test_standard_page(self):
        self.assertPageIsRenderable(self.standard)

    def test_report_index(self):
        self.assertPageIsRenderable(self.report_index)
        self.assertPageIsRenderable(self.report_index, query_data={"topic": "nothing", "year": "1999", "page": "9"})

    def test_report_summary(self):
        self.assertPageIsRenderable(self.report)

    def test_article_index(self):
        self.assertPageIsRenderable(self.article_index)
        self.assertPageIsRenderable(self.article_index, query_data={"kind": "podcast", "page": "x"})

    def test_article(self):
        self.assertPageIsRenderable(self.article)

    def test_a_full_report_summary_shows_everything_the_editor_entered(self):
        report = ReportSummaryPageFactory(
            parent=self.report_index,
            title="Insulin omissions on surgical wards",
            reference="NIR/2025/014",
            image=self.image,
            full_report=self.document,
            learning_prompts="<p>How does your ward check insulin doses?</p>",
        )
        report.topics.add(self.topic)
        report.recommendations.create(code="R/2025/041", addressed_to="NHS England", text="Review insulin charts.")
        report.observations.create(code="O/2025/052", text="Staff were not trained on the new pumps.")
        report.related_reports.create(page=self.related_report)
        report.save_revision().publish()

        response = self.client.get(report.url)

        self.assertEqual(response.status_code, HTTPStatus.OK)
        html = soup(response)
        self.assertEqual(texts(html.select("h1")), ["Insulin omissions on surgical wards"])
        self.assertIn("NIR/2025/014", html.select_one(".nhsuk-caption-l").get_text())
        self.assertEqual(texts(html.select(".site-topic-list li")), ["Medication safety"])
        self.assertEqual(
            texts(html.select("main h2")),
            [
                "The patient safety event in brief",
                "Findings",
                "Safety recommendations",
                "Safety observations",
                "Learning prompts",
                "Read the full report",
                "Related reports",
            ],
        )
        recommendation = texts(html.select(".site-recommendation"))[0]
        self.assertIn("R/2025/041", recommendation)
        self.assertIn("Addressed to NHS England", recommendation)
        self.assertIn("Review insulin charts.", recommendation)
        self.assertIn(
            "O/2025/052: Staff were not trained on the new pumps.", texts(html.select("#observations + ul li"))
        )
        full_report = html.select_one("#full-report + p a")
        self.assertEqual(full_report["href"], self.document.url)
        self.assertEqual(full_report.get_text(), "Full investigation report")
        related = html.select_one("aside a")
        self.assertEqual((related.get_text(), related["href"]), ("Wrong-route medication", self.related_report.url))

    def test_an_event_shows_when_and_where(self):
        event = ArticlePageFactory(
            parent=self.article_index,
            title="Human factors workshop",
            kind=ArticleKind.EVENT,
            event_start=timezone.make_aware(datetime.datetime(2026, 3, 4, 10, 0)),
            event_end=timezone.make_aware(datetime.datetime(2026, 3, 4, 16, 0)),
            event_location="Leeds",
            booking_url="https://example.org/book/",
        )
        response = self.client.get(event.url)
        details = texts(soup(response).select(".site-event-details dd"))
        self.assertEqual(details, ["Wednesday 4 March 2026, 10:00 a.m. to 4:00 p.m.", "Leeds"])
        self.assertContains(response, 'href="https://example.org/book/"')

    def test_a_blog_names_its_author(self):
        blog = ArticlePageFactory(
            parent=self.article_index, kind=ArticleKind.BLOG, author_name="Sam Patel", author_role="Investigator"
        )
        response = self.client.get(blog.url)
        self.assertIn("by Sam Patel, Investigator", texts(soup(response).select(".site-meta"))[0])


class TestEachPageTypeIsEditable(PageTreeTestCase):
    def test_home_page(self):
        post_data = publish_form(
            self.home,
            title="Learning from incidents",
            hero_heading="Learning from patient safety incidents",
            hero_text="Independent investigations.",
            hero_link_text="Find out more",
            about_heading="About us",
            about_text=rich_text("<p>We are independent.</p>"),
            investigations_heading="Investigations",
            investigations_text=rich_text("<p>What we investigate.</p>"),
            education_heading="Education",
            education_text=rich_text("<p>Courses for staff.</p>"),
            education_link=self.standard.pk,
            education_link_text="Find a course",
        )
        self.assertPageIsEditable(self.home, post_data, user=self.superuser)
        home = self.assertEditPublishes(self.home, post_data, "Learning from incidents")
        self.assertEqual(home.education_link_id, self.standard.pk)

    def test_standard_page(self):
        post_data = publish_form(
            self.standard,
            title="About the service",
            introduction="Who we are.",
            body=streamfield(
                [
                    ("heading", {"text": "Our values", "level": "h2"}),
                    ("rich_text", rich_text("<p>We look for learning, not blame.</p>")),
                    ("markdown", "| Value | Meaning |\n|---|---|\n| Openness | We share what we find |"),
                    ("quote", {"quote": "Learning, not blame.", "attribution": "Our chair"}),
                ]
            ),
        )
        self.assertPageIsEditable(self.standard, post_data, user=self.superuser)
        page = self.assertEditPublishes(self.standard, post_data, "About the service")
        self.assertEqual([block.block_type for block in page.body], ["heading", "rich_text", "markdown", "quote"])

    def test_report_index(self):
        post_data = publish_form(self.report_index, title="Our reports", introduction="Every report we publish.")
        self.assertPageIsEditable(self.report_index, post_data, user=self.superuser)
        page = self.assertEditPublishes(self.report_index, post_data, "Our reports")
        self.assertEqual(page.introduction, "Every report we publish.")

    def test_report_summary_without_inline_items(self):
        post_data = self.report_form(title="Sepsis in the emergency department")
        self.assertPageIsEditable(self.report, post_data, user=self.superuser)
        self.assertEditPublishes(self.report, post_data, "Sepsis in the emergency department")

    def test_report_summary_with_recommendations_observations_and_related_reports(self):
        post_data = self.report_form(
            title="Sepsis: recognising deterioration",
            recommendations=inline_formset(
                [{"code": "R/2026/001", "addressed_to": "NHS England", "text": "Adopt one early warning score."}]
            ),
            observations=inline_formset([{"code": "", "text": "Handovers were rushed."}]),
            related_reports=inline_formset([{"page": self.related_report.pk}]),
        )
        page = self.assertEditPublishes(self.report, post_data, "Sepsis: recognising deterioration")
        self.assertEqual([r.code for r in page.recommendations.all()], ["R/2026/001"])
        self.assertEqual([o.text for o in page.observations.all()], ["Handovers were rushed."])
        self.assertEqual([link.page_id for link in page.related_reports.all()], [self.related_report.pk])
        self.assertEqual(list(page.topics.all()), [self.topic])

    def report_form(self, **fields):
        defaults = {
            "reference": "NIR/2026/001",
            "publication_date": "2026-02-01",
            "summary": "What the investigation found.",
            "event_in_brief": rich_text("<p>What happened.</p>"),
            "findings": rich_text("<p>What we found.</p>"),
            "learning_prompts": rich_text(""),
            "topics": [self.topic.pk],
            "recommendations": inline_formset([]),
            "observations": inline_formset([]),
            "related_reports": inline_formset([]),
        }
        return publish_form(self.report, **{**defaults, **fields})

    def test_article_index(self):
        post_data = publish_form(self.article_index, title="News, blogs and events", introduction="The latest.")
        self.assertPageIsEditable(self.article_index, post_data, user=self.superuser)
        self.assertEditPublishes(self.article_index, post_data, "News, blogs and events")

    def test_article(self):
        post_data = self.article_form(
            title="A new course",
            body=streamfield([("rich_text", rich_text("<p>Book now.</p>"))]),
        )
        self.assertPageIsEditable(self.article, post_data, user=self.superuser)
        page = self.assertEditPublishes(self.article, post_data, "A new course")
        self.assertEqual(list(page.topics.all()), [self.topic])


class TestArticleRules(PageTreeTestCase):
    """The rules in ArticlePage.clean, as an editor meets them in the admin form and as full_clean enforces them."""

    def post_article(self, **fields):
        self.client.force_login(self.superuser)
        data = self.article_form(**fields)
        return self.client.post(reverse("wagtailadmin_pages:edit", args=[self.article.pk]), data)

    def assertFormErrors(self, response, expected):
        self.assertEqual(response.status_code, HTTPStatus.OK)
        errors = response.context["form"].errors
        self.assertEqual({field: errors[field] for field in expected}, expected)
        self.article.refresh_from_db()
        self.assertEqual(self.article.kind, ArticleKind.NEWS, "nothing was published")

    def test_an_event_needs_a_start(self):
        response = self.post_article(kind="event", event_online="on")
        self.assertFormErrors(response, {"event_start": ["An event needs a start date and time."]})

    def test_an_event_cannot_end_before_it_starts(self):
        response = self.post_article(
            kind="event", event_start="2026-03-04 10:00", event_end="2026-03-04 09:00", event_location="Leeds"
        )
        self.assertFormErrors(response, {"event_end": ["The event cannot end before it starts."]})

    def test_an_event_needs_a_place_or_to_be_online(self):
        response = self.post_article(kind="event", event_start="2026-03-04 10:00")
        self.assertFormErrors(response, {"event_location": ["Give the place, or tick 'online event'."]})

    def test_a_blog_needs_an_author(self):
        response = self.post_article(kind="blog")
        self.assertFormErrors(response, {"author_name": ["A blog needs an author."]})

    def test_a_valid_event_is_published(self):
        response = self.post_article(
            title="Workshop",
            kind="event",
            event_start="2026-03-04 10:00",
            event_end="2026-03-04 16:00",
            event_online="on",
        )
        self.assertEqual(response.status_code, HTTPStatus.FOUND)
        article = ArticlePage.objects.get(pk=self.article.pk)
        self.assertEqual((article.title, article.kind, article.event_online), ("Workshop", "event", True))

    def test_full_clean_reports_every_broken_event_rule(self):
        start = timezone.make_aware(datetime.datetime(2026, 3, 4, 10, 0))
        self.article.kind = ArticleKind.EVENT
        self.article.event_start = start
        self.article.event_end = start - datetime.timedelta(hours=1)
        with self.assertRaises(ValidationError) as caught:
            self.article.full_clean()
        self.assertEqual(set(caught.exception.message_dict), {"event_end", "event_location"})

    def test_full_clean_accepts_valid_articles(self):
        start = timezone.make_aware(datetime.datetime(2026, 3, 4, 10, 0))
        valid = [
            {"kind": ArticleKind.NEWS},
            {"kind": ArticleKind.BLOG, "author_name": "Sam Patel"},
            {"kind": ArticleKind.EVENT, "event_start": start, "event_online": True},
            {"kind": ArticleKind.EVENT, "event_start": start, "event_end": start, "event_location": "Leeds"},
        ]
        for fields in valid:
            with self.subTest(**fields):
                article = ArticlePage.objects.get(pk=self.article.pk)
                for name, value in fields.items():
                    setattr(article, name, value)
                article.full_clean()

    def test_rules_for_one_kind_do_not_apply_to_another(self):
        self.article.kind = ArticleKind.NEWS
        self.article.author_name = ""
        self.article.event_start = None
        self.article.full_clean()


class TestBodyBlocks(PageTreeTestCase):
    """A standard page whose body uses every block type, as a visitor sees it."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        body = [
            {"type": "heading", "value": {"text": "What happened", "level": "h3"}},
            {"type": "rich_text", "value": "<p>A paragraph of <b>rich text</b>.</p>"},
            {"type": "quote", "value": {"quote": "Learning, not blame.", "attribution": "Our chair"}},
            {"type": "markdown", "value": "| Stage | Question |\n|---|---|\n| 1 | What did the team know? |"},
            {"type": "inset_text", "value": {"body": "<p>We do not find blame or liability.</p>"}},
            {
                "type": "action_link",
                "value": {"text": "Find a course", "external_url": "https://example.org/courses/", "new_window": False},
            },
            {
                "type": "care_card",
                "value": {
                    "type": "primary",
                    "heading_level": 3,
                    "title": "Speak to your safety team if",
                    "body": [{"type": "richtext", "value": "<p>you are unsure.</p>"}],
                },
            },
            {
                "type": "details",
                "value": {
                    "title": "What is a learning prompt?",
                    "body": [{"type": "richtext", "value": "<p>A question.</p>"}],
                },
            },
            {
                "type": "expander",
                "value": {
                    "title": "Who the course is for",
                    "body": [{"type": "richtext", "value": "<p>All staff.</p>"}],
                },
            },
            {"type": "do_list", "value": {"heading_level": 3, "label": "", "do": ["<p>describe the conditions</p>"]}},
            {"type": "dont_list", "value": {"heading_level": 3, "label": "", "dont": ["<p>look for blame</p>"]}},
            {"type": "document", "value": {"document": cls.document.pk, "title": "Download the report"}},
            {
                "type": "image",
                "value": {"content_image": cls.image.pk, "alt_text": "A hospital corridor", "caption": "The ward"},
            },
        ]
        cls.page = StandardPageFactory(parent=cls.home, title="Every block", body=json.dumps(body))

    def setUp(self):
        response = self.client.get(self.page.url)
        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.html = soup(response)

    def test_heading_uses_the_chosen_level(self):
        heading = self.html.find(id="what-happened")
        self.assertEqual((heading.name, heading.get_text()), ("h3", "What happened"))

    def test_heading_levels(self):
        for level in ["h2", "h3", "h4"]:
            with self.subTest(level=level):
                self.page.body = json.dumps([{"type": "heading", "value": {"text": "Findings", "level": level}}])
                self.page.save_revision().publish()
                heading = soup(self.client.get(self.page.url)).find(id="findings")
                self.assertEqual(heading.name, level)

    def test_rich_text(self):
        self.assertIn("A paragraph of rich text.", texts(self.html.select("main p")))

    def test_quote(self):
        quote = self.html.select_one("blockquote.site-quote")
        self.assertEqual(texts([quote.p, quote.cite]), ["Learning, not blame.", "Our chair"])

    def test_markdown_table(self):
        table = self.html.select_one(".site-markdown table")
        self.assertEqual(texts(table.select("th")), ["Stage", "Question"])
        self.assertEqual(texts(table.select("td")), ["1", "What did the team know?"])

    def test_inset_text(self):
        self.assertEqual(
            texts(self.html.select(".nhsuk-inset-text:not(.site-quote)")),
            ["Information: We do not find blame or liability."],
        )

    def test_action_link(self):
        link = self.html.select_one("a.nhsuk-action-link")
        self.assertEqual((link["href"], link.get_text(strip=True)), ("https://example.org/courses/", "Find a course"))

    def test_care_card(self):
        card = self.html.select_one(".nhsuk-card--care")
        self.assertEqual(texts(card.select("h3")), ["Non-urgent advice: Speak to your safety team if"])
        self.assertEqual(texts(card.select(".nhsuk-card__content")), ["you are unsure."])

    def test_details_and_expander(self):
        summaries = texts(self.html.select("details summary"))
        self.assertEqual(summaries, ["What is a learning prompt?", "Who the course is for"])
        self.assertEqual(len(self.html.select("details.nhsuk-expander")), 1)

    def test_do_and_dont_lists(self):
        lists = self.html.select(".nhsuk-do-dont-list")
        self.assertEqual(texts(list_.select("h3")[0] for list_ in lists), ["Do", "Don\u2019t"])
        self.assertEqual(texts(lists[0].select("li")), ["describe the conditions"])
        self.assertEqual(texts(lists[1].select("li")), ["look for blame"])

    def test_document_link(self):
        link = self.html.select_one("a.site-document-link")
        self.assertEqual((link["href"], link.get_text()), (self.document.url, "Download the report"))
        self.assertIn("(PDF", link.find_next_sibling("span").get_text())

    def test_image_with_alt_text_and_caption(self):
        figure = self.html.select_one("figure.nhsuk-image")
        self.assertEqual(figure.img["alt"], "A hospital corridor")
        self.assertTrue(figure.img["src"].startswith("/media/images/"))
        self.assertEqual(texts([figure.figcaption]), ["The ward"])
