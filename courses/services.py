"""Enrolment, waiting lists, fee bands and payments: every write that the state machine in DESIGN.md allows.

Seats are counted with the cohort row locked (select_for_update) inside a transaction, so concurrent requests can never
overbook a cohort: confirmed enrolments, seats held for pending payments and open offers never exceed its capacity.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wagtail.log_actions import log

from . import dashboard_cache
from .emails import email_retry_now, enrolment_email_send
from .exceptions import EnrolmentError
from .models import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    SEAT_STATUSES,
    Cohort,
    CourseInterest,
    CoursePage,
    EmailDelivery,
    EmailStatus,
    Enrolment,
    EnrolmentStatus,
    FeeBand,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from .payments import PaymentProviderError, get_payment_adapter
from .selectors import cohort_seats_taken, fee_band_decide

logger = logging.getLogger(__name__)


def hold_duration() -> datetime.timedelta:
    return datetime.timedelta(minutes=getattr(settings, "COURSES_PAYMENT_HOLD_MINUTES", 30))


def offer_duration() -> datetime.timedelta:
    return datetime.timedelta(hours=getattr(settings, "COURSES_OFFER_HOURS", 48))


def _lock_cohort(cohort: Cohort) -> Cohort:
    # of=("self",): lock the cohort row only, not the joined course page that editors revise and publish.
    return Cohort.objects.select_for_update(of=("self",)).select_related("course").get(pk=cohort.pk)


def _lock_enrolment(enrolment: Enrolment) -> Enrolment:
    return (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("cohort", "cohort__course")
        .get(pk=enrolment.pk)
    )


def _has_free_seat(cohort: Cohort) -> bool:
    return cohort_seats_taken(cohort=cohort) < cohort.capacity


def _check_payment_choice(*, course: CoursePage, payment_method: str | None, invoice: dict | None):
    if payment_method == PaymentMethod.CARD:
        if not get_payment_adapter().card_available():
            raise EnrolmentError(_("Card payments are not available. Choose to be invoiced instead."), "no_card")
    elif payment_method == PaymentMethod.INVOICE:
        required = ["organisation", "billing_contact", "billing_email", "purchase_order"]
        if not invoice or any(not str(invoice.get(name, "")).strip() for name in required):
            raise EnrolmentError(
                _("Give the organisation, billing contact, billing email and purchase-order number."), "invoice"
            )
    else:
        raise EnrolmentError(_("Choose how you will pay: by card or by invoice."), "payment_method")


def _start_payment(*, enrolment: Enrolment, payment_method: str, invoice: dict | None, now) -> Payment:
    """Hold the seat for a paid place: a card hold expires; an invoice holds until paid or confirms at once."""
    course = enrolment.cohort.course
    enrolment.payment_method = payment_method
    payment = Payment(
        enrolment=enrolment,
        method=payment_method,
        amount_pence=enrolment.fee_pence,
        vat_pence=course.vat_included_pence(enrolment.fee_pence),
    )
    if payment_method == PaymentMethod.INVOICE:
        for name in ["organisation", "billing_contact", "billing_email", "purchase_order"]:
            setattr(payment, name, str(invoice[name]).strip())
        if course.invoices_confirm_on_request:
            enrolment.status, enrolment.confirmed_at = EnrolmentStatus.CONFIRMED, now
        else:
            enrolment.status = EnrolmentStatus.AWAITING_PAYMENT
        enrolment.hold_expires_at = None
    else:
        enrolment.status = EnrolmentStatus.AWAITING_PAYMENT
        enrolment.hold_expires_at = now + hold_duration()
    enrolment.offer_expires_at = None
    enrolment.save()
    payment.save()
    return payment


@transaction.atomic
def enrolment_request(
    *,
    cohort: Cohort,
    user,
    declared_nhs_england_employer: bool,
    employer: str = "",
    payment_method: str | None = None,
    invoice: dict | None = None,
) -> Enrolment:
    """Ask for a place: confirmed, held for payment, or on the waiting list, by fee band and free seats."""
    cohort = _lock_cohort(cohort)
    # The time is read once the lock is held, so that the waiting list (ordered by it) is in the order requests are
    # served, and a position once shown never gets worse.
    now = timezone.now()
    if not cohort.is_open(now):
        raise EnrolmentError(_("Enrolment for this cohort is closed."), "closed")
    if Enrolment.objects.filter(
        user=user, cohort=cohort, status__in=[*SEAT_STATUSES, EnrolmentStatus.WAITLISTED]
    ).exists():
        raise EnrolmentError(_("You already have a place or a waiting-list entry on this cohort."), "duplicate")
    decision = fee_band_decide(
        user=user, course=cohort.course, declared_nhs_england_employer=declared_nhs_england_employer
    )
    enrolment = Enrolment(
        user=user,
        cohort=cohort,
        fee_band=decision.band,
        fee_pence=decision.fee_pence,
        fee_band_reason=decision.reason,
        declared_nhs_england_employer=declared_nhs_england_employer,
        employer=employer.strip(),
    )
    payment = None
    if not _has_free_seat(cohort):
        # How to pay is asked for when a place is offered, not now: nobody pays to join a waiting list.
        enrolment.status, enrolment.waitlisted_at = EnrolmentStatus.WAITLISTED, now
    elif enrolment.fee_pence == 0:
        enrolment.status, enrolment.confirmed_at = EnrolmentStatus.CONFIRMED, now
    else:
        _check_payment_choice(course=cohort.course, payment_method=payment_method, invoice=invoice)
        enrolment.status = EnrolmentStatus.AWAITING_PAYMENT
    try:
        with transaction.atomic():
            enrolment.save()
    except IntegrityError as error:
        raise EnrolmentError(
            _("You already have a place or a waiting-list entry on this cohort."), "duplicate"
        ) from error
    if enrolment.status == EnrolmentStatus.AWAITING_PAYMENT:
        payment = _start_payment(enrolment=enrolment, payment_method=payment_method, invoice=invoice, now=now)
    _notify_new_state(enrolment, payment)
    return enrolment


def _notify_new_state(enrolment: Enrolment, payment: Payment | None = None):
    if enrolment.status == EnrolmentStatus.CONFIRMED:
        enrolment_email_send(kind="confirmed", enrolment=enrolment)
    elif enrolment.status == EnrolmentStatus.WAITLISTED:
        enrolment_email_send(kind="waitlisted", enrolment=enrolment)
    if payment is not None and payment.method == PaymentMethod.INVOICE:
        enrolment_email_send(kind="invoice_requested", enrolment=enrolment, payment=payment)


def _offer_next(cohort: Cohort, now=None) -> list[Enrolment]:
    """Offer free seats to the front of the waiting list, in order. The cohort must be locked by the caller."""
    now = now or timezone.now()
    offered = []
    free = cohort.capacity - cohort_seats_taken(cohort=cohort)
    if free <= 0 or cohort.has_started():
        return offered
    queue = cohort.enrolments.filter(status=EnrolmentStatus.WAITLISTED).order_by("waitlisted_at", "pk")[:free]
    for enrolment in queue:
        enrolment.status = EnrolmentStatus.OFFERED
        enrolment.offer_expires_at = now + offer_duration()
        enrolment.save(update_fields=["status", "offer_expires_at"])
        enrolment_email_send(kind="offered", enrolment=enrolment)
        offered.append(enrolment)
    return offered


@transaction.atomic
def cohort_offer_free_seats(*, cohort: Cohort) -> list[Enrolment]:
    """After capacity grows or a seat is freed outside the services: offer what is free to those waiting."""
    return _offer_next(_lock_cohort(cohort))


def enrolment_withdraw(*, enrolment: Enrolment, user) -> Enrolment:
    """The learner withdraws before the cohort starts; a card payment inside the refund window is refunded."""
    with transaction.atomic():
        cohort = _lock_cohort(enrolment.cohort)
        enrolment = _lock_enrolment(enrolment)
        if enrolment.user_id != user.pk:
            raise EnrolmentError(_("That enrolment is not yours."), "not_yours")
        if enrolment.status not in OPEN_STATUSES:
            raise EnrolmentError(_("This enrolment can no longer be withdrawn."), "not_open")
        if cohort.has_started():
            raise EnrolmentError(_("The cohort has started: contact the course team to leave it."), "started")
        _end(enrolment, EnrolmentStatus.WITHDRAWN)
        _offer_next(cohort)
        refundable = _refundable_payment(enrolment)
        log(instance=enrolment, action="courses.enrolment_withdraw", user=user)
    enrolment_email_send(kind="withdrawn", enrolment=enrolment)
    if refundable is not None:
        _refund_or_log(refundable)
    return enrolment


def _end(enrolment: Enrolment, status: str, now=None):
    enrolment.status = status
    enrolment.ended_at = now or timezone.now()
    enrolment.hold_expires_at = enrolment.offer_expires_at = None
    enrolment.save(update_fields=["status", "ended_at", "hold_expires_at", "offer_expires_at"])
    enrolment.payments.filter(status=PaymentStatus.PENDING).update(status=PaymentStatus.CANCELLED)


def _refundable_payment(enrolment: Enrolment) -> Payment | None:
    window = datetime.timedelta(days=enrolment.cohort.course.refund_window_days)
    return (
        enrolment.payments.filter(
            method=PaymentMethod.CARD, status=PaymentStatus.PAID, paid_at__gte=timezone.now() - window
        )
        .exclude(provider_payment_id="")
        .first()
    )


@transaction.atomic
def enrolment_cancel(*, enrolment: Enrolment, by_user=None) -> Enrolment:
    """An administrator cancels an open enrolment; its seat goes to the next person waiting."""
    cohort = _lock_cohort(enrolment.cohort)
    enrolment = _lock_enrolment(enrolment)
    if enrolment.status not in OPEN_STATUSES:
        raise EnrolmentError(_("Only an open enrolment can be cancelled."), "not_open")
    _end(enrolment, EnrolmentStatus.CANCELLED)
    _offer_next(cohort)
    return enrolment


def offer_accept(*, enrolment: Enrolment, user, payment_method: str | None = None, invoice: dict | None = None):
    with transaction.atomic():
        _lock_cohort(enrolment.cohort)
        enrolment = _lock_enrolment(enrolment)
        now = timezone.now()
        if enrolment.user_id != user.pk:
            raise EnrolmentError(_("That enrolment is not yours."), "not_yours")
        if enrolment.status != EnrolmentStatus.OFFERED:
            raise EnrolmentError(_("There is no open offer on this enrolment."), "no_offer")
        if enrolment.offer_expires_at and enrolment.offer_expires_at <= now:
            raise EnrolmentError(
                _("Sorry, this offer has expired and the place has passed to the next person."), "expired"
            )
        payment = None
        if enrolment.fee_pence == 0:
            enrolment.status, enrolment.confirmed_at, enrolment.offer_expires_at = EnrolmentStatus.CONFIRMED, now, None
            enrolment.save()
        else:
            _check_payment_choice(course=enrolment.cohort.course, payment_method=payment_method, invoice=invoice)
            payment = _start_payment(enrolment=enrolment, payment_method=payment_method, invoice=invoice, now=now)
    _notify_new_state(enrolment, payment)
    return enrolment


def offer_decline(*, enrolment: Enrolment, user) -> Enrolment:
    with transaction.atomic():
        cohort = _lock_cohort(enrolment.cohort)
        enrolment = _lock_enrolment(enrolment)
        if enrolment.user_id != user.pk:
            raise EnrolmentError(_("That enrolment is not yours."), "not_yours")
        if enrolment.status != EnrolmentStatus.OFFERED:
            raise EnrolmentError(_("There is no open offer on this enrolment."), "no_offer")
        _end(enrolment, EnrolmentStatus.WITHDRAWN)
        _offer_next(cohort)
    enrolment_email_send(kind="withdrawn", enrolment=enrolment)
    return enrolment


def _hold_release(enrolment: Enrolment, now):
    """End a lapsed payment hold: the place is cancelled and its card payment expires (a late payment may still confirm)."""
    _end(enrolment, EnrolmentStatus.CANCELLED, now)
    enrolment.payments.filter(status=PaymentStatus.CANCELLED, method=PaymentMethod.CARD).update(
        status=PaymentStatus.EXPIRED
    )


def enrolments_expire(*, now=None) -> dict:
    """Release seats whose payment hold or offer has expired, and pass them on. Run by the worker or cron."""
    now = now or timezone.now()
    counts = {"holds": 0, "offers": 0}
    expired = Enrolment.objects.filter(
        status=EnrolmentStatus.AWAITING_PAYMENT, hold_expires_at__lte=now
    ) | Enrolment.objects.filter(status=EnrolmentStatus.OFFERED, offer_expires_at__lte=now)
    for cohort_id in sorted(set(expired.values_list("cohort_id", flat=True))):
        with transaction.atomic():
            cohort = Cohort.objects.select_for_update().get(pk=cohort_id)
            for enrolment in cohort.enrolments.select_for_update().filter(
                status=EnrolmentStatus.AWAITING_PAYMENT, hold_expires_at__lte=now
            ):
                _hold_release(enrolment, now)
                counts["holds"] += 1
            for enrolment in cohort.enrolments.select_for_update().filter(
                status=EnrolmentStatus.OFFERED, offer_expires_at__lte=now
            ):
                _end(enrolment, EnrolmentStatus.CANCELLED, now)
                counts["offers"] += 1
            _offer_next(cohort, now)
    return counts


def enrolment_transfer(*, enrolment: Enrolment, to_cohort: Cohort, by_user, as_admin: bool = False) -> Enrolment:
    """Move a place to another cohort of the same course, keeping its band and payments."""
    with transaction.atomic():
        cohorts = {
            c.pk: c
            for c in Cohort.objects.select_for_update().filter(pk__in=sorted({enrolment.cohort_id, to_cohort.pk}))
        }
        source, target = cohorts[enrolment.cohort_id], cohorts[to_cohort.pk]
        enrolment = _lock_enrolment(enrolment)
        if not as_admin:
            if enrolment.user_id != by_user.pk:
                raise EnrolmentError(_("That enrolment is not yours."), "not_yours")
            if source.has_started() or target.has_started():
                raise EnrolmentError(_("Transfers close when either cohort starts."), "started")
        if target.pk == source.pk:
            raise EnrolmentError(_("Choose a different cohort."), "same")
        if target.course_id != source.course_id:
            raise EnrolmentError(_("You can only transfer to another cohort of the same course."), "other_course")
        if enrolment.status not in [EnrolmentStatus.CONFIRMED, EnrolmentStatus.AWAITING_PAYMENT]:
            raise EnrolmentError(_("Only a confirmed or held place can be transferred."), "not_transferable")
        if Enrolment.objects.filter(
            user=enrolment.user, cohort=target, status__in=[*SEAT_STATUSES, EnrolmentStatus.WAITLISTED]
        ).exists():
            raise EnrolmentError(_("You already have a place or a waiting-list entry on that cohort."), "duplicate")
        if not _has_free_seat(target):
            raise EnrolmentError(_("Sorry, that cohort has no places left."), "full")
        moved = Enrolment.objects.create(
            user=enrolment.user,
            cohort=target,
            status=enrolment.status,
            fee_band=enrolment.fee_band,
            fee_pence=enrolment.fee_pence,
            fee_band_reason=enrolment.fee_band_reason,
            band_override_reason=enrolment.band_override_reason,
            band_overridden_by=enrolment.band_overridden_by,
            band_overridden_at=enrolment.band_overridden_at,
            declared_nhs_england_employer=enrolment.declared_nhs_england_employer,
            employer=enrolment.employer,
            payment_method=enrolment.payment_method,
            hold_expires_at=enrolment.hold_expires_at,
            confirmed_at=enrolment.confirmed_at,
            transferred_from=enrolment,
        )
        enrolment.payments.update(enrolment=moved)
        _end(enrolment, EnrolmentStatus.CANCELLED)
        _offer_next(source)
    if moved.status == EnrolmentStatus.CONFIRMED:
        enrolment_email_send(kind="confirmed", enrolment=moved)
    return moved


def _next_receipt_number(payment: Payment) -> str:
    return f"RCP-{timezone.localdate():%Y}-{payment.pk:06d}"


def _payment_paid(payment: Payment, *, now=None, by_user=None, provider_payment_id: str = "") -> bool:
    """Mark a payment paid and confirm its enrolment. Returns False (and changes nothing) if already done.

    A card payment that can no longer buy its place (the learner withdrew, the place was cancelled, made free or already
    paid for, or the hold lapsed and the seat has gone) is refunded once the transaction commits.
    """
    now = now or timezone.now()
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status in [PaymentStatus.PAID, PaymentStatus.REFUNDED]:
        return False
    was = payment.status
    enrolment = _lock_enrolment(payment.enrolment)
    payment.status, payment.paid_at = PaymentStatus.PAID, now
    payment.receipt_number = _next_receipt_number(payment)
    payment.marked_paid_by = by_user
    if provider_payment_id:
        payment.provider_payment_id = provider_payment_id
    payment.save()
    confirm = enrolment.status == EnrolmentStatus.AWAITING_PAYMENT and was == PaymentStatus.PENDING
    if enrolment.status == EnrolmentStatus.CANCELLED and was == PaymentStatus.EXPIRED:
        # A card paid after its hold expired still confirms when a seat is free.
        cohort = _lock_cohort(enrolment.cohort)
        confirm = (
            _has_free_seat(cohort)
            and not Enrolment.objects.filter(
                user=enrolment.user, cohort=cohort, status__in=[*SEAT_STATUSES, EnrolmentStatus.WAITLISTED]
            ).exists()
        )
    if not confirm and payment.method == PaymentMethod.CARD:
        transaction.on_commit(lambda: _refund_or_log(payment))
        return True
    if confirm:
        enrolment.status, enrolment.confirmed_at, enrolment.hold_expires_at = EnrolmentStatus.CONFIRMED, now, None
        enrolment.ended_at = None
        enrolment.save()
        transaction.on_commit(lambda: enrolment_email_send(kind="confirmed", enrolment=enrolment))
    transaction.on_commit(lambda: enrolment_email_send(kind="payment_received", enrolment=enrolment, payment=payment))
    return True


@transaction.atomic
def payment_checkout_completed(*, payment: Payment, provider_payment_id: str) -> bool:
    """Stripe reports the Checkout Session paid: confirm the place, or refund if it can no longer be had."""
    # The cohort first, in the same order as the other services, as a late payment may take a freed seat.
    _lock_cohort(Enrolment.objects.select_related("cohort").get(payments=payment).cohort)
    paid = _payment_paid(payment, provider_payment_id=provider_payment_id)
    if not paid:
        payment.refresh_from_db()
        if provider_payment_id and provider_payment_id != payment.provider_payment_id:
            logger.error(
                "Payment %s was paid twice (%s and %s): refund the second in Stripe.",
                payment.pk,
                payment.provider_payment_id,
                provider_payment_id,
            )
    return paid


@transaction.atomic
def payment_checkout_expired(*, payment: Payment, now=None) -> bool:
    """Stripe reports the Checkout Session expired unpaid: release the held seat now and offer it to the next person."""
    now = now or timezone.now()
    cohort = _lock_cohort(Enrolment.objects.select_related("cohort").get(payments=payment).cohort)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.method != PaymentMethod.CARD or payment.status != PaymentStatus.PENDING:
        return False
    enrolment = _lock_enrolment(payment.enrolment)
    if enrolment.status == EnrolmentStatus.AWAITING_PAYMENT:
        _hold_release(enrolment, now)
        _offer_next(cohort, now)
    else:
        Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.EXPIRED)
    return True


@transaction.atomic
def payment_refund_record(*, payment: Payment, refunded_pence: int, provider_refund_id: str = "", now=None) -> bool:
    """Record a refund the provider reports (one made in the Stripe dashboard, say) once, and tell the learner."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status == PaymentStatus.REFUNDED or refunded_pence <= payment.refunded_pence:
        return False
    payment.refunded_pence = min(refunded_pence, payment.amount_pence)
    payment.refunded_at = now or timezone.now()
    if payment.refunded_pence >= payment.amount_pence:
        payment.status = PaymentStatus.REFUNDED
    if provider_refund_id and not payment.provider_refund_id:
        payment.provider_refund_id = provider_refund_id
    # A refund that timed out on our side but was made at Stripe (or made in its dashboard) needs no retry now.
    payment.refund_error, payment.refund_failed_at = "", None
    payment.save(
        update_fields=[
            "status",
            "refunded_pence",
            "refunded_at",
            "provider_refund_id",
            "refund_error",
            "refund_failed_at",
        ]
    )
    transaction.on_commit(lambda: enrolment_email_send(kind="refunded", enrolment=payment.enrolment, payment=payment))
    return True


