"""Registers the certificates admin, what certificates adds to the cohort dashboard (a panel, two roster columns), its log actions and the demo."""

from wagtail import hooks

from accounts.personal_data import ACCOUNT_CLOSE_HOOK, PERSONAL_DATA_HOOK
from courses.extensions import DASHBOARD_PANELS_HOOK, ROSTER_COLUMNS_HOOK

from .admin_views import dashboard_panels, register_log_actions, roster_columns
from .demo import build_certificate_demo
from .personal_data import certificate_sections, certificates_close_account
from .viewsets import CertificatesAdminGroup, CohortCertificatesViewSet

hooks.register("register_admin_viewset", CertificatesAdminGroup)
hooks.register("register_admin_viewset", CohortCertificatesViewSet)
hooks.register("register_log_actions", register_log_actions)
hooks.register(DASHBOARD_PANELS_HOOK, dashboard_panels)
hooks.register(ROSTER_COLUMNS_HOOK, roster_columns)
hooks.register("build_demo_content", build_certificate_demo)
hooks.register(PERSONAL_DATA_HOOK, certificate_sections)
hooks.register(ACCOUNT_CLOSE_HOOK, certificates_close_account)
