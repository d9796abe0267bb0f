import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page
from wagtail.search import index

from page_cache import shared_fragment

from .listing import paginate, query_param, querystring_without_page, with_card_data
from .privacy import public_pages
from .serving import ServingMixin
from .topics import Topic, page_topics, topic_for_slug

REPORT_TEXT_FEATURES = [
    "h3",
    "h4",
    "bold",
    "italic",
    "ol",
    "ul",
    "link",
    "document-link",
]


def parse_year(value: str) -> int | None:
    """A year from the query string, or None: str.isdigit() also accepts '²', and dates stop at 9999."""
    if value.isascii() and value.isdigit() and 1 <= int(value) <= datetime.MAXYEAR:
        return int(value)
    return None


class ReportIndexPage(ServingMixin, Page):
    introduction = models.TextField(_("introduction"), max_length=600, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction")]
    search_fields = [*Page.search_fields, index.SearchField("introduction")]

    parent_page_types = ["content.HomePage"]
    subpage_types = ["content.ReportSummaryPage"]

    class Meta:
        verbose_name = _("report index page")

    def reports(self):
        return public_pages(ReportSummaryPage.objects.child_of(self).live()).order_by("-publication_date", "-pk")

    def _read_filter_options(self) -> dict:
        reports = self.reports()
        return {
            "topics": list(Topic.objects.filter(reportsummarypage__in=reports).distinct()),
            "years": list(reports.dates("publication_date", "year", order="DESC")),
        }

    def filter_options(self) -> dict:
        """The topics and years the filters offer: they change only when reports are published or moved, topics are
        saved or privacy is set, and each of those retires the shared copy."""
        return shared_fragment(f"report-filters:{self.pk}", self._read_filter_options)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        reports = self.reports()
        topic = topic_for_slug(query_param(request, "topic"))
        if topic:
            reports = reports.filter(topics=topic)
        year = parse_year(request.GET.get("year", ""))
        if year:
            reports = reports.filter(publication_date__year=year)
        context.update(
            reports=paginate(
                request,
                with_card_data(reports),
                count_name=f"report-count:{self.pk}:{topic.pk if topic else ''}:{year}",
            ),
            **self.filter_options(),
            selected_topic=topic,
            selected_year=year,
            querystring=querystring_without_page(request),
        )
        return context


class ReportSummaryPage(ServingMixin, Page):
    reference = models.CharField(_("reference"), max_length=50, help_text=_("For example, NIR/2025/014."))
    publication_date = models.DateField(_("publication date"), default=datetime.date.today)
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    summary = models.TextField(_("summary"), max_length=600, help_text=_("Shown in listings and at the top."))
    event_in_brief = RichTextField(_("the patient safety event in brief"), features=REPORT_TEXT_FEATURES)
    findings = RichTextField(_("findings"), features=REPORT_TEXT_FEATURES)
    learning_prompts = RichTextField(
        _("learning prompts"),
        features=REPORT_TEXT_FEATURES,
        blank=True,
        help_text=_("Questions that teams can use to reflect on their own systems."),
    )
    full_report = models.ForeignKey(
        "wagtaildocs.Document",
        verbose_name=_("full report"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    topics = ParentalManyToManyField(Topic, verbose_name=_("topics"), blank=True)

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldPanel("reference"),
                FieldPanel("publication_date"),
                FieldPanel("image"),
                FieldPanel("topics"),
            ],
            heading=_("About the report"),
        ),
        FieldPanel("summary"),
        FieldPanel("event_in_brief"),
        FieldPanel("findings"),
        InlinePanel("recommendations", label=_("Safety recommendations")),
        InlinePanel("observations", label=_("Safety observations")),
        FieldPanel("learning_prompts"),
        FieldPanel("full_report"),
        InlinePanel("related_reports", label=_("Related reports")),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("reference"),
        index.SearchField("summary"),
        index.SearchField("event_in_brief"),
        index.SearchField("findings"),
        index.SearchField("learning_prompts"),
        index.RelatedFields("recommendations", [index.SearchField("text"), index.SearchField("code")]),
        index.FilterField("publication_date"),
    ]

    parent_page_types = ["content.ReportIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("report summary page")
        # Listings show the newest first: with this the database reads the first few in order instead of sorting all.
        indexes = [models.Index(fields=["publication_date", "page_ptr"], name="report_publication_date")]

    # What a listing card shows (content/includes/card.html), under the names ArticlePage answers too.
    card_kind = ""

    @property
    def card_reference(self):
        return self.reference

    @property
    def card_summary(self):
        return self.summary

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["page_topics"] = page_topics(self, request)
        context["recommendations"] = self.recommendations.all()
        context["observations"] = self.observations.all()
        context["related"] = [
            link.page
            for link in self.related_reports.select_related("page").all()
            if link.page and link.page.live and link.page.id != self.id
        ]
        return context

    def learning_exercises(self):
        """The published case exercises built from this report.

        The relation is added by assessments (CaseExercisePage.report), which content must not import: without that
        app installed there is simply nothing to list.
        """
        exercises = getattr(self, "case_exercises", None)
        if exercises is None:
            return []
        return exercises.filter(live=True).order_by("title")


class SafetyRecommendation(Orderable):
    page = ParentalKey(ReportSummaryPage, on_delete=models.CASCADE, related_name="recommendations")
    code = models.CharField(_("code"), max_length=50, help_text=_("For example, R/2025/041."))
    addressed_to = models.CharField(
        _("addressed to"),
        max_length=200,
        help_text=_("The organisation it is made to."),
    )
    text = models.TextField(_("recommendation"))

    panels = [FieldPanel("code"), FieldPanel("addressed_to"), FieldPanel("text")]

    class Meta(Orderable.Meta):
        verbose_name = _("safety recommendation")

    def __str__(self):
        return self.code


class SafetyObservation(Orderable):
    page = ParentalKey(ReportSummaryPage, on_delete=models.CASCADE, related_name="observations")
    code = models.CharField(_("code"), max_length=50, blank=True, help_text=_("For example, O/2025/052."))
    text = models.TextField(_("observation"))

    panels = [FieldPanel("code"), FieldPanel("text")]

    class Meta(Orderable.Meta):
        verbose_name = _("safety observation")

    def __str__(self):
        return self.code or self.text[:50]


class RelatedReport(Orderable):
    source = ParentalKey(ReportSummaryPage, on_delete=models.CASCADE, related_name="related_reports")
    page = models.ForeignKey(
        ReportSummaryPage,
        verbose_name=_("report"),
        on_delete=models.CASCADE,
        related_name="+",
    )

    panels = [FieldPanel("page")]

    class Meta(Orderable.Meta):
        verbose_name = _("related report")
