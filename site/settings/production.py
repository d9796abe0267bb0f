"""Production: secrets and hosts from the environment, secure cookies, HSTS, compressed static files."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_list

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production.")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set in production (comma-separated host names).")

DEBUG = False

SECURE_SSL_REDIRECT = os.environ.get("DJANGO_SECURE_SSL_REDIRECT", "1") == "1"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "static_storage.StaticFilesStorage"},
}

if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        },
        "renditions": RENDITIONS_CACHE,  # noqa: F405
    }
elif os.environ.get("DJANGO_CACHE_DIR"):
    # One host without Redis (and `make bench`): a cache the web processes share through the file system, so that the
    # page cache's invalidation and the verification rate limit hold across processes.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ["DJANGO_CACHE_DIR"],
        },
        "renditions": RENDITIONS_CACHE,  # noqa: F405
    }

if not CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    # Signed-in requests read their session from the shared cache, the database only on a miss. Never with each
    # process's own memory: a session ended in one process would live on in another's copy.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # Each process has its own local-memory cache then, which another process's invalidation cannot reach: keep
    # pages and fragments only a few seconds, so places are never stale for longer than that.
    if "DJANGO_PAGE_CACHE_SECONDS" not in os.environ:
        PAGE_CACHE_SECONDS = 5
    if "DJANGO_FRAGMENT_CACHE_SECONDS" not in os.environ:
        FRAGMENT_CACHE_SECONDS = 5
    if "DJANGO_ADMIN_CHROME_SECONDS" not in os.environ:
        ADMIN_CHROME_SECONDS = 5
    if "DJANGO_DASHBOARD_CACHE_SECONDS" not in os.environ:
        DASHBOARD_CACHE_SECONDS = 5

EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("DJANGO_EMAIL_USE_TLS", "1") == "1"
