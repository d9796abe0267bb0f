"""The certificates admin: revoke and reissue (administrators), and the cohort dashboard panel with bulk issue and the
download of all of a cohort's certificates (whoever runs the cohort)."""

import io
import zipfile
from functools import partial

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.widgets.button import HeaderButton

from audit import log_actions_registrar
from courses import dashboard_cache
from courses.admin_views import ExtraFieldsInspectMixin, ObjectActionView, StreamingExportMixin
from courses.extensions import cohort_memo
from courses.lead_views import URL_NAMESPACE as DASHBOARDS
from courses.models import EnrolmentStatus
from courses.selectors import cohorts_for_staff

from . import services
from .models import Certificate
from .selectors import completion_rule, valid_codes_for_cohort

URL_NAMESPACE = "certificates_cohorts"
LOG_ACTIONS = {
    "certificates.issue": (_("Issue certificate"), _("Certificate issued")),
    "certificates.revoke": (_("Revoke certificate"), _("Certificate revoked")),
    "certificates.reissue": (_("Reissue certificate"), _("Certificate reissued")),
}


register_log_actions = log_actions_registrar(LOG_ACTIONS)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded with your name against the certificate."),
        error_messages={"required": _("Give the reason.")},
    )


class CertificateIndexView(StreamingExportMixin, generic.IndexView):
    """The listing exports in chunks, so tens of thousands of certificates never sit in memory at once."""

    export_datetime_fields = ("revoked_at",)


class CertificateInspectView(ExtraFieldsInspectMixin, generic.InspectView):
    revoke_url_name = reissue_url_name = None
    extra_field_labels = {"status": _("status"), "verification": _("verification page"), "revocation": _("revoked")}

    def get_object(self, queryset=None):
        return get_object_or_404(
            Certificate.objects.select_related("revoked_by", "issued_by", "reissue_of", "template_revision"),
            pk=unquote(str(self.pk)),
        )

    def get_status_display_value(self):
        return gettext("Revoked") if self.object.is_revoked else gettext("Valid")

    def get_verification_display_value(self):
        return services.absolute_url(self.object.get_verification_url())

    def get_revocation_display_value(self):
        certificate = self.object
        if not certificate.is_revoked:
            return "-"
        return gettext("%(when)s by %(who)s: %(reason)s") % {
            "when": certificate.revoked_at.strftime("%d %b %Y %H:%M"),
            "who": certificate.revoked_by or gettext("a former administrator"),
            "reason": certificate.revoke_reason,
        }

    @cached_property
    def header_buttons(self):
        certificate, pk = self.object, quote(self.object.pk)
        buttons = []
        if not certificate.is_revoked:
            buttons.append(
                HeaderButton(
                    _("Download PDF"), url=reverse("certificates:pdf", args=[certificate.code]), icon_name="download"
                )
            )
        if not self.user_has_permission("change"):
            return buttons
        if not certificate.is_revoked:
            buttons.append(
                HeaderButton(_("Revoke"), url=reverse(self.revoke_url_name, args=[pk]), icon_name="cross", priority=20)
            )
        if not hasattr(certificate, "reissued_as"):
            buttons.append(
                HeaderButton(
                    _("Reissue"), url=reverse(self.reissue_url_name, args=[pk]), icon_name="resubmit", priority=30
                )
            )
        return buttons


class CertificateActionView(ObjectActionView):
    model = Certificate
    header_icon = "doc-full"
    form_class = ReasonForm

    def get_base_object_queryset(self):
        return Certificate.objects.select_related("enrolment__cohort")

    def get_summary(self):
        certificate = self.object
        return [
            (_("Code"), certificate.code),
            (_("Learner"), certificate.learner_name),
            (_("Course"), certificate.course_title),
            (_("Cohort"), certificate.cohort_code),
            (_("Status"), gettext("Revoked") if certificate.is_revoked else gettext("Valid")),
        ]


class CertificateRevokeView(CertificateActionView):
    page_title = _("Revoke certificate")
    submit_label = _("Yes, revoke this certificate")
    serious = True
    intro = _(
        "The verification page will show the certificate as revoked and its PDF and Open Badge are no longer served. "
        "The learner's enrolment stays completed; reissue if they should have a new certificate."
    )

    def perform(self, form):
        self.object = services.certificate_revoke(
            certificate=self.object, by_user=self.request.user, reason=form.cleaned_data["reason"]
        )
        return gettext("Certificate %(code)s is revoked.") % {"code": self.object.code}


class CertificateReissueView(CertificateActionView):
    page_title = _("Reissue certificate")
    submit_label = _("Reissue")
    intro = _(
        "The certificate is revoked (if it is not already) and a new one issued with a new code, from the learner's "
        "details and the course as they are now: use this to correct a name, say."
    )

    def perform(self, form):
        new = services.certificate_reissue(
            certificate=self.object, by_user=self.request.user, reason=form.cleaned_data["reason"]
        )
        self.object = new
        return gettext("Certificate %(old)s is replaced by %(new)s.") % {"old": new.reissue_of.code, "new": new.code}


