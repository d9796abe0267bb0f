"""The course administrators' part of the Wagtail admin: cohorts, enrolments and payments, under one "Courses" menu."""

from django.db.models import Q
from django.urls import path
from django.utils.translation import gettext_lazy as _

from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import ObjectList
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.viewsets.pages import PageListingViewSet

import django_filters

from . import admin_views, lead_views
from .admin_forms import CohortAdminForm
from .models import (
    Cohort,
    CoursePage,
    EmailDelivery,
    EmailStatus,
    Enrolment,
    EnrolmentStatus,
    FeeBand,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from .selectors import request_runs_cohorts, user_runs_all_cohorts


def _course_choices():
    return CoursePage.objects.order_by("title")


class CohortFilterSet(WagtailFilterSet):
    course = django_filters.ModelChoiceFilter(
        label=_("Course"), queryset=lambda request: _course_choices(), empty_label=_("All")
    )
    starts_on = django_filters.DateFromToRangeFilter(label=_("Starts on"), widget=DateRangePickerWidget)

    class Meta:
        model = Cohort
        fields = ["course", "starts_on"]


class EnrolmentFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=EnrolmentStatus.choices, empty_label=_("All"))
    fee_band = django_filters.ChoiceFilter(label=_("Fee band"), choices=FeeBand.choices, empty_label=_("All"))
    cohort = django_filters.ModelChoiceFilter(
        label=_("Cohort"),
        queryset=lambda request: Cohort.objects.order_by("-starts_on", "code"),
        empty_label=_("All"),
    )
    cohort__course = django_filters.ModelChoiceFilter(
        label=_("Course"),
        field_name="cohort__course",
        queryset=lambda request: _course_choices(),
        empty_label=_("All"),
    )

    class Meta:
        model = Enrolment
        fields = ["status", "fee_band", "cohort", "cohort__course"]


class PaymentFilterSet(WagtailFilterSet):
    method = django_filters.ChoiceFilter(label=_("Method"), choices=PaymentMethod.choices, empty_label=_("All"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=PaymentStatus.choices, empty_label=_("All"))
    refunded = django_filters.BooleanFilter(
        label=_("Refunded"), field_name="refunded_at", lookup_expr="isnull", exclude=True
    )
    refund_failed = django_filters.BooleanFilter(label=_("Refund failed"), method="filter_refund_failed")

    class Meta:
        model = Payment
        fields = ["method", "status", "refunded", "refund_failed"]

    def filter_refund_failed(self, queryset, name, value):
        failed = Q(status=PaymentStatus.PAID, refund_failed_at__isnull=False)
        if value is None:
            return queryset
        return queryset.filter(failed) if value else queryset.exclude(failed)


class EmailDeliveryFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=EmailStatus.choices, empty_label=_("All"))
    created_at = django_filters.DateFromToRangeFilter(label=_("Queued"), widget=DateRangePickerWidget)

    class Meta:
        model = EmailDelivery
        fields = ["status", "created_at"]


class ReadOnlyModelViewSet(ModelViewSet):
    """A listing with an inspect page and named actions, but no add, edit, copy or delete.

    Records such as enrolments and payments change only through courses.services (each action a POST form page),
    so the generic edit form, which would let anyone set a status by hand, is never routed.
    """

    inspect_view_enabled = True
    copy_view_enabled = False
    add_to_reference_index = False
    list_per_page = 50
    #: (url fragment, url name, view class) for each action on one object.
    actions = []

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            **{"add_url_name": None, "edit_url_name": None, "delete_url_name": None, "copy_url_name": None, **kwargs}
        )

    @property
    def url_finder_class(self):
        # There is no edit view: the audit trail (Site history) and other admin links go to the inspect page.
        return type("InspectURLFinder", (ModelAdminURLFinder,), {"edit_url_name": self.get_url_name("inspect")})

    def get_permissions_to_register(self):
        # Only these two mean anything here: there is no view that adds or deletes these records.
        codenames = [f"{action}_{self.model_name}" for action in ("view", "change")]
        return super().get_permissions_to_register().filter(codename__in=codenames)

    def get_action_view_kwargs(self):
        return {
            "model": self.model,
            "index_url_name": self.get_url_name("index"),
            "inspect_url_name": self.get_url_name("inspect"),
        }

    def get_urlpatterns(self):
        conv = self.pk_path_converter
        urlpatterns = [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path(f"inspect/<{conv}:pk>/", self.inspect_view, name="inspect"),
            path(f"history/<{conv}:pk>/", self.history_view, name="history"),
            path(f"history-results/<{conv}:pk>/", self.history_results_view, name="history_results"),
        ]
        for fragment, name, view_class in self.actions:
            view = view_class.as_view(**self.get_action_view_kwargs())
            urlpatterns.append(path(f"{fragment}/<{conv}:pk>/", view, name=name))
        return urlpatterns


