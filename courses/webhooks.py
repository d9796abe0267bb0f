"""The Stripe webhook: verify the signature, store each event once by its id, and act on it exactly once."""

import logging
from http import HTTPStatus

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services
from .models import Payment, PaymentEvent, PaymentMethod
from .payments import WebhookSignatureError, get_payment_adapter

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe posts events here; a bad signature gets 400 and nothing is stored or changed."""
    if not getattr(settings, "STRIPE_WEBHOOK_SECRET", ""):
        raise Http404("Card payments are not configured.")
    try:
        event = get_payment_adapter().parse_webhook(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except WebhookSignatureError as error:
        logger.warning("Refused a Stripe webhook: %s", error)
        return HttpResponse("Bad signature.", status=HTTPStatus.BAD_REQUEST, content_type="text/plain")
    if not isinstance(event.get("id"), str) or not event["id"] or not isinstance(event.get("type"), str):
        return HttpResponse("Not an event.", status=HTTPStatus.BAD_REQUEST, content_type="text/plain")
    stripe_event_process(event=event)
    return HttpResponse("OK", content_type="text/plain")


def stripe_event_process(*, event: dict) -> bool:
    """Store the event and handle it once. A replay, or a duplicate delivered at the same moment, returns False.

    The event row is created and locked in the same transaction as the changes it causes, so a second delivery waits
    for the first to commit and then finds it processed; if handling fails, nothing is stored and Stripe retries.
    """
    with transaction.atomic():
        stored, _created = PaymentEvent.objects.get_or_create(
            event_id=event["id"], defaults={"event_type": event["type"], "payload": event}
        )
        stored = PaymentEvent.objects.select_for_update().get(pk=stored.pk)
        if stored.processed_at is not None:
            logger.info("Stripe event %s was already processed; ignoring the replay.", stored.event_id)
            return False
        handler = HANDLERS.get(event["type"])
        data = (event.get("data") or {}).get("object") or {}
        if handler is None:
            logger.info("Ignoring Stripe event %s of type %s.", event["id"], event["type"])
        else:
            handler(data, event_id=event["id"])
        stored.processed_at = timezone.now()
        stored.save(update_fields=["processed_at"])
    return True


def _id(value) -> str:
    """An id that Stripe may send bare or as an expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _payment_for_session(session: dict, *, event_id: str) -> Payment | None:
    metadata = session.get("metadata") or {}
    payment_id = str(metadata.get("payment_id") or session.get("client_reference_id") or "")
    payment = None
    if payment_id.isdigit():
        payment = Payment.objects.filter(pk=int(payment_id), method=PaymentMethod.CARD).first()
    if payment is None and _id(session.get("id")):
        payment = Payment.objects.filter(provider_session_id=session["id"], method=PaymentMethod.CARD).first()
    if payment is None:
        logger.warning(
            "Stripe event %s: no card payment for Checkout Session %s (payment_id %r).",
            event_id,
            session.get("id"),
            payment_id,
        )
    return payment


def _checkout_completed(session: dict, *, event_id: str):
    if session.get("payment_status") != "paid":
        logger.info("Stripe event %s: Checkout Session %s is not paid yet.", event_id, session.get("id"))
        return
    payment = _payment_for_session(session, event_id=event_id)
    if payment is not None:
        services.payment_checkout_completed(payment=payment, provider_payment_id=_id(session.get("payment_intent")))


def _checkout_expired(session: dict, *, event_id: str):
    payment = _payment_for_session(session, event_id=event_id)
    if payment is None:
        return
    if payment.provider_session_id and payment.provider_session_id != session.get("id"):
        # A session that never reached the learner (its creation timed out, and a retry made the one they are using).
        logger.info(
            "Stripe event %s: session %s is not payment %s's current one.", event_id, session.get("id"), payment.pk
        )
        return
    services.payment_checkout_expired(payment=payment)


def _charge_refunded(charge: dict, *, event_id: str):
    payment_intent = _id(charge.get("payment_intent"))
    payment = (
        Payment.objects.filter(provider_payment_id=payment_intent, method=PaymentMethod.CARD).first()
        if payment_intent
        else None
    )
    if payment is None:
        logger.warning("Stripe event %s: no card payment for PaymentIntent %r.", event_id, payment_intent)
        return
    refunds = (charge.get("refunds") or {}).get("data") or []
    services.payment_refund_record(
        payment=payment,
        refunded_pence=int(charge.get("amount_refunded") or 0),
        provider_refund_id=_id(refunds[0]) if refunds else "",
    )


HANDLERS = {
    "checkout.session.completed": _checkout_completed,
    "checkout.session.expired": _checkout_expired,
    "charge.refunded": _charge_refunded,
}
