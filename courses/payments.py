"""The payment provider behind an adapter (as django-allauth does): a default Stripe class, a setting to swap it."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


@dataclass(frozen=True)
class Refund:
    id: str


class WebhookSignatureError(Exception):
    """The webhook's signature did not verify: the request is refused and nothing changes."""


class PaymentProviderError(Exception):
    """The provider could not be reached or refused the call (a timeout, an outage); the caller may try again."""


#: Stripe's expiry is rounded up to this, so that a retry within a few minutes sends the very same request.
EXPIRY_STEP_SECONDS = 5 * 60


def stripe_session_expiry(hold_expires_at: datetime.datetime, *, now=None) -> int:
    """When the Checkout Session expires, as a Unix time: the seat hold's end, but at least 31 minutes ahead.

    Stripe wants 30 minutes to 24 hours ahead. A payment that lands after the hold has lapsed still confirms if a seat
    is free, and is refunded if not (services._payment_paid).
    """
    earliest = (now or timezone.now()) + datetime.timedelta(minutes=31)
    seconds = int(max(hold_expires_at, earliest).timestamp())
    return seconds + (-seconds % EXPIRY_STEP_SECONDS)


class StripePaymentAdapter:
    """Card payments through Stripe Checkout; the card option exists only when the keys are configured."""

    def card_available(self) -> bool:
        return bool(getattr(settings, "STRIPE_SECRET_KEY", "") and getattr(settings, "STRIPE_WEBHOOK_SECRET", ""))

    def client(self):
        import stripe

        return stripe.StripeClient(settings.STRIPE_SECRET_KEY, max_network_retries=2)

    def create_checkout(self, *, payment, success_url: str, cancel_url: str, expires_at=None) -> CheckoutSession:
        enrolment = payment.enrolment
        course = enrolment.cohort.course
        params = {
            "mode": "payment",
            "success_url": success_url,
            "cancel_url": cancel_url,
            "customer_email": enrolment.user.email,
            "client_reference_id": str(payment.pk),
            "metadata": {"payment_id": str(payment.pk), "enrolment_id": str(enrolment.pk)},
            "payment_intent_data": {"metadata": {"payment_id": str(payment.pk), "enrolment_id": str(enrolment.pk)}},
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "gbp",
                        "unit_amount": payment.amount_pence,
                        "product_data": {"name": f"{course.title} ({enrolment.cohort.code})"},
                    },
                }
            ],
        }
        if expires_at is not None:
            params["expires_at"] = stripe_session_expiry(expires_at)
        import stripe

        # The key covers the client's own retries of this call and the learner's retry soon after a timeout: the same
        # request again gets back the session Stripe may already have made, not a second one. It names expires_at
        # because Stripe refuses a key reused with different parameters, and a much later retry has a later expiry.
        key = f"checkout-{payment.pk}-{params.get('expires_at', '')}"
        try:
            session = self.client().v1.checkout.sessions.create(params=params, options={"idempotency_key": key})
        except stripe.StripeError as error:
            raise PaymentProviderError(str(error)) from error
        return CheckoutSession(id=session.id, url=session.url)

    def refund(self, *, payment) -> Refund:
        import stripe

        try:
            refund = self.client().v1.refunds.create(
                params={"payment_intent": payment.provider_payment_id},
                options={"idempotency_key": f"refund-{payment.pk}"},
            )
        except stripe.StripeError as error:
            raise PaymentProviderError(str(error)) from error
        return Refund(id=refund.id)

    def parse_webhook(self, *, payload: bytes, signature: str) -> dict:
        """Verify the signature with STRIPE_WEBHOOK_SECRET and return the event as a plain dict."""
        import stripe

        try:
            event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
        except (ValueError, stripe.SignatureVerificationError) as error:
            raise WebhookSignatureError(str(error)) from error
        return event.to_dict() if hasattr(event, "to_dict") else dict(event)


def get_payment_adapter():
    path = getattr(settings, "COURSES_PAYMENT_ADAPTER", "courses.payments.StripePaymentAdapter")
    return import_string(path)()
