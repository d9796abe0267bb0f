"""Emails that fail to send are tried again by the task worker, recorded, and shown to administrators to retry."""

import datetime
import html
import smtplib
from http import HTTPStatus

from django.contrib.messages import get_messages
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from wagtail.models import ModelLogEntry

import pytest
from django_tasks import default_task_backend

from accounts.factories import UserFactory
from courses import services
from courses.emails import cohort_message_deliver, email_deliver, enrolment_email_send
from courses.factories import CohortFactory, CourseIndexPageFactory, CoursePageFactory, EnrolmentFactory
from courses.models import EmailDelivery, EmailStatus, MessageAudience
from tests.conftest import verified
from tests.content.helpers import make_group_member, make_superuser

pytestmark = pytest.mark.django_db

BACKEND = "tests.courses.test_email_deliveries.FlakyEmailBackend"


class FlakyEmailBackend(LocmemBackend):
    """The test mail server: the next `failures` sends raise `error` (an SMTP error, a refused connection), then it works."""

    failures = 0
    error: Exception = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    def send_messages(self, messages):
        if FlakyEmailBackend.failures > 0:
            FlakyEmailBackend.failures -= 1
            raise FlakyEmailBackend.error
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = BACKEND
    settings.COURSES_EMAIL_RETRY_MINUTES = [1, 5, 15]
    FlakyEmailBackend.failures = 0
    FlakyEmailBackend.error = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    yield FlakyEmailBackend
    FlakyEmailBackend.failures = 0