@transaction.atomic
def invoice_mark_paid(*, payment: Payment, by_user) -> Payment:
    # The cohort first, then the payment, in the order the other services lock (a withdrawal locks the cohort and the
    # enrolment, then cancels the payment), so that the two at once cannot deadlock; the checks read the locked row.
    _lock_cohort(Enrolment.objects.select_related("cohort").get(payments=payment).cohort)
    current = Payment.objects.select_for_update().get(pk=payment.pk)
    if current.method != PaymentMethod.INVOICE:
        raise EnrolmentError(_("Only invoices are marked paid by hand."), "not_invoice")
    if current.status not in [PaymentStatus.PENDING, PaymentStatus.PAID]:
        raise EnrolmentError(_("This invoice was cancelled."), "cancelled")
    _payment_paid(current, by_user=by_user)
    payment.refresh_from_db()
    return payment


@transaction.atomic
def fee_band_override(*, enrolment: Enrolment, band: str, reason: str, by_user) -> Enrolment:
    if not reason.strip():
        raise EnrolmentError(_("Give a reason for the override."), "reason")
    if band not in FeeBand.values:
        raise EnrolmentError(_("Choose a fee band."), "band")
    _lock_cohort(enrolment.cohort)  # the cohort first, as every service locks, so that this cannot deadlock
    enrolment = _lock_enrolment(enrolment)
    enrolment.fee_band = band
    enrolment.fee_pence = 0 if band == FeeBand.FREE else enrolment.cohort.course.external_fee_pence
    enrolment.band_override_reason = reason.strip()
    enrolment.band_overridden_by = by_user
    enrolment.band_overridden_at = timezone.now()
    if band == FeeBand.FREE and enrolment.status == EnrolmentStatus.AWAITING_PAYMENT:
        enrolment.payments.filter(status=PaymentStatus.PENDING).update(status=PaymentStatus.CANCELLED)
        enrolment.status, enrolment.confirmed_at, enrolment.hold_expires_at = (
            EnrolmentStatus.CONFIRMED,
            timezone.now(),
            None,
        )
        transaction.on_commit(lambda: enrolment_email_send(kind="confirmed", enrolment=enrolment))
    enrolment.save()
    return enrolment


