"""The views behind the course administrators' screens; every change goes through courses.services."""

import datetime
from decimal import Decimal

from django.contrib.admin.utils import quote, unquote
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.generic.edit import FormView

from wagtail.admin import messages
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import BaseObjectMixin, WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets.button import HeaderButton
from wagtail.coreutils import multigetattr
from wagtail.log_actions import log

from allauth.account.decorators import reauthentication_required

from audit import log_actions_registrar
from uploads import SafeCsvExportMixin

from . import services
from .admin_forms import ConfirmForm, EnrolmentTransferForm, FeeBandOverrideForm
from .exceptions import EnrolmentError
from .models import (
    OPEN_STATUSES,
    Cohort,
    EmailDelivery,
    EmailStatus,
    Enrolment,
    EnrolmentStatus,
    FeeBand,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from .selectors import cohorts_with_places

LOG_ACTIONS = {
    "courses.fee_band_override": (_("Override fee band"), _("Fee band overridden")),
    "courses.enrolment_cancel": (_("Cancel enrolment"), _("Enrolment cancelled")),
    "courses.enrolment_transfer": (_("Transfer enrolment"), _("Enrolment transferred to another cohort")),
    "courses.invoice_mark_paid": (_("Mark invoice paid"), _("Invoice marked paid")),
    "courses.cohort_message": (_("Message the cohort"), _("Message sent to the cohort")),
    "courses.sign_off": (_("Sign off completion"), _("Completion signed off")),
    "courses.bulk_enrol": (_("Enrol a group"), _("Group enrolled from a CSV file")),
    "courses.waitlist_promote": (_("Offer a place"), _("Place offered from the waiting list")),
    "courses.waitlist_remove": (_("Remove from waiting list"), _("Removed from the waiting list")),
    "courses.refund_retry": (_("Retry refund"), _("Refund retried")),
    "courses.email_retry": (_("Retry email"), _("Email sent again")),
    "courses.enrolment_withdraw": (_("Withdraw"), _("Learner withdrew")),
    "courses.refund": (_("Refund"), _("Card payment refunded")),
}


register_log_actions = log_actions_registrar(LOG_ACTIONS)


def pounds(pence: int | None) -> str:
    return "" if pence is None else f"£{pence / 100:,.2f}"


def pounds_decimal(pence: int | None) -> Decimal | None:
    """Pence as a decimal number of pounds with two places, for spreadsheets."""
    return None if pence is None else (Decimal(pence) / 100).quantize(Decimal("0.01"))


def local_datetime_text(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def local_naive_datetime(value: datetime.datetime | None):
    return timezone.make_naive(value) if value and timezone.is_aware(value) else value


class _ChunkedRows:
    """A queryset read in chunks: the export iterates it once without caching every row in memory."""

    def __init__(self, queryset: QuerySet, chunk_size: int):
        self.queryset, self.chunk_size, self.model = queryset, chunk_size, queryset.model

    def __iter__(self):
        return self.queryset.iterator(chunk_size=self.chunk_size)


class StreamingExportMixin(SafeCsvExportMixin):
    """CSV and XLSX exports that read rows in chunks and skip the listing's page context entirely; text that looks like
    a formula is written as text.

    `export_values` maps an export column to a function of the row, for values that are not attributes
    (money in pounds, places left). Datetimes are written in local time.
    """

    export_chunk_size = 500
    export_values = {}
    export_datetime_fields = ()

    def get(self, request, *args, **kwargs):
        if self.is_export:
            return self.as_spreadsheet(self.get_queryset(), request.GET.get("export"))
        return super().get(request, *args, **kwargs)

    def as_spreadsheet(self, queryset, spreadsheet_format):
        if isinstance(queryset, QuerySet):
            queryset = _ChunkedRows(queryset, self.export_chunk_size)
        return super().as_spreadsheet(queryset, spreadsheet_format)

    @cached_property
    def custom_field_preprocess(self):
        return {
            field: {self.FORMAT_CSV: local_datetime_text, self.FORMAT_XLSX: local_naive_datetime}
            for field in self.export_datetime_fields
        }

    def to_row_dict(self, item):
        return {
            field: self.export_values[field](item) if field in self.export_values else multigetattr(item, field)
            for field in self.list_export
        }


# --- Cohorts -----------------------------------------------------------------------------------------------------------


def places_left(cohort) -> int:
    return max(cohort.capacity - cohort.seats_taken, 0)


class CohortIndexView(StreamingExportMixin, generic.IndexView):
    export_values = {"places_left": places_left, "waiting": lambda cohort: cohort.waiting}

    def get_base_queryset(self):
        return cohorts_with_places(super().get_base_queryset().select_related("course")).annotate(
            waiting=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.WAITLISTED))
        )


