from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = _("Case exercises")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from courses import dashboard_cache

        from .models import Attempt

        # The roster's cells and the marking backlog; a step through the case saves its route alone, which neither shows.
        dashboard_cache.track(Attempt, dashboard_cache.cohort_of_enrolment, unshown={"route"})
