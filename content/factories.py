"""Factories for content pages and snippets; the tests and the demo loader build on them."""

import datetime

from django.utils.text import slugify

from wagtail.models import Collection

import factory
import wagtail_factories
from factory.django import DjangoModelFactory

from .models import (
    ArticleIndexPage,
    ArticleKind,
    ArticlePage,
    HomePage,
    ReportIndexPage,
    ReportSummaryPage,
    StandardPage,
    Topic,
)


def root_collection():
    return Collection.get_first_root_node()


class ImageFactory(wagtail_factories.ImageFactory):
    collection = factory.LazyFunction(root_collection)
    file = factory.django.ImageField(width=960, height=540, color="#005eb8")


class DocumentFactory(wagtail_factories.DocumentFactory):
    collection = factory.LazyFunction(root_collection)
    file = factory.django.FileField(filename="report.pdf", data=b"%PDF-1.4\n% demo\n")


class TopicFactory(DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.LazyAttribute(lambda obj: slugify(obj.name))

    class Meta:
        model = Topic
        django_get_or_create = ["slug"]


class HomePageFactory(wagtail_factories.PageFactory):
    title = "Safety investigation learning"
    slug = "safety-investigation-learning"
    hero_heading = "Learning from patient safety incidents"
    hero_text = "Independent investigations and CPD-accredited education for everyone who works in healthcare."

    class Meta:
        model = HomePage


class StandardPageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Standard page {n}")
    introduction = "An introduction to this page."

    class Meta:
        model = StandardPage


class ReportIndexPageFactory(wagtail_factories.PageFactory):
    title = "Investigation reports"
    slug = "reports"

    class Meta:
        model = ReportIndexPage


class ReportSummaryPageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Investigation report {n}")
    reference = factory.Sequence(lambda n: f"NIR/2026/{n:03d}")
    publication_date = factory.Sequence(lambda n: datetime.date(2026, 1, 1) + datetime.timedelta(days=n))
    summary = "A summary of what the investigation found."
    event_in_brief = "<p>What happened to the patient, in brief.</p>"
    findings = "<p>What the investigation found about the system of care.</p>"

    class Meta:
        model = ReportSummaryPage


class ArticleIndexPageFactory(wagtail_factories.PageFactory):
    title = "News and blogs"
    slug = "news"

    class Meta:
        model = ArticleIndexPage


class ArticlePageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Article {n}")
    kind = ArticleKind.NEWS
    publication_date = factory.Sequence(lambda n: datetime.date(2026, 1, 1) + datetime.timedelta(days=n))
    teaser = "A short teaser for the listing."

    class Meta:
        model = ArticlePage
