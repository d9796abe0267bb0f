import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from content.blocks import BodyBlock
from page_cache import shared_fragment

from .listing import paginate, query_param, querystring_without_page, with_card_data
from .privacy import public_pages
from .serving import ServingMixin
from .topics import Topic, page_topics, topic_for_slug


class ArticleKind(models.TextChoices):
    NEWS = "news", _("News")
    BLOG = "blog", _("Blog")
    EVENT = "event", _("Event")


class ArticleIndexPage(ServingMixin, Page):
    introduction = models.TextField(_("introduction"), max_length=600, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction")]
    search_fields = [*Page.search_fields, index.SearchField("introduction")]

    parent_page_types = ["content.HomePage"]
    subpage_types = ["content.ArticlePage"]

    class Meta:
        verbose_name = _("article index page")

    def articles(self):
        return public_pages(ArticlePage.objects.child_of(self).live()).order_by("-publication_date", "-pk")

    def _read_filter_options(self) -> dict:
        return {"topics": list(Topic.objects.filter(articlepage__in=self.articles()).distinct())}

    def filter_options(self) -> dict:
        """The topics the filter offers: they change only when articles are published or moved, topics are saved or
        privacy is set, and each of those retires the shared copy."""
        return shared_fragment(f"article-filters:{self.pk}", self._read_filter_options)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        articles = self.articles()
        kind = request.GET.get("kind", "")
        if kind in ArticleKind.values:
            articles = articles.filter(kind=kind)
        else:
            kind = ""
        topic = topic_for_slug(query_param(request, "topic"))
        if topic:
            articles = articles.filter(topics=topic)
        context.update(
            articles=paginate(
                request,
                with_card_data(articles),
                count_name=f"article-count:{self.pk}:{kind}:{topic.pk if topic else ''}",
            ),
            kinds=ArticleKind.choices,
            **self.filter_options(),
            selected_kind=kind,
            selected_topic=topic,
            querystring=querystring_without_page(request),
        )
        return context


class ArticlePage(ServingMixin, Page):
    kind = models.CharField(_("kind"), max_length=10, choices=ArticleKind.choices, default=ArticleKind.NEWS)
    publication_date = models.DateField(_("publication date"), default=datetime.date.today)
    teaser = models.TextField(_("teaser"), max_length=400, help_text=_("Shown in listings and feeds."))
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)
    topics = ParentalManyToManyField(Topic, verbose_name=_("topics"), blank=True)

    author_name = models.CharField(_("author"), max_length=200, blank=True)
    author_role = models.CharField(_("author's role"), max_length=200, blank=True)
    author_is_guest = models.BooleanField(
        _("guest author"),
        default=False,
        help_text=_("The author is not one of our staff."),
    )

    event_start = models.DateTimeField(_("event starts"), null=True, blank=True)
    event_end = models.DateTimeField(_("event ends"), null=True, blank=True)
    event_location = models.CharField(
        _("place"),
        max_length=300,
        blank=True,
        help_text=_("The venue and address; leave blank for an online event."),
    )
    event_online = models.BooleanField(_("online event"), default=False)
    booking_url = models.URLField(_("booking link"), blank=True)

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldPanel("kind"),
                FieldPanel("publication_date"),
                FieldPanel("teaser"),
                FieldPanel("image"),
                FieldPanel("topics"),
            ],
            heading=_("About the article"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("author_name"),
                FieldPanel("author_role"),
                FieldPanel("author_is_guest"),
            ],
            heading=_("Author (blogs)"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("event_start"),
                FieldPanel("event_end"),
                FieldPanel("event_location"),
                FieldPanel("event_online"),
                FieldPanel("booking_url"),
            ],
            heading=_("Event details (events)"),
        ),
        FieldPanel("body"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("teaser"),
        index.SearchField("body"),
        index.SearchField("author_name"),
        index.FilterField("kind"),
        index.FilterField("publication_date"),
    ]

    parent_page_types = ["content.ArticleIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("article page")
        # Listings show the newest first: with this the database reads the first few in order instead of sorting all.
        indexes = [models.Index(fields=["publication_date", "page_ptr"], name="article_publication_date")]

    # What a listing card shows (content/includes/card.html). Reports answer the same names, so the card never
    # looks up a field one of them lacks: a failed lookup costs the template engine a dir() of the whole page.
    @cached_property
    def card_kind(self):
        # Read twice by each card, and each reading of the lazy label is a catalogue lookup: translated once.
        return str(self.get_kind_display())

    card_reference = ""

    @property
    def card_summary(self):
        return self.teaser

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["page_topics"] = page_topics(self, request)
        return context

    def clean(self):
        super().clean()
        errors = {}
        if self.kind == ArticleKind.EVENT:
            if not self.event_start:
                errors["event_start"] = _("An event needs a start date and time.")
            if self.event_start and self.event_end and self.event_end < self.event_start:
                errors["event_end"] = _("The event cannot end before it starts.")
            if not self.event_online and not self.event_location:
                errors["event_location"] = _("Give the place, or tick 'online event'.")
        if self.kind == ArticleKind.BLOG and not self.author_name:
            errors["author_name"] = _("A blog needs an author.")
        if errors:
            raise ValidationError(errors)
