"""Registers what accounts adds to a person's data download and account closure, and its audit-log actions."""

from django.utils.translation import gettext_lazy as _

from wagtail import hooks

from audit import log_actions_registrar

from .personal_data import ACCOUNT_CLOSE_HOOK, PERSONAL_DATA_HOOK, account_erase, account_sections
from .services import user_roles, user_roles_log

LOG_ACTIONS = {
    "accounts.close": (_("Close account"), _("Account closed by its holder")),
    "accounts.roles_change": (_("Change roles"), _("Roles changed")),
}
ROLES_BEFORE = "_accounts_roles_before"


def remember_roles(request, user):
    setattr(request, ROLES_BEFORE, user_roles(user=user))


def log_roles(request, user):
    user_roles_log(user=user, before=getattr(request, ROLES_BEFORE, None), by_user=request.user)


hooks.register("register_log_actions", log_actions_registrar(LOG_ACTIONS))
hooks.register(PERSONAL_DATA_HOOK, account_sections)
hooks.register(ACCOUNT_CLOSE_HOOK, account_erase)
hooks.register("before_edit_user", remember_roles)
hooks.register("after_edit_user", log_roles)
hooks.register("after_create_user", log_roles)
