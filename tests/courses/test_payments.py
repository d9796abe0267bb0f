"""Card payments around the webhook: starting Checkout, refunds on withdrawal, late payments, and Stripe being away."""

import datetime
from types import SimpleNamespace

from django.core import mail
from django.utils import timezone

import pytest

from accounts.factories import UserFactory
from courses import services
from courses.exceptions import EnrolmentError
from courses.factories import CohortFactory, CourseIndexPageFactory, CoursePageFactory
from courses.models import Enrolment, EnrolmentStatus, FeeBand, Payment, PaymentStatus
from courses.payments import PaymentProviderError, StripePaymentAdapter, get_payment_adapter
from tests.conftest import verified
from tests.courses.fakes import checkout_session, event, post_event

pytestmark = pytest.mark.django_db

FEE = 45000
URLS = {"success_url": "http://testserver/paid/", "cancel_url": "http://testserver/not-paid/"}


@pytest.fixture
def cohort(home_page):
    index = CourseIndexPageFactory(parent=home_page)
    course = CoursePageFactory(parent=index, external_fee_pence=FEE, refund_window_days=14)
    return CohortFactory(course=course, capacity=1)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what the services defer until commit (emails, refunds): the test's own transaction never commits."""

    def capture():
        return django_capture_on_commit_callbacks(execute=True)

    return capture


def request_card(cohort, user=None):
    user = user or verified(UserFactory())
    return services.enrolment_request(
        cohort=cohort, user=user, declared_nhs_england_employer=False, payment_method="card"
    )


def checkout(enrolment):
    return services.payment_checkout_start(enrolment=enrolment, user=enrolment.user, **URLS)


def complete(client, on_commit, payment, payment_intent="pi_test_paid"):
    """Stripe reports the Checkout Session paid, through the signed webhook."""
    payment.refresh_from_db()
    with on_commit():
        response = post_event(
            client, event("checkout.session.completed", checkout_session(payment, payment_intent=payment_intent))
        )
    assert response.status_code == 200
    payment.refresh_from_db()
    return payment


def subjects_to(user):
    return [message.subject.split(":", 1)[0] for message in mail.outbox if message.to == [user.email]]


def fresh(obj):
    obj.refresh_from_db()
    return obj


def paid_place(client, on_commit, cohort):
    enrolment = request_card(cohort)
    checkout(enrolment)
    payment = complete(client, on_commit, enrolment.payments.get())
    assert fresh(enrolment).status == EnrolmentStatus.CONFIRMED
    return enrolment, payment


# --- Refunds on withdrawal ------------------------------------------------------------------------------------------


def test_withdrawal_inside_the_refund_window_refunds_through_stripe(client, payments, cohort, on_commit):
    enrolment, payment = paid_place(client, on_commit, cohort)
    services.enrolment_withdraw(enrolment=enrolment, user=enrolment.user)
    payment = fresh(payment)
    assert payments.refund_calls == [{"payment_id": payment.pk, "payment_intent": "pi_test_paid"}]
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refunded_pence == FEE and payment.refunded_at is not None
    assert payment.provider_refund_id.startswith("re_test_fake")
    assert fresh(enrolment).status == EnrolmentStatus.WITHDRAWN
    assert subjects_to(enrolment.user)[-2:] == ["You have withdrawn", "Your refund"]


def test_withdrawal_outside_the_refund_window_is_not_refunded(client, payments, cohort, on_commit):
    enrolment, payment = paid_place(client, on_commit, cohort)
    Payment.objects.filter(pk=payment.pk).update(paid_at=timezone.now() - datetime.timedelta(days=15))
    services.enrolment_withdraw(enrolment=enrolment, user=enrolment.user)
    assert payments.refund_calls == []
    assert fresh(payment).status == PaymentStatus.PAID and payment.refunded_pence == 0
    assert fresh(enrolment).status == EnrolmentStatus.WITHDRAWN
    assert "Your refund" not in subjects_to(enrolment.user)


def test_a_failed_refund_does_not_undo_the_withdrawal(client, payments, cohort, on_commit, caplog):
    enrolment, payment = paid_place(client, on_commit, cohort)
    payments.fail_with = PaymentProviderError("Request timed out")
    services.enrolment_withdraw(enrolment=enrolment, user=enrolment.user)
    assert fresh(enrolment).status == EnrolmentStatus.WITHDRAWN
    assert fresh(payment).status == PaymentStatus.PAID  # still paid, for staff to refund
    assert "Refund of payment" in caplog.text


