from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "certificates"
    verbose_name = _("Certificates and CPD")

    def ready(self):
        from courses import dashboard_cache

        from . import signals  # noqa: F401 - connects the automatic issuing on sign-off
        from .models import Certificate

        dashboard_cache.track(Certificate, dashboard_cache.cohort_of_enrolment)  # the roster's codes, the panel
