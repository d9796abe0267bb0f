"""Stripe's side of a payment, for tests: outbound calls are stubbed, webhooks are signed exactly as Stripe signs them.

Only create_checkout and refund are replaced. The adapter's card_available (the keys in settings) and parse_webhook
(the real signature check in the stripe package) are the production code.
"""

import hashlib
import hmac
import itertools
import json
import time

from courses.payments import CheckoutSession, Refund, StripePaymentAdapter

WEBHOOK_SECRET = "whsec_test_4eC39HqLyjWDarjtT1zdp7dc"
SECRET_KEY = "sk_test_not_a_real_key"
WEBHOOK_URL = "/payments/stripe/webhook/"

_ids = itertools.count(1)


class FakePaymentAdapter(StripePaymentAdapter):
    """Records each outbound call; set `fail_with` to an exception to make the next calls fail (a timeout, say)."""

    checkout_calls: list[dict] = []
    refund_calls: list[dict] = []
    fail_with: Exception | None = None

    @classmethod
    def reset(cls):
        cls.checkout_calls, cls.refund_calls, cls.fail_with = [], [], None

    def create_checkout(self, *, payment, success_url, cancel_url, expires_at=None):
        self.checkout_calls.append({"payment_id": payment.pk, "success_url": success_url, "expires_at": expires_at})
        if self.fail_with is not None:
            raise self.fail_with
        session_id = f"cs_test_fake{next(_ids)}"
        return CheckoutSession(id=session_id, url=f"https://checkout.stripe.test/c/pay/{session_id}")

    def refund(self, *, payment):
        self.refund_calls.append({"payment_id": payment.pk, "payment_intent": payment.provider_payment_id})
        if self.fail_with is not None:
            raise self.fail_with
        return Refund(id=f"re_test_fake{next(_ids)}")


def use_fake_payments(settings) -> type[FakePaymentAdapter]:
    """Card payments configured with test keys, with the fake adapter for the outbound calls."""
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.COURSES_PAYMENT_ADAPTER = "tests.courses.fakes.FakePaymentAdapter"
    FakePaymentAdapter.reset()
    return FakePaymentAdapter


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header: t=<ts>,v1=<hex HMAC-SHA256 of "<ts>.<payload>" keyed with the endpoint secret>."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event(event_type: str, data_object: dict, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_test_{next(_ids)}",
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": event_type,
        "data": {"object": data_object},
    }


def checkout_session(payment, *, payment_intent: str = "pi_test_1", payment_status: str = "paid", **extra) -> dict:
    """A Checkout Session as Stripe sends it, for the session that the adapter created for `payment`."""
    return {
        "id": payment.provider_session_id or "cs_test_unknown",
        "object": "checkout.session",
        "mode": "payment",
        "amount_total": payment.amount_pence,
        "currency": "gbp",
        "client_reference_id": str(payment.pk),
        "metadata": {"payment_id": str(payment.pk), "enrolment_id": str(payment.enrolment_id)},
        "payment_intent": payment_intent if payment_status == "paid" else None,
        "payment_status": payment_status,
        "status": "complete" if payment_status == "paid" else "open",
        **extra,
    }


def charge(*, payment_intent: str, amount: int, amount_refunded: int, refund_id: str = "re_test_dashboard") -> dict:
    return {
        "id": f"ch_test_{next(_ids)}",
        "object": "charge",
        "amount": amount,
        "amount_refunded": amount_refunded,
        "currency": "gbp",
        "payment_intent": payment_intent,
        "refunded": amount_refunded >= amount,
        "refunds": {"object": "list", "data": [{"id": refund_id, "object": "refund", "amount": amount_refunded}]},
    }


def post_event(client, body: dict | str, *, secret: str = WEBHOOK_SECRET, signature: str | None = None):
    """POST an event to the webhook as Stripe does: the raw JSON body and its signature header."""
    payload = body if isinstance(body, str) else json.dumps(body)
    headers = {} if signature == "" else {"Stripe-Signature": signature or sign(payload, secret)}
    return client.post(WEBHOOK_URL, data=payload, content_type="application/json", headers=headers)