def payment_checkout_start(*, enrolment: Enrolment, user, success_url: str, cancel_url: str) -> str:
    """Create (or reuse) the Stripe Checkout Session for a held card place and return its URL."""
    with transaction.atomic():
        enrolment = _lock_enrolment(enrolment)
        if enrolment.user_id != user.pk:
            raise EnrolmentError(_("That enrolment is not yours."), "not_yours")
        if enrolment.status != EnrolmentStatus.AWAITING_PAYMENT or enrolment.payment_method != PaymentMethod.CARD:
            raise EnrolmentError(_("There is nothing to pay by card on this enrolment."), "nothing_to_pay")
        if enrolment.hold_expires_at and enrolment.hold_expires_at <= timezone.now():
            raise EnrolmentError(_("Your seat hold has expired. Enrol again if places are left."), "expired")
        payment = enrolment.payments.filter(method=PaymentMethod.CARD, status=PaymentStatus.PENDING).first()
        if payment is None:
            payment = Payment.objects.create(
                enrolment=enrolment,
                method=PaymentMethod.CARD,
                amount_pence=enrolment.fee_pence,
                vat_pence=enrolment.cohort.course.vat_included_pence(enrolment.fee_pence),
            )
        if payment.checkout_url:
            return payment.checkout_url
    # The provider call happens outside the transaction: a timeout leaves the payment pending and retryable.
    try:
        session = get_payment_adapter().create_checkout(
            payment=payment, success_url=success_url, cancel_url=cancel_url, expires_at=enrolment.hold_expires_at
        )
    except PaymentProviderError as error:
        logger.warning("Could not start a Checkout Session for payment %s: %s", payment.pk, error)
        raise EnrolmentError(
            _("We could not reach the card payment service. Your place is still held: please try again."), "provider"
        ) from error
    Payment.objects.filter(pk=payment.pk).update(provider_session_id=session.id, checkout_url=session.url)
    return session.url


