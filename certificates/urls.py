from django.urls import path

from . import record_views, views

app_name = "certificates"

urlpatterns = [
    # Public: anyone holding a code can check it.
    path("certificates/verify/", views.VerifyFormView.as_view(), name="verify_form"),
    path("certificates/verify/<str:code>/", views.VerifyView.as_view(), name="verify"),
    path("certificates/issuer.json", views.IssuerProfileView.as_view(), name="issuer"),
    # The learner's own (and staff for the cohorts they run).
    path("certificates/<str:code>.pdf", views.CertificatePdfView.as_view(), name="pdf"),
    path("certificates/<str:code>/credential.json", views.CredentialView.as_view(), name="credential"),
    # The CPD record: the learner's alone (record_views.py).
    path("my-cpd/", record_views.record, name="cpd_record"),
    path("my-cpd/activities/add/", record_views.activity_add, name="cpd_activity_add"),
    path("my-cpd/activities/<int:pk>/", record_views.activity_edit, name="cpd_activity_edit"),
    path("my-cpd/activities/<int:pk>/delete/", record_views.activity_delete, name="cpd_activity_delete"),
    path("my-cpd/activities/<int:pk>/evidence/", record_views.activity_evidence, name="cpd_activity_evidence"),
    path("my-cpd/revalidation-date/", record_views.revalidation_date, name="cpd_revalidation_date"),
    path("my-cpd/cpd-record.csv", record_views.export_csv, name="cpd_export_csv"),
    path("my-cpd/cpd-record.pdf", record_views.export_pdf, name="cpd_export_pdf"),
]
