"""The course lead's screens in the Wagtail admin: one dashboard per cohort, and what a lead does from it.

Every view finds its cohort among `cohorts_for_staff(user)`: a course lead reaches only the cohorts they lead (any other
is a 404), course administrators and superusers reach all. Every change goes through courses.services.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from django.views.generic.edit import FormView

from wagtail.admin import messages
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.mixins import SpreadsheetExportMixin
from wagtail.log_actions import log

from accounts.models import Profile
from uploads import SafeCsvExportMixin, csv_writer

from . import dashboard_cache, services
from .admin_forms import (
    BulkEnrolForm,
    CohortMessageForm,
    JoiningDetailsForm,
    RegisterForm,
    ReportFilterForm,
    SignOffForm,
)
from .admin_views import pounds, pounds_decimal
from .exceptions import EnrolmentError
from .extensions import dashboard_panels, roster_columns
from .models import (
    SEAT_STATUSES,
    AttendanceMark,
    CohortMessageRecipient,
    CohortSession,
    Enrolment,
    EnrolmentStatus,
    FeeBand,
)
from .selectors import (
    ROSTER_STATUSES,
    attendance_summary,
    cohort_roster,
    cohorts_for_staff,
    cohorts_with_places,
    completion_checks,
    course_report,
    roster_queryset,
    user_runs_all_cohorts,
    waiting_and_pending,
)
from .services import BulkOutcome

URL_NAMESPACE = "courses_cohort_dashboards"


def dashboard_url(name, *args):
    return reverse(f"{URL_NAMESPACE}:{name}", args=args)


def _profile(user):
    # A learner who never saved their profile has none; that reads as blanks, not an error.
    return getattr(user, "profile", None)


def choice_labels(choices) -> dict:
    """Each value's label, translated once. A model's get_FOO_display() translates every choice on each call, which
    on a roster of hundreds was a tenth of a second."""
    return {value: str(label) for value, label in choices.choices}


def _registration(user, bodies) -> str:
    profile = _profile(user)
    if not profile or not profile.registration_number:
        return ""
    body = profile.professional_body_other or bodies.get(profile.professional_body, "")
    return f"{body} {profile.registration_number}".strip() if profile.professional_body else profile.registration_number


def _attendance_texts():
    none_held, share = gettext("No sessions held yet"), gettext("%(percent)d%% (%(attended)d of %(held)d)")
    return lambda summary: share % summary if summary["held"] else none_held


class StaffCohortMixin:
    """Finds the cohort in the URL among those this person runs; any other cohort is a 404, as if it did not exist."""

    header_icon = "calendar"

    def dispatch(self, request, *args, **kwargs):
        self.cohort = get_object_or_404(
            cohorts_for_staff(user=request.user).select_related("course"), pk=kwargs["cohort_pk"]
        )
        request._runs_cohorts = True  # they run this one: the admin menu need not ask (request_runs_cohorts)
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return f"{self.cohort.course.title}: {self.cohort.code}"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": dashboard_url("index"), "label": gettext("Cohort dashboards")},
            {"url": dashboard_url("dashboard", self.cohort.pk), "label": self.cohort.code},
            *([{"url": "", "label": self.get_page_title()}] if self.page_title else []),
        ]

    def dashboard_redirect(self):
        return redirect(dashboard_url("dashboard", self.cohort.pk))


class CohortListView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "courses/admin/dashboard_index.html"
    page_title = _("Cohort dashboards")
    header_icon = "calendar"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cohorts = list(
            cohorts_with_places(cohorts_for_staff(user=self.request.user))
            .select_related("course")
            .annotate(waiting=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.WAITLISTED)))
            .order_by("-starts_on", "code")
        )
        today = timezone.localdate()
        for cohort in cohorts:
            cohort.url = dashboard_url("dashboard", cohort.pk)
            cohort.places_left = max(cohort.capacity - cohort.seats_taken, 0)
            cohort.state = (
                gettext("Finished")
                if cohort.ends_on < today
                else gettext("Running")
                if cohort.starts_on <= today
                else gettext("Not started")
            )
        context.update({"cohorts": cohorts, "runs_all": user_runs_all_cohorts(user=self.request.user)})
        return context


ROSTER_EXPORT = [
    "user.full_name",
    "user.email",
    "organisation",
    "job_role",
    "registration",
    "fee_band_label",
    "status_label",
    "attendance_percent",
    "sessions_attended",
    "sessions_held",
    "completion_recorded_at",
    "completion_override_reason",
]


class CohortDashboardView(
    StaffCohortMixin, SafeCsvExportMixin, SpreadsheetExportMixin, WagtailAdminTemplateMixin, TemplateView
):
    """Capacity and fill, the roster (exportable as CSV and XLSX), the waiting list, payments, sessions and messages."""

    template_name = "courses/admin/dashboard.html"
    ROSTER_PAGE_SIZE = 20
    list_export = ROSTER_EXPORT
    export_headings = {
        "user.full_name": _("Name"),
        "user.email": _("Email"),
        "organisation": _("Organisation"),
        "job_role": _("Job role"),
        "registration": _("Professional registration"),
        "fee_band_label": _("Fee band"),
        "status_label": _("Status"),
        "attendance_percent": _("Attendance (%)"),
        "sessions_attended": _("Sessions attended"),
        "sessions_held": _("Sessions held"),
        "completion_recorded_at": _("Signed off"),
        "completion_override_reason": _("Override reason"),
    }
    custom_field_preprocess = {
        "completion_recorded_at": {
            SpreadsheetExportMixin.FORMAT_CSV: lambda value: (
                timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""
            ),
            SpreadsheetExportMixin.FORMAT_XLSX: lambda value: timezone.make_naive(value) if value else None,
        }
    }

    def get_page_title(self):
        return self.cohort.code

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": dashboard_url("index"), "label": gettext("Cohort dashboards")},
            {"url": "", "label": self.cohort.code},
        ]

    def get_filename(self):
        return f"roster-{self.cohort.code}"

    def describe(self, enrolments: list) -> list:
        """Each learner's organisation, registration, labels and attendance, as the roster and its export show them."""
        attendance = attendance_summary(cohort=self.cohort, enrolments=enrolments)
        bands, statuses = choice_labels(FeeBand), choice_labels(EnrolmentStatus)
        bodies, attendance_text = choice_labels(Profile.ProfessionalBody), _attendance_texts()
        for enrolment in enrolments:
            profile, summary = _profile(enrolment.user), attendance[enrolment.pk]
            enrolment.organisation = (profile.organisation if profile else "") or enrolment.employer
            enrolment.job_role = profile.job_role if profile else ""
            enrolment.registration = _registration(enrolment.user, bodies)
            enrolment.fee_band_label = bands.get(enrolment.fee_band, enrolment.fee_band)
            enrolment.status_label = statuses.get(enrolment.status, enrolment.status)
            enrolment.attendance_summary = summary  # for the columns other apps add (courses.extensions)
            enrolment.attendance_text = attendance_text(summary)
            enrolment.attendance_percent = summary["percent"]
            enrolment.sessions_attended, enrolment.sessions_held = summary["attended"], summary["held"]
        return enrolments

    def get(self, request, *args, **kwargs):
        if self.is_export:
            return self.as_spreadsheet(self.describe(cohort_roster(cohort=self.cohort)), request.GET.get("export"))
        return super().get(request, *args, **kwargs)

    def count_enrolments(self) -> None:
        """`seats_taken` and `roster_size` on the cohort, from its enrolments counted by status and kept until one
        changes (courses.dashboard_cache)."""
        cohort = self.cohort
        counts = dashboard_cache.kept(
            cohort,
            "statuses",
            lambda: dict(cohort.enrolments.order_by().values_list("status").annotate(n=Count("pk"))),
        )
        cohort.seats_taken = sum(counts.get(status, 0) for status in SEAT_STATUSES)
        cohort.roster_size = sum(counts.get(status, 0) for status in ROSTER_STATUSES)

    def sessions(self) -> list:
        """The sessions table, each session with how many marks its register holds, kept likewise."""
        sessions = dashboard_cache.kept(
            self.cohort,
            "sessions",
            # Not through cohort.sessions, which would pickle the view's cohort (and all it holds) with each session.
            lambda: list(
                CohortSession.objects.filter(cohort_id=self.cohort.pk)
                .annotate(marked=Count("attendance"))
                .order_by("date", "start_time", "sort_order")
            ),
        )
        today = timezone.localdate()
        for session in sessions:
            session.held = session.date <= today
        return sessions

    def roster_html(self) -> str:
        """One page of the roster (`?p=`) as the dashboard shows it, with the columns other apps add, kept until a
        change to it (courses.dashboard_cache); the exports hold everyone."""
        paginator = WagtailPaginator(roster_queryset(cohort=self.cohort), self.ROSTER_PAGE_SIZE)
        paginator.count = self.cohort.roster_size  # counted already (Paginator.count is a cached_property)
        page = paginator.get_page(self.request.GET.get("p"))
        # Keyed by the count too: the count and the rows are read apart, and links to pages must match the rows.
        key = f"roster:{page.number}:{self.cohort.roster_size}"
        return dashboard_cache.kept(self.cohort, key, lambda: self.render_roster(page))

    def render_roster(self, page) -> str:
        page.object_list = self.describe(list(page.object_list))
        page.extra_columns = roster_columns(request=self.request, cohort=self.cohort, enrolments=page.object_list)
        for enrolment in page.object_list:
            enrolment.extra_cells = [column.get_value(enrolment) for column in page.extra_columns]
        return render_to_string(
            "courses/admin/includes/roster.html",
            {
                "roster": page,
                "roster_headings": self.ROSTER_HEADINGS,
                "roster_pages": page.paginator.get_elided_page_range(page.number),
            },
        )

    ROSTER_HEADINGS = [
        _("Name"),
        _("Email"),
        _("Organisation"),
        _("Job role"),
        _("Registration"),
        _("Fee band"),
        _("Status"),
        _("Attendance"),
    ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cohort = self.cohort
        self.count_enrolments()
        seats = cohort.seats_taken
        waiting, pending = waiting_and_pending(cohort=cohort)
        cohort_messages = list(
            cohort.messages.select_related("sent_by").prefetch_related(
                Prefetch("recipients", queryset=CohortMessageRecipient.objects.order_by("email"))
            )
        )
        context.update(
            {
                "cohort": cohort,
                "course": cohort.course,
                "seats": seats,
                "places_left": max(cohort.capacity - seats, 0),
                "fill_percent": round(100 * seats / cohort.capacity) if cohort.capacity else 0,
                "roster_html": self.roster_html() if cohort.roster_size else "",
                "waiting": waiting,
                "pending": pending,
                "sessions": self.sessions(),
                "cohort_messages": cohort_messages,
                "panels": dashboard_panels(request=self.request, cohort=cohort),
                "export_csv_url": dashboard_url("dashboard", cohort.pk) + "?export=csv",
                "export_xlsx_url": dashboard_url("dashboard", cohort.pk) + "?export=xlsx",
                "runs_all": user_runs_all_cohorts(user=self.request.user),
            }
        )
        return context


class StaffCohortFormView(StaffCohortMixin, WagtailAdminTemplateMixin, FormView):
    """A form on one cohort; a refusal from the service shows its message and changes nothing."""

    template_name = "courses/admin/cohort_form.html"
    submit_label = _("Save")
    intro = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "cohort": self.cohort,
                "intro": self.intro,
                "submit_label": self.submit_label,
                "back_url": dashboard_url("dashboard", self.cohort.pk),
                "media": context["form"].media,
            }
        )
        return context

    def form_invalid(self, form):
        messages.error(self.request, gettext("Nothing was changed: correct the errors below."))
        return super().form_invalid(form)

    def refuse(self, form, error: EnrolmentError):
        form.add_error(None, error.message)
        return self.form_invalid(form)


