from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

from page_cache import shared_fragment

from .listing import with_card_data
from .privacy import private_q
from .serving import ServingMixin

SECTION_FEATURES = ["bold", "italic", "link", "ul", "ol"]


class HomePage(ServingMixin, Page):
    hero_heading = models.CharField(_("hero heading"), max_length=200)
    hero_text = models.TextField(_("hero text"), max_length=500)
    hero_link = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("hero link"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    hero_link_text = models.CharField(_("hero link text"), max_length=100, default="Find out more")
    hero_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("hero image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    about_heading = models.CharField(_("about us heading"), max_length=200, default="About us")
    about_text = RichTextField(_("about us text"), features=SECTION_FEATURES, blank=True)
    about_link = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("about us link"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    investigations_heading = models.CharField(_("investigations heading"), max_length=200, default="Investigations")
    investigations_text = RichTextField(_("investigations text"), features=SECTION_FEATURES, blank=True)
    investigations_link = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("investigations link"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    education_heading = models.CharField(_("education heading"), max_length=200, default="Education")
    education_text = RichTextField(_("education text"), features=SECTION_FEATURES, blank=True)
    education_link = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("education link"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Usually the course catalogue."),
    )
    education_link_text = models.CharField(_("education link text"), max_length=100, default="Find a course")

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldPanel("hero_heading"),
                FieldPanel("hero_text"),
                FieldPanel("hero_image"),
                FieldPanel("hero_link"),
                FieldPanel("hero_link_text"),
            ],
            heading=_("Hero"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("about_heading"),
                FieldPanel("about_text"),
                FieldPanel("about_link"),
            ],
            heading=_("About us"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("investigations_heading"),
                FieldPanel("investigations_text"),
                FieldPanel("investigations_link"),
            ],
            heading=_("Investigations"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("education_heading"),
                FieldPanel("education_text"),
                FieldPanel("education_link"),
                FieldPanel("education_link_text"),
            ],
            heading=_("Education"),
        ),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("hero_text"),
        index.SearchField("about_text"),
        index.SearchField("education_text"),
    ]

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = [
        "content.StandardPage",
        "content.ReportIndexPage",
        "content.ArticleIndexPage",
        # Named, not imported: content stays independent of the learning apps.
        "courses.CourseIndexPage",
    ]
    max_count = 1

    class Meta:
        verbose_name = _("home page")

    SECTION_LINKS = ("hero_link", "about_link", "investigations_link", "education_link")

    def fetch_section_links(self):
        """The four linked pages in one query rather than one each."""
        ids = {getattr(self, f"{name}_id") for name in self.SECTION_LINKS} - {None}
        pages = Page.objects.in_bulk(ids) if ids else {}
        for name in self.SECTION_LINKS:
            linked = pages.get(getattr(self, f"{name}_id"))
            if linked is not None:
                setattr(self, name, linked)

    def _read_sections(self) -> dict:
        return {page.slug: page for page in self.get_children().live().specific()}

    def sections(self) -> dict:
        """The live pages just below the home page, specific, by slug: the first step of routing nearly every request.

        A live page's row changes only when it is published, unpublished or moved, and each of those retires the
        shared copy, as it retires every cached page that shows them.
        """
        return shared_fragment(f"home-sections:{self.pk}", self._read_sections)

    def route(self, request, path_components):
        """Wagtail's routing, with its first step from `sections()` rather than two queries.

        A child that is not live (pages below it may be) or not there at all is left to Wagtail, as is every request
        when shared fragments are off: building all the sections then would cost more than finding one.
        """
        if path_components and settings.FRAGMENT_CACHE_SECONDS:
            section = self.sections().get(path_components[0])
            if section is not None:
                section._cached_parent_obj = self  # as Wagtail's routing does: breadcrumbs and get_parent() read it
                return section.route(request, path_components[1:])
        return super().route(request, path_components)

    def get_context(self, request, *args, **kwargs):
        from .articles import ArticlePage
        from .reports import ReportSummaryPage

        context = super().get_context(request, *args, **kwargs)
        self.fetch_section_links()
        private = private_q()
        context["latest_reports"] = with_card_data(
            ReportSummaryPage.objects.live().exclude(private).order_by("-publication_date", "-pk")
        )[:3]
        context["latest_articles"] = with_card_data(
            ArticlePage.objects.live().exclude(private).order_by("-publication_date", "-pk")
        )[:3]
        return context
