"""Stripe being slow or away: a held place is never lost or doubled, a webhook confirms once, a failed refund waits."""

import datetime
import html
from http import HTTPStatus
from types import SimpleNamespace

from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from wagtail.models import ModelLogEntry

import pytest

from accounts.factories import TEST_PASSWORD, UserFactory
from courses import services
from courses.exceptions import EnrolmentError
from courses.factories import CohortFactory, CourseIndexPageFactory, CoursePageFactory
from courses.models import Enrolment, EnrolmentStatus, Payment, PaymentStatus
from courses.payments import EXPIRY_STEP_SECONDS, PaymentProviderError, StripePaymentAdapter, stripe_session_expiry
from courses.selectors import cohort_places_left
from tests.accounts.helpers import reauthenticate
from tests.conftest import verified
from tests.content.helpers import make_group_member, make_superuser, soup, texts
from tests.courses.fakes import charge, checkout_session, event, post_event

pytestmark = pytest.mark.django_db

FEE = 45000
URLS = {"success_url": "http://testserver/my-learning/?payment=done", "cancel_url": "http://testserver/not-paid/"}


@pytest.fixture
def cohort(home_page):
    index = CourseIndexPageFactory(parent=home_page)
    course = CoursePageFactory(parent=index, external_fee_pence=FEE, refund_window_days=14)
    return CohortFactory(course=course, code="SYS-01", capacity=3)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    def capture():
        return django_capture_on_commit_callbacks(execute=True)

    return capture


@pytest.fixture
def learner():
    return verified(UserFactory(email="jo.morgan@gmail.com", full_name="Jo Morgan"))


def fresh(obj):
    obj.refresh_from_db()
    return obj


def shown_messages(response):
    return texts(soup(response).select(".site-message p"))


def request_card(cohort, user):
    return services.enrolment_request(
        cohort=cohort, user=user, declared_nhs_england_employer=False, payment_method="card"
    )


def checkout(enrolment):
    return services.payment_checkout_start(enrolment=enrolment, user=enrolment.user, **URLS)


def complete(client, on_commit, payment, *, event_id=None, payment_intent="pi_test_paid"):
    payment.refresh_from_db()
    body = event("checkout.session.completed", checkout_session(payment, payment_intent=payment_intent), event_id)
    with on_commit():
        response = post_event(client, body)
    assert response.status_code == HTTPStatus.OK
    return fresh(payment)


def subjects_to(user):
    return [message.subject.split(":", 1)[0] for message in mail.outbox if message.to == [user.email]]


# --- Stripe away while the learner starts Checkout -------------------------------------------------------------------


def test_an_outage_at_checkout_holds_one_place_says_try_again_and_the_retry_pays(client, payments, cohort, learner):
    payments.fail_with = PaymentProviderError("Could not connect to Stripe (api.stripe.com)")
    client.force_login(learner)
    client.post(f"/courses/cohorts/{cohort.code}/enrol/", {"works_for_nhs_england": "no", "employer": ""})

    response = client.post(f"/courses/cohorts/{cohort.code}/enrol/check/", {"payment_method": "card"}, follow=True)

    assert response.status_code == HTTPStatus.OK
    assert response.redirect_chain == [("/my-learning/", HTTPStatus.FOUND)]
    assert shown_messages(response) == [
        "We could not reach the card payment service. Your place is still held: please try again."
    ]
    enrolment = Enrolment.objects.get()
    assert enrolment.status == EnrolmentStatus.AWAITING_PAYMENT and enrolment.hold_expires_at > timezone.now()
    payment = Payment.objects.get()
    assert (payment.status, payment.checkout_url, payment.provider_session_id) == (PaymentStatus.PENDING, "", "")
    assert cohort_places_left(cohort=cohort) == 2, "the seat stays held"
    pay_now = soup(response).select_one(".site-enrolment--awaiting-payment form")
    assert pay_now["action"] == f"/my-learning/enrolments/{enrolment.pk}/pay/"

    # Still away: the same message, and still one place and one payment.
    again = client.post(pay_now["action"], follow=True)
    assert "please try again" in shown_messages(again)[0]
    # Starting to enrol again is refused rather than making a second place.
    start = client.get(f"/courses/cohorts/{cohort.code}/enrol/")
    assert "You already have a place or a waiting-list entry on this cohort." in soup(start).get_text()
    client.post(f"/courses/cohorts/{cohort.code}/enrol/", {"works_for_nhs_england": "no", "employer": ""})
    client.post(f"/courses/cohorts/{cohort.code}/enrol/check/", {"payment_method": "card"})
    assert Enrolment.objects.count() == 1 and Payment.objects.count() == 1

    payments.fail_with = None
    back = client.post(pay_now["action"])

    assert back.status_code == HTTPStatus.FOUND and back.url.startswith("https://checkout.stripe.test/")
    assert Enrolment.objects.count() == 1 and Payment.objects.count() == 1
    payment = fresh(payment)
    assert payment.checkout_url == back.url and payment.status == PaymentStatus.PENDING
    assert {call["payment_id"] for call in payments.checkout_calls} == {payment.pk}
    assert client.post(pay_now["action"]).url == back.url, "the same session again, not a new one"
    assert len(payments.checkout_calls) == 3  # two failed, one made the session; the last reused the stored one


