"""The privacy notice and the cookie statement: fixed pages, because what they promise is what the code does."""

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe


def essential_cookies() -> list[dict]:
    """Every cookie the site can set. All are strictly necessary, so none needs consent (PECR regulation 6(4))."""
    return [
        {
            "name": settings.SESSION_COOKIE_NAME,
            "purpose": _("Keeps you signed in as you move from page to page."),
            "expires": _("When you sign out, or %(days)s days after you last signed in")
            % {"days": settings.SESSION_COOKIE_AGE // 86400},
        },
        {
            "name": settings.CSRF_COOKIE_NAME,
            "purpose": _("Stops other websites sending forms in your name."),
            "expires": _("After a year"),
        },
        {
            "name": CookieStorage.cookie_name,
            "purpose": _("Shows you a one-off message, such as 'Your details have been saved'."),
            "expires": _("As soon as the message is shown"),
        },
    ]


@require_safe
def privacy_notice(request):
    return render(request, "legal/privacy.html", {"contact_email": settings.PRIVACY_CONTACT_EMAIL})


@require_safe
def cookie_statement(request):
    return render(request, "legal/cookies.html", {"cookies": essential_cookies()})