class JoiningDetailsView(StaffCohortFormView):
    """A lead keeps the joining instructions and link of their cohort up to date (only confirmed learners see them)."""

    page_title = _("Joining details")
    form_class = JoiningDetailsForm
    submit_label = _("Save joining details")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.cohort}

    def form_valid(self, form):
        form.save()
        log(instance=self.cohort, action="wagtail.edit", user=self.request.user, data={"fields": form.changed_data})
        messages.success(self.request, gettext("Joining details saved."))
        return self.dashboard_redirect()


class RegisterView(StaffCohortFormView):
    """The register of one session held: present, late or absent for each learner, or everyone present at once."""

    template_name = "courses/admin/register.html"
    form_class = RegisterForm
    page_title = _("Register")
    submit_label = _("Save the register")

    @cached_property
    def session(self):
        return get_object_or_404(CohortSession, cohort=self.cohort, pk=self.kwargs["session_pk"])

    def get_page_subtitle(self):
        return f"{self.cohort.code}: {self.session.title}, {self.session.date:%d %b %Y}"

    @cached_property
    def roster(self):
        return cohort_roster(cohort=self.cohort)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "enrolments": self.roster, "session": self.session}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update({"session": self.session, "held": self.session.date <= timezone.localdate()})
        return context

    def form_valid(self, form):
        marks = form.marks()
        if "all_present" in self.request.POST:
            marks = {enrolment.pk: AttendanceMark.PRESENT for enrolment in self.roster}
        if not marks:
            return self.refuse(form, EnrolmentError(gettext("Mark at least one learner present, late or absent.")))
        try:
            count = services.attendance_record(session=self.session, marks=marks, by_user=self.request.user)
        except EnrolmentError as error:
            return self.refuse(form, error)
        messages.success(
            self.request,
            ngettext(
                "Register saved for %(session)s: %(count)d learner marked.",
                "Register saved for %(session)s: %(count)d learners marked.",
                count,
            )
            % {"session": self.session.title, "count": count},
        )
        return self.dashboard_redirect()