class IdempotentStripe:
    """Stripe's side of sessions.create, with its idempotency keys: a key seen before returns the session it made.

    `lose_next_response` makes Stripe create the session and the response then time out on the way back.
    """

    def __init__(self):
        self.sessions, self.by_key, self.lose_next_response = [], {}, False
        self.v1 = SimpleNamespace(checkout=SimpleNamespace(sessions=SimpleNamespace(create=self.create)))

    def create(self, *, params, options):
        import stripe

        key = options["idempotency_key"]
        if key in self.by_key:
            seen_params, session = self.by_key[key]
            if seen_params != params:
                raise stripe.IdempotencyError("Keys for idempotent requests can only be used with the same parameters")
            return session
        session = SimpleNamespace(id=f"cs_test_{len(self.sessions) + 1}", url=f"https://checkout.stripe.com/c/{key}")
        self.sessions.append(session)
        self.by_key[key] = (params, session)
        if self.lose_next_response:
            self.lose_next_response = False
            raise stripe.APIConnectionError("Request to Stripe timed out")
        return session


def test_a_timeout_after_stripe_made_the_session_gets_that_session_back_not_a_second(
    settings, monkeypatch, payments, cohort, learner, client, on_commit
):
    settings.COURSES_PAYMENT_ADAPTER = "courses.payments.StripePaymentAdapter"
    stripe_side = IdempotentStripe()
    monkeypatch.setattr(StripePaymentAdapter, "client", lambda self: stripe_side)
    enrolment = request_card(cohort, learner)
    stripe_side.lose_next_response = True

    with pytest.raises(EnrolmentError) as refused:
        checkout(enrolment)
    assert refused.value.code == "provider"
    assert fresh(enrolment.payments.get()).checkout_url == ""

    url = checkout(enrolment)

    assert len(stripe_side.sessions) == 1, "the retry got back the session Stripe had made"
    payment = enrolment.payments.get()
    assert (payment.provider_session_id, payment.checkout_url, url) == ("cs_test_1", url, stripe_side.sessions[0].url)
    # Paid on it (and Stripe delivering the event twice): one confirmation, one receipt, no refund.
    payment = complete(client, on_commit, payment, event_id="evt_test_paid")
    complete(client, on_commit, payment, event_id="evt_test_paid")
    assert payment.status == PaymentStatus.PAID and fresh(enrolment).status == EnrolmentStatus.CONFIRMED
    assert subjects_to(learner).count("Your place is confirmed") == 1
    assert payments.refund_calls == []


