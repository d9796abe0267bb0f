"""What courses holds about a learner, for their data download, and what closing their account does to it.

Retention: enrolments stay, without the employer the learner typed, so that seats, fee bands and payments still add up;
payments stay whole for six years after the financial year they fall in (HMRC); registered interest is deleted.
"""

import re

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.personal_data import log_labels_refresh, model_section

from . import dashboard_cache, services
from .emails import ACCOUNT_CLOSED, COHORT_MESSAGE
from .models import (
    Attendance,
    CohortMessageRecipient,
    CourseInterest,
    EmailDelivery,
    EmailStatus,
    Enrolment,
    EnrolmentStatus,
    Payment,
    PaymentEvent,
)
from .models.enrolments import OPEN_STATUSES

EMAIL_ADDRESS = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@,;]*[^\s@,;.]")


def _cohort(obj):
    return obj.cohort.code


def _course(obj):
    return obj.cohort.course.title


def _email_deliveries(user):
    """The emails sent to the person: about their enrolments, and their copies of messages to a cohort."""
    copies = CohortMessageRecipient.objects.filter(user=user).values_list("pk", flat=True)
    return EmailDelivery.objects.filter(
        Q(params__user_id=user.pk) | Q(kind=COHORT_MESSAGE, params__recipient_id__in=list(copies))
    )


def course_sections(user):
    enrolments = Enrolment.objects.filter(user=user).select_related("cohort__course").order_by("created_at", "pk")
    return [
        model_section(
            "enrolments",
            _("Enrolments"),
            enrolments,
            [
                ("course", _("Course"), _course),
                ("cohort", _("Cohort"), _cohort),
                "status",
                "fee_band",
                "fee_pence",
                "fee_band_reason",
                "band_override_reason",
                "employer",
                "declared_nhs_england_employer",
                "created_at",
                "confirmed_at",
                "ended_at",
            ],
        ),
        model_section(
            "payments",
            _("Payments"),
            Payment.objects.filter(enrolment__user=user).select_related("enrolment__cohort").order_by("created_at"),
            [
                ("cohort", _("Cohort"), lambda p: p.enrolment.cohort.code),
                "method",
                "status",
                "amount_pence",
                "organisation",
                "billing_contact",
                "billing_email",
                "purchase_order",
                "receipt_number",
                "created_at",
                "paid_at",
                "refunded_pence",
                "refunded_at",
            ],
        ),
        model_section(
            "attendance",
            _("Attendance"),
            Attendance.objects.filter(enrolment__user=user)
            .select_related("enrolment__cohort", "session")
            .order_by("session__date", "pk"),
            [("cohort", _("Cohort"), lambda a: a.enrolment.cohort.code), "session", "mark"],
        ),
        model_section(
            "course_interests",
            _("Courses you asked to hear about"),
            CourseInterest.objects.filter(user=user).select_related("course").order_by("created_at"),
            ["course", "created_at", "notified_at"],
        ),
        model_section(
            "messages_received",
            _("Messages from course teams"),
            CohortMessageRecipient.objects.filter(user=user).select_related("message__cohort").order_by("pk"),
            [
                ("cohort", _("Cohort"), lambda r: r.message.cohort.code),
                ("subject", _("Subject"), lambda r: r.message.subject),
                ("body", _("Message"), lambda r: r.message.body),
                ("sent_at", _("Sent"), lambda r: r.message.sent_at),
                "email",
            ],
        ),
        model_section(
            "emails",
            _("Emails we sent you"),
            _email_deliveries(user).order_by("created_at", "pk"),
            ["recipient", "subject", "status", "created_at", "sent_at"],
        ),
    ]


# What Stripe sends back about the payer in an event; the ids and amounts kept are enough for the accounts.
PAYER_DETAILS = ("customer_details", "customer_email", "billing_details", "receipt_email", "shipping_details")


def _payment_events_anonymise(user):
    payments = Payment.objects.filter(enrolment__user=user)
    ids = [str(pk) for pk in payments.values_list("pk", flat=True)]
    intents = [intent for intent in payments.values_list("provider_payment_id", flat=True) if intent]
    events = PaymentEvent.objects.filter(
        Q(payload__data__object__metadata__payment_id__in=ids) | Q(payload__data__object__payment_intent__in=intents)
    )
    for event in events:
        found = event.payload.get("data", {}).get("object", {})
        if any(found.pop(key, None) is not None for key in PAYER_DETAILS):
            event.save(update_fields=["payload"])


def courses_close_account(user):
    """Give up every open place (the seat goes to whoever waits next) and erase what is not kept."""
    for enrolment in Enrolment.objects.filter(user=user, status__in=OPEN_STATUSES).select_related("cohort"):
        cohort = services._lock_cohort(enrolment.cohort)
        enrolment = services._lock_enrolment(enrolment)
        if enrolment.status not in OPEN_STATUSES:
            continue
        refundable = None if cohort.has_started() else services._refundable_payment(enrolment)
        services._end(enrolment, EnrolmentStatus.WITHDRAWN)
        services._offer_next(cohort)
        if refundable is not None:
            # After the commit: a refund is a call to the provider that no rollback could undo.
            transaction.on_commit(lambda payment=refundable: services._refund_or_log(payment))
    enrolments = Enrolment.objects.filter(user=user)
    enrolments.update(employer="")
    dashboard_cache.retire(
        dashboard_cache.cohorts_of_learner(user.pk)
    )  # the roster shows the employer; update() sends no signal
    CourseInterest.objects.filter(user=user).delete()
    deliveries = _email_deliveries(user)
    # An SMTP error can quote the address it refused; what was not sent never will be.
    deliveries.update(recipient=user.email, last_error="")
    deliveries.exclude(status=EmailStatus.SENT).update(
        status=EmailStatus.FAILED, last_error=ACCOUNT_CLOSED, next_attempt_at=None
    )
    # The eligibility reason quoted the verified address it was decided on.
    for enrolment in enrolments.filter(fee_band_reason__contains="@"):
        enrolment.fee_band_reason = EMAIL_ADDRESS.sub(str(_("[address erased]")), enrolment.fee_band_reason)
        enrolment.save(update_fields=["fee_band_reason"])
    CohortMessageRecipient.objects.filter(user=user).update(email=user.email)
    _payment_events_anonymise(user)
    log_labels_refresh(enrolments.select_related("user", "cohort"))
