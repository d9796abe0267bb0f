"""Django's model permissions, kept in the shared cache between requests.

Every signed-in request asks at least once what the person may do (the staff checks in accounts.middleware, the
admin's menus and views), and Django's ModelBackend reads the answer with two queries each time. Here the set is
kept per person with admin_chrome.kept, whose generation is bumped whenever permissions could change: a group's
permissions or members, a person's own permissions, a group or permission deleted, the account saved (superuser,
active). With a shared cache (Redis, or the file cache on one host) a change holds everywhere at the next request;
ADMIN_CHROME_SECONDS caps an entry's life for changes no signal announces, and 0 reads the database every time.

Sessions store the path of the backend that signed someone in: a session begun under
django.contrib.auth.backends.ModelBackend, which this replaces in AUTHENTICATION_BACKENDS, has to sign in again.
"""

from django.contrib.auth.backends import ModelBackend

import admin_chrome


class CachedPermissionsBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return super().get_all_permissions(user_obj, obj=obj)
        if not hasattr(user_obj, "_perm_cache"):
            read = super().get_all_permissions
            user_obj._perm_cache = admin_chrome.kept(
                f"permissions:{user_obj.pk}:{user_obj.is_superuser}", lambda: read(user_obj)
            )
        return user_obj._perm_cache
