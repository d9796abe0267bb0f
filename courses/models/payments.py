from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .enrolments import PaymentMethod


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PAID = "paid", _("Paid")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


class Payment(models.Model):
    """One attempt to pay for an enrolment, by card (Stripe Checkout) or by invoice. Money is integer pence, GBP."""

    enrolment = models.ForeignKey(
        "courses.Enrolment", verbose_name=_("enrolment"), on_delete=models.PROTECT, related_name="payments"
    )
    method = models.CharField(_("method"), max_length=10, choices=PaymentMethod.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING, db_index=True
    )
    amount_pence = models.PositiveIntegerField(_("amount (pence)"))
    vat_pence = models.PositiveIntegerField(_("VAT included (pence)"), default=0)
    currency = models.CharField(max_length=3, default="GBP", editable=False)

    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    billing_contact = models.CharField(_("billing contact"), max_length=200, blank=True)
    billing_email = models.EmailField(_("billing email"), blank=True)
    purchase_order = models.CharField(_("purchase-order number"), max_length=100, blank=True)

    provider_session_id = models.CharField(_("Stripe Checkout Session"), max_length=255, blank=True, db_index=True)
    provider_payment_id = models.CharField(_("Stripe PaymentIntent"), max_length=255, blank=True, db_index=True)
    checkout_url = models.URLField(_("checkout URL"), max_length=2000, blank=True)

    receipt_number = models.CharField(_("receipt number"), max_length=30, blank=True, unique=True, null=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    marked_paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    refunded_pence = models.PositiveIntegerField(_("refunded (pence)"), default=0)
    refunded_at = models.DateTimeField(_("refunded"), null=True, blank=True)
    provider_refund_id = models.CharField(_("Stripe refund"), max_length=255, blank=True)
    # A refund we owe but could not make (Stripe timed out or was down): kept for an administrator to retry.
    refund_error = models.TextField(_("refund failed with"), blank=True)
    refund_failed_at = models.DateTimeField(_("refund failed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self):
        return f"{self.get_method_display()} £{self.amount_pence / 100:.2f} for {self.enrolment_id}: {self.status}"


class PaymentEvent(models.Model):
    """A webhook event from the payment provider, stored once by its id so that a replay changes nothing."""

    event_id = models.CharField(_("event id"), max_length=255, unique=True)
    event_type = models.CharField(_("type"), max_length=100)
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("payment event")

    def __str__(self):
        return f"{self.event_type} {self.event_id}"