class MessageView(StaffCohortFormView):
    page_title = _("Send a message")
    form_class = CohortMessageForm
    submit_label = _("Send the message")
    intro = _(
        "Each person gets their own email; nobody sees who else it went to. The message and its recipients are "
        "kept on the cohort's dashboard."
    )

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "cohort": self.cohort}

    def form_valid(self, form):
        try:
            message = services.cohort_message_send(
                cohort=self.cohort,
                audience=form.cleaned_data["audience"],
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                by_user=self.request.user,
            )
        except EnrolmentError as error:
            return self.refuse(form, error)
        count = message.recipients.count()
        log(instance=self.cohort, action="courses.cohort_message", user=self.request.user, data={"message": message.pk})
        messages.success(
            self.request,
            ngettext(
                "Message '%(subject)s' sent to %(count)d person.",
                "Message '%(subject)s' sent to %(count)d people.",
                count,
            )
            % {"subject": message.subject, "count": count},
        )
        return self.dashboard_redirect()


class SignOffView(StaffCohortFormView):
    """Completion sign-off, one learner or many: the rule's checks for each, and an override that needs a reason."""

    template_name = "courses/admin/sign_off.html"
    page_title = _("Sign off completion")
    form_class = SignOffForm
    submit_label = _("Sign off")

    @cached_property
    def roster(self):
        roster = cohort_roster(cohort=self.cohort, signed_off_by=True)
        attendance = attendance_summary(cohort=self.cohort, enrolments=roster)
        checks = completion_checks(cohort=self.cohort, enrolments=roster, attendance=attendance)
        for enrolment in roster:
            enrolment.checks = checks[enrolment.pk]
            enrolment.meets_rule = all(check.met for check in enrolment.checks)
        return roster

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "enrolments": self.roster}

    def get_initial(self):
        chosen = self.request.GET.get("learner")
        return {"enrolments": [chosen]} if chosen else {}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        chosen = {str(value) for value in (form["enrolments"].value() or [])}
        for enrolment in self.roster:
            enrolment.chosen = str(enrolment.pk) in chosen
        context.update({"roster": self.roster, "threshold": self.cohort.course.attendance_threshold_percent})
        return context

    def form_valid(self, form):
        completed = form.cleaned_data["outcome"] == "completed"
        try:
            signed = services.enrolments_sign_off(
                cohort=self.cohort,
                enrolments=form.cleaned_data["enrolments"],
                completed=completed,
                by_user=self.request.user,
                override_reason=form.cleaned_data["override_reason"],
            )
        except EnrolmentError as error:
            return self.refuse(form, error)
        for enrolment in signed:
            log(
                instance=enrolment,
                action="courses.sign_off",
                user=self.request.user,
                data={"status": enrolment.status, "override_reason": enrolment.completion_override_reason},
            )
        names = ", ".join(str(enrolment.user) for enrolment in signed)
        if completed:
            text = gettext("Signed off as completed: %(names)s.")
        else:
            text = gettext("Signed off as did not complete: %(names)s.")
        messages.success(self.request, text % {"names": names})
        return self.dashboard_redirect()


