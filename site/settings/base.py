"""Settings shared by every environment. No secrets here: they come from DJANGO_* environment variables."""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SITE_DIR = BASE_DIR / "site"
VAR_DIR = Path(os.environ.get("DJANGO_VAR_DIR", BASE_DIR / "var"))


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# --- Core -------------------------------------------------------------------------------------------------------------

DEBUG = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "accounts.apps.AccountsConfig",
    "content.apps.ContentConfig",
    "courses.apps.CoursesConfig",
    "assessments.apps.AssessmentsConfig",
    "certificates.apps.CertificatesConfig",
    "bench.apps.BenchConfig",
    "operations.apps.OperationsConfig",
    "wagtailnhsukfrontend",
    "wagtailnhsukfrontend.forms",
    "wagtailnhsukfrontend.settings",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.search_promotions",
    "wagtail.embeds",
    "wagtail.sites",
    "accounts.apps.AccountsUsersAppConfig",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django.forms",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions and auth: an anonymous hit is answered without loading either (site/page_cache.py).
    "page_cache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.StaffMFARequiredMiddleware",
    "accounts.middleware.StaffIdleTimeoutMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "urls"
WSGI_APPLICATION = "wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SITE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "content.context_processors.site_navigation",
            ],
            "builtins": ["template_builtins"],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# Third-party apps without their own default (wagtailnhsukfrontend) were migrated with AutoField; ours set
# BigAutoField in their AppConfig.
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USING_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# --- Cache ------------------------------------------------------------------------------------------------------------

# Wagtail writes an image's rendition to the "renditions" cache on every use: kept in each process's memory, so that
# a page with cards costs no shared-cache writes. Renditions are rebuilt from the database, so nothing is lost; the
# timeout bounds how long a process can keep one whose file an editor replaced.
RENDITIONS_CACHE = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "TIMEOUT": 600}
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "renditions": RENDITIONS_CACHE,
}
# Whole pages for anonymous visitors (site/page_cache.py), invalidated on publishing and on every change of places;
# this caps what no signal announces. 0 turns the page cache off.
PAGE_CACHE_SECONDS = int(os.environ.get("DJANGO_PAGE_CACHE_SECONDS", "300"))
# Pieces every page shows (the main navigation), kept in the shared cache under the same invalidation as whole pages
# (page_cache.shared_fragment), signed-in visitors included. 0 builds them on every request.
FRAGMENT_CACHE_SECONDS = int(os.environ.get("DJANGO_FRAGMENT_CACHE_SECONDS", "300"))
# The Wagtail admin's sidebar per person (site/admin_chrome.py) and each person's permissions (accounts/backends.py),
# invalidated when permissions, groups, cohort leads or the person's account change; this caps what no signal
# announces. 0 builds them on every request.
ADMIN_CHROME_SECONDS = int(os.environ.get("DJANGO_ADMIN_CHROME_SECONDS", "300"))
# What a cohort's dashboard shows of its learners (courses/dashboard_cache.py), retired by every change to it; this caps
# what no signal announces. 0 builds it on every request.
DASHBOARD_CACHE_SECONDS = int(os.environ.get("DJANGO_DASHBOARD_CACHE_SECONDS", "300"))

# --- Tasks (emails, PDFs, payment follow-up) --------------------------------------------------------------------------

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Authentication ---------------------------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "accounts.backends.CachedPermissionsBackend",  # Django's ModelBackend, its permission sets kept between requests
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Safety investigation learning] "
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PRESERVE_USERNAME_CASING = False
# allauth's default rate limits stay in force (failed logins, sign-up, password reset, email confirmation); they
# count in the cache, so several web processes need the shared cache (REDIS_URL) for them to hold.

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Safety investigation learning"
# Staff (anyone who can open the Wagtail admin) must have an authenticator before /admin/ opens.
STAFF_MFA_REQUIRED = True

# --- Wagtail ----------------------------------------------------------------------------------------------------------

WAGTAIL_SITE_NAME = "Safety investigation learning"
WAGTAILADMIN_BASE_URL = os.environ.get("DJANGO_BASE_URL", "http://127.0.0.1:8000")
WAGTAILADMIN_LOGIN_URL = "account_login"
WAGTAIL_FRONTEND_LOGIN_URL = "account_login"
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAILUSERS_PASSWORD_ENABLED = False
WAGTAIL_WORKFLOW_ENABLED = True
WAGTAIL_MODERATION_ENABLED = True
# Uploads: every kind is checked by its content as well as its name (site/uploads.py; Willow for images). No SVG: it
# can carry script. Sizes in bytes.
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
# About a 48-megapixel phone photo; more would take hundreds of MB of memory to make each rendition.
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 50_000_000
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "odt", "xlsx", "csv", "txt"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAILDOCS_DOCUMENT_FORM_BASE = "uploads.DocumentForm"
# Through Wagtail's view even with object storage, so that every document gets its CSP and nosniff headers; typed by
# extension (which the form holds to the content), and only a PDF opens in the browser: the rest download.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "txt": "text/plain",
}
WAGTAILDOCS_INLINE_CONTENT_TYPES = ["application/pdf"]
CERTIFICATES_EVIDENCE_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILSEARCH_BACKENDS = {
    "default": {
        "BACKEND": "wagtail.search.backends.database",
        "AUTO_UPDATE": True,
    }
}
WAGTAILEMBEDS_RESPONSIVE_HTML = True

# --- Static and media -------------------------------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [SITE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Certificate PDFs and CPD evidence: outside MEDIA_ROOT, served only through views that check who asks.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": Path(os.environ.get("DJANGO_PRIVATE_MEDIA_ROOT", VAR_DIR / "private")),
            "base_url": None,
        },
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Internationalisation ---------------------------------------------------------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Email ------------------------------------------------------------------------------------------------------------

DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "learning@example.org")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Who answers questions about personal data (the data protection officer), named in the privacy notice.
PRIVACY_CONTACT_EMAIL = os.environ.get("DJANGO_PRIVACY_EMAIL", DEFAULT_FROM_EMAIL)

# --- Security defaults ------------------------------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content Security Policy (django-csp) for the public site: scripts, styles and fonts only from this origin, so no
# inline script can run; images also as data: URIs (the certificate's QR code) and from the media host, when media
# live in object storage; forms post here or to Stripe Checkout. The Wagtail admin is left out: it relies on inline
# scripts of its own, and only signed-in staff with MFA reach it.
MEDIA_HOSTS = env_list("DJANGO_MEDIA_HOSTS")
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *MEDIA_HOSTS],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'", "https://checkout.stripe.com"],
        "frame-ancestors": ["'none'"],
    },
}
# Powerful browser features the site never uses, switched off for every page and anything it might embed.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "browsing-topics",
    )
}

# Staff (editors, course leads, administrators) are signed out after this long without a request; learners keep
# the ordinary session length. Re-authentication (allauth) guards changing email and password, closing an account
# and refunds.
STAFF_IDLE_SECONDS = int(os.environ.get("DJANGO_STAFF_IDLE_SECONDS", str(30 * 60)))
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# --- Courses and payments ---------------------------------------------------------------------------------------------

# Card payments need all three; without them the card option is hidden (never faked).
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
COURSES_PAYMENT_ADAPTER = "courses.payments.StripePaymentAdapter"
CERTIFICATES_RENDERER = "certificates.rendering.WeasyPrintRenderer"
COURSES_PAYMENT_HOLD_MINUTES = int(os.environ.get("COURSES_PAYMENT_HOLD_MINUTES", "30"))
COURSES_OFFER_HOURS = int(os.environ.get("COURSES_OFFER_HOURS", "48"))
