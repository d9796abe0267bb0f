import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.models import Orderable
from wagtail.search import index


class Cohort(index.Indexed, ClusterableModel):
    course = models.ForeignKey(
        "courses.CoursePage", verbose_name=_("course"), on_delete=models.PROTECT, related_name="cohorts"
    )
    code = models.CharField(_("code"), max_length=40, unique=True, help_text=_("For example, SYS-2027-01."))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    enrolment_opens_at = models.DateTimeField(_("enrolment opens"))
    enrolment_closes_at = models.DateTimeField(_("enrolment closes"))
    capacity = models.PositiveIntegerField(_("capacity"), help_text=_("The number of places."))
    leads = ParentalManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("course leads"), blank=True, related_name="led_cohorts"
    )
    joining_instructions = models.TextField(
        _("joining instructions"), blank=True, help_text=_("Shown only to learners with a confirmed place.")
    )
    joining_link = models.URLField(
        _("online joining link"), blank=True, help_text=_("Shown only to confirmed learners.")
    )

    panels = [
        FieldPanel("course"),
        FieldPanel("code"),
        MultiFieldPanel([FieldPanel("starts_on"), FieldPanel("ends_on")], heading=_("Dates")),
        MultiFieldPanel(
            [FieldPanel("enrolment_opens_at"), FieldPanel("enrolment_closes_at"), FieldPanel("capacity")],
            heading=_("Enrolment"),
        ),
        FieldPanel("leads"),
        MultiFieldPanel([FieldPanel("joining_instructions"), FieldPanel("joining_link")], heading=_("Joining")),
        InlinePanel("sessions", label=_("Sessions")),
    ]
    search_fields = [index.SearchField("code"), index.AutocompleteField("code")]

    class Meta:
        ordering = ["starts_on", "code"]
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")

    def __str__(self):
        return f"{self.code} ({self.starts_on:%d %b %Y})"

    def clean(self):
        errors = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The cohort cannot end before it starts.")
        if self.enrolment_opens_at and self.enrolment_closes_at and self.enrolment_closes_at <= self.enrolment_opens_at:
            errors["enrolment_closes_at"] = _("Enrolment must close after it opens.")
        if errors:
            raise ValidationError(errors)

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.enrolment_opens_at <= now < self.enrolment_closes_at

    def has_started(self, today=None) -> bool:
        return (today or timezone.localdate()) >= self.starts_on


class CohortSession(Orderable):
    cohort = ParentalKey(Cohort, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(_("title"), max_length=200)
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("starts at"))
    end_time = models.TimeField(_("ends at"))

    panels = [FieldPanel("title"), FieldPanel("date"), FieldPanel("start_time"), FieldPanel("end_time")]

    class Meta(Orderable.Meta):
        verbose_name = _("session")

    def __str__(self):
        return f"{self.title} ({self.date:%d %b %Y})"

    def clean(self):
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise ValidationError({"end_time": _("A session must end after it starts.")})

    def starts_at(self):
        return timezone.make_aware(datetime.datetime.combine(self.date, self.start_time))

    def ends_at(self):
        return timezone.make_aware(datetime.datetime.combine(self.date, self.end_time))
