from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from wagtail.users.apps import WagtailUsersAppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")
    default_auto_field = "django.db.models.BigAutoField"


class AccountsUsersAppConfig(WagtailUsersAppConfig):
    """Wagtail's user admin, with our full-name field in place of first and last names."""

    user_viewset = "accounts.viewsets.UserViewSet"
