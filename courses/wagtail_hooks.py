"""Registers the courses admin (the "Courses" menu), the eligibility setting, admin log actions and the demo builder."""

from wagtail import hooks
from wagtail.contrib.settings.registry import register_setting

from accounts.personal_data import ACCOUNT_CLOSE_HOOK, PERSONAL_DATA_HOOK

from .admin_views import register_log_actions
from .demo import build_course_demo
from .models import EligibilitySettings
from .personal_data import course_sections, courses_close_account
from .viewsets import CoursesAdminGroup

hooks.register("register_admin_viewset", CoursesAdminGroup)
hooks.register("register_log_actions", register_log_actions)
hooks.register("build_demo_content", build_course_demo)
register_setting(EligibilitySettings, icon="key")
hooks.register(PERSONAL_DATA_HOOK, course_sections)
hooks.register(ACCOUNT_CLOSE_HOOK, courses_close_account)