class BulkEnrolView(StaffCohortFormView):
    """Enrol a group from a CSV of names and emails; the page then reports each row's outcome."""

    template_name = "courses/admin/bulk_enrol.html"
    page_title = _("Enrol a group")
    form_class = BulkEnrolForm
    submit_label = _("Upload and enrol")
    intro = _(
        "For an NHS organisation in England sending a group: a CSV file with a name and an email address on each line "
        "(a heading line 'name,email' is optional). Everyone is enrolled free. People without an account get one, with "
        "an email inviting them to set a password; a full cohort puts the rest on the waiting list."
    )

    def form_valid(self, form):
        try:
            rows = services.cohort_bulk_enrol(
                cohort=self.cohort,
                rows=form.cleaned_data["rows"],
                employer=form.cleaned_data["employer"],
                by_user=self.request.user,
            )
        except EnrolmentError as error:
            return self.refuse(form, error)
        labels = {
            BulkOutcome.ENROLLED: gettext("Enrolled"),
            BulkOutcome.WAITLISTED: gettext("Waiting list"),
            BulkOutcome.ALREADY: gettext("Already enrolled"),
            BulkOutcome.INVALID: gettext("Invalid email address"),
        }
        for row in rows:
            row.outcome_label = labels[row.outcome]
        counts = {outcome: sum(1 for row in rows if row.outcome == outcome) for outcome in labels}
        log(instance=self.cohort, action="courses.bulk_enrol", user=self.request.user, data=counts)
        totals = [(labels[outcome], count) for outcome, count in counts.items()]
        return self.render_to_response(self.get_context_data(form=self.get_form_class()(), rows=rows, totals=totals))


