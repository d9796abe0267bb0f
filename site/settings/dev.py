"""Local development: DEBUG on, SQLite under var/, emails as files under var/mail/, tasks run at once."""

import os

from .base import *  # noqa: F403
from .base import VAR_DIR

DEBUG = True
SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = VAR_DIR / "mail"

WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# The demo staff accounts have no authenticator; set DJANGO_STAFF_MFA_REQUIRED=1 to try the real requirement.
STAFF_MFA_REQUIRED = os.environ.get("DJANGO_STAFF_MFA_REQUIRED", "") == "1"

try:
    from .local import *  # noqa: F403
except ImportError:
    pass
