from django.db import models
from django.utils.translation import gettext_lazy as _


class EmailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    RETRYING = "retrying", _("Retrying")
    FAILED = "failed", _("Failed")


class EmailDelivery(models.Model):
    """One email to one person and how its sending went, so that administrators can see (and retry) what failed.

    The email is built afresh from `params` at each attempt (a set-password link stays fresh), not stored rendered.
    """

    recipient = models.EmailField(_("recipient"))
    kind = models.CharField(_("kind"), max_length=50)
    subject = models.CharField(_("subject"), max_length=255)
    params = models.JSONField(_("built from"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("queued"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("email delivery")
        verbose_name_plural = _("email deliveries")

    def __str__(self):
        return f"{self.subject} to {self.recipient}"
