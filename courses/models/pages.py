from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from modelcluster.fields import ParentalManyToManyField
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from content.models.privacy import public_pages
from content.models.serving import ServingMixin
from content.models.topics import Topic, page_topics
from page_cache import shared_fragment

from .cohorts import Cohort

TEXT_FEATURES = ["h3", "h4", "bold", "italic", "ol", "ul", "link"]


class VatStatus(models.TextChoices):
    EXEMPT = "exempt", _("Exempt from VAT (education)")
    STANDARD = "standard", _("Standard rate (20%), included in the fee")
    ZERO = "zero", _("Zero-rated")
    OUTSIDE = "outside", _("Outside the scope of VAT")


VAT_RATES = {VatStatus.STANDARD: 20}


class CourseFormat(models.TextChoices):
    ONLINE_LIVE = "online_live", _("Online, live sessions")
    ONLINE_SELF_PACED = "online_self_paced", _("Online, self-paced with live sessions")
    BLENDED = "blended", _("Blended: online and in person")


class ModuleBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=200)
    description = blocks.TextBlock(label=_("What it covers"), required=False)

    class Meta:
        icon = "list-ol"
        template = "courses/blocks/module.html"
        description = _("A module or session of the course outline")
        preview_value = {"title": "Systems thinking", "description": "The SEIPS model of the work system."}


class CourseIndexPage(ServingMixin, Page):
    """The course catalogue."""

    introduction = models.TextField(_("introduction"), max_length=600, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction")]
    search_fields = [*Page.search_fields, index.SearchField("introduction")]
    parent_page_types = ["content.HomePage"]
    subpage_types = ["courses.CoursePage"]

    class Meta:
        verbose_name = _("course catalogue")

    def _read_filter_options(self, today) -> dict:
        live = CoursePage.objects.child_of(self).live()
        return {
            "topics": list(Topic.objects.filter(coursepage__in=live).distinct()),
            # The months with a start, counted out by the database rather than read cohort by cohort.
            "months": [
                d.strftime("%Y-%m")
                for d in Cohort.objects.filter(starts_on__gte=today, course__in=live).dates("starts_on", "month")
            ],
        }

    def filter_options(self, *, today) -> dict:
        """The topics and months the filters offer. They change only when courses are published or moved, cohorts or
        topics are saved (each retires the shared copy) or the date rolls over (which is in the key)."""
        return shared_fragment(
            f"catalogue-filters:{self.pk}:{today.isoformat()}", lambda: self._read_filter_options(today)
        )

    def get_context(self, request, *args, **kwargs):
        from courses.selectors import catalogue_entries

        context = super().get_context(request, *args, **kwargs)
        context.update(catalogue_entries(index_page=self, request=request))
        return context


class CoursePage(ServingMixin, Page):
    summary = models.TextField(_("summary"), max_length=600)
    audience = RichTextField(_("who it is for"), features=TEXT_FEATURES)
    learning_outcomes = RichTextField(_("learning outcomes"), features=TEXT_FEATURES)
    outline = StreamField([("module", ModuleBlock())], verbose_name=_("outline"), blank=True)
    course_format = models.CharField(
        _("format"), max_length=30, choices=CourseFormat.choices, default=CourseFormat.ONLINE_LIVE
    )
    time_commitment = models.CharField(_("time commitment"), max_length=200, help_text=_("For example, 6 half days."))
    cpd_hours = models.DecimalField(_("CPD hours"), max_digits=5, decimal_places=1)
    accreditation_body = models.CharField(_("accreditation body"), max_length=200, blank=True)
    accreditation_reference = models.CharField(_("accreditation reference"), max_length=100, blank=True)
    completion_requirements = RichTextField(_("what completion requires"), features=TEXT_FEATURES)
    attendance_threshold_percent = models.PositiveSmallIntegerField(
        _("attendance needed to complete (%)"),
        default=80,
        validators=[MaxValueValidator(100)],
        help_text=_("The share of the sessions held that a learner must attend (present or late) to complete."),
    )
    external_fee_pence = models.PositiveIntegerField(
        _("fee for external learners (pence)"), default=0, help_text=_("In pence, GBP: 45000 is £450.00.")
    )
    vat_status = models.CharField(_("VAT status"), max_length=10, choices=VatStatus.choices, default=VatStatus.EXEMPT)
    refund_window_days = models.PositiveIntegerField(
        _("refund window (days)"),
        default=14,
        help_text=_("Card payments are refunded when the learner withdraws within this many days of paying."),
    )
    invoices_confirm_on_request = models.BooleanField(
        _("invoices confirm the place at once"),
        default=False,
        help_text=_("If ticked, an invoice request confirms the place; otherwise it waits until the invoice is paid."),
    )
    topics = ParentalManyToManyField("content.Topic", verbose_name=_("topics"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("audience"),
        FieldPanel("learning_outcomes"),
        FieldPanel("outline"),
        MultiFieldPanel(
            [FieldPanel("course_format"), FieldPanel("time_commitment"), FieldPanel("topics")], heading=_("Format")
        ),
        MultiFieldPanel(
            [
                FieldPanel("cpd_hours"),
                FieldPanel("accreditation_body"),
                FieldPanel("accreditation_reference"),
                FieldPanel("completion_requirements"),
                FieldPanel("attendance_threshold_percent"),
            ],
            heading=_("CPD and completion"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("external_fee_pence"),
                FieldPanel("vat_status"),
                FieldPanel("refund_window_days"),
                FieldPanel("invoices_confirm_on_request"),
            ],
            heading=_("Fees (external learners)"),
        ),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("audience"),
        index.SearchField("learning_outcomes"),
    ]
    parent_page_types = ["courses.CourseIndexPage"]

    class Meta:
        verbose_name = _("course page")

    @classmethod
    def allowed_subpage_models(cls):
        """Only pages that name a course page as their parent (case exercises, from assessments) go under a course.

        So courses need not know those apps, and a page type that may go anywhere is still kept out.
        """
        return [
            model
            for model in super().allowed_subpage_models()
            if getattr(model, "parent_page_types", None) is not None and cls in model.allowed_parent_page_models()
        ]

    @property
    def vat_rate_percent(self) -> int:
        return VAT_RATES.get(self.vat_status, 0)

    def vat_included_pence(self, amount_pence: int) -> int:
        """The VAT inside a VAT-inclusive amount, rounded to the penny."""
        rate = self.vat_rate_percent
        return round(amount_pence * rate / (100 + rate)) if rate else 0

    def upcoming_cohorts(self):
        today = timezone.localdate()
        return self.cohorts.filter(ends_on__gte=today).order_by("starts_on")

    def get_context(self, request, *args, **kwargs):
        from courses.selectors import course_page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(course_page_context(course=self, request=request))
        context["page_topics"] = page_topics(self, request)
        context["activities"] = self.activities()
        return context

    def activities(self) -> list[Page]:
        """What other apps add under a course (case exercises), by title: courses need not know their types. They
        change only when one is published, unpublished or moved or privacy is set, and each retires the shared copy."""
        return shared_fragment(
            f"course-activities:{self.pk}",
            lambda: list(public_pages(self.get_children().live()).order_by("title")),
        )


def open_for_enrolment_q(now=None):
    now = now or timezone.now()
    return Q(enrolment_opens_at__lte=now, enrolment_closes_at__gt=now)
