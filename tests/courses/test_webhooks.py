"""The Stripe webhook, driven as Stripe drives it: real JSON bodies signed with a test secret, checked by real code."""

import json
import threading
import time
from http import HTTPStatus

from django.core import mail
from django.db import connection
from django.test import Client

import pytest

from accounts.factories import UserFactory
from courses import services
from courses.factories import CohortFactory, CourseIndexPageFactory, CoursePageFactory
from courses.models import Enrolment, EnrolmentStatus, Payment, PaymentEvent, PaymentStatus
from tests.conftest import make_site_home, verified
from tests.courses.fakes import (
    WEBHOOK_URL,
    charge,
    checkout_session,
    event,
    post_event,
    sign,
    use_fake_payments,
)

pytestmark = pytest.mark.django_db

FEE = 45000


@pytest.fixture
def cohort(home_page):
    index = CourseIndexPageFactory(parent=home_page)
    return CohortFactory(course=CoursePageFactory(parent=index, external_fee_pence=FEE), capacity=1)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what the services defer until commit (emails, refunds): the test's own transaction never commits."""

    def capture():
        return django_capture_on_commit_callbacks(execute=True)

    return capture


def external_learner():
    return verified(UserFactory())


def held_card_place(cohort, user=None):
    """An external learner holding a seat while they pay by card, with the Checkout Session already created."""
    user = user or external_learner()
    enrolment = services.enrolment_request(
        cohort=cohort, user=user, declared_nhs_england_employer=False, payment_method="card"
    )
    services.payment_checkout_start(
        enrolment=enrolment, user=user, success_url="http://testserver/ok/", cancel_url="http://testserver/no/"
    )
    return enrolment, enrolment.payments.get()


def waitlisted(cohort):
    user = external_learner()
    enrolment = services.enrolment_request(
        cohort=cohort, user=user, declared_nhs_england_employer=False, payment_method="card"
    )
    assert enrolment.status == EnrolmentStatus.WAITLISTED
    return enrolment


def subjects_to(user):
    return [message.subject.split(":", 1)[0] for message in mail.outbox if message.to == [user.email]]


def fresh(obj):
    obj.refresh_from_db()
    return obj


def snapshot():
    """Every row a webhook may touch, and the outbox, to show that a refused or replayed event changed nothing."""
    return (
        list(Enrolment.objects.order_by("pk").values()),
        list(Payment.objects.order_by("pk").values()),
        list(PaymentEvent.objects.order_by("pk").values("event_id", "processed_at")),
        len(mail.outbox),
    )


# --- checkout.session.completed -------------------------------------------------------------------------------------


def test_completion_confirms_the_place_and_emails_a_receipt(client, payments, cohort, on_commit):
    enrolment, payment = held_card_place(cohort)
    body = event("checkout.session.completed", checkout_session(payment, payment_intent="pi_test_paid"))
    with on_commit():
        response = post_event(client, body)
    assert response.status_code == HTTPStatus.OK
    enrolment, payment = fresh(enrolment), fresh(payment)
    assert enrolment.status == EnrolmentStatus.CONFIRMED and enrolment.hold_expires_at is None
    assert payment.status == PaymentStatus.PAID and payment.paid_at is not None
    assert payment.provider_payment_id == "pi_test_paid"
    assert payment.receipt_number.startswith("RCP-")
    assert sorted(subjects_to(enrolment.user)) == ["Payment received", "Your place is confirmed"]
    receipt = next(m for m in mail.outbox if m.subject.startswith("Payment received"))
    assert payment.receipt_number in receipt.body
    stored = PaymentEvent.objects.get(event_id=body["id"])
    assert stored.event_type == "checkout.session.completed" and stored.processed_at is not None
    assert payments.refund_calls == []


def test_completion_found_by_session_id_without_metadata(client, payments, cohort, on_commit):
    enrolment, payment = held_card_place(cohort)
    session = checkout_session(payment, metadata={}, client_reference_id=None)
    with on_commit():
        assert post_event(client, event("checkout.session.completed", session)).status_code == HTTPStatus.OK
    assert fresh(enrolment).status == EnrolmentStatus.CONFIRMED