class CohortViewSet(ModelViewSet):
    model = Cohort
    name = "courses_cohorts"
    url_prefix = "courses/cohorts"
    icon = "calendar"
    menu_label = _("Cohorts")
    menu_order = 100
    index_view_class = admin_views.CohortIndexView
    edit_view_class = admin_views.CohortEditView
    delete_view_class = admin_views.CohortDeleteView
    edit_handler = ObjectList(Cohort.panels, base_form_class=CohortAdminForm)
    copy_view_enabled = False
    list_per_page = 50
    list_display = [
        "code",
        "course",
        "starts_on",
        "capacity",
        Column("places_left", label=_("Places left"), accessor=admin_views.places_left),
        Column("waiting", label=_("Waiting list"), accessor="waiting", sort_key="waiting"),
    ]
    filterset_class = CohortFilterSet
    ordering = "-starts_on"
    search_fields = ["code", "course__title"]
    search_backend_name = None
    list_export = ["code", "course.title", "starts_on", "ends_on", "capacity", "places_left", "waiting"]
    export_headings = {
        "code": _("Code"),
        "course.title": _("Course"),
        "starts_on": _("Starts on"),
        "ends_on": _("Ends on"),
        "capacity": _("Capacity"),
        "places_left": _("Places left"),
        "waiting": _("Waiting list"),
    }
    export_filename = "cohorts"


class EnrolmentViewSet(ReadOnlyModelViewSet):
    model = Enrolment
    name = "courses_enrolments"
    url_prefix = "courses/enrolments"
    icon = "user"
    menu_label = _("Enrolments")
    menu_order = 200
    index_view_class = admin_views.EnrolmentIndexView
    inspect_view_class = admin_views.EnrolmentInspectView
    list_display = [
        "user",
        Column("email", label=_("Email"), accessor="user.email", sort_key="user__email"),
        Column("cohort", label=_("Cohort"), accessor="cohort.code", sort_key="cohort__code"),
        "status",
        "fee_band",
        Column(
            "fee",
            label=_("Fee"),
            accessor=lambda enrolment: admin_views.pounds(enrolment.fee_pence),
            sort_key="fee_pence",
        ),
        DateColumn("created_at", label=_("Created"), sort_key="created_at"),
    ]
    filterset_class = EnrolmentFilterSet
    ordering = "-created_at"
    search_fields = ["user__full_name", "user__email"]
    search_backend_name = None
    list_export = [
        "user.full_name",
        "user.email",
        "employer",
        "cohort.code",
        "get_status_display",
        "get_fee_band_display",
        "fee_pounds",
        "created_at",
    ]
    export_headings = {
        "user.full_name": _("Learner name"),
        "user.email": _("Email"),
        "employer": _("Employer"),
        "cohort.code": _("Cohort"),
        "get_status_display": _("Status"),
        "get_fee_band_display": _("Fee band"),
        "fee_pounds": _("Fee (£)"),
        "created_at": _("Created"),
    }
    export_filename = "enrolments"
    inspect_view_fields = [
        "user",
        "email",
        "course",
        "cohort",
        "status",
        "fee_band",
        "fee",
        "fee_band_reason",
        "override",
        "declared_nhs_england_employer",
        "employer",
        "payment_method",
        "hold_expires_at",
        "offer_expires_at",
        "waitlisted_at",
        "created_at",
        "confirmed_at",
        "ended_at",
        "transferred_from",
    ]
    actions = [
        ("override-band", "override_band", admin_views.FeeBandOverrideView),
        ("cancel", "cancel", admin_views.EnrolmentCancelView),
        ("transfer", "transfer", admin_views.EnrolmentTransferView),
    ]

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            override_band_url_name=self.get_url_name("override_band"),
            cancel_url_name=self.get_url_name("cancel"),
            transfer_url_name=self.get_url_name("transfer"),
            payment_inspect_url_name=PaymentViewSet.name + ":inspect",
            **kwargs,
        )


