"""Registers what accounts adds to a person's data download and account closure, and its audit-log actions."""

from django.utils.translation import gettext_lazy as _

from wagtail import hooks

from .personal_data import ACCOUNT_CLOSE_HOOK, PERSONAL_DATA_HOOK, account_erase, account_sections


@hooks.register("register_log_actions")
def register_log_actions(actions):
    actions.register_action("accounts.close", _("Close account"), _("Account closed by its holder"))


hooks.register(PERSONAL_DATA_HOOK, account_sections)
hooks.register(ACCOUNT_CLOSE_HOOK, account_erase)
