"""What course leads record about a cohort they run: the register, and the messages sent to the cohort."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AttendanceMark(models.TextChoices):
    PRESENT = "present", _("Present")
    LATE = "late", _("Late")
    ABSENT = "absent", _("Absent")


# Marks that count as attending a session.
ATTENDED_MARKS = [AttendanceMark.PRESENT, AttendanceMark.LATE]


class Attendance(models.Model):
    """One learner's mark in the register of one session."""

    enrolment = models.ForeignKey(
        "courses.Enrolment", verbose_name=_("enrolment"), on_delete=models.CASCADE, related_name="attendance"
    )
    session = models.ForeignKey(
        "courses.CohortSession", verbose_name=_("session"), on_delete=models.CASCADE, related_name="attendance"
    )
    mark = models.CharField(_("mark"), max_length=10, choices=AttendanceMark.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now=True)

    class Meta:
        verbose_name = _("attendance mark")
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "session"], name="one_mark_per_learner_per_session")
        ]

    def __str__(self):
        return f"{self.enrolment.user} at {self.session}: {self.get_mark_display()}"


class MessageAudience(models.TextChoices):
    CONFIRMED = "confirmed", _("Everyone with a confirmed place")
    WAITLISTED = "waitlisted", _("Everyone on the waiting list, with or without an offer")


class CohortMessage(models.Model):
    """An email a course lead sent to a cohort, kept with the list of who it went to."""

    cohort = models.ForeignKey(
        "courses.Cohort", verbose_name=_("cohort"), on_delete=models.CASCADE, related_name="messages"
    )
    audience = models.CharField(_("sent to"), max_length=20, choices=MessageAudience.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sent by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("cohort message")

    def __str__(self):
        return self.subject


class CohortMessageRecipient(models.Model):
    message = models.ForeignKey(CohortMessage, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # The address it went to at the time, kept if the learner later changes it.
    email = models.EmailField(_("email address"))

    class Meta:
        verbose_name = _("message recipient")
        constraints = [models.UniqueConstraint(fields=["message", "email"], name="one_copy_per_recipient")]

    def __str__(self):
        return self.email