def _refund_or_log(payment: Payment):
    """Refund after the place is already given up: a provider failure is recorded for staff, not shown as an error."""
    try:
        payment_refund(payment=payment)
    except PaymentProviderError:
        logger.exception("Refund of payment %s failed; it stays paid until staff retry the refund.", payment.pk)
    except Exception as error:  # It runs after the commit of what it follows: it must never undo a page.
        logger.exception("Refund of payment %s failed unexpectedly; it stays paid for staff to retry.", payment.pk)
        Payment.objects.filter(pk=payment.pk).update(
            refund_error=str(error) or type(error).__name__, refund_failed_at=timezone.now()
        )


def payment_refund(*, payment: Payment) -> Payment:
    """Refund a paid card payment through the provider and record it.

    If the provider cannot be reached the payment stays paid, with the error and its time recorded so that the refund
    shows as failed in the admin and can be retried; PaymentProviderError is raised. The provider's idempotency key is
    the payment's, so a retry after a timeout in which the refund was in fact made does not refund twice.
    """
    payment.refresh_from_db()
    if payment.status == PaymentStatus.REFUNDED or not payment.provider_payment_id:
        return payment
    try:
        refund = get_payment_adapter().refund(payment=payment)
    except PaymentProviderError as error:
        Payment.objects.filter(pk=payment.pk).update(
            refund_error=str(error) or type(error).__name__, refund_failed_at=timezone.now()
        )
        payment.refresh_from_db()
        raise
    # Conditional, so that when the charge.refunded webhook recorded the refund first, the learner is told only once.
    recorded = Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PAID).update(
        status=PaymentStatus.REFUNDED,
        refunded_pence=payment.amount_pence,
        refunded_at=timezone.now(),
        provider_refund_id=refund.id,
        refund_error="",
        refund_failed_at=None,
    )
    payment.refresh_from_db()
    if recorded:
        # Wagtail attributes it to whoever made the request: the learner withdrawing, or the administrator retrying.
        log(instance=payment, action="courses.refund", data={"pence": payment.refunded_pence, "refund": refund.id})
        enrolment_email_send(kind="refunded", enrolment=payment.enrolment, payment=payment)
    return payment


