import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext

from .services import user_has_mfa, user_is_staff


class StaffMFARequiredMiddleware:
    """Send staff without an authenticator app to set one up before the admin opens."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            getattr(settings, "STAFF_MFA_REQUIRED", True)
            and request.path.startswith("/admin/")
            and user_is_staff(user=request.user)
            and not user_has_mfa(user=request.user)
        ):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('mfa_activate_totp')}?{query}")
        return self.get_response(request)


class StaffIdleTimeoutMiddleware:
    """Sign staff out after STAFF_IDLE_SECONDS without a request; they hold the keys to everyone's data.

    The last request's time is kept in the session and written at most once a minute, so an active member of staff
    costs no session write on most requests.
    """

    SESSION_KEY = "staff_last_seen"
    WRITE_EVERY_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = getattr(settings, "STAFF_IDLE_SECONDS", 0)
        if seconds and user_is_staff(user=request.user):
            now = int(time.time())
            last_seen = request.session.get(self.SESSION_KEY)
            if last_seen is not None and now - last_seen > seconds:
                logout(request)
                messages.info(
                    request,
                    gettext("You were signed out after %(minutes)d minutes without activity. Sign in again to go on.")
                    % {"minutes": seconds // 60},
                )
                return redirect_to_login(request.get_full_path())
            if last_seen is None or now - last_seen >= self.WRITE_EVERY_SECONDS:
                request.session[self.SESSION_KEY] = now
        return self.get_response(request)