def test_replayed_event_changes_nothing(client, payments, cohort, on_commit):
    enrolment, payment = held_card_place(cohort)
    body = event("checkout.session.completed", checkout_session(payment))
    with on_commit():
        post_event(client, body)
    before = snapshot()
    receipt = fresh(payment).receipt_number
    # Stripe retries with the same event id and a fresh signature.
    with on_commit():
        response = post_event(client, body, signature=sign(json.dumps(body), timestamp=int(time.time()) + 1))
    assert response.status_code == HTTPStatus.OK
    assert snapshot() == before
    assert fresh(payment).receipt_number == receipt
    assert subjects_to(enrolment.user).count("Payment received") == 1
    assert PaymentEvent.objects.count() == 1


def test_a_second_completion_event_for_the_same_payment_changes_nothing(client, payments, cohort, on_commit):
    enrolment, payment = held_card_place(cohort)
    with on_commit():
        post_event(client, event("checkout.session.completed", checkout_session(payment)))
    before = snapshot()[:2], len(mail.outbox)
    with on_commit():
        response = post_event(client, event("checkout.session.completed", checkout_session(payment)))
    assert response.status_code == HTTPStatus.OK
    assert (snapshot()[:2], len(mail.outbox)) == before
    assert PaymentEvent.objects.filter(processed_at__isnull=False).count() == 2


def test_an_unpaid_completion_does_not_confirm(client, payments, cohort, on_commit):
    enrolment, payment = held_card_place(cohort)
    with on_commit():
        response = post_event(
            client, event("checkout.session.completed", checkout_session(payment, payment_status="unpaid"))
        )
    assert response.status_code == HTTPStatus.OK
    assert fresh(enrolment).status == EnrolmentStatus.AWAITING_PAYMENT
    assert fresh(payment).status == PaymentStatus.PENDING


def test_completion_for_an_unknown_payment_is_accepted_and_changes_nothing(client, payments, cohort, caplog):
    enrolment, payment = held_card_place(cohort)
    session = checkout_session(payment, id="cs_test_elsewhere", metadata={"payment_id": "999999"})
    session["client_reference_id"] = None
    body = event("checkout.session.completed", session)
    before = snapshot()
    response = post_event(client, body)
    assert response.status_code == HTTPStatus.OK
    assert snapshot()[:2] == before[:2]
    assert PaymentEvent.objects.get(event_id=body["id"]).processed_at is not None
    assert "no card payment" in caplog.text


# --- checkout.session.expired ---------------------------------------------------------------------------------------


def test_expiry_releases_the_seat_and_offers_it_to_the_first_waiting(client, payments, cohort, on_commit):
    enrolment, payment = held_card_place(cohort)
    first, second = waitlisted(cohort), waitlisted(cohort)
    mail.outbox.clear()
    with on_commit():
        response = post_event(
            client, event("checkout.session.expired", checkout_session(payment, payment_status="unpaid"))
        )
    assert response.status_code == HTTPStatus.OK
    enrolment = fresh(enrolment)
    assert enrolment.status == EnrolmentStatus.CANCELLED and enrolment.ended_at is not None
    assert fresh(payment).status == PaymentStatus.EXPIRED
    assert fresh(first).status == EnrolmentStatus.OFFERED and first.offer_expires_at is not None
    assert fresh(second).status == EnrolmentStatus.WAITLISTED
    assert subjects_to(first.user) == ["A place is available for you"]
    assert subjects_to(second.user) == []


def test_expiry_after_payment_changes_nothing(client, payments, cohort, on_commit):
    """Stripe does not promise order: an expiry that arrives after the completion is ignored."""
    enrolment, payment = held_card_place(cohort)
    with on_commit():
        post_event(client, event("checkout.session.completed", checkout_session(payment)))
    before = snapshot()[:2]
    with on_commit():
        post_event(client, event("checkout.session.expired", checkout_session(payment, payment_status="unpaid")))
    assert snapshot()[:2] == before
    assert fresh(enrolment).status == EnrolmentStatus.CONFIRMED