# --- Payments that arrive when the place can no longer be had --------------------------------------------------------


def lapse_hold(enrolment):
    later = enrolment.hold_expires_at + datetime.timedelta(minutes=1)
    assert services.enrolments_expire(now=later)["holds"] == 1
    assert fresh(enrolment).status == EnrolmentStatus.CANCELLED
    assert enrolment.payments.get().status == PaymentStatus.EXPIRED


def test_payment_after_the_hold_lapsed_confirms_when_a_seat_is_free(client, payments, cohort, on_commit):
    enrolment = request_card(cohort)
    checkout(enrolment)
    lapse_hold(enrolment)
    payment = complete(client, on_commit, enrolment.payments.get())
    assert payment.status == PaymentStatus.PAID and payment.receipt_number
    enrolment = fresh(enrolment)
    assert enrolment.status == EnrolmentStatus.CONFIRMED and enrolment.ended_at is None
    assert payments.refund_calls == []
    assert "Your place is confirmed" in subjects_to(enrolment.user)


def test_payment_after_the_hold_lapsed_is_refunded_when_the_seat_has_gone(client, payments, cohort, on_commit):
    enrolment = request_card(cohort)
    checkout(enrolment)
    waiting = request_card(cohort)
    assert waiting.status == EnrolmentStatus.WAITLISTED
    lapse_hold(enrolment)
    assert fresh(waiting).status == EnrolmentStatus.OFFERED  # the seat went to the next person
    payment = complete(client, on_commit, enrolment.payments.get())
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_pence == FEE
    assert payments.refund_calls == [{"payment_id": payment.pk, "payment_intent": "pi_test_paid"}]
    assert fresh(enrolment).status == EnrolmentStatus.CANCELLED
    assert fresh(waiting).status == EnrolmentStatus.OFFERED
    assert subjects_to(enrolment.user) == ["Your refund"]


def test_payment_after_withdrawing_is_refunded(client, payments, cohort, on_commit):
    """The learner withdrew with the Checkout page still open, then paid on it."""
    enrolment = request_card(cohort)
    checkout(enrolment)
    services.enrolment_withdraw(enrolment=enrolment, user=enrolment.user)
    payment = complete(client, on_commit, enrolment.payments.get())
    assert payment.status == PaymentStatus.REFUNDED
    assert len(payments.refund_calls) == 1
    assert fresh(enrolment).status == EnrolmentStatus.WITHDRAWN
    assert "Your place is confirmed" not in subjects_to(enrolment.user)


def test_payment_for_a_place_made_free_meanwhile_is_refunded(client, payments, cohort, on_commit):
    enrolment = request_card(cohort)
    checkout(enrolment)
    admin = UserFactory(is_staff=True)
    services.fee_band_override(enrolment=enrolment, band=FeeBand.FREE, reason="NHS Wales secondment", by_user=admin)
    payment = complete(client, on_commit, enrolment.payments.get())
    assert payment.status == PaymentStatus.REFUNDED
    assert fresh(enrolment).status == EnrolmentStatus.CONFIRMED


# --- Without Stripe keys --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret_key", "webhook_secret"),
    [("", ""), ("sk_test_x", ""), ("", "whsec_x")],
    ids=["none", "no-webhook", "no-key"],
)
def test_without_stripe_keys_card_is_not_offered(settings, cohort, secret_key, webhook_secret):
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = secret_key, webhook_secret
    settings.COURSES_PAYMENT_ADAPTER = "courses.payments.StripePaymentAdapter"
    assert get_payment_adapter().card_available() is False
    with pytest.raises(EnrolmentError) as refused:
        request_card(cohort)
    assert refused.value.code == "no_card"
    assert refused.value.message == "Card payments are not available. Choose to be invoiced instead."
    assert not Enrolment.objects.exists() and not Payment.objects.exists()


def test_with_stripe_keys_card_is_offered(payments):
    assert get_payment_adapter().card_available() is True


# --- Starting Checkout ----------------------------------------------------------------------------------------------


