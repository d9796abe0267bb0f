"""The learner's CPD record: the record page, logging and changing activities, their evidence, the revalidation date,
and the CSV and PDF exports.

Only the learner ever sees their record: every activity is looked up through request.user, so anyone else's is a 404,
staff included. GET never changes anything; forms re-render with the NHS.UK error summary and change nothing.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from uploads import csv_writer, upload_response

from . import record_services
from .forms import CPDActivityForm, RevalidationDateForm, evidence_filename
from .models import CPDActivity
from .record import NMC_HOURS, NMC_PARTICIPATORY_HOURS, NMC_REFLECTIONS, cpd_record, cpd_revalidation_due
from .rendering import pdf_from_template
from .services import absolute_url


def _activity_or_404(request, pk) -> CPDActivity:
    return get_object_or_404(CPDActivity, pk=pk, user=request.user)


def _post_data(request):
    return request.POST if request.method == "POST" else None


def _record_context(record):
    return {
        "record": record,
        "progress": record.progress,
        "period": record.progress.period,
        "targets": {"hours": NMC_HOURS, "participatory": NMC_PARTICIPATORY_HOURS, "reflections": NMC_REFLECTIONS},
        "today": timezone.localdate(),
    }


@login_required
@require_GET
def record(request):
    return render(request, "certificates/record/record.html", _record_context(cpd_record(user=request.user)))


@login_required
@require_http_methods(["GET", "POST"])
def activity_add(request):
    form = CPDActivityForm(_post_data(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        activity = record_services.cpd_activity_create(user=request.user, fields=form.activity_fields)
        messages.success(request, _("“%(title)s” is now in your CPD record.") % {"title": activity.title})
        return redirect("certificates:cpd_record")
    return render(request, "certificates/record/activity_form.html", {"form": form, "activity": None})


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request, pk):
    activity = _activity_or_404(request, pk)
    # The form writes the answers onto the instance it is given while it validates: give it a copy, so that the page
    # (and anything saved) shows the activity as stored until the change is accepted.
    form = CPDActivityForm(_post_data(request), request.FILES or None, instance=_activity_or_404(request, pk))
    if request.method == "POST" and form.is_valid():
        activity = record_services.cpd_activity_update(
            activity=activity,
            fields=form.activity_fields,
            remove_evidence=form.cleaned_data.get("remove_evidence", False),
        )
        messages.success(request, _("Your changes to “%(title)s” are saved.") % {"title": activity.title})
        return redirect("certificates:cpd_record")
    return render(request, "certificates/record/activity_form.html", {"form": form, "activity": activity})


@login_required
@require_http_methods(["GET", "POST"])
def activity_delete(request, pk):
    activity = _activity_or_404(request, pk)
    if request.method == "POST":
        record_services.cpd_activity_delete(activity=activity)
        messages.success(request, _("“%(title)s” is deleted from your CPD record.") % {"title": activity.title})
        return redirect("certificates:cpd_record")
    return render(request, "certificates/record/activity_delete.html", {"activity": activity})


@never_cache
@login_required
@require_GET
def activity_evidence(request, pk):
    activity = _activity_or_404(request, pk)
    if not activity.evidence:
        raise Http404
    name = evidence_filename(activity)
    try:
        handle = activity.evidence.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    # Always a download, typed by what the file is, never rendered by the browser (site/uploads.py).
    return upload_response(handle, filename=name)


@login_required
@require_http_methods(["GET", "POST"])
def revalidation_date(request):
    form = RevalidationDateForm(
        _post_data(request), initial={"revalidation_due": cpd_revalidation_due(user=request.user)}
    )
    if request.method == "POST" and form.is_valid():
        due = form.cleaned_data["revalidation_due"]
        record_services.cpd_revalidation_due_set(user=request.user, revalidation_due=due)
        if due:
            messages.success(request, _("Your revalidation date is saved."))
        else:
            messages.success(
                request, _("Your revalidation date is removed. The record counts the three years up to today.")
            )
        return redirect("certificates:cpd_record")
    return render(request, "certificates/record/revalidation_date.html", {"form": form})


# Exports ---------------------------------------------------------------------------------------------------------------


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


CSV_HEADER = [
    "Kind",
    "Date",
    "Title",
    "Provider",
    "Type",
    "Hours",
    "Participatory",
    "In revalidation period",
    "Reflective account written",
    "What was the nature of the CPD activity?",
    "What did you learn from the CPD activity?",
    "How did you change or improve your practice as a result?",
    "How is this relevant to the Code?",
    "Evidence file",
    "Certificate code",
    "Verification link",
]


def csv_rows(record):
    """One row per certificate and per activity, oldest first, as a revalidation log reads."""
    period = record.progress.period
    rows = []
    for certificate in record.certificates:
        rows.append(
            (
                certificate.completed_on,
                [
                    _("Certificate"),
                    certificate.completed_on.isoformat(),
                    certificate.course_title,
                    settings.WAGTAIL_SITE_NAME,
                    _("Course or workshop"),
                    f"{certificate.cpd_hours:.1f}",
                    _yes_no(True),
                    _yes_no(certificate.completed_on in period),
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    certificate.code,
                    absolute_url(reverse("certificates:verify", args=[certificate.code])),
                ],
            )
        )
    for activity in record.activities:
        rows.append(
            (
                activity.date,
                [
                    _("Activity"),
                    activity.date.isoformat(),
                    activity.title,
                    activity.provider,
                    activity.get_activity_type_display(),
                    f"{activity.hours:.1f}",
                    _yes_no(activity.participatory),
                    _yes_no(activity.date in period),
                    _yes_no(activity.has_reflection),
                    activity.reflection_what,
                    activity.reflection_learned,
                    activity.reflection_practice,
                    activity.reflection_code,
                    evidence_filename(activity),
                    "",
                    "",
                ],
            )
        )
    rows.sort(key=lambda row: row[0])
    return [row for _date, row in rows]


def _export_name(extension: str) -> str:
    return f"cpd-record-{timezone.localdate().isoformat()}.{extension}"


@never_cache
@login_required
@require_GET
def export_csv(request):
    record = cpd_record(user=request.user)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_export_name("csv")}"'
    # The byte-order mark tells Excel the file is UTF-8, so names and reflections keep their accents and quotes.
    response.write("\ufeff")
    writer = csv_writer(response)  # cells that would run as formulas are written as text
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(record))
    return response


@never_cache
@login_required
@require_GET
def export_pdf(request):
    record = cpd_record(user=request.user)
    context = {
        **_record_context(record),
        "learner_name": request.user.full_name or request.user.email,
        "site_name": settings.WAGTAIL_SITE_NAME,
        "generated_at": timezone.localtime(),
        # The configured address, as the certificates' QR codes use: never the Host header of this request.
        "verify_url": absolute_url(reverse("certificates:verify_form")),
    }
    pdf = pdf_from_template("certificates/record/record_pdf.html", context)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_export_name("pdf")}"'
    return response
