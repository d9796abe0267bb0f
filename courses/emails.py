"""Learner emails, in text and HTML, sent through the task API so that a slow or failing mail server never blocks a page.

Each email is an EmailDelivery row: the task builds it, sends it, and records the outcome. A send that fails (an SMTP
error, a refused connection) is tried again later by the task worker, a little longer each time, and is marked failed
after the last attempt, for an administrator to see and retry.
"""

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from django_tasks import task

from accounts.personal_data import is_closed_address

logger = logging.getLogger(__name__)

KINDS = {
    "confirmed": "Your place is confirmed",
    "waitlisted": "You are on the waiting list",
    "offered": "A place is available for you",
    "payment_received": "Payment received",
    "invoice_requested": "We have your invoice request",
    "withdrawn": "You have withdrawn",
    "refunded": "Your refund",
    "cohort_opened": "Enrolment is open",
    "invited": "You have been enrolled",
}
COHORT_MESSAGE = "cohort_message"
ACCOUNT_CLOSED = "Not sent: the learner closed their account."

#: Minutes to wait before each further attempt; one attempt more than there are waits, then the email has failed.
DEFAULT_RETRY_MINUTES = (1, 5, 15, 60)


def retry_minutes() -> tuple[int, ...]:
    return tuple(getattr(settings, "COURSES_EMAIL_RETRY_MINUTES", DEFAULT_RETRY_MINUTES))


def max_attempts() -> int:
    return len(retry_minutes()) + 1


def email_queue(*, kind: str, recipient: str, subject: str, params: dict):
    """Record one email and hand it to the task worker; none to a closed account, whose address is a placeholder."""
    from .models import EmailDelivery

    if is_closed_address(recipient):
        return None

    delivery = EmailDelivery.objects.create(kind=kind, recipient=recipient, subject=subject[:255], params=params)
    email_deliver.enqueue(delivery_id=delivery.pk)
    return delivery


def enrolment_email_send(*, kind: str, enrolment=None, payment=None, user=None, cohort=None):
    """Queue one email of `kind` about an enrolment (or, for 'cohort_opened', a cohort) to its learner."""
    user = user or enrolment.user
    cohort = cohort or enrolment.cohort
    return email_queue(
        kind=kind,
        recipient=user.email,
        subject=f"{KINDS[kind]}: {cohort.course.title}",
        params={
            "enrolment_id": enrolment.pk if enrolment else None,
            "payment_id": payment.pk if payment else None,
            "user_id": user.pk,
            "cohort_id": cohort.pk,
        },
    )


def _context(*, user, cohort, subject: str) -> dict:
    base_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    return {
        "user": user,
        "cohort": cohort,
        "course": cohort.course,
        "subject": subject,
        "base_url": base_url,
        "my_learning_url": f"{base_url}/my-learning/",
        "course_url": f"{base_url}{cohort.course.url or ''}",
    }


def _email(*, template: str, context: dict, subject: str, to: str) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(subject=subject, body=render_to_string(f"{template}.txt", context), to=[to])
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


