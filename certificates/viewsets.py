"""The certificates admin: the certificate designs (snippets with revisions), the certificates issued (a read-only
listing with revoke and reissue), and the cohort dashboard's bulk issue and download, under one "Certificates" menu."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.snippets.views.snippets import DeleteView as SnippetDeleteView
from wagtail.snippets.views.snippets import SnippetViewSet

from accounts.viewsets import RefuseProtectedDeleteMixin
from courses.viewsets import ReadOnlyModelViewSet

from . import admin_views
from .models import Certificate, CertificateTemplate


class CertificateTemplateDeleteView(RefuseProtectedDeleteMixin, SnippetDeleteView):
    protected_message = _(
        "'%(object)s' cannot be deleted: certificates were issued with it, and they must be kept. Make a new design "
        "for future certificates instead."
    )


class CertificateTemplateViewSet(SnippetViewSet):
    delete_view_class = CertificateTemplateDeleteView
    model = CertificateTemplate
    icon = "doc-full-inverse"
    menu_label = _("Designs")
    menu_order = 200
    list_display = ["name", Column("course", label=_("Course"), accessor="course"), "organisation_name"]


class CertificateViewSet(ReadOnlyModelViewSet):
    model = Certificate
    name = "certificates_issued"
    url_prefix = "certificates/issued"
    icon = "doc-full"
    menu_label = _("Certificates")
    menu_order = 100
    index_view_class = admin_views.CertificateIndexView
    inspect_view_class = admin_views.CertificateInspectView
    list_display = [
        "code",
        "learner_name",
        "course_title",
        "cohort_code",
        DateColumn("completed_on", label=_("Completed"), sort_key="completed_on"),
        Column("status", label=_("Status"), accessor=lambda c: _("Revoked") if c.is_revoked else _("Valid")),
    ]
    list_filter = ["course_title", "cohort_code"]
    ordering = "-issued_at"
    search_fields = ["code", "learner_name", "user__email", "course_title"]
    search_backend_name = None
    list_export = ["code", "learner_name", "course_title", "cohort_code", "completed_on", "cpd_hours", "revoked_at"]
    export_filename = "certificates"
    inspect_view_fields = [
        "code",
        "status",
        "learner_name",
        "course_title",
        "cohort_code",
        "cohort_starts_on",
        "cohort_ends_on",
        "completed_on",
        "cpd_hours",
        "accreditation_body",
        "accreditation_reference",
        "issued_at",
        "issued_by",
        "verification",
        "revocation",
        "reissue_of",
        "reissue_reason",
    ]
    actions = [
        ("revoke", "revoke", admin_views.CertificateRevokeView),
        ("reissue", "reissue", admin_views.CertificateReissueView),
    ]

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            revoke_url_name=self.get_url_name("revoke"), reissue_url_name=self.get_url_name("reissue"), **kwargs
        )


class CohortCertificatesViewSet(ViewSet):
    """Bulk issue and download for one cohort, reached from its dashboard by whoever runs the cohort."""

    name = admin_views.URL_NAMESPACE
    url_prefix = "certificates/cohorts"

    def get_urlpatterns(self):
        return [
            path("<int:cohort_pk>/issue/", admin_views.IssueForCohortView.as_view(), name="issue"),
            path("<int:cohort_pk>/download/", admin_views.DownloadForCohortView.as_view(), name="download"),
        ]


class CertificatesAdminGroup(ViewSetGroup):
    menu_label = _("Certificates")
    menu_icon = "doc-full"
    menu_order = 270
    items = (CertificateViewSet, CertificateTemplateViewSet)