def payment_refund_retry(*, payment: Payment, by_user) -> Payment:
    """An administrator retries a refund that failed; a refusal or a provider failure raises EnrolmentError."""
    payment.refresh_from_db()
    if payment.method != PaymentMethod.CARD or payment.status != PaymentStatus.PAID or not payment.refund_failed_at:
        raise EnrolmentError(_("Only a card refund that failed can be retried."), "no_failed_refund")
    try:
        return payment_refund(payment=payment)
    except PaymentProviderError as error:
        raise EnrolmentError(
            _("The card payment service could not be reached, so nothing was refunded. Try again later."), "provider"
        ) from error


@transaction.atomic
def email_delivery_retry(*, delivery: EmailDelivery, by_user) -> EmailDelivery:
    """An administrator sends a failed email again now: one more attempt, recorded as any other."""
    delivery = EmailDelivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status != EmailStatus.FAILED:
        raise EnrolmentError(_("Only an email that failed can be retried."), "not_failed")
    email_retry_now(delivery)
    delivery.refresh_from_db()
    return delivery


@transaction.atomic
def interest_register(*, user, course: CoursePage) -> CourseInterest:
    interest, _created = CourseInterest.objects.get_or_create(user=user, course=course, notified_at=None)
    return interest


def interests_notify_opened(*, now=None) -> int:
    """Email learners who asked to hear when a cohort of their course opens; each hears once."""
    now = now or timezone.now()
    sent = 0
    for interest in CourseInterest.objects.filter(notified_at__isnull=True).select_related("course", "user"):
        cohort = (
            interest.course.cohorts.filter(enrolment_opens_at__lte=now, enrolment_closes_at__gt=now)
            .order_by("starts_on")
            .first()
        )
        if cohort is None:
            continue
        with transaction.atomic():
            updated = CourseInterest.objects.filter(pk=interest.pk, notified_at__isnull=True).update(notified_at=now)
        if updated:
            enrolment_email_send(kind="cohort_opened", user=interest.user, cohort=cohort)
            sent += 1
    return sent


