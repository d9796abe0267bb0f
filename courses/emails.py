"""Learner emails, in text and HTML, sent through the task API so that a slow or failing mail server never blocks a page."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

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


@task()
def send_learner_email(*, kind: str, enrolment_id=None, payment_id=None, user_id=None, cohort_id=None):
    from django.contrib.auth import get_user_model

    from .calendar import cohort_calendar
    from .models import Cohort, Enrolment, EnrolmentStatus, Payment

    user = get_user_model().objects.get(pk=user_id)
    cohort = Cohort.objects.select_related("course").get(pk=cohort_id)
    enrolment = Enrolment.objects.filter(pk=enrolment_id).first() if enrolment_id else None
    payment = Payment.objects.filter(pk=payment_id).first() if payment_id else None
    base_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    context = {
        "user": user,
        "cohort": cohort,
        "course": cohort.course,
        "enrolment": enrolment,
        "payment": payment,
        "subject": KINDS[kind],
        "base_url": base_url,
        "my_learning_url": f"{base_url}/my-learning/",
        "course_url": f"{base_url}{cohort.course.url or ''}",
    }
    message = EmailMultiAlternatives(
        subject=f"{KINDS[kind]}: {cohort.course.title}",
        body=render_to_string(f"courses/emails/{kind}.txt", context),
        to=[user.email],
    )
    message.attach_alternative(render_to_string(f"courses/emails/{kind}.html", context), "text/html")
    if kind == "confirmed" and enrolment and enrolment.status == EnrolmentStatus.CONFIRMED:
        message.attach(f"{cohort.code}.ics", cohort_calendar(cohort=cohort), "text/calendar")
    message.send()