class WaitlistActionView(StaffCohortMixin, WagtailAdminTemplateMixin, TemplateView):
    """Promote (offer a place now) or remove one person on the waiting list; POST only, from the dashboard."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        enrolment = get_object_or_404(
            Enrolment.objects.select_related("user", "cohort"), cohort=self.cohort, pk=kwargs["enrolment_pk"]
        )
        action = kwargs["action"]
        try:
            if action == "promote":
                enrolment, grew = services.waitlist_promote(enrolment=enrolment, by_user=request.user)
                text = gettext("%(learner)s is offered a place, to accept within the offer time.")
                if grew:
                    text += " " + gettext("The cohort was full, so its capacity went up by one.")
            elif action == "remove":
                enrolment = services.waitlist_remove(enrolment=enrolment, by_user=request.user)
                text = gettext("%(learner)s is removed from the waiting list.")
            else:
                raise Http404
        except EnrolmentError as error:
            messages.error(request, error.message)
            return self.dashboard_redirect()
        log(instance=enrolment, action=f"courses.waitlist_{action}", user=request.user)
        messages.success(request, text % {"learner": enrolment.user})
        return self.dashboard_redirect()


class ReportView(WagtailAdminTemplateMixin, TemplateView):
    """Enrolments, fill, completion and income per course and cohort over a date range, for course administrators."""

    template_name = "courses/admin/report.html"
    page_title = _("Course report")
    header_icon = "table"

    def dispatch(self, request, *args, **kwargs):
        if not user_runs_all_cohorts(user=request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def form(self):
        return ReportFilterForm(self.request.GET or None)

    @cached_property
    def rows(self):
        if self.form.is_bound and not self.form.is_valid():
            return []  # the form shows what is wrong; a report for the wrong range would mislead
        filters = self.form.cleaned_data if self.form.is_bound else {}
        return course_report(
            starts_from=filters.get("starts_from"), starts_to=filters.get("starts_to"), course=filters.get("course")
        )

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "csv":
            return self.csv_response()
        return super().get(request, *args, **kwargs)

    def csv_rows(self):
        statuses = EnrolmentStatus.choices
        yield [
            gettext("Course"),
            gettext("Cohort"),
            gettext("Starts on"),
            gettext("Capacity"),
            gettext("Places taken"),
            gettext("Fill rate (%)"),
            *[gettext("Band: %(band)s") % {"band": label} for _value, label in FeeBand.choices],
            *[gettext("Status: %(status)s") % {"status": label} for _value, label in statuses],
            gettext("Completion rate (%)"),
            gettext("Income by card (£)"),
            gettext("Income by invoice (£)"),
        ]
        for row in self.rows:
            yield [
                row["course"].title,
                row["cohort"].code,
                row["cohort"].starts_on.isoformat(),
                row["cohort"].capacity,
                row["seats"],
                "" if row["fill_percent"] is None else row["fill_percent"],
                *[row["by_band"][value] for value in FeeBand.values],
                *[row["by_status"][value] for value, _label in statuses],
                "" if row["completion_percent"] is None else row["completion_percent"],
                pounds_decimal(row["card_pence"]),
                pounds_decimal(row["invoice_pence"]),
            ]

    def csv_response(self):
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="course-report-{timezone.localdate():%Y-%m-%d}.csv"'
        writer = csv_writer(response)  # names and titles that look like formulas are written as text
        for line in self.csv_rows():
            writer.writerow(line)
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = self.rows
        statuses = [
            EnrolmentStatus.CONFIRMED,
            EnrolmentStatus.AWAITING_PAYMENT,
            EnrolmentStatus.WAITLISTED,
            EnrolmentStatus.COMPLETED,
            EnrolmentStatus.DID_NOT_COMPLETE,
            EnrolmentStatus.WITHDRAWN,
        ]
        for row in rows:
            row["card"], row["invoice"] = pounds(row["card_pence"]), pounds(row["invoice_pence"])
            row["band_counts"] = [row["by_band"][band] for band in FeeBand.values]
            row["status_counts"] = [row["by_status"][status] for status in statuses]
        totals = {
            "seats": sum(row["seats"] for row in rows),
            "capacity": sum(row["cohort"].capacity for row in rows),
            "card": pounds(sum(row["card_pence"] for row in rows)),
            "invoice": pounds(sum(row["invoice_pence"] for row in rows)),
        }
        query = self.request.GET.copy()
        query["export"] = "csv"
        context.update(
            {
                "form": self.form,
                "rows": rows,
                "totals": totals,
                "bands": FeeBand.choices,
                "statuses": [(status, status.label) for status in statuses],
                "middle_colspan": 2 + len(FeeBand.values) + len(statuses),
                "export_url": f"{self.request.path}?{query.urlencode()}",
            }
        )
        return context