def test_retries_within_a_few_minutes_send_stripe_the_same_expiry_and_so_the_same_key():
    start = datetime.datetime(2027, 3, 1, 9, 0, 0, tzinfo=datetime.UTC)
    hold = start + datetime.timedelta(minutes=30)
    first = stripe_session_expiry(hold, now=start)
    assert first >= (start + datetime.timedelta(minutes=31)).timestamp(), "Stripe wants 30 minutes ahead at least"
    assert first % EXPIRY_STEP_SECONDS == 0
    for later in [1, 59, 60 * 4]:
        now = start + datetime.timedelta(seconds=later)
        assert stripe_session_expiry(hold, now=now) == first, later
        assert stripe_session_expiry(hold, now=now) >= (now + datetime.timedelta(minutes=31)).timestamp()
    # A hold that ends later than Stripe's minimum is kept (rounded up, never cut short).
    long_hold = start + datetime.timedelta(hours=2, seconds=10)
    assert 0 <= stripe_session_expiry(long_hold, now=start) - long_hold.timestamp() < EXPIRY_STEP_SECONDS


def test_a_completion_webhook_late_and_delivered_twice_confirms_once(client, payments, cohort, learner, on_commit):
    enrolment = request_card(cohort, learner)
    checkout(enrolment)
    later = enrolment.hold_expires_at + datetime.timedelta(minutes=5)
    assert services.enrolments_expire(now=later)["holds"] == 1
    payment = enrolment.payments.get()

    payment = complete(client, on_commit, payment, event_id="evt_test_late")
    complete(client, on_commit, payment, event_id="evt_test_late")  # the same event again
    complete(client, on_commit, payment, event_id="evt_test_other")  # another event for the same session

    payment = fresh(payment)
    assert payment.status == PaymentStatus.PAID and payment.receipt_number
    assert fresh(enrolment).status == EnrolmentStatus.CONFIRMED
    assert Enrolment.objects.count() == 1 and Payment.objects.count() == 1
    assert subjects_to(learner).count("Your place is confirmed") == 1
    assert subjects_to(learner).count("Payment received") == 1
    assert payments.refund_calls == []


# --- A refund that times out ----------------------------------------------------------------------------------------


def paid_place(client, on_commit, cohort, learner):
    enrolment = request_card(cohort, learner)
    checkout(enrolment)
    payment = complete(client, on_commit, enrolment.payments.get())
    assert payment.status == PaymentStatus.PAID
    return enrolment, payment


def admin_messages(response):
    return [html.unescape(str(message.message)).strip() for message in get_messages(response.wsgi_request)]


def test_a_refund_that_times_out_is_kept_for_an_administrator_to_retry(
    client, payments, cohort, learner, on_commit, caplog
):
    enrolment, payment = paid_place(client, on_commit, cohort, learner)
    payments.fail_with = PaymentProviderError("Request timed out")

    services.enrolment_withdraw(enrolment=enrolment, user=learner)

    assert fresh(enrolment).status == EnrolmentStatus.WITHDRAWN
    payment = fresh(payment)
    assert payment.status == PaymentStatus.PAID and payment.refunded_pence == 0
    assert payment.refund_error == "Request timed out" and payment.refund_failed_at is not None
    assert "Refund of payment" in caplog.text
    assert "Your refund" not in subjects_to(learner)

    admin = Client()
    admin_user = make_superuser()
    admin_user.set_password(TEST_PASSWORD)
    admin_user.save()
    admin.force_login(admin_user)
    listing = admin.get(reverse("courses_payments:index"), {"refund_failed": "true"})
    assert reverse("courses_payments:inspect", args=[payment.pk]) in listing.content.decode()
    assert (
        reverse("courses_payments:inspect", args=[payment.pk])
        not in admin.get(reverse("courses_payments:index"), {"refund_failed": "false"}).content.decode()
    )
    inspect = admin.get(reverse("courses_payments:inspect", args=[payment.pk]))
    retry_url = reverse("courses_payments:retry_refund", args=[payment.pk])
    assert retry_url in inspect.content.decode() and "Request timed out" in inspect.content.decode()

    # Money is involved: the password is asked again, then the refund is tried.
    asked = admin.post(retry_url)
    assert asked.status_code == HTTPStatus.FOUND and asked.url.startswith(reverse("account_reauthenticate"))
    assert len(payments.refund_calls) == 1, "nothing is tried before the password"
    still_down = admin.post(asked.url, {"password": TEST_PASSWORD})
    assert still_down.status_code == HTTPStatus.OK
    assert "The card payment service could not be reached, so nothing was refunded. Try again later." in (
        admin_messages(still_down)
    )
    assert fresh(payment).status == PaymentStatus.PAID

    payments.fail_with = None
    done = admin.post(retry_url)

    assert done.status_code == HTTPStatus.FOUND
    payment = fresh(payment)
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_pence == FEE
    assert (payment.refund_error, payment.refund_failed_at) == ("", None)
    assert [call["payment_id"] for call in payments.refund_calls] == [payment.pk] * 3
    assert subjects_to(learner).count("Your refund") == 1
    # The audit trail has the learner's withdrawal, the administrator's retry and the refund itself.
    logged = list(ModelLogEntry.objects.order_by("pk").values_list("action", "user_id"))
    assert ("courses.enrolment_withdraw", learner.pk) in logged
    assert ("courses.refund_retry", admin_user.pk) in logged and ("courses.refund", admin_user.pk) in logged
    assert retry_url not in admin.get(reverse("courses_payments:inspect", args=[payment.pk])).content.decode()
    again = admin.post(retry_url)
    assert "Only a card refund that failed can be retried." in admin_messages(again)
    assert len(payments.refund_calls) == 3


