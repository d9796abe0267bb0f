"""The enrolment state machine in DESIGN.md: every allowed transition, and every refusal changing nothing."""

import datetime
import random

from django.core import mail
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

import pytest

from accounts.factories import UserFactory
from courses import selectors, services
from courses.exceptions import EnrolmentError
from courses.factories import CohortFactory, CourseIndexPageFactory, CoursePageFactory, EnrolmentFactory
from courses.models import (
    ACTIVE_STATUSES,
    SEAT_STATUSES,
    Enrolment,
    EnrolmentStatus,
    FeeBand,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from courses.payments import CheckoutSession, Refund, StripePaymentAdapter
from tests.conftest import verified

pytestmark = pytest.mark.django_db

FEE = 45000
HOLD = datetime.timedelta(minutes=30)
OFFER = datetime.timedelta(hours=48)
INVOICE = {
    "organisation": "Cwm Taf Morgannwg University Health Board",
    "billing_contact": "Rhian Evans",
    "billing_email": "accounts@example.org",
    "purchase_order": "PO-88213",
}


class FakeCardAdapter(StripePaymentAdapter):
    """Stripe with its outbound calls stubbed: the card option is on, checkouts and refunds succeed."""

    refunded: list[int] = []

    def card_available(self) -> bool:
        return True

    def create_checkout(self, *, payment, success_url, cancel_url, expires_at=None):
        return CheckoutSession(id=f"cs_test_{payment.pk}", url=f"https://checkout.stripe.test/c/{payment.pk}")

    def refund(self, *, payment):
        self.refunded.append(payment.pk)
        return Refund(id=f"re_test_{payment.pk}")


# --- Helpers, also used by the other enrolment test modules ---------------------------------------------------------


def make_course(home_page, **kwargs):
    index = CourseIndexPageFactory(parent=home_page)
    return CoursePageFactory(parent=index, external_fee_pence=FEE, **kwargs)


_counter = iter(range(1, 1_000_000))


def nhs_learner(domain="nhs.net"):
    """A learner with a verified address on an NHS England domain (free band when they declare an NHS employer)."""
    n = next(_counter)
    return verified(UserFactory(email=f"nhs.learner{n}@{domain}", full_name=f"NHS Learner {n}"))


def external_learner():
    n = next(_counter)
    return verified(UserFactory(email=f"external{n}@example.com", full_name=f"External Learner {n}"))


def request_free(cohort, user):
    return services.enrolment_request(cohort=cohort, user=user, declared_nhs_england_employer=True)


def request_invoice(cohort, user):
    return services.enrolment_request(
        cohort=cohort, user=user, declared_nhs_england_employer=False, payment_method="invoice", invoice=INVOICE
    )


def request_card(cohort, user):
    return services.enrolment_request(
        cohort=cohort, user=user, declared_nhs_england_employer=False, payment_method="card"
    )


def fresh(obj):
    obj.refresh_from_db()
    return obj


def db_state():
    """Every enrolment and payment row, to show that a refusal changed nothing."""
    return (
        list(Enrolment.objects.order_by("pk").values()),
        list(Payment.objects.order_by("pk").values()),
        len(mail.outbox),
    )


def refused(code, call, *args, **kwargs):
    """`call` raises EnrolmentError with `code` and leaves the database and the mail outbox as they were."""
    before = db_state()
    with pytest.raises(EnrolmentError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    assert caught.value.message
    assert db_state() == before
    return caught.value


def subjects_to(user):
    """The kinds of email (the subject before the course title) sent to `user`, in order."""
    return [message.subject.split(":", 1)[0] for message in mail.outbox if message.to == [user.email]]


def seats_held(cohort):
    return Enrolment.objects.filter(cohort=cohort, status__in=SEAT_STATUSES).count()


def assert_seats_invariant(cohort):
    cohort.refresh_from_db()
    held = seats_held(cohort)
    assert held <= cohort.capacity
    if held < cohort.capacity and not cohort.has_started():
        # A freed seat never sits idle while someone waits for it.
        assert not Enrolment.objects.filter(cohort=cohort, status=EnrolmentStatus.WAITLISTED).exists()


def queue(cohort):
    """The waiting list in order, as (enrolment pk, position)."""
    waiting = Enrolment.objects.filter(cohort=cohort, status=EnrolmentStatus.WAITLISTED)
    return sorted(((e.pk, selectors.waitlist_position(enrolment=e)) for e in waiting), key=lambda pair: pair[1] or 0)


def offered_to(cohort, user):
    """`user` holds an open offer on `cohort`: they waited behind a confirmed learner who then withdrew."""
    first = request_free(cohort, nhs_learner())
    waiting = request_free(cohort, user) if user.email.endswith("nhs.net") else request_invoice(cohort, user)
    assert waiting.status == EnrolmentStatus.WAITLISTED
    services.enrolment_withdraw(enrolment=first, user=first.user)
    return fresh(waiting)


@pytest.fixture
def course(home_page):
    return make_course(home_page)


@pytest.fixture
def cohort(course):
    return CohortFactory(course=course, capacity=1)


@pytest.fixture
def card_payments(settings):
    settings.COURSES_PAYMENT_ADAPTER = f"{__name__}.FakeCardAdapter"
    FakeCardAdapter.refunded = []
    return FakeCardAdapter


@pytest.fixture
def admin_user(db):
    return UserFactory(email="admin@example.org", full_name="Course Administrator", is_staff=True, is_superuser=True)


# --- Requesting a place ---------------------------------------------------------------------------------------------


def test_free_band_with_a_seat_is_confirmed_at_once(cohort):
    user = nhs_learner()
    before = timezone.now()
    enrolment = request_free(cohort, user)
    enrolment = fresh(enrolment)
    assert enrolment.status == EnrolmentStatus.CONFIRMED
    assert enrolment.fee_band == FeeBand.FREE and enrolment.fee_pence == 0
    assert enrolment.declared_nhs_england_employer is True
    assert enrolment.confirmed_at >= before
    assert enrolment.hold_expires_at is None and enrolment.waitlisted_at is None
    assert not enrolment.payments.exists()
    assert selectors.waitlist_position(enrolment=enrolment) is None
    assert subjects_to(user) == ["Your place is confirmed"]
    assert mail.outbox[-1].attachments and mail.outbox[-1].attachments[0][0] == f"{cohort.code}.ics"


def test_free_band_without_a_seat_joins_the_waiting_list_with_its_position(cohort):
    request_free(cohort, nhs_learner())
    second, third = nhs_learner(), nhs_learner()
    e2, e3 = request_free(cohort, second), request_free(cohort, third)
    for enrolment in (e2, e3):
        enrolment.refresh_from_db()
        assert enrolment.status == EnrolmentStatus.WAITLISTED
        assert enrolment.waitlisted_at is not None and enrolment.confirmed_at is None
    assert selectors.waitlist_position(enrolment=e2) == 1
    assert selectors.waitlist_position(enrolment=e3) == 2
    assert subjects_to(second) == ["You are on the waiting list"]
    assert seats_held(cohort) == 1


def test_fee_band_by_card_holds_the_seat_for_the_hold_time(cohort, card_payments):
    user = external_learner()
    before = timezone.now()
    enrolment = fresh(request_card(cohort, user))
    after = timezone.now()
    assert enrolment.status == EnrolmentStatus.AWAITING_PAYMENT
    assert enrolment.fee_band == FeeBand.EXTERNAL and enrolment.fee_pence == FEE
    assert enrolment.payment_method == PaymentMethod.CARD
    assert before + HOLD <= enrolment.hold_expires_at <= after + HOLD
    payment = enrolment.payments.get()
    assert (payment.method, payment.status, payment.amount_pence, payment.currency) == ("card", "pending", FEE, "GBP")
    assert seats_held(cohort) == 1
    assert subjects_to(user) == []  # nothing to say until the payment lands


def test_card_hold_follows_the_setting(cohort, card_payments, settings):
    settings.COURSES_PAYMENT_HOLD_MINUTES = 45
    before = timezone.now()
    enrolment = fresh(request_card(cohort, external_learner()))
    assert before + datetime.timedelta(minutes=45) <= enrolment.hold_expires_at
    assert enrolment.hold_expires_at <= timezone.now() + datetime.timedelta(minutes=45)


def test_card_refused_without_stripe_keys(cohort, settings):
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""
    refused("no_card", request_card, cohort, external_learner())
    assert not Enrolment.objects.exists()


def test_fee_band_must_choose_how_to_pay(cohort):
    user = external_learner()
    refused(
        "payment_method",
        services.enrolment_request,
        cohort=cohort,
        user=user,
        declared_nhs_england_employer=False,
    )
    incomplete = {**INVOICE, "purchase_order": "  "}
    refused(
        "invoice",
        services.enrolment_request,
        cohort=cohort,
        user=user,
        declared_nhs_england_employer=False,
        payment_method="invoice",
        invoice=incomplete,
    )


def test_fee_band_by_invoice_awaits_payment_without_expiry(cohort):
    user = external_learner()
    enrolment = fresh(request_invoice(cohort, user))
    assert enrolment.status == EnrolmentStatus.AWAITING_PAYMENT
    assert enrolment.hold_expires_at is None and enrolment.confirmed_at is None
    assert enrolment.payment_method == PaymentMethod.INVOICE
    payment = enrolment.payments.get()
    assert payment.method == PaymentMethod.INVOICE and payment.status == PaymentStatus.PENDING
    assert payment.amount_pence == FEE
    assert (payment.organisation, payment.billing_contact, payment.billing_email, payment.purchase_order) == tuple(
        INVOICE.values()
    )
    assert seats_held(cohort) == 1
    assert subjects_to(user) == ["We have your invoice request"]
    # An invoice hold never lapses.
    assert services.enrolments_expire(now=timezone.now() + datetime.timedelta(days=365)) == {"holds": 0, "offers": 0}
    assert fresh(enrolment).status == EnrolmentStatus.AWAITING_PAYMENT


def test_invoice_confirms_at_once_when_the_course_says_so(course):
    course.invoices_confirm_on_request = True
    course.save()
    cohort = CohortFactory(course=course, capacity=1)
    user = external_learner()
    enrolment = fresh(request_invoice(cohort, user))
    assert enrolment.status == EnrolmentStatus.CONFIRMED and enrolment.confirmed_at is not None
    assert enrolment.hold_expires_at is None
    assert enrolment.payments.get().status == PaymentStatus.PENDING  # still to be paid
    assert sorted(subjects_to(user)) == ["We have your invoice request", "Your place is confirmed"]


def test_invoice_mark_paid_confirms_with_a_receipt(cohort, admin_user, django_capture_on_commit_callbacks):
    user = external_learner()
    enrolment = request_invoice(cohort, user)
    payment = enrolment.payments.get()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        paid = services.invoice_mark_paid(payment=payment, by_user=admin_user)
    assert paid.status == PaymentStatus.PAID and paid.paid_at is not None
    assert paid.receipt_number == f"RCP-{timezone.localdate():%Y}-{payment.pk:06d}"
    assert paid.marked_paid_by == admin_user
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.CONFIRMED and enrolment.confirmed_at is not None
    assert sorted(subjects_to(user)) == ["Payment received", "Your place is confirmed"]
    # Marking it paid again changes nothing.
    before = db_state()
    with django_capture_on_commit_callbacks(execute=True):
        services.invoice_mark_paid(payment=payment, by_user=admin_user)
    assert db_state() == before


def test_a_card_payment_is_not_marked_paid_by_hand(cohort, card_payments, admin_user):
    payment = request_card(cohort, external_learner()).payments.get()
    refused("not_invoice", services.invoice_mark_paid, payment=payment, by_user=admin_user)


def test_a_cancelled_invoice_is_not_marked_paid(cohort, admin_user):
    enrolment = request_invoice(cohort, external_learner())
    services.enrolment_withdraw(enrolment=enrolment, user=enrolment.user)
    payment = enrolment.payments.get()
    assert payment.status == PaymentStatus.CANCELLED
    refused("cancelled", services.invoice_mark_paid, payment=payment, by_user=admin_user)


def test_fee_band_joins_the_waiting_list_when_full_without_taking_payment(cohort):
    request_free(cohort, nhs_learner())
    enrolment = fresh(request_invoice(cohort, external_learner()))
    assert enrolment.status == EnrolmentStatus.WAITLISTED
    assert enrolment.fee_band == FeeBand.EXTERNAL and enrolment.fee_pence == FEE
    assert not enrolment.payments.exists()


def test_fee_band_joins_a_full_waiting_list_without_saying_how_to_pay(cohort):
    request_free(cohort, nhs_learner())
    enrolment = services.enrolment_request(cohort=cohort, user=external_learner(), declared_nhs_england_employer=False)
    assert enrolment.status == EnrolmentStatus.WAITLISTED
    assert enrolment.payment_method == ""


def test_fee_band_with_a_free_seat_must_say_how_to_pay(cohort):
    user = external_learner()
    refused("payment_method", services.enrolment_request, cohort=cohort, user=user, declared_nhs_england_employer=False)
    assert not Enrolment.objects.filter(user=user).exists()


def test_closed_cohort_refused(course):
    now = timezone.now()
    closed = CohortFactory(course=course, enrolment_opens_at=now - datetime.timedelta(days=10), enrolment_closes_at=now)
    not_yet = CohortFactory(
        course=course,
        enrolment_opens_at=now + datetime.timedelta(days=1),
        enrolment_closes_at=now + datetime.timedelta(days=10),
    )
    user = nhs_learner()
    refused("closed", request_free, closed, user)
    refused("closed", request_free, not_yet, user)
    assert not Enrolment.objects.exists()


@pytest.mark.parametrize("existing", ["confirmed", "waitlisted", "awaiting_payment"])
def test_duplicate_active_enrolment_refused(cohort, existing):
    user = external_learner() if existing == "awaiting_payment" else nhs_learner()
    if existing == "waitlisted":
        request_free(cohort, nhs_learner())
    first = request_invoice(cohort, user) if existing == "awaiting_payment" else request_free(cohort, user)
    assert first.status == existing
    refused("duplicate", request_free, cohort, user)
    assert Enrolment.objects.filter(user=user, cohort=cohort).count() == 1


def test_enrol_again_after_withdrawing(cohort):
    user = nhs_learner()
    first = request_free(cohort, user)
    services.enrolment_withdraw(enrolment=first, user=user)
    second = request_free(cohort, user)
    assert second.pk != first.pk and second.status == EnrolmentStatus.CONFIRMED
    assert fresh(first).status == EnrolmentStatus.WITHDRAWN


# --- The database constraint itself ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["confirmed", "waitlisted", "offered", "awaiting_payment", "completed"])
def test_database_refuses_a_second_active_enrolment(cohort, status):
    user = nhs_learner()
    EnrolmentFactory(user=user, cohort=cohort, status=EnrolmentStatus.CONFIRMED)
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrolmentFactory(user=user, cohort=cohort, status=status)
    assert Enrolment.objects.filter(user=user, cohort=cohort).count() == 1


def test_database_allows_ended_enrolments_beside_an_active_one(cohort):
    user = nhs_learner()
    EnrolmentFactory(user=user, cohort=cohort, status=EnrolmentStatus.WITHDRAWN)
    EnrolmentFactory(user=user, cohort=cohort, status=EnrolmentStatus.CANCELLED)
    EnrolmentFactory(user=user, cohort=cohort, status=EnrolmentStatus.WITHDRAWN)
    EnrolmentFactory(user=user, cohort=cohort, status=EnrolmentStatus.CONFIRMED)
    assert Enrolment.objects.filter(user=user, cohort=cohort).count() == 4
    # Another learner, or another cohort, is no duplicate.
    EnrolmentFactory(user=nhs_learner(), cohort=cohort, status=EnrolmentStatus.CONFIRMED)
    EnrolmentFactory(user=user, cohort=CohortFactory(course=cohort.course), status=EnrolmentStatus.CONFIRMED)


# --- Withdrawing ----------------------------------------------------------------------------------------------------


def test_withdraw_confirmed_frees_the_seat_and_offers_it_to_the_first_waiting(cohort):
    leaver, first, second = nhs_learner(), nhs_learner(), nhs_learner()
    enrolment = request_free(cohort, leaver)
    waiting_1, waiting_2 = request_free(cohort, first), request_free(cohort, second)
    mail.outbox.clear()
    before = timezone.now()
    services.enrolment_withdraw(enrolment=enrolment, user=leaver)
    after = timezone.now()
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.WITHDRAWN and enrolment.ended_at is not None
    waiting_1.refresh_from_db()
    assert waiting_1.status == EnrolmentStatus.OFFERED
    assert before + OFFER <= waiting_1.offer_expires_at <= after + OFFER
    assert fresh(waiting_2).status == EnrolmentStatus.WAITLISTED
    assert selectors.waitlist_position(enrolment=waiting_2) == 1
    assert subjects_to(leaver) == ["You have withdrawn"]
    assert subjects_to(first) == ["A place is available for you"]
    assert subjects_to(second) == []
    assert_seats_invariant(cohort)


def test_withdraw_awaiting_payment_cancels_the_payment_and_offers_the_seat(cohort):
    payer, waiting_user = external_learner(), nhs_learner()
    enrolment = request_invoice(cohort, payer)
    waiting = request_free(cohort, waiting_user)
    services.enrolment_withdraw(enrolment=enrolment, user=payer)
    assert fresh(enrolment).status == EnrolmentStatus.WITHDRAWN
    assert enrolment.payments.get().status == PaymentStatus.CANCELLED
    assert fresh(waiting).status == EnrolmentStatus.OFFERED
    assert "A place is available for you" in subjects_to(waiting_user)


def test_withdraw_from_the_waiting_list_moves_the_others_up(cohort):
    request_free(cohort, nhs_learner())
    leaver = nhs_learner()
    leaving, behind = request_free(cohort, leaver), request_free(cohort, nhs_learner())
    mail.outbox.clear()
    services.enrolment_withdraw(enrolment=leaving, user=leaver)
    assert fresh(leaving).status == EnrolmentStatus.WITHDRAWN
    assert fresh(behind).status == EnrolmentStatus.WAITLISTED  # no seat was freed
    assert selectors.waitlist_position(enrolment=behind) == 1
    assert [m.subject.split(":")[0] for m in mail.outbox] == ["You have withdrawn"]


def test_withdraw_an_offer_passes_it_to_the_next(cohort):
    holder = nhs_learner()
    offer = offered_to(cohort, holder)
    next_user = nhs_learner()
    following = request_free(cohort, next_user)
    assert following.status == EnrolmentStatus.WAITLISTED
    services.enrolment_withdraw(enrolment=offer, user=holder)
    assert fresh(offer).status == EnrolmentStatus.WITHDRAWN and offer.offer_expires_at is None
    assert fresh(following).status == EnrolmentStatus.OFFERED
    assert subjects_to(next_user)[-1] == "A place is available for you"


def test_withdraw_after_the_cohort_started_refused(course):
    started = CohortFactory(
        course=course, starts_on=timezone.localdate(), ends_on=timezone.localdate() + datetime.timedelta(days=30)
    )
    enrolment = EnrolmentFactory(cohort=started)
    refused("started", services.enrolment_withdraw, enrolment=enrolment, user=enrolment.user)


def test_withdraw_someone_elses_enrolment_refused(cohort):
    enrolment = request_free(cohort, nhs_learner())
    refused("not_yours", services.enrolment_withdraw, enrolment=enrolment, user=nhs_learner())


@pytest.mark.parametrize("status", ["withdrawn", "cancelled", "completed", "did_not_complete"])
def test_withdraw_a_closed_enrolment_refused(cohort, status):
    enrolment = EnrolmentFactory(cohort=cohort, status=status)
    refused("not_open", services.enrolment_withdraw, enrolment=enrolment, user=enrolment.user)


def test_withdraw_a_card_payment_inside_the_refund_window_refunds_it(cohort, card_payments):
    user = external_learner()
    enrolment = request_card(cohort, user)
    Payment.objects.filter(enrolment=enrolment).update(
        status=PaymentStatus.PAID, paid_at=timezone.now(), provider_payment_id="pi_test_1", receipt_number="RCP-T-1"
    )
    Enrolment.objects.filter(pk=enrolment.pk).update(status=EnrolmentStatus.CONFIRMED, hold_expires_at=None)
    services.enrolment_withdraw(enrolment=enrolment, user=user)
    payment = enrolment.payments.get()
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refunded_pence == FEE and payment.refunded_at is not None
    assert payment.provider_refund_id == f"re_test_{payment.pk}"
    assert card_payments.refunded == [payment.pk]
    assert subjects_to(user)[-2:] == ["You have withdrawn", "Your refund"]


def test_withdraw_a_card_payment_outside_the_refund_window_keeps_it(cohort, card_payments):
    user = external_learner()
    enrolment = request_card(cohort, user)
    paid_at = timezone.now() - datetime.timedelta(days=cohort.course.refund_window_days + 1)
    Payment.objects.filter(enrolment=enrolment).update(
        status=PaymentStatus.PAID, paid_at=paid_at, provider_payment_id="pi_test_2", receipt_number="RCP-T-2"
    )
    Enrolment.objects.filter(pk=enrolment.pk).update(status=EnrolmentStatus.CONFIRMED, hold_expires_at=None)
    services.enrolment_withdraw(enrolment=enrolment, user=user)
    assert enrolment.payments.get().status == PaymentStatus.PAID
    assert card_payments.refunded == []


# --- Offers ---------------------------------------------------------------------------------------------------------


def test_accept_an_offer_on_the_free_band_confirms(cohort):
    user = nhs_learner()
    offer = offered_to(cohort, user)
    mail.outbox.clear()
    accepted = services.offer_accept(enrolment=offer, user=user)
    accepted.refresh_from_db()
    assert accepted.status == EnrolmentStatus.CONFIRMED
    assert accepted.confirmed_at is not None and accepted.offer_expires_at is None
    assert subjects_to(user) == ["Your place is confirmed"]
    assert_seats_invariant(cohort)


def test_accept_an_offer_on_the_fee_band_needs_a_payment_choice(cohort, card_payments):
    user = external_learner()
    offer = offered_to(cohort, user)
    assert offer.fee_band == FeeBand.EXTERNAL
    refused("payment_method", services.offer_accept, enrolment=offer, user=user)
    before = timezone.now()
    accepted = fresh(services.offer_accept(enrolment=offer, user=user, payment_method="card"))
    assert accepted.status == EnrolmentStatus.AWAITING_PAYMENT
    assert accepted.offer_expires_at is None
    assert before + HOLD <= accepted.hold_expires_at <= timezone.now() + HOLD
    assert accepted.payments.get().status == PaymentStatus.PENDING


def test_accept_an_offer_by_invoice(cohort):
    user = external_learner()
    offer = offered_to(cohort, user)
    accepted = fresh(services.offer_accept(enrolment=offer, user=user, payment_method="invoice", invoice=INVOICE))
    assert accepted.status == EnrolmentStatus.AWAITING_PAYMENT and accepted.hold_expires_at is None
    assert accepted.payments.get().purchase_order == INVOICE["purchase_order"]
    assert subjects_to(user)[-1] == "We have your invoice request"


def test_decline_an_offer_passes_it_to_the_next(cohort):
    user, next_user = nhs_learner(), nhs_learner()
    offer = offered_to(cohort, user)
    following = request_free(cohort, next_user)
    services.offer_decline(enrolment=offer, user=user)
    assert fresh(offer).status == EnrolmentStatus.WITHDRAWN
    assert fresh(following).status == EnrolmentStatus.OFFERED
    assert subjects_to(next_user)[-1] == "A place is available for you"
    assert_seats_invariant(cohort)


def test_accept_an_expired_offer_refused(cohort):
    user = nhs_learner()
    offer = offered_to(cohort, user)
    Enrolment.objects.filter(pk=offer.pk).update(offer_expires_at=timezone.now() - datetime.timedelta(seconds=1))
    refused("expired", services.offer_accept, enrolment=offer, user=user)
    assert fresh(offer).status == EnrolmentStatus.OFFERED


def test_offers_are_only_for_their_learner_and_only_when_open(cohort):
    user = nhs_learner()
    offer = offered_to(cohort, user)
    stranger = nhs_learner()
    refused("not_yours", services.offer_accept, enrolment=offer, user=stranger)
    refused("not_yours", services.offer_decline, enrolment=offer, user=stranger)
    waiting_user = nhs_learner()
    waiting = request_free(cohort, waiting_user)
    refused("no_offer", services.offer_accept, enrolment=waiting, user=waiting_user)
    refused("no_offer", services.offer_decline, enrolment=waiting, user=waiting_user)
    services.offer_accept(enrolment=offer, user=user)
    refused("no_offer", services.offer_accept, enrolment=offer, user=user)


# --- Transfers ------------------------------------------------------------------------------------------------------


def test_learner_transfers_keeping_band_and_payments(course, admin_user):
    source = CohortFactory(course=course, capacity=1)
    target = CohortFactory(course=course, capacity=2)
    user = external_learner()
    enrolment = request_invoice(source, user)
    payment = enrolment.payments.get()
    services.invoice_mark_paid(payment=payment, by_user=admin_user)
    waiting_user = nhs_learner()
    waiting = request_free(source, waiting_user)
    mail.outbox.clear()
    moved = services.enrolment_transfer(enrolment=enrolment, to_cohort=target, by_user=user)
    moved.refresh_from_db()
    assert moved.cohort == target and moved.user == user
    assert moved.status == EnrolmentStatus.CONFIRMED
    assert (moved.fee_band, moved.fee_pence, moved.fee_band_reason) == (
        FeeBand.EXTERNAL,
        FEE,
        fresh(enrolment).fee_band_reason,
    )
    assert moved.transferred_from == enrolment
    assert list(moved.payments.all()) == [payment]
    assert fresh(payment).status == PaymentStatus.PAID  # the payment is kept, not refunded or cancelled
    assert enrolment.status == EnrolmentStatus.CANCELLED and enrolment.ended_at is not None
    assert fresh(waiting).status == EnrolmentStatus.OFFERED  # the seat on the source goes on
    assert subjects_to(user) == ["Your place is confirmed"]
    assert "A place is available for you" in subjects_to(waiting_user)
    assert seats_held(target) == 1
    assert_seats_invariant(source)
    assert_seats_invariant(target)


def test_transfer_a_held_card_place_keeps_the_hold(course, card_payments):
    source, target = CohortFactory(course=course), CohortFactory(course=course)
    user = external_learner()
    enrolment = fresh(request_card(source, user))
    moved = fresh(services.enrolment_transfer(enrolment=enrolment, to_cohort=target, by_user=user))
    assert moved.status == EnrolmentStatus.AWAITING_PAYMENT
    assert moved.hold_expires_at == enrolment.hold_expires_at
    assert moved.payments.get().status == PaymentStatus.PENDING


def test_transfer_to_a_full_cohort_refused(course):
    source, target = CohortFactory(course=course), CohortFactory(course=course, capacity=1)
    request_free(target, nhs_learner())
    user = nhs_learner()
    enrolment = request_free(source, user)
    refused("full", services.enrolment_transfer, enrolment=enrolment, to_cohort=target, by_user=user)


def test_transfer_to_another_course_refused(course, home_page):
    other_course = CoursePageFactory(parent=course.get_parent(), external_fee_pence=FEE)
    source, target = CohortFactory(course=course), CohortFactory(course=other_course)
    user = nhs_learner()
    enrolment = request_free(source, user)
    refused("other_course", services.enrolment_transfer, enrolment=enrolment, to_cohort=target, by_user=user)
    refused("same", services.enrolment_transfer, enrolment=enrolment, to_cohort=source, by_user=user)


def test_transfer_after_either_cohort_starts_refused_for_the_learner(course):
    today = timezone.localdate()
    started = CohortFactory(course=course, starts_on=today, ends_on=today + datetime.timedelta(days=30))
    later = CohortFactory(course=course)
    enrolment = EnrolmentFactory(cohort=started)
    refused("started", services.enrolment_transfer, enrolment=enrolment, to_cohort=later, by_user=enrolment.user)
    user = nhs_learner()
    upcoming = request_free(later, user)
    refused("started", services.enrolment_transfer, enrolment=upcoming, to_cohort=started, by_user=user)


def test_transfer_refused_for_someone_else_or_a_waiting_place(course):
    source, target = CohortFactory(course=course, capacity=1), CohortFactory(course=course)
    user = nhs_learner()
    enrolment = request_free(source, user)
    refused("not_yours", services.enrolment_transfer, enrolment=enrolment, to_cohort=target, by_user=nhs_learner())
    waiting_user = nhs_learner()
    waiting = request_free(source, waiting_user)
    refused("not_transferable", services.enrolment_transfer, enrolment=waiting, to_cohort=target, by_user=waiting_user)
    request_free(target, user)
    refused("duplicate", services.enrolment_transfer, enrolment=enrolment, to_cohort=target, by_user=user)


def test_admin_transfers_after_the_start(course, admin_user):
    today = timezone.localdate()
    started = CohortFactory(course=course, starts_on=today, ends_on=today + datetime.timedelta(days=30))
    later = CohortFactory(course=course, capacity=1)
    enrolment = EnrolmentFactory(cohort=started)
    moved = services.enrolment_transfer(enrolment=enrolment, to_cohort=later, by_user=admin_user, as_admin=True)
    assert moved.cohort == later and moved.status == EnrolmentStatus.CONFIRMED
    assert fresh(enrolment).status == EnrolmentStatus.CANCELLED
    # Even an administrator cannot overbook.
    other = EnrolmentFactory(cohort=started)
    refused("full", services.enrolment_transfer, enrolment=other, to_cohort=later, by_user=admin_user, as_admin=True)


# --- Fee band override and cancellation -----------------------------------------------------------------------------


def test_fee_band_override_to_free_is_recorded_and_confirms_a_held_place(
    cohort, admin_user, django_capture_on_commit_callbacks
):
    user = external_learner()
    enrolment = request_invoice(cohort, user)
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        services.fee_band_override(
            enrolment=enrolment,
            band=FeeBand.FREE,
            reason="  Works for an English trust; uses a personal address.  ",
            by_user=admin_user,
        )
    enrolment.refresh_from_db()
    assert enrolment.fee_band == FeeBand.FREE and enrolment.fee_pence == 0
    assert enrolment.band_override_reason == "Works for an English trust; uses a personal address."
    assert enrolment.band_overridden_by == admin_user
    assert enrolment.band_overridden_at >= before
    assert enrolment.status == EnrolmentStatus.CONFIRMED and enrolment.hold_expires_at is None
    assert enrolment.payments.get().status == PaymentStatus.CANCELLED
    assert subjects_to(user)[-1] == "Your place is confirmed"


def test_fee_band_override_to_external_charges_the_course_fee(cohort, admin_user):
    enrolment = request_free(cohort, nhs_learner())
    services.fee_band_override(
        enrolment=enrolment, band=FeeBand.EXTERNAL, reason="Works for a Scottish health board.", by_user=admin_user
    )
    enrolment.refresh_from_db()
    assert enrolment.fee_band == FeeBand.EXTERNAL and enrolment.fee_pence == FEE
    assert enrolment.band_overridden_by == admin_user


@pytest.mark.parametrize(
    ("band", "reason", "code"), [("free", "", "reason"), ("free", "   ", "reason"), ("gold", "x", "band")]
)
def test_fee_band_override_needs_a_reason_and_a_band(cohort, admin_user, band, reason, code):
    enrolment = request_invoice(cohort, external_learner())
    refused(code, services.fee_band_override, enrolment=enrolment, band=band, reason=reason, by_user=admin_user)


def test_enrolment_cancel_frees_the_seat_for_the_next(cohort, admin_user):
    enrolment = request_free(cohort, nhs_learner())
    waiting = request_free(cohort, nhs_learner())
    services.enrolment_cancel(enrolment=enrolment, by_user=admin_user)
    assert fresh(enrolment).status == EnrolmentStatus.CANCELLED and enrolment.ended_at is not None
    assert fresh(waiting).status == EnrolmentStatus.OFFERED
    refused("not_open", services.enrolment_cancel, enrolment=enrolment, by_user=admin_user)


@pytest.mark.parametrize("status", ["completed", "did_not_complete", "withdrawn"])
def test_enrolment_cancel_refused_once_ended(cohort, admin_user, status):
    enrolment = EnrolmentFactory(cohort=cohort, status=status)
    refused("not_open", services.enrolment_cancel, enrolment=enrolment, by_user=admin_user)


# --- The waiting list and the seats invariant -----------------------------------------------------------------------


def test_waiting_list_positions_close_up_when_someone_in_the_middle_leaves(cohort):
    request_free(cohort, nhs_learner())
    waiting = [request_free(cohort, nhs_learner()) for _ in range(5)]
    assert [position for _, position in queue(cohort)] == [1, 2, 3, 4, 5]
    middle = waiting[2]
    services.enrolment_withdraw(enrolment=middle, user=middle.user)
    assert queue(cohort) == [(e.pk, n) for n, e in enumerate([*waiting[:2], *waiting[3:]], start=1)]
    # The front of the queue takes an offer and leaves the list: the rest move up again.
    first = Enrolment.objects.get(pk=waiting[0].pk)
    services.enrolment_cancel(enrolment=Enrolment.objects.get(cohort=cohort, status="confirmed"))
    assert fresh(first).status == EnrolmentStatus.OFFERED
    assert queue(cohort) == [(waiting[1].pk, 1), (waiting[3].pk, 2), (waiting[4].pk, 3)]


def test_seats_never_exceed_capacity_over_a_long_random_sequence(course, card_payments, admin_user):
    """Hundreds of requests, withdrawals, offers, expiries, cancellations and transfers; check after every step."""
    rng = random.Random(20270601)  # noqa: S311 - a fixed sequence, not security
    cohorts = [CohortFactory(course=course, capacity=3), CohortFactory(course=course, capacity=2)]
    learners = [nhs_learner() for _ in range(6)] + [external_learner() for _ in range(6)]
    clock = timezone.now()
    done = {}
    seen = set()

    def open_enrolment(status=None):
        qs = Enrolment.objects.filter(
            status__in=[status] if status else ["confirmed", "awaiting_payment", "waitlisted", "offered"]
        )
        items = list(qs.order_by("pk"))
        return rng.choice(items) if items else None

    def step():
        nonlocal clock
        action = rng.choice(
            ["request", "request", "request", "withdraw", "accept", "decline", "expire", "cancel", "transfer", "pay"]
        )
        cohort = rng.choice(cohorts)
        user = rng.choice(learners)
        if action == "request":
            if user.email.endswith("nhs.net"):
                request_free(cohort, user)
            elif rng.random() < 0.5:
                request_card(cohort, user)
            else:
                request_invoice(cohort, user)
        elif action == "withdraw" and (e := open_enrolment()):
            services.enrolment_withdraw(enrolment=e, user=e.user)
        elif action == "accept" and (e := open_enrolment("offered")):
            services.offer_accept(enrolment=e, user=e.user, payment_method="card")
        elif action == "decline" and (e := open_enrolment("offered")):
            services.offer_decline(enrolment=e, user=e.user)
        elif action == "expire":
            clock += datetime.timedelta(hours=rng.choice([0, 1, 49]))
            services.enrolments_expire(now=clock)
        elif action == "cancel" and (e := open_enrolment()):
            services.enrolment_cancel(enrolment=e, by_user=admin_user)
        elif action == "transfer" and (e := open_enrolment()):
            other = cohorts[1] if e.cohort_id == cohorts[0].pk else cohorts[0]
            services.enrolment_transfer(enrolment=e, to_cohort=other, by_user=e.user)
        elif action == "pay":
            payment = Payment.objects.filter(method="invoice", status="pending").order_by("pk").first()
            if payment:
                services.invoice_mark_paid(payment=payment, by_user=admin_user)
        return action

    for _ in range(300):
        try:
            action = step()
            done[action] = done.get(action, 0) + 1
        except EnrolmentError:
            done["refused"] = done.get("refused", 0) + 1
        for cohort in cohorts:
            assert_seats_invariant(cohort)
        active = Enrolment.objects.filter(status__in=ACTIVE_STATUSES).values("user", "cohort")
        assert not active.annotate(n=Count("pk")).filter(n__gt=1).exists()
        seen.update(Enrolment.objects.values_list("status", flat=True))
    # The sequence really exercised the state machine.
    assert seen == {"confirmed", "awaiting_payment", "waitlisted", "offered", "withdrawn", "cancelled"}
    assert done.get("refused", 0) > 0 and done.get("withdraw", 0) > 0 and done.get("transfer", 0) > 0
