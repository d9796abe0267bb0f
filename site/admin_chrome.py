"""What depends on who may see what, kept between requests instead of read again on every one: Wagtail's admin
furniture (the sidebar, the settings its scripts read, the shortcuts dialog), each person's permissions
(accounts.backends) and whether a member of staff has an authenticator app (accounts.services.user_has_mfa).

Every admin page renders Wagtail's sidebar (the menu this person may see, packed as JSON for its React code, with
the permission checks behind each item), `wagtail_config` (addresses, the locales and a hundred translated strings)
and the keyboard-shortcuts dialog. Together they were a third of a cohort dashboard's time, and they change only when
who may see what changes.

- `kept(key, build)` keeps a value in the shared cache, tagged with this module's generation as the page cache's
  entries are with theirs (page_cache.tagged_get). The generation is bumped by every change that could alter what
  is kept: groups, their permissions and members; a person's own permissions and account (superuser, active, name,
  address); Wagtail's page, collection and site permissions and the person's Wagtail profile (avatar, dismissed help
  items); who leads which cohort; the locales; an authenticator added or removed; a permission deleted.
  ADMIN_CHROME_SECONDS caps an entry's life for changes no signal announces (a bulk update(), the database edited by
  hand); 0 reads and builds everything every time.
- The sidebar is kept per person, language and set of permissions; the scripts' settings per language, all but the
  CSRF token, the content locale and the person's shortcuts setting, which are filled in on every request.
- The shortcuts dialog depends only on the language, on whether the person turned shortcuts off and on whether their
  browser runs on a Mac, so each process keeps one per combination.

A stale menu would show or hide a link, never more: every view behind a link checks who may open it, with
permissions that no change outlives (tests/accounts/test_permissions_cache.py).

`install()` (from AccountsConfig.ready) puts these in place of the three tags in Wagtail's `wagtailadmin_tags`
library, which `wagtailadmin/admin_base.html` and `base.html` use; a miss runs Wagtail's own functions, so the output
is Wagtail's.
"""

import hashlib

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import translation

import page_cache

GENERATION_KEY = "admin-chrome:generation"
# Models (besides users and groups, and the many-to-many links in install()) whose changes retire what is kept.
INVALIDATING_MODELS = [
    "wagtailcore.GroupPagePermission",
    "wagtailcore.GroupCollectionPermission",
    "wagtailcore.GroupSitePermission",
    "wagtailusers.UserProfile",
    "wagtailcore.Locale",
    "courses.Cohort",
    "auth.Permission",
    "mfa.Authenticator",
]
SHORTCUTS_TEMPLATE = "wagtailadmin/shared/keyboard_shortcuts_dialog.html"


def _sidebar_key(user) -> str:
    permissions = "\n".join(sorted(user.get_all_permissions()))
    identity = f"{user.pk}:{user.get_username()}:{user.is_superuser}:{user.is_active}:{translation.get_language()}"
    return "admin-chrome:sidebar:" + hashlib.sha256(f"{identity}\n{permissions}".encode()).hexdigest()


def kept(key: str, build):
    """`build()`, kept in the shared cache under this module's generation for ADMIN_CHROME_SECONDS (0: built every
    time). For what depends on who may see what: the admin's furniture, a person's permissions, their second factor."""
    return page_cache.tagged_build(key, build, settings.ADMIN_CHROME_SECONDS, GENERATION_KEY)


def sidebar_props(context):
    from wagtail.admin.templatetags import wagtailadmin_tags

    user = context["request"].user
    if not user.is_authenticated:
        return wagtailadmin_tags.sidebar_props(context)
    return kept(_sidebar_key(user), lambda: wagtailadmin_tags.sidebar_props(context))


# The parts of Wagtail's `wagtail_config` (the JSON its scripts read) that differ from one request to the next; the
# rest (API addresses, the locales, a hundred translated strings for the scripts) is kept per language.
CONFIG_PER_REQUEST = ("CSRF_TOKEN", "ACTIVE_CONTENT_LOCALE", "KEYBOARD_SHORTCUTS_ENABLED")


def wagtail_config(context):
    from wagtail.admin.templatetags import wagtailadmin_tags

    if not settings.ADMIN_CHROME_SECONDS:
        return wagtailadmin_tags.wagtail_config(context)
    shared = kept(
        f"admin-chrome:config:{translation.get_language()}",
        lambda: {k: v for k, v in wagtailadmin_tags.wagtail_config(context).items() if k not in CONFIG_PER_REQUEST},
    )
    config = {"CSRF_TOKEN": get_token(context["request"]), **shared}  # in Wagtail's order
    if locale := context.get("locale"):
        config["ACTIVE_CONTENT_LOCALE"] = locale.language_code
    profile = getattr(context["request"].user, "wagtail_userprofile", None)
    config["KEYBOARD_SHORTCUTS_ENABLED"] = profile.keyboard_shortcuts if profile is not None else True
    return config


_shortcuts_dialogs = {}


def keyboard_shortcuts_dialog(context):
    from wagtail.admin.templatetags import wagtailadmin_tags
    from wagtail.admin.utils import get_keyboard_key_labels_from_request

    values = wagtailadmin_tags.keyboard_shortcuts_dialog(context)  # plain data: no template rendered
    request = context.get("request")
    keys = get_keyboard_key_labels_from_request(request).MOD if request else ""  # a Mac's or not
    key = (translation.get_language(), values["keyboard_shortcuts_enabled"], keys)
    if key not in _shortcuts_dialogs:
        _shortcuts_dialogs[key] = render_to_string(SHORTCUTS_TEMPLATE, values)
    return _shortcuts_dialogs[key]


def _retire(**kwargs) -> None:
    page_cache.invalidate(generation_key=GENERATION_KEY)


def _retire_unless_signing_in(*, update_fields=None, **kwargs) -> None:
    # Signing in saves last_login alone, which no menu shows.
    if update_fields is None or set(update_fields) != {"last_login"}:
        _retire()


def install() -> None:
    from wagtail.admin.templatetags import wagtailadmin_tags

    wagtailadmin_tags.register.simple_tag(takes_context=True, name="sidebar_props")(sidebar_props)
    wagtailadmin_tags.register.simple_tag(takes_context=True, name="wagtail_config")(wagtail_config)
    wagtailadmin_tags.register.simple_tag(takes_context=True, name="keyboard_shortcuts_dialog")(
        keyboard_shortcuts_dialog
    )

    User = get_user_model()
    post_save.connect(_retire_unless_signing_in, sender=User, dispatch_uid="admin_chrome.user")
    post_delete.connect(_retire, sender=User, dispatch_uid="admin_chrome.user.delete")
    for model in [Group, *(apps.get_model(label) for label in INVALIDATING_MODELS)]:
        for signal in (post_save, post_delete):
            signal.connect(_retire, sender=model, dispatch_uid=f"admin_chrome.{model._meta.label}")
    through_models = [
        User.groups.through,
        User.user_permissions.through,
        Group.permissions.through,
        apps.get_model("courses.Cohort").leads.through,
    ]
    for through in through_models:
        m2m_changed.connect(_retire, sender=through, dispatch_uid=f"admin_chrome.{through._meta.label}")
