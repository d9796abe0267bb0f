from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

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