@pytest.fixture
def worker(settings):
    """A backend that keeps tasks for a worker, as the database backend does, instead of running them at once."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    yield default_task_backend
    default_task_backend.clear()


def run_next(backend):
    """Run the oldest task still waiting, as the worker would once its run_after has passed; return it."""
    result = backend.results.pop(0)
    result.task.call(*result.args, **result.kwargs)
    return result


@pytest.fixture
def cohort(home_page):
    index = CourseIndexPageFactory(parent=home_page)
    course = CoursePageFactory(parent=index, title="A systems approach", external_fee_pence=45000)
    return CohortFactory(course=course, code="SYS-01", capacity=10)


@pytest.fixture
def learner():
    return verified(UserFactory(email="sam.patel@nhs.net", full_name="Sam Patel"))


def confirm_place(cohort, learner):
    return services.enrolment_request(
        cohort=cohort, user=learner, declared_nhs_england_employer=True, employer="Leeds Teaching Hospitals NHS Trust"
    )


def fresh(obj):
    obj.refresh_from_db()
    return obj


def failed_delivery(cohort, learner, flaky):
    flaky.failures = 99
    enrolment = EnrolmentFactory(cohort=cohort, user=learner)
    delivery = enrolment_email_send(kind="confirmed", enrolment=enrolment)
    flaky.failures = 0
    assert fresh(delivery).status == EmailStatus.FAILED
    return delivery


# --- Sending, retrying, failing ---------------------------------------------------------------------------------------


def test_an_email_that_sends_is_recorded_as_sent(cohort, learner, flaky):
    confirm_place(cohort, learner)

    delivery = EmailDelivery.objects.get()
    assert (delivery.recipient, delivery.kind, delivery.status, delivery.attempts) == (
        "sam.patel@nhs.net",
        "confirmed",
        EmailStatus.SENT,
        1,
    )
    assert delivery.subject == "Your place is confirmed: A systems approach" == mail.outbox[0].subject
    assert delivery.sent_at is not None and delivery.last_error == ""


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        ConnectionRefusedError(111, "Connection refused"),
    ],
    ids=["smtp-error", "connection-refused"],
)
def test_a_send_that_fails_once_is_retried_and_sent(cohort, learner, flaky, error):
    flaky.failures, flaky.error = 1, error

    enrolment = confirm_place(cohort, learner)

    delivery = EmailDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (EmailStatus.SENT, 2)
    assert [message.to for message in mail.outbox] == [["sam.patel@nhs.net"]]
    assert mail.outbox[0].subject.startswith("Your place is confirmed")
    assert mail.outbox[0].attachments[0][0] == "SYS-01.ics", "built afresh, calendar and all"
    assert enrolment.status == "confirmed"


def test_the_worker_retries_later_with_a_longer_wait_each_time(cohort, learner, flaky, worker):
    flaky.failures = 2
    enrolment = EnrolmentFactory(cohort=cohort, user=learner)

    delivery = enrolment_email_send(kind="confirmed", enrolment=enrolment)
    assert fresh(delivery).status == EmailStatus.QUEUED and not mail.outbox

    before = timezone.now()
    run_next(worker)
    delivery = fresh(delivery)
    assert (delivery.status, delivery.attempts) == (EmailStatus.RETRYING, 1)
    assert delivery.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert (
        before + datetime.timedelta(minutes=1)
        <= delivery.next_attempt_at
        <= timezone.now() + datetime.timedelta(minutes=1)
    )
    assert [result.task.run_after for result in worker.results] == [delivery.next_attempt_at]

    run_next(worker)
    delivery = fresh(delivery)
    assert (delivery.status, delivery.attempts) == (EmailStatus.RETRYING, 2)
    assert delivery.next_attempt_at >= timezone.now() + datetime.timedelta(minutes=4)
    assert [result.task.run_after for result in worker.results] == [delivery.next_attempt_at]

    run_next(worker)
    delivery = fresh(delivery)
    assert (delivery.status, delivery.attempts, delivery.last_error, delivery.next_attempt_at) == (
        EmailStatus.SENT,
        3,
        "",
        None,
    )
    assert len(mail.outbox) == 1 and worker.results == []


def test_after_the_last_attempt_the_email_is_failed_and_not_tried_again(cohort, learner, flaky, caplog):
    flaky.failures = 99
    enrolment = EnrolmentFactory(cohort=cohort, user=learner)

    delivery = enrolment_email_send(kind="confirmed", enrolment=enrolment)

    delivery = fresh(delivery)
    assert (delivery.status, delivery.attempts) == (EmailStatus.FAILED, 4)  # 3 waits, so 4 attempts
    assert delivery.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert delivery.next_attempt_at is None and delivery.sent_at is None
    assert not mail.outbox
    assert "failed after 4 attempts" in caplog.text
    flaky.failures = 0
    email_deliver.enqueue(delivery_id=delivery.pk)  # a stray task for it sends nothing
    assert not mail.outbox and fresh(delivery).attempts == 4


def test_a_sent_email_is_not_sent_again_by_a_replayed_task(cohort, learner, flaky):
    confirm_place(cohort, learner)
    delivery = EmailDelivery.objects.get()

    email_deliver.enqueue(delivery_id=delivery.pk)

    assert len(mail.outbox) == 1 and fresh(delivery).attempts == 1


def test_an_email_about_a_record_that_has_gone_fails_at_once(cohort, learner, flaky):
    delivery = EmailDelivery.objects.create(
        kind="confirmed",
        recipient=learner.email,
        subject="Your place is confirmed",
        params={"user_id": learner.pk, "cohort_id": 987654, "enrolment_id": None, "payment_id": None},
    )

    email_deliver.enqueue(delivery_id=delivery.pk)

    delivery = fresh(delivery)
    assert (delivery.status, delivery.attempts) == (EmailStatus.FAILED, 1)
    assert delivery.last_error.startswith("DoesNotExist")


def test_each_copy_of_a_cohort_message_is_its_own_delivery_retried_on_its_own(
    cohort, flaky, django_capture_on_commit_callbacks
):
    people = [EnrolmentFactory(cohort=cohort, user=UserFactory(email=f"p{n}@example.org")) for n in range(3)]
    lead = UserFactory(is_staff=True)
    flaky.failures = 1

    with django_capture_on_commit_callbacks(execute=True):
        message = services.cohort_message_send(
            cohort=cohort, audience=MessageAudience.CONFIRMED, subject="Room change", body="Bring a pen.", by_user=lead
        )

    deliveries = list(EmailDelivery.objects.order_by("pk"))
    assert [d.recipient for d in deliveries] == [e.user.email for e in people]
    assert [(d.kind, d.status) for d in deliveries] == [("cohort_message", EmailStatus.SENT)] * 3
    assert [d.attempts for d in deliveries] == [2, 1, 1]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(e.user.email for e in people)
    assert all(m.subject == "Room change: A systems approach" for m in mail.outbox)

    cohort_message_deliver.enqueue(message_id=message.pk)  # the task run twice queues nobody twice
    assert EmailDelivery.objects.count() == 3 and len(mail.outbox) == 3


# --- The administrators' view ----------------------------------------------------------------------------------------


def messages_of(response):
    return [html.unescape(str(message.message)).strip() for message in get_messages(response.wsgi_request)]


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(make_superuser())
    return client


def test_administrators_see_each_email_and_filter_by_status(admin_client, cohort, learner, flaky):
    failed = failed_delivery(cohort, learner, flaky)
    other = verified(UserFactory(email="jo.morgan@nhs.net"))
    confirm_place(cohort, other)
    sent = EmailDelivery.objects.get(recipient="jo.morgan@nhs.net")

    everything = admin_client.get(reverse("courses_emails:index")).content.decode()
    assert "sam.patel@nhs.net" in everything and "jo.morgan@nhs.net" in everything
    assert "Email deliveries" in admin_client.get(reverse("wagtailadmin_home")).content.decode()

    only_failed = admin_client.get(reverse("courses_emails:index"), {"status": "failed"}).content.decode()
    assert reverse("courses_emails:inspect", args=[failed.pk]) in only_failed
    assert reverse("courses_emails:inspect", args=[sent.pk]) not in only_failed
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in only_failed

    page = admin_client.get(reverse("courses_emails:inspect", args=[failed.pk])).content.decode()
    assert "Failed" in page and reverse("courses_emails:retry", args=[failed.pk]) in page
    page = admin_client.get(reverse("courses_emails:inspect", args=[sent.pk])).content.decode()
    assert reverse("courses_emails:retry", args=[sent.pk]) not in page


def test_retry_now_sends_a_failed_email_and_records_who_asked(admin_client, cohort, learner, flaky):
    delivery = failed_delivery(cohort, learner, flaky)
    retry_url = reverse("courses_emails:retry", args=[delivery.pk])

    confirm = admin_client.get(retry_url)
    assert confirm.status_code == HTTPStatus.OK and "Retry now" in confirm.content.decode()
    assert not mail.outbox, "a GET only asks"

    response = admin_client.post(retry_url)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("courses_emails:inspect", args=[delivery.pk])
    assert messages_of(response) == ["The email to sam.patel@nhs.net was sent."]
    delivery = fresh(delivery)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (EmailStatus.SENT, 5, "")
    assert [m.to for m in mail.outbox] == [["sam.patel@nhs.net"]]
    assert ModelLogEntry.objects.filter(action="courses.email_retry", object_id=str(delivery.pk)).exists()


def test_retry_now_that_fails_again_leaves_it_failed_with_the_new_error(admin_client, cohort, learner, flaky):
    delivery = failed_delivery(cohort, learner, flaky)
    flaky.failures, flaky.error = 1, ConnectionRefusedError(111, "Connection refused")

    admin_client.post(reverse("courses_emails:retry", args=[delivery.pk]))

    delivery = fresh(delivery)
    assert (delivery.status, delivery.attempts) == (EmailStatus.FAILED, 5)
    assert delivery.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"
    assert not mail.outbox


def test_retry_now_is_refused_for_an_email_that_did_not_fail(admin_client, cohort, learner, flaky):
    confirm_place(cohort, learner)
    sent = EmailDelivery.objects.get()

    response = admin_client.post(reverse("courses_emails:retry", args=[sent.pk]))

    assert response.status_code == HTTPStatus.OK
    assert "Only an email that failed can be retried." in messages_of(response)
    assert len(mail.outbox) == 1 and fresh(sent).attempts == 1


def test_retry_now_needs_the_csrf_token(cohort, learner, flaky):
    delivery = failed_delivery(cohort, learner, flaky)
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_superuser())

    response = client.post(reverse("courses_emails:retry", args=[delivery.pk]))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert fresh(delivery).status == EmailStatus.FAILED and not mail.outbox


def test_course_administrators_may_see_and_retry(cohort, learner, flaky):
    delivery = failed_delivery(cohort, learner, flaky)
    client = Client()
    client.force_login(make_group_member("Course administrators", "course.admin@example.org"))

    assert client.get(reverse("courses_emails:index")).status_code == HTTPStatus.OK
    assert client.post(reverse("courses_emails:retry", args=[delivery.pk])).status_code == HTTPStatus.FOUND
    assert fresh(delivery).status == EmailStatus.SENT


def test_others_are_turned_away_and_nothing_is_sent(cohort, learner, flaky):
    delivery = failed_delivery(cohort, learner, flaky)
    pages = [
        reverse("courses_emails:index"),
        reverse("courses_emails:inspect", args=[delivery.pk]),
        reverse("courses_emails:retry", args=[delivery.pk]),
    ]
    for user in [
        make_group_member("Editors", "editor@example.org"),
        make_group_member("Course leads", "course.lead@example.org"),
    ]:
        client = Client()
        client.force_login(user)
        for page in pages:
            response = client.get(page)
            assert response.status_code == HTTPStatus.FOUND and response.url == reverse("wagtailadmin_home"), page
        response = client.post(pages[-1])
        assert response.status_code == HTTPStatus.FOUND and response.url == reverse("wagtailadmin_home")
        assert reverse("courses_emails:index") not in client.get(reverse("wagtailadmin_home")).content.decode()
    learner_client = Client()
    learner_client.force_login(learner)
    for page in pages:
        assert learner_client.get(page).status_code == HTTPStatus.FOUND
    learner_client.post(pages[-1])
    assert fresh(delivery).status == EmailStatus.FAILED and not mail.outbox