class PaymentViewSet(ReadOnlyModelViewSet):
    model = Payment
    name = "courses_payments"
    url_prefix = "courses/payments"
    icon = "form"
    menu_label = _("Payments")
    menu_order = 300
    index_view_class = admin_views.PaymentIndexView
    inspect_view_class = admin_views.PaymentInspectView
    list_display = [
        "enrolment",
        "method",
        "status",
        Column(
            "amount", label=_("Amount"), accessor=lambda p: admin_views.pounds(p.amount_pence), sort_key="amount_pence"
        ),
        Column(
            "refunded",
            label=_("Refunded"),
            accessor=lambda p: admin_views.pounds(p.refunded_pence) if p.refunded_pence else "",
            sort_key="refunded_pence",
        ),
        "receipt_number",
        "organisation",
        DateColumn("created_at", label=_("Created"), sort_key="created_at"),
    ]
    filterset_class = PaymentFilterSet
    ordering = "-created_at"
    search_fields = [
        "enrolment__user__full_name",
        "enrolment__user__email",
        "receipt_number",
        "purchase_order",
        "organisation",
    ]
    search_backend_name = None
    inspect_view_fields = [
        "learner",
        "enrolment",
        "method",
        "status",
        "amount",
        "vat",
        "organisation",
        "billing_contact",
        "billing_email",
        "purchase_order",
        "receipt_number",
        "created_at",
        "paid_at",
        "marked_paid_by",
        "refunded",
        "refunded_at",
        "provider_payment_id",
        "provider_refund_id",
        "refund_failed_at",
        "refund_error",
    ]
    list_export = [
        "enrolment.user.full_name",
        "enrolment.user.email",
        "enrolment.cohort.code",
        "get_method_display",
        "get_status_display",
        "amount_pounds",
        "vat_pounds",
        "organisation",
        "billing_contact",
        "billing_email",
        "purchase_order",
        "receipt_number",
        "created_at",
        "paid_at",
        "refunded_pounds",
        "refunded_at",
    ]
    export_headings = {
        "enrolment.user.full_name": _("Learner name"),
        "enrolment.user.email": _("Email"),
        "enrolment.cohort.code": _("Cohort"),
        "get_method_display": _("Method"),
        "get_status_display": _("Status"),
        "amount_pounds": _("Amount (£)"),
        "vat_pounds": _("VAT included (£)"),
        "organisation": _("Organisation"),
        "billing_contact": _("Billing contact"),
        "billing_email": _("Billing email"),
        "purchase_order": _("Purchase-order number"),
        "receipt_number": _("Receipt number"),
        "created_at": _("Created"),
        "paid_at": _("Paid"),
        "refunded_pounds": _("Refunded (£)"),
        "refunded_at": _("Refunded on"),
    }
    export_filename = "payments"
    actions = [
        ("mark-paid", "mark_paid", admin_views.InvoiceMarkPaidView),
        ("retry-refund", "retry_refund", admin_views.RefundRetryView),
    ]

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            mark_paid_url_name=self.get_url_name("mark_paid"),
            refund_retry_url_name=self.get_url_name("retry_refund"),
            enrolment_inspect_url_name=EnrolmentViewSet.name + ":inspect",
            **kwargs,
        )