def test_a_refund_stripe_made_despite_the_timeout_is_recorded_by_its_webhook(
    client, payments, cohort, learner, on_commit
):
    enrolment, payment = paid_place(client, on_commit, cohort, learner)
    payments.fail_with = PaymentProviderError("Request timed out")
    services.enrolment_withdraw(enrolment=enrolment, user=learner)
    assert fresh(payment).refund_failed_at is not None

    with on_commit():
        post_event(
            client, event("charge.refunded", charge(payment_intent="pi_test_paid", amount=FEE, amount_refunded=FEE))
        )

    payment = fresh(payment)
    assert payment.status == PaymentStatus.REFUNDED and (payment.refund_error, payment.refund_failed_at) == ("", None)
    with pytest.raises(EnrolmentError):
        services.payment_refund_retry(payment=payment, by_user=None)
    assert len(payments.refund_calls) == 1


def test_the_refund_retry_uses_the_same_idempotency_key_so_stripe_refunds_once(monkeypatch, payments, cohort, learner):
    keys = []

    def create(*, params, options):
        keys.append((params, options["idempotency_key"]))
        return SimpleNamespace(id="re_1")

    monkeypatch.setattr(
        StripePaymentAdapter,
        "client",
        lambda self: SimpleNamespace(v1=SimpleNamespace(refunds=SimpleNamespace(create=create))),
    )
    payment = request_card(cohort, learner).payments.get()
    Payment.objects.filter(pk=payment.pk).update(provider_payment_id="pi_test_9")
    payment = fresh(payment)
    StripePaymentAdapter().refund(payment=payment)
    StripePaymentAdapter().refund(payment=payment)
    assert keys == [({"payment_intent": "pi_test_9"}, f"refund-{payment.pk}")] * 2


def test_only_course_administrators_may_retry_a_refund(client, payments, cohort, learner, on_commit):
    enrolment, payment = paid_place(client, on_commit, cohort, learner)
    payments.fail_with = PaymentProviderError("Request timed out")
    services.enrolment_withdraw(enrolment=enrolment, user=learner)
    payments.fail_with = None
    retry_url = reverse("courses_payments:retry_refund", args=[payment.pk])
    for user in [
        make_group_member("Editors", "editor@example.org"),
        make_group_member("Course leads", "lead@example.org"),
    ]:
        other = Client()
        other.force_login(user)
        response = other.post(retry_url)
        assert response.status_code == HTTPStatus.FOUND and response.url == reverse("wagtailadmin_home")
    assert fresh(payment).status == PaymentStatus.PAID and len(payments.refund_calls) == 1

    administrator = Client()
    administrator.force_login(make_group_member("Course administrators", "course.admin@example.org"))
    reauthenticate(administrator, TEST_PASSWORD)
    assert administrator.post(retry_url).status_code == HTTPStatus.FOUND
    assert fresh(payment).status == PaymentStatus.REFUNDED