def test_expiry_of_a_superseded_session_keeps_the_hold(client, payments, cohort):
    """A session whose creation timed out (so a retry made another) expiring does not end the learner's hold."""
    enrolment, payment = held_card_place(cohort)
    response = post_event(
        client,
        event("checkout.session.expired", checkout_session(payment, id="cs_test_orphan", payment_status="unpaid")),
    )
    assert response.status_code == HTTPStatus.OK
    assert fresh(enrolment).status == EnrolmentStatus.AWAITING_PAYMENT
    assert fresh(payment).status == PaymentStatus.PENDING


# --- charge.refunded ------------------------------------------------------------------------------------------------


def paid_card_place(client, cohort, on_commit, payment_intent="pi_test_paid"):
    enrolment, payment = held_card_place(cohort)
    with on_commit():
        post_event(
            client, event("checkout.session.completed", checkout_session(payment, payment_intent=payment_intent))
        )
    return fresh(enrolment), fresh(payment)


def test_charge_refunded_marks_the_payment_refunded(client, payments, cohort, on_commit):
    """A refund made in the Stripe dashboard is recorded, and the learner hears of it."""
    enrolment, payment = paid_card_place(client, cohort, on_commit)
    body = event(
        "charge.refunded",
        charge(payment_intent="pi_test_paid", amount=FEE, amount_refunded=FEE, refund_id="re_test_dash"),
    )
    with on_commit():
        response = post_event(client, body)
    assert response.status_code == HTTPStatus.OK
    payment = fresh(payment)
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refunded_pence == FEE and payment.refunded_at is not None
    assert payment.provider_refund_id == "re_test_dash"
    assert subjects_to(enrolment.user)[-1] == "Your refund"
    assert payments.refund_calls == []  # Stripe told us; we did not ask Stripe


def test_partial_refund_is_recorded_and_the_payment_stays_paid(client, payments, cohort, on_commit):
    enrolment, payment = paid_card_place(client, cohort, on_commit)
    with on_commit():
        post_event(
            client, event("charge.refunded", charge(payment_intent="pi_test_paid", amount=FEE, amount_refunded=5000))
        )
    payment = fresh(payment)
    assert payment.status == PaymentStatus.PAID and payment.refunded_pence == 5000


def test_charge_refunded_after_our_own_refund_changes_nothing(client, payments, cohort, on_commit):
    enrolment, payment = paid_card_place(client, cohort, on_commit)
    services.payment_refund(payment=payment)
    before = snapshot()[:2], len(mail.outbox)
    with on_commit():
        response = post_event(
            client, event("charge.refunded", charge(payment_intent="pi_test_paid", amount=FEE, amount_refunded=FEE))
        )
    assert response.status_code == HTTPStatus.OK
    assert (snapshot()[:2], len(mail.outbox)) == before


def test_charge_refunded_for_an_unknown_payment_intent_changes_nothing(client, payments, cohort, on_commit):
    paid_card_place(client, cohort, on_commit)
    before = snapshot()[:2]
    body = event("charge.refunded", charge(payment_intent="pi_test_elsewhere", amount=FEE, amount_refunded=FEE))
    assert post_event(client, body).status_code == HTTPStatus.OK
    assert snapshot()[:2] == before


