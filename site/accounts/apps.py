from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from wagtail.users.apps import WagtailUsersAppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from allauth.account.signals import password_reset

        from .services import email_confirm_by_password_reset

        def confirm_email(sender, request, user, **kwargs):
            email_confirm_by_password_reset(user=user)

        password_reset.connect(confirm_email, dispatch_uid="accounts.confirm_email_by_password_reset", weak=False)

        # The project shell has no app of its own; the page cache and the admin furniture (admin_chrome) hook up here.
        import admin_chrome
        import page_cache

        page_cache.connect_signals()
        admin_chrome.install()


class AccountsUsersAppConfig(WagtailUsersAppConfig):
    """Wagtail's user admin, with our full-name field in place of first and last names."""

    user_viewset = "accounts.viewsets.UserViewSet"
