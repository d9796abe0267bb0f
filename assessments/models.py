from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.contrib.settings.models import BaseGenericSetting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from .blocks import StageBlock

DEFAULT_HINDSIGHT_PHRASES = "\n".join(
    [
        "should have",
        "shouldn't have",
        "should not have",
        "failed to",
        "human error",
        "careless",
        "negligent",
        "negligence",
        "obviously",
        "clearly",
        "it was obvious",
        "to blame",
        "their fault",
        "his fault",
        "her fault",
        "lack of attention",
        "complacent",
        "didn't bother",
    ]
)


class FeedbackRelease(models.TextChoices):
    AFTER_EACH_STAGE = "after_stage", _("After each stage is submitted")
    ON_SUBMISSION = "on_submission", _("When the whole exercise is submitted")
    AFTER_MARKING = "after_marking", _("When a course lead releases the marks")


class CaseExercisePage(RoutablePageMixin, Page):
    """An incident case that unfolds in stages, with questions at each stage, under the course it belongs to.

    Its routes are the learner's flow: the overview (""), starting or resuming ("start/") and an attempt
    ("attempts/<id>/"), where the open stage is answered and the submitted ones are shown as they were.
    """

    introduction = RichTextField(_("introduction"), features=["bold", "italic", "ol", "ul", "link"])
    pass_mark_percent = models.PositiveSmallIntegerField(
        _("pass mark (%)"), default=60, validators=[MaxValueValidator(100)]
    )
    attempts_allowed = models.PositiveSmallIntegerField(
        _("attempts allowed"), default=1, help_text=_("0 means as many as the learner likes.")
    )
    counts_towards_completion = models.BooleanField(
        _("counts towards completion"),
        default=True,
        help_text=_("If ticked, a learner must pass it to complete the course; otherwise it is practice."),
    )
    feedback_release = models.CharField(
        _("feedback is shown"),
        max_length=20,
        choices=FeedbackRelease.choices,
        default=FeedbackRelease.ON_SUBMISSION,
    )
    report = models.ForeignKey(
        "content.ReportSummaryPage",
        verbose_name=_("built from the report"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="case_exercises",
    )
    stages = StreamField([("stage", StageBlock())], verbose_name=_("stages"))

    content_panels = [
        *Page.content_panels,
        FieldPanel("introduction"),
        MultiFieldPanel(
            [
                FieldPanel("pass_mark_percent"),
                FieldPanel("attempts_allowed"),
                FieldPanel("counts_towards_completion"),
                FieldPanel("feedback_release"),
            ],
            heading=_("Marking"),
        ),
        FieldPanel("report"),
        FieldPanel("stages"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("introduction")]
    parent_page_types = ["courses.CoursePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("case exercise")

    @path("")
    def overview(self, request):
        from .views import exercise_overview

        return exercise_overview(request, self)

    @path("start/")
    def start(self, request):
        from .views import attempt_start

        return attempt_start(request, self)

    @path("attempts/<int:attempt_id>/")
    def attempt(self, request, attempt_id):
        from .views import attempt_detail

        return attempt_detail(request, self, attempt_id)


class AttemptStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted, awaiting marking")
    MARKED = "marked", _("Marked")


class Attempt(models.Model):
    """One learner's go at an exercise, pinned to the revision it started on, so later edits never change it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("learner"), on_delete=models.PROTECT, related_name="attempts"
    )
    exercise = models.ForeignKey(
        CaseExercisePage, verbose_name=_("exercise"), on_delete=models.PROTECT, related_name="attempts"
    )
    revision = models.ForeignKey(
        "wagtailcore.Revision", verbose_name=_("revision"), on_delete=models.PROTECT, related_name="+"
    )
    enrolment = models.ForeignKey(
        "courses.Enrolment", verbose_name=_("enrolment"), on_delete=models.PROTECT, related_name="attempts"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=AttemptStatus.choices, default=AttemptStatus.IN_PROGRESS, db_index=True
    )
    # The stages in the order this learner meets them (branching can skip some), by their block ids.
    route = models.JSONField(_("stages reached"), default=list)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    marked_at = models.DateTimeField(_("marked"), null=True, blank=True)
    released_at = models.DateTimeField(_("marks released"), null=True, blank=True)
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(_("out of"), max_digits=7, decimal_places=2, default=Decimal(0))
    passed = models.BooleanField(_("passed"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("attempt")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "exercise"],
                condition=Q(status="in_progress"),
                name="one_attempt_in_progress_per_learner",
            )
        ]

    def __str__(self):
        return f"{self.user} on {self.exercise}"

    @property
    def percent(self) -> int | None:
        if self.score is None or not self.max_score:
            return None
        return round(100 * self.score / self.max_score)


class Answer(models.Model):
    """The answer to one question of an attempt; final once its stage is submitted."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    stage_id = models.CharField(_("stage"), max_length=64)
    question_id = models.CharField(_("question"), max_length=64)
    response = models.JSONField(_("answer"), default=dict)
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(_("out of"), max_digits=7, decimal_places=2, default=Decimal(0))
    marker_feedback = models.TextField(_("marker's feedback"), blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    marked_at = models.DateTimeField(_("marked"), null=True, blank=True)
    saved_at = models.DateTimeField(_("saved"), auto_now=True)

    class Meta:
        verbose_name = _("answer")
        constraints = [models.UniqueConstraint(fields=["attempt", "question_id"], name="one_answer_per_question")]

    def __str__(self):
        return f"{self.attempt}: {self.question_id}"


class StageSubmission(models.Model):
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="stage_submissions")
    stage_id = models.CharField(_("stage"), max_length=64)
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["attempt", "stage_id"], name="one_submission_per_stage")]

    def __str__(self):
        return f"{self.attempt}: stage {self.stage_id}"


class HindsightSettings(BaseGenericSetting):
    """The language of blame and hindsight that free-text answers are gently checked for; editors keep the list."""

    phrases = models.TextField(
        _("phrases"),
        default=DEFAULT_HINDSIGHT_PHRASES,
        help_text=_("One per line, matched as whole words without regard to case."),
    )

    panels = [FieldPanel("phrases")]

    class Meta:
        verbose_name = _("hindsight and blame prompts")

    def phrase_list(self) -> list[str]:
        return [line.strip().lower() for line in self.phrases.splitlines() if line.strip()]


class MarkingComment(models.Model):
    """A comment markers reuse across answers ("Good use of the SEIPS model"), shared by the course team."""

    text = models.TextField(_("comment"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["text"]
        verbose_name = _("reusable marking comment")
        constraints = [models.UniqueConstraint(fields=["text"], name="unique_marking_comment")]

    def __str__(self):
        return self.text