# --- Refusals and other events --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda body, header: (body.replace("pi_test_1", "pi_test_9"), header), id="body-changed"),
        pytest.param(lambda body, header: (body, header.replace("v1=", "v1=0")), id="signature-changed"),
        pytest.param(lambda body, header: (body, header.replace("v1=", "v0=")), id="other-scheme"),
        pytest.param(lambda body, header: (body, "t=1,v1=nonsense"), id="garbage"),
        pytest.param(lambda body, header: (body, "not a header"), id="unparseable"),
        pytest.param(lambda body, header: (body, sign(body, timestamp=int(time.time()) - 600)), id="too-old"),
        pytest.param(lambda body, header: ("not json", sign("not json")), id="signed-but-not-json"),
    ],
)
def test_bad_signature_is_refused_and_nothing_is_stored(client, payments, cohort, tamper):
    enrolment, payment = held_card_place(cohort)
    body = json.dumps(event("checkout.session.completed", checkout_session(payment)))
    body, header = tamper(body, sign(body))
    before = snapshot()
    response = post_event(client, body, signature=header)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert snapshot() == before
    assert PaymentEvent.objects.count() == 0
    assert fresh(enrolment).status == EnrolmentStatus.AWAITING_PAYMENT


def test_missing_signature_is_refused(client, payments, cohort):
    enrolment, payment = held_card_place(cohort)
    response = post_event(client, event("checkout.session.completed", checkout_session(payment)), signature="")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert PaymentEvent.objects.count() == 0
    assert fresh(enrolment).status == EnrolmentStatus.AWAITING_PAYMENT


def test_signature_with_the_wrong_secret_is_refused(client, payments, cohort):
    enrolment, payment = held_card_place(cohort)
    body = event("checkout.session.completed", checkout_session(payment))
    response = post_event(client, body, secret="whsec_someone_elses_endpoint")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert PaymentEvent.objects.count() == 0
    assert fresh(enrolment).status == EnrolmentStatus.AWAITING_PAYMENT


def test_unknown_event_type_is_accepted_and_ignored(client, payments, cohort):
    held_card_place(cohort)
    before = snapshot()[:2]
    body = event("customer.created", {"id": "cus_test_1", "object": "customer"})
    response = post_event(client, body)
    assert response.status_code == HTTPStatus.OK
    assert snapshot()[:2] == before
    stored = PaymentEvent.objects.get(event_id=body["id"])
    assert stored.event_type == "customer.created" and stored.processed_at is not None
    assert stored.payload["data"]["object"]["id"] == "cus_test_1"


def test_only_post_is_allowed(client, payments):
    assert client.get(WEBHOOK_URL).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert client.put(WEBHOOK_URL).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_no_webhook_without_stripe_keys(client, settings, db):
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""
    body = json.dumps(event("checkout.session.completed", {"id": "cs_test_1", "object": "checkout.session"}))
    response = client.post(
        WEBHOOK_URL, data=body, content_type="application/json", headers={"Stripe-Signature": sign(body)}
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert PaymentEvent.objects.count() == 0


def test_the_webhook_needs_no_csrf_token(payments, cohort, on_commit):
    enrolment, payment = held_card_place(cohort)
    with on_commit():
        response = post_event(
            Client(enforce_csrf_checks=True), event("checkout.session.completed", checkout_session(payment))
        )
    assert response.status_code == HTTPStatus.OK
    assert fresh(enrolment).status == EnrolmentStatus.CONFIRMED


# --- Two deliveries at once (PostgreSQL: SQLite serialises every write anyway) ----------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent connections (PostgreSQL)")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_deliveries_at_once_are_processed_once(settings):
    use_fake_payments(settings)
    home = make_site_home()
    index = CourseIndexPageFactory(parent=home)
    cohort = CohortFactory(course=CoursePageFactory(parent=index, external_fee_pence=FEE), capacity=1)
    enrolment, payment = held_card_place(cohort)
    body = json.dumps(event("checkout.session.completed", checkout_session(payment)))
    barrier = threading.Barrier(4)
    statuses = []

    def deliver():
        try:
            barrier.wait()
            statuses.append(
                Client()
                .post(WEBHOOK_URL, data=body, content_type="application/json", headers={"Stripe-Signature": sign(body)})
                .status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [HTTPStatus.OK] * 4
    assert PaymentEvent.objects.count() == 1
    assert fresh(enrolment).status == EnrolmentStatus.CONFIRMED
    assert subjects_to(enrolment.user).count("Payment received") == 1
