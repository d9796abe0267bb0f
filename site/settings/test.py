"""The test suite: fast hashing, local-memory cache and email, plain static storage, tasks run at once."""

from .base import *  # noqa: F403

SECRET_KEY = "test-only-insecure-key"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}, "renditions": RENDITIONS_CACHE}  # noqa: F405
# Off, so that no test sees another's page or menu; tests/shell/test_page_cache.py and test_admin_chrome.py turn them on.
PAGE_CACHE_SECONDS = 0
FRAGMENT_CACHE_SECONDS = 0
ADMIN_CHROME_SECONDS = 0
DASHBOARD_CACHE_SECONDS = 0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "private": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STAFF_MFA_REQUIRED = True
WAGTAILADMIN_BASE_URL = "http://testserver"
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