# --- Course leads ------------------------------------------------------------------------------------------------------


@transaction.atomic
def attendance_record(*, session, marks: dict[int, str], by_user) -> int:
    """Take (or correct) the register of a session held: `marks` maps enrolment pks on the roster to a mark."""
    from .models import Attendance, AttendanceMark
    from .selectors import ROSTER_STATUSES

    if session.date > timezone.localdate():
        raise EnrolmentError(_("The register can be taken once the session has been held."), "not_held")
    roster = set(
        session.cohort.enrolments.filter(status__in=ROSTER_STATUSES, pk__in=list(marks)).values_list("pk", flat=True)
    )
    unknown = set(marks) - roster
    if unknown:
        raise EnrolmentError(_("Some of those learners are not on this cohort's roster."), "not_on_roster")
    if any(mark not in AttendanceMark.values for mark in marks.values()):
        raise EnrolmentError(_("Mark each learner present, late or absent."), "bad_mark")
    with dashboard_cache.retired_once():
        for enrolment_id, mark in marks.items():
            Attendance.objects.update_or_create(
                enrolment_id=enrolment_id, session=session, defaults={"mark": mark, "recorded_by": by_user}
            )
    return len(marks)


def cohort_message_send(*, cohort: Cohort, audience: str, subject: str, body: str, by_user):
    """Email everyone confirmed (or waiting) on a cohort, one email each, and keep a record of who it went to."""
    from .emails import cohort_message_deliver
    from .models import CohortMessage, CohortMessageRecipient, MessageAudience
    from .selectors import ROSTER_STATUSES, WAITING_STATUSES

    statuses = ROSTER_STATUSES if audience == MessageAudience.CONFIRMED else WAITING_STATUSES
    subject, body = subject.strip(), body.strip()
    if not subject or not body:
        raise EnrolmentError(_("Give the message a subject and a body."), "empty")
    people = list(cohort.enrolments.filter(status__in=statuses).select_related("user").order_by("user__full_name"))
    if not people:
        raise EnrolmentError(_("There is nobody to send that message to."), "no_recipients")
    with transaction.atomic():
        message = CohortMessage.objects.create(
            cohort=cohort, audience=audience, subject=subject, body=body, sent_by=by_user
        )
        CohortMessageRecipient.objects.bulk_create(
            [CohortMessageRecipient(message=message, user=e.user, email=e.user.email) for e in people],
            ignore_conflicts=True,
        )
        transaction.on_commit(lambda: cohort_message_deliver.enqueue(message_id=message.pk))
    return message