class CohortEditView(generic.EditView):
    """Saving a cohort whose capacity went up offers the new places to the waiting list at once."""

    offered = ()

    def save_instance(self):
        previous_capacity = Cohort.objects.values_list("capacity", flat=True).get(pk=self.form.instance.pk)
        cohort = super().save_instance()
        if cohort.capacity > previous_capacity:
            self.offered = services.cohort_offer_free_seats(cohort=cohort)
        return cohort

    def save_action(self):
        response = super().save_action()
        if self.offered and not self.expects_json_response:
            count = len(self.offered)
            messages.success(
                self.request,
                ngettext(
                    "%(count)d place was offered to the next learner on the waiting list.",
                    "%(count)d places were offered to the next learners on the waiting list.",
                    count,
                )
                % {"count": count},
            )
        return response


class CohortDeleteView(generic.DeleteView):
    """A cohort with enrolment records (even cancelled ones) is kept: they are the history of who took part."""

    template_name = "courses/admin/cohort_confirm_delete.html"

    @cached_property
    def enrolment_count(self):
        return self.object.enrolments.count()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["enrolment_count"] = self.enrolment_count
        if self.enrolment_count:
            context["is_protected"] = True
        return context

    def form_valid(self, form):
        if self.enrolment_count:
            messages.error(self.request, gettext("This cohort has enrolments, so it cannot be deleted."))
            return redirect(self.get_success_url())
        return super().form_valid(form)


# --- Enrolments --------------------------------------------------------------------------------------------------------


class EnrolmentIndexView(StreamingExportMixin, generic.IndexView):
    export_values = {"fee_pounds": lambda enrolment: pounds_decimal(enrolment.fee_pence)}
    export_datetime_fields = ("created_at",)

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("user", "cohort")


class ExtraFieldsInspectMixin:
    """Inspect views that show values which are not model fields, each from a `get_<name>_display_value` method."""

    extra_field_labels = {}

    def get_field_label(self, field_name, field):
        if field_name in self.extra_field_labels:
            return capfirst(self.extra_field_labels[field_name])
        return super().get_field_label(field_name, field)

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        if isinstance(value, datetime.datetime):
            return timezone.localtime(value).strftime("%d %b %Y %H:%M")
        if value is None or value == "":
            return "-"
        return value


