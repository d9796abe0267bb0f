"""Registers the hindsight-prompt setting, the marking queue, what assessments adds to the cohort dashboard, and the
demo builder."""

from wagtail import hooks
from wagtail.contrib.settings.registry import register_setting

from accounts.personal_data import ACCOUNT_CLOSE_HOOK, PERSONAL_DATA_HOOK
from courses.extensions import COMPLETION_CHECKS_HOOK, DASHBOARD_PANELS_HOOK, ROSTER_COLUMNS_HOOK

from .admin_views import register_log_actions
from .demo import build_assessment_demo
from .models import HindsightSettings
from .personal_data import assessment_sections, assessments_close_account
from .progress import completion_checks, dashboard_panels, roster_columns
from .viewsets import MarkingViewSet

register_setting(HindsightSettings, icon="warning")
hooks.register("build_demo_content", build_assessment_demo)
hooks.register("register_admin_viewset", MarkingViewSet)
hooks.register(DASHBOARD_PANELS_HOOK, dashboard_panels)
hooks.register(ROSTER_COLUMNS_HOOK, roster_columns)
hooks.register(COMPLETION_CHECKS_HOOK, completion_checks)
hooks.register(PERSONAL_DATA_HOOK, assessment_sections)
hooks.register(ACCOUNT_CLOSE_HOOK, assessments_close_account)
hooks.register("register_log_actions", register_log_actions)
