"""Learner emails, in text and HTML, sent through the task API so that a slow or failing mail server never blocks a page."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse

from django_tasks import task

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


def enrolment_email_send(*, kind: str, enrolment=None, payment=None, user=None, cohort=None):
    """Queue one email of `kind` about an enrolment (or, for 'cohort_opened', a cohort) to its learner."""
    send_learner_email.enqueue(
        kind=kind,
        enrolment_id=enrolment.pk if enrolment else None,
        payment_id=payment.pk if payment else None,
        user_id=(user or enrolment.user).pk,
        cohort_id=(cohort or enrolment.cohort).pk,
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


@task()
def send_learner_email(*, kind: str, enrolment_id=None, payment_id=None, user_id=None, cohort_id=None):
    from django.contrib.auth import get_user_model

    from .calendar import cohort_calendar
    from .models import Cohort, Enrolment, EnrolmentStatus, Payment

    user = get_user_model().objects.get(pk=user_id)
    cohort = Cohort.objects.select_related("course").get(pk=cohort_id)
    enrolment = Enrolment.objects.filter(pk=enrolment_id).first() if enrolment_id else None
    context = _context(user=user, cohort=cohort, subject=KINDS[kind])
    context["enrolment"] = enrolment
    context["payment"] = Payment.objects.filter(pk=payment_id).first() if payment_id else None
    if kind == "invited":
        context["set_password_url"] = _set_password_url(user, context["base_url"])
    message = _email(
        template=f"courses/emails/{kind}",
        context=context,
        subject=f"{KINDS[kind]}: {cohort.course.title}",
        to=user.email,
    )
    if kind in ("confirmed", "invited") and enrolment and enrolment.status == EnrolmentStatus.CONFIRMED:
        message.attach(f"{cohort.code}.ics", cohort_calendar(cohort=cohort), "text/calendar")
    message.send()


@task()
def cohort_message_deliver(*, message_id: int):
    """Send a course lead's message to each recipient on its record, one email each so no one sees another's address."""
    from .models import CohortMessage

    message = CohortMessage.objects.select_related("cohort__course", "sent_by").get(pk=message_id)
    cohort = message.cohort
    emails = []
    for recipient in message.recipients.select_related("user"):
        context = _context(user=recipient.user, cohort=cohort, subject=message.subject)
        context["message"] = message
        emails.append(
            _email(
                template="courses/emails/cohort_message",
                context=context,
                subject=f"{message.subject}: {cohort.course.title}",
                to=recipient.email,
            )
        )
    get_connection().send_messages(emails)