class EnrolmentInspectView(ExtraFieldsInspectMixin, generic.InspectView):
    template_name = "courses/admin/enrolment_inspect.html"
    page_title = _("Enrolment")
    override_band_url_name = cancel_url_name = transfer_url_name = payment_inspect_url_name = None
    extra_field_labels = {"email": _("email"), "course": _("course"), "fee": _("fee"), "override": _("override")}

    def get_object(self, queryset=None):
        return get_object_or_404(
            Enrolment.objects.select_related(
                "user", "cohort", "cohort__course", "band_overridden_by", "transferred_from__cohort"
            ),
            pk=unquote(str(self.pk)),
        )

    def get_email_display_value(self):
        return self.object.user.email

    def get_course_display_value(self):
        return self.object.cohort.course.title

    def get_fee_display_value(self):
        return pounds(self.object.fee_pence)

    def get_override_display_value(self):
        enrolment = self.object
        if not enrolment.band_overridden_at:
            return "-"
        return gettext("%(reason)s (by %(who)s, %(when)s)") % {
            "reason": enrolment.band_override_reason,
            "who": enrolment.band_overridden_by or gettext("a former administrator"),
            "when": timezone.localtime(enrolment.band_overridden_at).strftime("%d %b %Y %H:%M"),
        }

    def get_declared_nhs_england_employer_display_value(self):
        return gettext("Yes") if self.object.declared_nhs_england_employer else gettext("No")

    def get_transferred_from_display_value(self):
        previous = self.object.transferred_from
        return previous.cohort.code if previous else "-"

    def can_change(self):
        return self.user_has_permission("change")

    @cached_property
    def header_buttons(self):
        if not self.can_change():
            return []
        enrolment, pk = self.object, quote(self.object.pk)
        buttons = [
            HeaderButton(
                _("Override fee band"),
                url=reverse(self.override_band_url_name, args=[pk]),
                icon_name="edit",
                priority=10,
            )
        ]
        if enrolment.status in [EnrolmentStatus.CONFIRMED, EnrolmentStatus.AWAITING_PAYMENT]:
            buttons.append(
                HeaderButton(
                    _("Transfer"), url=reverse(self.transfer_url_name, args=[pk]), icon_name="resubmit", priority=20
                )
            )
        if enrolment.status in OPEN_STATUSES:
            buttons.append(
                HeaderButton(
                    _("Cancel enrolment"), url=reverse(self.cancel_url_name, args=[pk]), icon_name="cross", priority=30
                )
            )
        return buttons

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        payments = list(self.object.payments.select_related("marked_paid_by").order_by("created_at"))
        for payment in payments:
            payment.url = reverse(self.payment_inspect_url_name, args=[quote(payment.pk)])
            payment.amount_display = pounds(payment.amount_pence)
            payment.refunded_display = pounds(payment.refunded_pence) if payment.refunded_pence else ""
        context["payments"] = payments
        return context


# --- Payments ----------------------------------------------------------------------------------------------------------


class PaymentIndexView(StreamingExportMixin, generic.IndexView):
    export_values = {
        "amount_pounds": lambda payment: pounds_decimal(payment.amount_pence),
        "vat_pounds": lambda payment: pounds_decimal(payment.vat_pence),
        "refunded_pounds": lambda payment: pounds_decimal(payment.refunded_pence),
    }
    export_datetime_fields = ("created_at", "paid_at", "refunded_at")

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("enrolment__user", "enrolment__cohort")


def payment_title(payment) -> str:
    return gettext("%(method)s, %(amount)s: %(learner)s on %(cohort)s") % {
        "method": payment.get_method_display(),
        "amount": pounds(payment.amount_pence),
        "learner": payment.enrolment.user,
        "cohort": payment.enrolment.cohort.code,
    }