def _set_password_url(user, base_url: str) -> str:
    """allauth's own password-reset link, made when the email is sent so that it is fresh."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)},
    )
    return base_url + path


def _learner_email(delivery) -> EmailMultiAlternatives:
    from django.contrib.auth import get_user_model

    from .calendar import cohort_calendar
    from .models import Cohort, Enrolment, EnrolmentStatus, Payment

    kind, params = delivery.kind, delivery.params
    user = get_user_model().objects.get(pk=params["user_id"])
    cohort = Cohort.objects.select_related("course").get(pk=params["cohort_id"])
    enrolment = Enrolment.objects.filter(pk=params["enrolment_id"]).first() if params.get("enrolment_id") else None
    context = _context(user=user, cohort=cohort, subject=KINDS[kind])
    context["enrolment"] = enrolment
    payment_id = params.get("payment_id")
    context["payment"] = Payment.objects.filter(pk=payment_id).first() if payment_id else None
    if kind == "invited":
        context["set_password_url"] = _set_password_url(user, context["base_url"])
    message = _email(
        template=f"courses/emails/{kind}", context=context, subject=delivery.subject, to=delivery.recipient
    )
    if kind in ("confirmed", "invited") and enrolment and enrolment.status == EnrolmentStatus.CONFIRMED:
        message.attach(f"{cohort.code}.ics", cohort_calendar(cohort=cohort), "text/calendar")
    return message


def _cohort_message_email(delivery) -> EmailMultiAlternatives:
    from .models import CohortMessageRecipient

    recipient = CohortMessageRecipient.objects.select_related(
        "user", "message__cohort__course", "message__sent_by"
    ).get(pk=delivery.params["recipient_id"])
    message = recipient.message
    context = _context(user=recipient.user, cohort=message.cohort, subject=message.subject)
    context["message"] = message
    return _email(
        template="courses/emails/cohort_message", context=context, subject=delivery.subject, to=delivery.recipient
    )


def _build(delivery) -> EmailMultiAlternatives:
    return _cohort_message_email(delivery) if delivery.kind == COHORT_MESSAGE else _learner_email(delivery)


def _retry_later(delivery_id: int, run_after: datetime.datetime):
    if email_deliver.get_backend().supports_defer:
        email_deliver.using(run_after=run_after).enqueue(delivery_id=delivery_id)
    else:
        # The immediate backend (development, tests) has no worker to come back later: it tries again at once.
        email_deliver.enqueue(delivery_id=delivery_id)


def _attempt_failed(delivery, error: Exception):
    from .models import EmailStatus

    delivery.last_error = f"{type(error).__name__}: {error}"
    waits = retry_minutes()
    if delivery.attempts > len(waits):
        delivery.status = EmailStatus.FAILED
        delivery.save(update_fields=["status", "attempts", "last_error", "next_attempt_at", "updated_at"])
        logger.error(
            "Email %s to %s failed after %s attempts: %s",
            delivery.pk,
            delivery.recipient,
            delivery.attempts,
            delivery.last_error,
        )
        return
    delivery.status = EmailStatus.RETRYING
    delivery.next_attempt_at = timezone.now() + datetime.timedelta(minutes=waits[delivery.attempts - 1])
    delivery.save(update_fields=["status", "attempts", "last_error", "next_attempt_at", "updated_at"])
    logger.warning(
        "Email %s to %s failed (attempt %s), retrying at %s: %s",
        delivery.pk,
        delivery.recipient,
        delivery.attempts,
        delivery.next_attempt_at,
        delivery.last_error,
    )
    _retry_later(delivery.pk, delivery.next_attempt_at)


@task()
def email_deliver(*, delivery_id: int):
    """Build and send one recorded email; on failure try again later, up to the last attempt."""
    from .models import EmailDelivery, EmailStatus

    delivery = EmailDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None or delivery.status not in (EmailStatus.QUEUED, EmailStatus.RETRYING):
        return  # already sent (a replayed task sends nothing twice), or failed and not asked to retry
    if is_closed_address(delivery.recipient):
        delivery.status, delivery.last_error, delivery.next_attempt_at = EmailStatus.FAILED, ACCOUNT_CLOSED, None
        delivery.save(update_fields=["status", "last_error", "next_attempt_at", "updated_at"])
        return
    delivery.attempts += 1
    delivery.next_attempt_at = None
    try:
        message = _build(delivery)
    except Exception as error:
        # What the email is about has gone, or a template is broken: another attempt would fail the same way.
        delivery.status, delivery.last_error = EmailStatus.FAILED, f"{type(error).__name__}: {error}"
        delivery.save(update_fields=["status", "attempts", "last_error", "next_attempt_at", "updated_at"])
        raise
    try:
        message.send()
    except Exception as error:  # noqa: BLE001 - whatever the mail backend raises (SMTP, a refused connection, an API)
        _attempt_failed(delivery, error)
        return
    delivery.status, delivery.sent_at, delivery.last_error = EmailStatus.SENT, timezone.now(), ""
    delivery.save(update_fields=["status", "attempts", "sent_at", "last_error", "next_attempt_at", "updated_at"])


def email_retry_now(delivery):
    """Send a failed email again at once (one more attempt): the caller has checked it failed."""
    from .models import EmailStatus

    delivery.status, delivery.next_attempt_at = EmailStatus.QUEUED, None
    delivery.save(update_fields=["status", "next_attempt_at", "updated_at"])
    email_deliver.enqueue(delivery_id=delivery.pk)


@task()
def send_learner_email(*, kind: str, enrolment_id=None, payment_id=None, user_id=None, cohort_id=None):
    """Tasks queued before deliveries were recorded: record and send them as any other."""
    from django.contrib.auth import get_user_model

    from .models import Cohort, Enrolment, Payment

    enrolment_email_send(
        kind=kind,
        enrolment=Enrolment.objects.filter(pk=enrolment_id).first() if enrolment_id else None,
        payment=Payment.objects.filter(pk=payment_id).first() if payment_id else None,
        user=get_user_model().objects.get(pk=user_id),
        cohort=Cohort.objects.select_related("course").get(pk=cohort_id),
    )


@task()
def cohort_message_deliver(*, message_id: int):
    """Send a course lead's message to each recipient on its record, one email each so no one sees another's address.

    Each copy is its own delivery, retried on its own; a replay of this task queues nobody twice.
    """
    from .models import CohortMessage, EmailDelivery

    message = CohortMessage.objects.select_related("cohort__course").get(pk=message_id)
    queued = set(
        EmailDelivery.objects.filter(kind=COHORT_MESSAGE, params__message_id=message.pk).values_list(
            "params__recipient_id", flat=True
        )
    )
    for recipient in message.recipients.order_by("pk"):
        if recipient.pk in queued:
            continue
        email_queue(
            kind=COHORT_MESSAGE,
            recipient=recipient.email,
            subject=f"{message.subject}: {message.cohort.course.title}",
            params={"message_id": message.pk, "recipient_id": recipient.pk},
        )
