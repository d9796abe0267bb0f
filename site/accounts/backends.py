"""Django's model permissions, kept in the shared cache between requests.

Every signed-in request asks at least once what the person may do (the staff checks in accounts.middleware, the
admin's menus and views), and Django's ModelBackend reads the answer with two queries each time. Here the set is
kept per person with admin_chrome.kept, whose generation is bumped whenever permissions could change: a group's
permissions or members, a person's own permissions, a group or permission deleted, the account saved (superuser,
active). With a shared cache (Redis, or the file cache on one host) a change holds everywhere at the next request;
ADMIN_CHROME_SECONDS caps an entry's life for changes no signal announces, and 0 reads the database every time.

It also reads the signed-in person with Wagtail's admin profile (their admin language and time zone) joined: every
admin page asks for the profile, a second query on every request otherwise, and one that finds nothing for the many
who never saved admin preferences. A password sign-in is answered by this backend, the first in the list; sessions
begun by allauth's own (a sign-in code, a case-mismatched email) still read the profile on its own.

Sessions store the path of the backend that signed someone in: a session begun under
django.contrib.auth.backends.ModelBackend, which this replaces in AUTHENTICATION_BACKENDS, has to sign in again.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

import admin_chrome


class CachedPermissionsBackend(ModelBackend):
    def get_user(self, user_id):
        User = get_user_model()
        try:
            user = User._default_manager.select_related("wagtail_userprofile").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return super().get_all_permissions(user_obj, obj=obj)
        if not hasattr(user_obj, "_perm_cache"):
            read = super().get_all_permissions
            user_obj._perm_cache = admin_chrome.kept(
                f"permissions:{user_obj.pk}:{user_obj.is_superuser}", lambda: read(user_obj)
            )
        return user_obj._perm_cache