class PaymentInspectView(ExtraFieldsInspectMixin, generic.InspectView):
    page_title = _("Payment")
    mark_paid_url_name = enrolment_inspect_url_name = refund_retry_url_name = None
    extra_field_labels = {
        "learner": _("learner"),
        "amount": _("amount"),
        "vat": _("VAT included"),
        "refunded": _("amount refunded"),
    }

    def get_page_subtitle(self):
        return payment_title(self.object)

    def get_object(self, queryset=None):
        return get_object_or_404(
            Payment.objects.select_related("enrolment__user", "enrolment__cohort", "marked_paid_by"),
            pk=unquote(str(self.pk)),
        )

    def get_learner_display_value(self):
        user = self.object.enrolment.user
        return f"{user.full_name} <{user.email}>"

    def get_enrolment_display_value(self):
        return str(self.object.enrolment)

    def get_amount_display_value(self):
        return pounds(self.object.amount_pence)

    def get_vat_display_value(self):
        return pounds(self.object.vat_pence)

    def get_refunded_display_value(self):
        return pounds(self.object.refunded_pence) if self.object.refunded_pence else "-"

    @cached_property
    def header_buttons(self):
        payment, buttons = self.object, []
        if self.enrolment_inspect_url_name:
            buttons.append(
                HeaderButton(
                    _("Enrolment"),
                    url=reverse(self.enrolment_inspect_url_name, args=[quote(payment.enrolment_id)]),
                    icon_name="user",
                    priority=10,
                )
            )
        if (
            payment.method == PaymentMethod.INVOICE
            and payment.status == PaymentStatus.PENDING
            and self.user_has_permission("change")
        ):
            buttons.append(
                HeaderButton(
                    _("Mark invoice paid"),
                    url=reverse(self.mark_paid_url_name, args=[quote(payment.pk)]),
                    icon_name="tick-inverse",
                    priority=20,
                )
            )
        if (
            self.refund_retry_url_name
            and payment.status == PaymentStatus.PAID
            and payment.refund_failed_at
            and self.user_has_permission("change")
        ):
            buttons.append(
                HeaderButton(
                    _("Retry refund"),
                    url=reverse(self.refund_retry_url_name, args=[quote(payment.pk)]),
                    icon_name="resubmit",
                    priority=30,
                )
            )
        return buttons


# --- Actions -----------------------------------------------------------------------------------------------------------


class ObjectActionView(PermissionCheckedMixin, BaseObjectMixin, WagtailAdminTemplateMixin, FormView):
    """A form page for one action on one object. POST (with CSRF) runs the service; a refusal changes nothing.

    A refusal (EnrolmentError) is shown as an error message and the form again; success redirects to the object.
    """

    permission_required = "change"
    template_name = "courses/admin/action.html"
    form_class = ConfirmForm
    model = None
    index_url_name = None
    inspect_url_name = None
    header_icon = ""
    page_title = ""
    submit_label = _("Confirm")
    serious = False
    intro = ""
    log_action = None

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        items = []
        if self.index_url_name:
            items.append({"url": reverse(self.index_url_name), "label": capfirst(self.model._meta.verbose_name_plural)})
        items.append({"url": self.get_success_url(), "label": self.get_page_subtitle()})
        items.append({"url": "", "label": self.get_page_title()})
        return self.breadcrumbs_items + items

    def get_success_url(self):
        return reverse(self.inspect_url_name, args=[quote(self.object.pk)])

    def get_summary(self):
        """(label, value) pairs describing the object, shown above the form."""
        return []

    def get_intro(self):
        return self.intro

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "object": self.object,
                "summary": self.get_summary(),
                "intro": self.get_intro(),
                "submit_label": self.submit_label,
                "serious": self.serious,
                "back_url": self.get_success_url(),
                "media": context["form"].media,
            }
        )
        return context

    def perform(self, form) -> str:
        """Run the service and return the success message; raise EnrolmentError to refuse."""
        raise NotImplementedError

    def get_log_data(self, form) -> dict:
        return {}

    def form_valid(self, form):
        try:
            message = self.perform(form)
        except EnrolmentError as error:
            messages.error(self.request, error.message)
            return self.render_to_response(self.get_context_data(form=form))
        if self.log_action:
            log(instance=self.object, action=self.log_action, user=self.request.user, data=self.get_log_data(form))
        messages.success(self.request, message)
        return redirect(self.get_success_url())

    def form_invalid(self, form):
        messages.error(self.request, gettext("Nothing was changed: correct the errors below."))
        return super().form_invalid(form)


class EnrolmentActionView(ObjectActionView):
    model = Enrolment
    header_icon = "user"

    def get_base_object_queryset(self):
        return Enrolment.objects.select_related("user", "cohort", "cohort__course")

    def get_summary(self):
        enrolment = self.object
        return [
            (_("Learner"), f"{enrolment.user.full_name} <{enrolment.user.email}>"),
            (_("Course"), enrolment.cohort.course.title),
            (_("Cohort"), str(enrolment.cohort)),
            (_("Status"), enrolment.get_status_display()),
            (_("Fee band"), f"{enrolment.get_fee_band_display()} ({pounds(enrolment.fee_pence)})"),
        ]


