from django.db import models
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel
from wagtail.search import index

from page_cache import shared_fragment


class Topic(index.Indexed, models.Model):
    """A subject shared by reports and articles, such as medication safety or maternity."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True, help_text=_("Used in filter links."))
    description = models.TextField(_("description"), blank=True)

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("description")]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self):
        return self.name


def page_topics(page, request):
    """The topics a report, article or course page is tagged with.

    A live page's topics change only when it is published or a topic is saved, and each retires the shared copy. A
    preview shows the topics being edited, which only the page in hand knows.
    """
    if getattr(request, "is_preview", False) or page.pk is None:
        return page.topics.all()
    return shared_fragment(f"page-topics:{page.pk}", lambda: list(page.topics.all()))


def topic_for_slug(slug: str) -> Topic | None:
    """The topic a filter link names, or None; no query when none is named, as on an index's unfiltered first view."""
    return Topic.objects.filter(slug=slug).first() if slug else None