def test_checkout_start_creates_one_session_and_reuses_it(payments, cohort):
    enrolment = request_card(cohort)
    url = checkout(enrolment)
    assert checkout(enrolment) == url
    payment = enrolment.payments.get()
    assert len(payments.checkout_calls) == 1
    assert payments.checkout_calls[0]["expires_at"] == fresh(enrolment).hold_expires_at
    assert payment.checkout_url == url and payment.provider_session_id.startswith("cs_test_fake")
    assert payment.status == PaymentStatus.PENDING


def test_a_stripe_timeout_leaves_the_place_held_and_can_be_retried(payments, cohort):
    enrolment = request_card(cohort)
    payments.fail_with = PaymentProviderError("Request timed out")
    with pytest.raises(EnrolmentError) as refused:
        checkout(enrolment)
    assert refused.value.code == "provider"
    assert "try again" in refused.value.message
    enrolment, payment = fresh(enrolment), enrolment.payments.get()
    assert enrolment.status == EnrolmentStatus.AWAITING_PAYMENT
    assert payment.status == PaymentStatus.PENDING and payment.checkout_url == ""

    payments.fail_with = None
    url = checkout(enrolment)
    assert url.startswith("https://checkout.stripe.test/")
    assert enrolment.payments.get().checkout_url == url
    assert [call["payment_id"] for call in payments.checkout_calls] == [payment.pk, payment.pk]


def test_checkout_start_refused_for_someone_else(payments, cohort):
    enrolment = request_card(cohort)
    with pytest.raises(EnrolmentError) as refused:
        services.payment_checkout_start(enrolment=enrolment, user=verified(UserFactory()), **URLS)
    assert refused.value.code == "not_yours"
    assert payments.checkout_calls == []


# --- The real adapter's outbound calls (Stripe's client stubbed, not our code) ---------------------------------------


class RecordingStripeClient:
    """Stands in for stripe.StripeClient: records what would be sent, or raises what Stripe's client would."""

    def __init__(self, error=None):
        self.calls, self.error = [], error
        self.v1 = SimpleNamespace(
            checkout=SimpleNamespace(sessions=SimpleNamespace(create=self._record("session"))),
            refunds=SimpleNamespace(create=self._record("refund")),
        )

    def _record(self, kind):
        def create(*, params, options):
            self.calls.append((kind, params, options))
            if self.error:
                raise self.error
            return SimpleNamespace(id=f"{kind}_1", url="https://checkout.stripe.com/c/pay/cs_1")

        return create


def test_the_stripe_adapter_sends_the_enrolment_in_the_session_metadata(settings, monkeypatch, payments, cohort):
    stub = RecordingStripeClient()
    monkeypatch.setattr(StripePaymentAdapter, "client", lambda self: stub)
    enrolment = request_card(cohort)
    payment = enrolment.payments.get()
    session = StripePaymentAdapter().create_checkout(payment=payment, expires_at=enrolment.hold_expires_at, **URLS)
    assert session.id == "session_1"
    ((_kind, params, options),) = stub.calls
    assert params["metadata"] == {"payment_id": str(payment.pk), "enrolment_id": str(enrolment.pk)}
    assert params["line_items"][0]["price_data"]["unit_amount"] == FEE
    assert params["line_items"][0]["price_data"]["currency"] == "gbp"
    assert params["expires_at"] >= int((timezone.now() + datetime.timedelta(minutes=30)).timestamp())
    # The key names the expiry, so a retry after a timeout (a later expiry) is not refused as a reused key.
    assert options["idempotency_key"] == f"checkout-{payment.pk}-{params['expires_at']}"


def test_the_stripe_adapter_turns_stripe_errors_into_provider_errors(monkeypatch, payments, cohort):
    import stripe

    stub = RecordingStripeClient(error=stripe.APIConnectionError("Request timed out"))
    monkeypatch.setattr(StripePaymentAdapter, "client", lambda self: stub)
    enrolment = request_card(cohort)
    payment = enrolment.payments.get()
    with pytest.raises(PaymentProviderError):
        StripePaymentAdapter().create_checkout(payment=payment, **URLS)
    with pytest.raises(PaymentProviderError):
        StripePaymentAdapter().refund(payment=payment)