class FeeBandOverrideView(EnrolmentActionView):
    form_class = FeeBandOverrideForm
    page_title = _("Override fee band")
    submit_label = _("Override fee band")
    intro = _(
        "The new band sets the fee: free, or the course's external fee. Moving a place that is awaiting payment "
        "into the free band confirms it. The reason and your name are recorded."
    )
    log_action = "courses.fee_band_override"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "enrolment": self.object}

    def perform(self, form):
        self.object = services.fee_band_override(
            enrolment=self.object,
            band=form.cleaned_data["band"],
            reason=form.cleaned_data["reason"],
            by_user=self.request.user,
        )
        return gettext("Fee band for %(learner)s is now '%(band)s' (%(fee)s).") % {
            "learner": self.object.user,
            "band": FeeBand(self.object.fee_band).label,
            "fee": pounds(self.object.fee_pence),
        }

    def get_log_data(self, form):
        return {"band": form.cleaned_data["band"], "reason": form.cleaned_data["reason"]}


class EnrolmentCancelView(EnrolmentActionView):
    page_title = _("Cancel enrolment")
    submit_label = _("Yes, cancel this enrolment")
    serious = True
    intro = _(
        "The learner loses their place or waiting-list entry, and a freed place is offered to the next person "
        "waiting. A card payment is not refunded by this; refund it in Stripe if it is due."
    )
    log_action = "courses.enrolment_cancel"

    def perform(self, form):
        self.object = services.enrolment_cancel(enrolment=self.object, by_user=self.request.user)
        return gettext("The enrolment of %(learner)s on %(cohort)s is cancelled.") % {
            "learner": self.object.user,
            "cohort": self.object.cohort.code,
        }


class EnrolmentTransferView(EnrolmentActionView):
    form_class = EnrolmentTransferForm
    page_title = _("Transfer to another cohort")
    submit_label = _("Transfer")
    intro = _(
        "The place moves to another cohort of the same course with its fee band and payments. "
        "The old place is offered to the next person waiting."
    )
    log_action = "courses.enrolment_transfer"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "enrolment": self.object}

    def perform(self, form):
        self.moved = services.enrolment_transfer(
            enrolment=self.object, to_cohort=form.cleaned_data["to_cohort"], by_user=self.request.user, as_admin=True
        )
        return gettext("%(learner)s is transferred to %(cohort)s.") % {
            "learner": self.moved.user,
            "cohort": self.moved.cohort.code,
        }

    def get_log_data(self, form):
        return {"to_cohort": form.cleaned_data["to_cohort"].code, "new_enrolment": self.moved.pk}

    def get_success_url(self):
        # After a transfer the learner's place is the new enrolment on the other cohort.
        target = getattr(self, "moved", None) or self.object
        return reverse(self.inspect_url_name, args=[quote(target.pk)])


class PaymentActionView(ObjectActionView):
    model = Payment
    header_icon = "form"

    def get_base_object_queryset(self):
        return Payment.objects.select_related("enrolment__user", "enrolment__cohort")

    def get_page_subtitle(self):
        return payment_title(self.object)

    def get_summary(self):
        user = self.object.enrolment.user
        return [(_("Learner"), f"{user.full_name} <{user.email}>")]