def _rule_failures(cohort: Cohort, enrolments) -> dict[int, list[str]]:
    from .selectors import completion_checks

    checks = completion_checks(cohort=cohort, enrolments=enrolments)
    return {pk: [check.label for check in items if not check.met] for pk, items in checks.items()}


@transaction.atomic
def enrolments_sign_off(*, cohort: Cohort, enrolments, completed: bool, by_user, override_reason: str = "") -> list:
    """Mark learners completed or did not complete, all or none. Completing against the rule needs a reason."""
    from .selectors import ROSTER_STATUSES

    override_reason = override_reason.strip()
    locked = list(
        Enrolment.objects.select_for_update(of=("self",))
        .filter(cohort=cohort, pk__in=[e.pk for e in enrolments])
        .select_related("user")
        .order_by("pk")
    )
    if not locked or len(locked) != len({e.pk for e in enrolments}):
        raise EnrolmentError(_("Choose learners on this cohort's roster."), "not_on_roster")
    if any(e.status not in ROSTER_STATUSES for e in locked):
        raise EnrolmentError(_("Only learners with a confirmed place can be signed off."), "not_on_roster")
    if not cohort.has_started():
        raise EnrolmentError(_("Learners can be signed off once the cohort has started."), "not_started")
    failures = _rule_failures(cohort, locked) if completed else {}
    failing = [e for e in locked if failures.get(e.pk)]
    if failing and not override_reason:
        names = ", ".join(str(e.user) for e in failing)
        raise EnrolmentError(
            _(
                "Not met by: %(names)s. To sign off as completed someone who does not meet the completion rule, "
                "give a reason for the override."
            )
            % {"names": names},
            "rule_not_met",
        )
    now = timezone.now()
    with dashboard_cache.retired_once():
        for enrolment in locked:
            enrolment.status = EnrolmentStatus.COMPLETED if completed else EnrolmentStatus.DID_NOT_COMPLETE
            enrolment.completion_recorded_by, enrolment.completion_recorded_at = by_user, now
            # The reason stays only where the rule was overridden; a learner who meets it needs none.
            enrolment.completion_override_reason = override_reason if enrolment in failing else ""
            enrolment.save(
                update_fields=[
                    "status",
                    "completion_recorded_by",
                    "completion_recorded_at",
                    "completion_override_reason",
                ]
            )
    return locked


