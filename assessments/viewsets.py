"""The marking queue in the Wagtail admin, under the Courses menu's neighbour "Marking"."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet

from courses.selectors import request_runs_cohorts

from . import admin_views


class MarkingMenuItem(MenuItem):
    def is_shown(self, request):
        return request_runs_cohorts(request)


class MarkingViewSet(ViewSet):
    """Who may mark is who leads the learner's cohort, so each view asks `attempts_for_staff`, not a model permission."""

    name = admin_views.URL_NAMESPACE
    url_prefix = "assessments/marking"
    icon = "edit"
    menu_label = _("Marking")
    menu_order = 260
    add_to_admin_menu = True
    menu_item_class = MarkingMenuItem

    def get_urlpatterns(self):
        return [
            path("", admin_views.MarkingQueueView.as_view(), name="index"),
            path("<int:attempt_pk>/", admin_views.AttemptMarkView.as_view(), name="mark"),
            path("<int:attempt_pk>/release/", admin_views.AttemptReleaseView.as_view(), name="release"),
            path("cohorts/<int:cohort_pk>.csv", admin_views.ProgressCsvView.as_view(), name="progress_csv"),
        ]