class EmailDeliveryViewSet(ReadOnlyModelViewSet):
    """Every email the courses app sent or tried to send, for administrators to see what failed and send it again."""

    model = EmailDelivery
    name = "courses_emails"
    url_prefix = "courses/emails"
    icon = "mail"
    menu_label = _("Email deliveries")
    menu_order = 500
    inspect_view_class = admin_views.EmailDeliveryInspectView
    list_display = [
        "recipient",
        "subject",
        "status",
        "attempts",
        Column("last_error", label=_("Last error"), accessor=lambda d: d.last_error[:120]),
        DateColumn("created_at", label=_("Queued"), sort_key="created_at"),
        DateColumn("updated_at", label=_("Last changed"), sort_key="updated_at"),
    ]
    filterset_class = EmailDeliveryFilterSet
    ordering = "-created_at"
    search_fields = ["recipient", "subject", "kind"]
    search_backend_name = None
    inspect_view_fields = [
        "recipient",
        "kind",
        "subject",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "updated_at",
    ]
    actions = [("retry", "retry", admin_views.EmailDeliveryRetryView)]

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(retry_url_name=self.get_url_name("retry"), **kwargs)


class CoursePageListingViewSet(PageListingViewSet):
    """Every course page in one flat list (the pages themselves live under the course catalogue)."""

    model = CoursePage
    name = "courses_pages"
    url_prefix = "courses/pages"
    icon = "doc-full"
    menu_label = _("Course pages")
    menu_order = 50


class CohortDashboardMenuItem(MenuItem):
    def is_shown(self, request):
        return request_runs_cohorts(request)


class CohortDashboardViewSet(ViewSet):
    """A dashboard per cohort for its course leads (and course administrators): roster, register, messages, sign-off.

    There is no model permission to check: who may open a cohort is who leads it, so each view asks
    `cohorts_for_staff` and the menu item shows only to someone with a cohort to open.
    """

    name = lead_views.URL_NAMESPACE
    url_prefix = "courses/dashboards"
    icon = "calendar"
    menu_label = _("Cohort dashboards")
    menu_order = 10
    menu_item_class = CohortDashboardMenuItem

    def get_urlpatterns(self):
        cohort = "<int:cohort_pk>"
        return [
            path("", lead_views.CohortListView.as_view(), name="index"),
            path(f"{cohort}/", lead_views.CohortDashboardView.as_view(), name="dashboard"),
            path(f"{cohort}/register/<int:session_pk>/", lead_views.RegisterView.as_view(), name="register"),
            path(f"{cohort}/joining/", lead_views.JoiningDetailsView.as_view(), name="joining"),
            path(f"{cohort}/message/", lead_views.MessageView.as_view(), name="message"),
            path(f"{cohort}/sign-off/", lead_views.SignOffView.as_view(), name="sign_off"),
            path(f"{cohort}/enrol-group/", lead_views.BulkEnrolView.as_view(), name="bulk_enrol"),
            path(
                f"{cohort}/waiting/<int:enrolment_pk>/<str:action>/",
                lead_views.WaitlistActionView.as_view(),
                name="waitlist_action",
            ),
        ]


class CourseReportMenuItem(MenuItem):
    def is_shown(self, request):
        return user_runs_all_cohorts(user=request.user)


class CourseReportViewSet(ViewSet):
    name = "courses_report"
    url_prefix = "courses/report"
    icon = "table"
    menu_label = _("Course report")
    menu_order = 400
    menu_item_class = CourseReportMenuItem

    def get_urlpatterns(self):
        return [path("", lead_views.ReportView.as_view(), name="index")]


class CoursesAdminGroup(ViewSetGroup):
    menu_label = _("Courses")
    menu_icon = "calendar-check"
    menu_order = 250
    items = (
        CohortDashboardViewSet,
        CoursePageListingViewSet,
        CohortViewSet,
        EnrolmentViewSet,
        PaymentViewSet,
        CourseReportViewSet,
        EmailDeliveryViewSet,
    )