# --- The cohort dashboard: a summary panel, and two roster columns ------------------------------------------------------


def cohort_certificates(cohort) -> dict:
    """How many of the cohort meet the completion rule, and its valid certificates' codes, read once per request.

    The dashboard's panel (the counts) and its roster columns (the links) both use it, through `cohort_memo`; it is
    kept between requests until something the rule reads changes (courses.dashboard_cache). Only a learner a course
    lead has signed off can meet the rule (`RuleStanding.holds`), so only those are judged here.
    """
    build = partial(_cohort_certificates, cohort)
    return cohort_memo(cohort, "certificates", lambda: dashboard_cache.kept(cohort, "certificates", build))


def _cohort_certificates(cohort) -> dict:
    signed_off = list(
        cohort.enrolments.filter(status=EnrolmentStatus.COMPLETED).only(
            "pk", "cohort", "status", "completion_override_reason"
        )
    )
    standings = completion_rule(cohort=cohort, enrolments=signed_off)
    meeting = {pk for pk, standing in standings.items() if standing.holds}
    codes = valid_codes_for_cohort(cohort=cohort)
    return {
        "codes": codes,
        "meeting": len(meeting),
        "issued": len(codes),
        "to_issue": len(meeting - codes.keys()),
    }


class CertificatesPanel(Component):
    """How many meet the completion rule and hold a certificate; issue in bulk, download all."""

    def __init__(self, request, cohort):
        self.request, self.cohort = request, cohort

    def render_html(self, parent_context=None):
        from django.middleware.csrf import get_token

        summary = cohort_certificates(self.cohort)
        return render_to_string(
            "certificates/admin/cohort_panel.html",
            {
                **{name: summary[name] for name in ("meeting", "issued", "to_issue")},
                "cohort": self.cohort,
                "csrf_token": get_token(self.request),
                "issue_url": reverse(f"{URL_NAMESPACE}:issue", args=[self.cohort.pk]),
                "download_url": reverse(f"{URL_NAMESPACE}:download", args=[self.cohort.pk]),
            },
        )


def dashboard_panels(request, cohort):
    return [CertificatesPanel(request, cohort)]


def roster_columns(request, cohort, enrolments):
    """'Completion rule' (met, or which parts are not) and 'Certificate' (its code, linking to the PDF) per learner.

    The words are translated once for the page and the PDF address is reversed once: cell by cell, on a roster of
    hundreds, that took longer than everything else on the dashboard.
    """
    attendance = {enrolment.pk: enrolment.attendance_summary for enrolment in enrolments}
    standings = completion_rule(cohort=cohort, enrolments=enrolments, attendance=attendance)
    codes = cohort_certificates(cohort)["codes"]
    met, met_overridden, not_met = gettext("Met"), gettext("Met (signed off with an override)"), gettext("Not met:")
    pdf_before, pdf_after = reverse("certificates:pdf", args=["~"]).split("~")

    def standing(enrolment):
        found = standings[enrolment.pk]
        if found.holds:
            return met_overridden if found.overridden else met
        return f"{not_met} {', '.join(str(check.label) for check in found.checks if not check.met)}"

    def certificate(enrolment):
        code = codes.get(enrolment.pk)
        return format_html('<a href="{}{}{}">{}</a>', pdf_before, code, pdf_after, code) if code else "-"

    return [
        Column("completion_rule", label=gettext("Completion rule"), accessor=standing),
        Column("certificate", label=gettext("Certificate"), accessor=certificate),
    ]


class CohortMixin:
    def dispatch(self, request, cohort_pk, *args, **kwargs):
        self.cohort = cohorts_for_staff(user=request.user).filter(pk=cohort_pk).select_related("course").first()
        if self.cohort is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def dashboard_url(self):
        return reverse(f"{DASHBOARDS}:dashboard", args=[self.cohort.pk])


class IssueForCohortView(CohortMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        issued, _not_met = services.certificates_issue_for_cohort(cohort=self.cohort, by_user=request.user)
        if issued:
            messages.success(
                request,
                ngettext("%(count)d certificate issued.", "%(count)d certificates issued.", len(issued))
                % {"count": len(issued)},
            )
        else:
            messages.info(request, gettext("Everyone who meets the completion rule already has a certificate."))
        return redirect(self.dashboard_url() + "#certificates")


class DownloadForCohortView(CohortMixin, View):
    """A ZIP of the cohort's valid certificates, one PDF each (made now where one is missing)."""

    def get(self, request):
        certificates = list(Certificate.objects.filter(enrolment__cohort=self.cohort, revoked_at__isnull=True))
        if not certificates:
            messages.error(request, gettext("This cohort has no certificates to download yet."))
            return redirect(self.dashboard_url() + "#certificates")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for certificate in certificates:
                services.certificate_pdf_ensure(certificate=certificate)
                with certificate.pdf.open("rb") as handle:
                    name = f"{certificate.learner_name} - {certificate.code}.pdf".replace("/", "-")
                    archive.writestr(name, handle.read())
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="certificates-{self.cohort.code}.zip"'
        return response
