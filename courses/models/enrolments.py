from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class EnrolmentStatus(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    CONFIRMED = "confirmed", _("Confirmed")
    COMPLETED = "completed", _("Completed")
    DID_NOT_COMPLETE = "did_not_complete", _("Did not complete")
    WAITLISTED = "waitlisted", _("On the waiting list")
    OFFERED = "offered", _("Place offered")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CANCELLED = "cancelled", _("Cancelled")


# An enrolment in one of these states is the learner's one active enrolment on the cohort.
ACTIVE_STATUSES = [
    EnrolmentStatus.AWAITING_PAYMENT,
    EnrolmentStatus.CONFIRMED,
    EnrolmentStatus.COMPLETED,
    EnrolmentStatus.DID_NOT_COMPLETE,
    EnrolmentStatus.WAITLISTED,
    EnrolmentStatus.OFFERED,
]
# These hold one of the cohort's seats.
SEAT_STATUSES = [
    EnrolmentStatus.AWAITING_PAYMENT,
    EnrolmentStatus.CONFIRMED,
    EnrolmentStatus.COMPLETED,
    EnrolmentStatus.DID_NOT_COMPLETE,
    EnrolmentStatus.OFFERED,
]
# The learner can still withdraw or be cancelled from these.
OPEN_STATUSES = [
    EnrolmentStatus.AWAITING_PAYMENT,
    EnrolmentStatus.CONFIRMED,
    EnrolmentStatus.WAITLISTED,
    EnrolmentStatus.OFFERED,
]


class FeeBand(models.TextChoices):
    FREE = "free", _("Free (NHS staff in England)")
    EXTERNAL = "external", _("External fee")


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Card")
    INVOICE = "invoice", _("Invoice to my organisation")


class Enrolment(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("learner"), on_delete=models.PROTECT, related_name="enrolments"
    )
    cohort = models.ForeignKey(
        "courses.Cohort", verbose_name=_("cohort"), on_delete=models.PROTECT, related_name="enrolments"
    )
    status = models.CharField(_("status"), max_length=20, choices=EnrolmentStatus.choices, db_index=True)
    fee_band = models.CharField(_("fee band"), max_length=10, choices=FeeBand.choices)
    fee_pence = models.PositiveIntegerField(_("fee (pence)"), default=0)
    fee_band_reason = models.TextField(_("why this band"), blank=True)
    band_override_reason = models.TextField(_("override reason"), blank=True)
    band_overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("overridden by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    band_overridden_at = models.DateTimeField(_("overridden at"), null=True, blank=True)
    declared_nhs_england_employer = models.BooleanField(_("declared an NHS employer in England"), default=False)
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    payment_method = models.CharField(_("payment method"), max_length=10, choices=PaymentMethod.choices, blank=True)

    hold_expires_at = models.DateTimeField(_("seat held until"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer open until"), null=True, blank=True)
    waitlisted_at = models.DateTimeField(_("joined the waiting list"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    ended_at = models.DateTimeField(_("withdrawn or cancelled"), null=True, blank=True)
    completion_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completion signed off by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    completion_recorded_at = models.DateTimeField(_("completion signed off"), null=True, blank=True)
    completion_override_reason = models.TextField(_("why signed off against the completion rule"), blank=True)
    transferred_from = models.ForeignKey(
        "self", verbose_name=_("transferred from"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "cohort"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="one_active_enrolment_per_learner_per_cohort",
                violation_error_message=_("You already have a place or a waiting-list entry on this cohort."),
            ),
        ]
        indexes = [models.Index(fields=["cohort", "status", "waitlisted_at"], name="enrolment_cohort_queue")]

    def __str__(self):
        return f"{self.user} on {self.cohort.code}: {self.get_status_display()}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def holds_seat(self) -> bool:
        return self.status in SEAT_STATUSES

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CourseInterest(models.Model):
    """'Tell me when the next cohort opens': emailed when a cohort of the course opens for enrolment."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_interests")
    course = models.ForeignKey("courses.CoursePage", on_delete=models.CASCADE, related_name="interests")
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("registered interest")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course"], condition=Q(notified_at__isnull=True), name="one_pending_interest"
            )
        ]

    def __str__(self):
        return f"{self.user} for {self.course}"