class InvoiceMarkPaidView(PaymentActionView):
    page_title = _("Mark invoice paid")
    submit_label = _("Yes, the invoice is paid")
    intro = _("The payment is recorded as paid by you, a receipt is issued and the learner's place is confirmed.")
    log_action = "courses.invoice_mark_paid"

    def get_summary(self):
        payment = self.object
        return [
            *super().get_summary(),
            (_("Cohort"), str(payment.enrolment.cohort)),
            (_("Amount"), pounds(payment.amount_pence)),
            (_("Organisation"), payment.organisation),
            (_("Purchase-order number"), payment.purchase_order),
            (_("Status"), payment.get_status_display()),
        ]

    def perform(self, form):
        if self.object.status == PaymentStatus.PAID:
            # The service would accept this quietly (a replay changes nothing); a person should be told.
            raise EnrolmentError(
                gettext("This invoice is already paid (receipt %(receipt)s).") % {"receipt": self.object.receipt_number}
            )
        self.object = services.invoice_mark_paid(payment=self.object, by_user=self.request.user)
        enrolment = self.object.enrolment
        if enrolment.status == EnrolmentStatus.CONFIRMED:
            outcome = gettext("The place of %(learner)s is confirmed.") % {"learner": enrolment.user}
        else:
            outcome = gettext("The enrolment of %(learner)s is %(status)s.") % {
                "learner": enrolment.user,
                "status": enrolment.get_status_display().lower(),
            }
        return (
            gettext("Invoice marked paid: receipt %(receipt)s.") % {"receipt": self.object.receipt_number}
            + " "
            + outcome
        )


class RefundRetryView(PaymentActionView):
    page_title = _("Retry refund")
    submit_label = _("Retry the refund now")
    intro = _(
        "The refund of this card payment could not be made (the card payment service timed out or was down). "
        "Retrying asks Stripe again; a refund Stripe already made is not made twice."
    )
    log_action = "courses.refund_retry"

    # Money leaves the organisation: the password (or authenticator code) is asked again first. On post, after the
    # permission check in dispatch, so that someone without the permission is refused rather than asked.
    @method_decorator(reauthentication_required)
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def get_summary(self):
        payment = self.object
        return [
            *super().get_summary(),
            (_("Amount"), pounds(payment.amount_pence)),
            (_("Status"), payment.get_status_display()),
            (_("Refund failed"), local_datetime_text(payment.refund_failed_at)),
            (_("Error"), payment.refund_error),
        ]

    def perform(self, form):
        self.object = services.payment_refund_retry(payment=self.object, by_user=self.request.user)
        return gettext("Refunded %(amount)s to %(learner)s.") % {
            "amount": pounds(self.object.refunded_pence),
            "learner": self.object.enrolment.user,
        }


# --- Email deliveries --------------------------------------------------------------------------------------------------


class EmailDeliveryInspectView(ExtraFieldsInspectMixin, generic.InspectView):
    page_title = _("Email delivery")
    retry_url_name = None

    def get_page_subtitle(self):
        return str(self.object)

    @cached_property
    def header_buttons(self):
        if self.object.status != EmailStatus.FAILED or not self.user_has_permission("change"):
            return []
        return [
            HeaderButton(
                _("Retry now"), url=reverse(self.retry_url_name, args=[quote(self.object.pk)]), icon_name="resubmit"
            )
        ]


class EmailDeliveryRetryView(ObjectActionView):
    model = EmailDelivery
    header_icon = "mail"
    page_title = _("Retry email")
    submit_label = _("Retry now")
    intro = _("The email is built again from the current records and sent at once. If that fails, it stays failed.")
    log_action = "courses.email_retry"

    def get_summary(self):
        delivery = self.object
        return [
            (_("Recipient"), delivery.recipient),
            (_("Subject"), delivery.subject),
            (_("Status"), delivery.get_status_display()),
            (_("Attempts"), delivery.attempts),
            (_("Last error"), delivery.last_error),
        ]

    def perform(self, form):
        self.object = services.email_delivery_retry(delivery=self.object, by_user=self.request.user)
        if self.object.status == EmailStatus.SENT:
            return gettext("The email to %(recipient)s was sent.") % {"recipient": self.object.recipient}
        return gettext("The email to %(recipient)s is queued to be sent again.") % {"recipient": self.object.recipient}