@transaction.atomic
def waitlist_promote(*, enrolment: Enrolment, by_user) -> tuple[Enrolment, bool]:
    """A lead offers a waiting learner a place now, ahead of the queue, adding a place if the cohort is full.

    Returns the enrolment and whether the capacity went up. The learner accepts the offer (and pays, if their band
    has a fee) as any other offer.
    """
    cohort = _lock_cohort(enrolment.cohort)
    enrolment = _lock_enrolment(enrolment)
    if enrolment.status != EnrolmentStatus.WAITLISTED:
        raise EnrolmentError(_("Only a learner on the waiting list can be offered a place."), "not_waiting")
    if cohort.has_started():
        raise EnrolmentError(_("The cohort has started, so no more places can be offered."), "started")
    grew = not _has_free_seat(cohort)
    if grew:
        cohort.capacity += 1
        cohort.save(update_fields=["capacity"])
    enrolment.status = EnrolmentStatus.OFFERED
    enrolment.offer_expires_at = timezone.now() + offer_duration()
    enrolment.save(update_fields=["status", "offer_expires_at"])
    enrolment_email_send(kind="offered", enrolment=enrolment)
    return enrolment, grew


@transaction.atomic
def waitlist_remove(*, enrolment: Enrolment, by_user) -> Enrolment:
    cohort = _lock_cohort(enrolment.cohort)
    enrolment = _lock_enrolment(enrolment)
    if enrolment.status not in [EnrolmentStatus.WAITLISTED, EnrolmentStatus.OFFERED]:
        raise EnrolmentError(_("That learner is not on the waiting list."), "not_waiting")
    _end(enrolment, EnrolmentStatus.CANCELLED)
    _offer_next(cohort)
    return enrolment


@dataclass
class BulkRow:
    line: int
    name: str
    email: str
    outcome: str = ""
    invited: bool = False
    enrolment: Enrolment | None = None


class BulkOutcome:
    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    ALREADY = "already_enrolled"
    INVALID = "invalid_email"


def _bulk_enrol_row(*, cohort: Cohort, row: BulkRow, employer: str, by_user):
    from django.contrib.auth import get_user_model

    from allauth.account.models import EmailAddress

    User = get_user_model()
    email = row.email.strip().lower()
    with transaction.atomic():
        cohort = _lock_cohort(cohort)
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            address = EmailAddress.objects.filter(email__iexact=email).select_related("user").first()
            user = address.user if address else None
        if user is None:
            user = User.objects.create_user(email=email, password=None, full_name=row.name or email.split("@")[0])
            EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
            row.invited = True
        if Enrolment.objects.filter(user=user, cohort=cohort, status__in=ACTIVE_STATUSES).exists():
            row.outcome = BulkOutcome.ALREADY
            return
        now = timezone.now()
        enrolment = Enrolment(
            user=user,
            cohort=cohort,
            fee_band=FeeBand.FREE,
            fee_pence=0,
            fee_band_reason=_("Enrolled by %(who)s with a group from %(employer)s.")
            % {"who": by_user, "employer": employer},
            declared_nhs_england_employer=True,
            employer=employer,
        )
        if _has_free_seat(cohort):
            enrolment.status, enrolment.confirmed_at = EnrolmentStatus.CONFIRMED, now
            row.outcome = BulkOutcome.ENROLLED
        else:
            enrolment.status, enrolment.waitlisted_at = EnrolmentStatus.WAITLISTED, now
            row.outcome = BulkOutcome.WAITLISTED
        enrolment.save()
        row.enrolment = enrolment
        if row.invited:
            # One email for someone new: their place (or waiting-list entry) and how to set a password.
            enrolment_email_send(kind="invited", enrolment=enrolment)
        else:
            _notify_new_state(enrolment)


def cohort_bulk_enrol(*, cohort: Cohort, rows: list[BulkRow], employer: str, by_user) -> list[BulkRow]:
    """Enrol a group (for a trust sending several people) in the free band, one row at a time.

    Each row is all-or-nothing on its own: an account for a new address (with an invitation to set a password), the
    enrolment and its email happen together or not at all. Every row gets an outcome.
    """
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    if cohort.ends_on < timezone.localdate():
        raise EnrolmentError(_("This cohort has finished, so nobody can be enrolled on it."), "finished")
    seen = set()
    for row in rows:
        email = row.email.strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            row.outcome = BulkOutcome.INVALID
            continue
        if email in seen:
            row.outcome = BulkOutcome.ALREADY
            continue
        seen.add(email)
        _bulk_enrol_row(cohort=cohort, row=row, employer=employer, by_user=by_user)
    return rows
