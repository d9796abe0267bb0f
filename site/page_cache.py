"""A shared cache of whole pages for anonymous visitors, invalidated at once when pages or places change.

How it stays correct:

- Only cookie-less visitors are served from it or stored in it: a request carrying a session cookie (everyone signed
  in, and anyone part-way through a flow) or a flash-messages cookie goes straight to the view. That is decided from
  the cookie names alone, so a hit touches neither the session nor the database and renders no template.
- Only plain public HTML is stored: a 200 of text/html that sets no cookie (so no CSRF token, no new session), holds no
  CSRF form field, is not marked private/no-cache/no-store (Wagtail marks pages with view restrictions so) and varies
  on nothing but Cookie, under a path outside `EXCLUDED_PREFIXES`.
- Entries are tagged with the cache's *generation*, read before the view runs. Invalidating sets a new random
  generation in the shared cache, so every process sees it at once; an entry rendered while the data was changing
  carries the old tag and is never served.
- Changes that no signal announces (a cohort's enrolment opening or closing at a set time, dates rolling over at
  midnight) cap how long an entry lives; `PAGE_CACHE_SECONDS` caps the rest.
"""

import datetime
import hashlib
import secrets
from functools import partial

from django.apps import apps
from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.db import transaction
from django.db.models import Min, Q
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.http.request import split_domain_port
from django.utils import timezone

GENERATION_KEY = "page-cache:generation"
HEADER = "X-Page-Cache"

# Pages that depend on who is asking, or that must count each request (rate-limited verification), whatever they
# send. Everything else (home, catalogue, course pages, report and article indexes and details, search, standard
# pages) is a candidate; the response checks below still refuse anything personal.
EXCLUDED_PREFIXES = (
    "/admin/",
    "/account/",
    "/my-learning/",
    "/my-cpd/",
    "/certificates/",
    "/courses/cohorts/",
    "/courses/register-interest/",
    "/payments/",
    "/documents/",
)
CSRF_FIELD = b'name="csrfmiddlewaretoken"'
UNCACHEABLE_DIRECTIVES = ("private", "no-cache", "no-store")


def generation_bump(generation_key: str = GENERATION_KEY) -> None:
    """Retire every cached page: entries tagged with an older generation are never served again."""
    cache.set(generation_key, secrets.token_hex(8), timeout=None)


def _generation_ensure(generation_key: str) -> str:
    cache.add(generation_key, secrets.token_hex(8), timeout=None)
    return cache.get(generation_key)


def generation(generation_key: str = GENERATION_KEY) -> str:
    """The current generation, for a key of something kept elsewhere (each process's memory, say) that must change
    with it."""
    return cache.get(generation_key) or _generation_ensure(generation_key)


def tagged_get(key: str, generation_key: str | tuple = GENERATION_KEY):
    """(the current generation, the value stored under `key`), in one round trip; the value is None when missing or
    tagged with an older generation. The generation is created if there is none yet. Store a value as
    `(generation, value)` with the generation this returned, read before the value was built.

    `generation_key` may be a tuple of keys: the value is then tagged with each one's generation, and bumping any of
    them retires it."""
    keys = (generation_key,) if isinstance(generation_key, str) else generation_key
    found = cache.get_many([*keys, key])
    generations = tuple(found.get(name) or _generation_ensure(name) for name in keys)
    generation = generations[0] if isinstance(generation_key, str) else generations
    entry = found.get(key)
    if entry is not None and entry[0] == generation:
        return generation, entry[1]
    return generation, None


def shared_fragment(name: str, build):
    """`build()`, kept in the shared cache until the next invalidation, for pieces that every page shows.

    Tagged with the generation read before building, exactly as whole pages are, so a piece built while its data was
    changing is never served; FRAGMENT_CACHE_SECONDS caps its life and 0 builds it every time.
    """
    return tagged_build(f"fragment:{name}", build, settings.FRAGMENT_CACHE_SECONDS)


def tagged_build(key: str, build, seconds: int, generation_key: str | tuple = GENERATION_KEY):
    """`build()`, kept under `key` for `seconds` (0: built every time) and tagged with the generation read before
    building, so that a value built while its data was changing is never served."""
    if not seconds:
        return build()
    generation, value = tagged_get(key, generation_key)
    if value is None:
        value = build()
        cache.set(key, (generation, value), timeout=seconds)
    return value


def _site_with_root_page(request):
    from wagtail.models import Site

    site = Site._find_for_request(request)
    if site is not None:
        # Routing starts from the root page's specific object: read now, it is kept with the site.
        site.root_page.specific  # noqa: B018
    return site


def site_remember(request) -> None:
    """Give Wagtail the request's site from the shared cache, so that routing a page reads neither the sites nor
    the root page.

    `Site.find_for_request` keeps its answer on the request as `_wagtail_site` and asks the database only when that
    is missing. Sites are invalidating models and what a visitor sees of the root page changes only when it is
    published, unpublished or moved, so the shared copy changes when they do (a draft's bookkeeping, such as
    `has_unpublished_changes`, may lag; no page shows it). Keyed by host and port, as Wagtail matches them; a host
    outside ALLOWED_HOSTS (whose request is refused anyway) is left to Wagtail, so a forged Host header cannot add
    entries.
    """
    if hasattr(request, "_wagtail_site"):
        return
    try:
        request.get_host()
    except DisallowedHost:
        return
    hostname, port = split_domain_port(request._get_raw_host())[0], request.get_port()
    request._wagtail_site = shared_fragment(f"site:{hostname}:{port}", lambda: _site_with_root_page(request))


def _page_key(request) -> str:
    # get_host() validates against ALLOWED_HOSTS, so a forged Host header cannot plant entries.
    url = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    # v2: entries are (generation, (status, headers, content)); the new prefix never reads one of the older shape.
    return "page-cache:v2:" + hashlib.md5(url.encode(), usedforsecurity=False).hexdigest()


def _request_is_cacheable(request) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if "HTTP_AUTHORIZATION" in request.META:
        return False
    if "HTTP_COOKIE" in request.META:
        cookies = request.COOKIES
        if settings.SESSION_COOKIE_NAME in cookies or CookieStorage.cookie_name in cookies:
            return False
    excluded = getattr(settings, "PAGE_CACHE_EXCLUDED_PREFIXES", EXCLUDED_PREFIXES)
    return not request.path.startswith(tuple(excluded))


def _response_is_cacheable(response) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if not response.get("Content-Type", "").startswith("text/html"):
        return False
    cache_control = response.get("Cache-Control", "").lower()
    if any(directive in cache_control for directive in UNCACHEABLE_DIRECTIVES):
        return False
    vary = {header.strip().lower() for header in response.get("Vary", "").split(",") if header.strip()}
    if vary - {"cookie"}:
        return False
    # The CSRF middleware sends its cookie whenever a token is used, so the cookie check above already refuses
    # forms; this is the second lock, in case a token ever reaches a page some other way.
    return CSRF_FIELD not in response.content


def _timeout(seconds: int) -> int:
    """PAGE_CACHE_SECONDS, shortened to the next moment a page could change with no signal: enrolment opening or
    closing, or midnight (cohorts start and end on dates)."""
    now = timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0) + datetime.timedelta(days=1)
    moments = [midnight]
    Cohort = apps.get_model("courses", "Cohort")
    upcoming = Cohort.objects.aggregate(
        opens=Min("enrolment_opens_at", filter=Q(enrolment_opens_at__gt=now)),
        closes=Min("enrolment_closes_at", filter=Q(enrolment_closes_at__gt=now)),
    )
    moments += [moment for moment in upcoming.values() if moment]
    until_change = (min(moments) - now).total_seconds()
    return max(1, min(seconds, int(until_change) + 1))


class PageCacheMiddleware:
    """Serve anonymous GET/HEAD requests for public pages from the shared cache. Place it before SessionMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = settings.PAGE_CACHE_SECONDS
        if not seconds:
            return self.get_response(request)
        if not _request_is_cacheable(request):
            response = self.get_response(request)
            response[HEADER] = "bypass"
            return response

        key = _page_key(request)
        generation, stored = tagged_get(key)
        if stored is not None:
            status, headers, content = stored
            response = HttpResponse(content, status=status, headers=headers)
            response[HEADER] = "hit"
            return response

        response = self.get_response(request)
        if _response_is_cacheable(response):
            headers = [(name, value) for name, value in response.items() if name != HEADER]
            entry = (generation, (response.status_code, headers, response.content))
            cache.set(key, entry, timeout=_timeout(seconds))
        response[HEADER] = "miss"
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        """Before Wagtail's page view routes, hand it the site (only there: other views need no root page)."""
        from wagtail.views import serve

        if view_func is serve:
            site_remember(request)


# --- Invalidation -----------------------------------------------------------------------------------------------------

# Models whose rows show on anonymous pages outside a page's own revision: places (cohorts, their sessions,
# enrolments), topics, images and the sites themselves; and the site's settings (navigation). View restrictions too:
# setting a page's privacy publishes nothing, yet a cached copy of it (or a listing that shows it) must go at once.
INVALIDATING_MODELS = [
    "courses.Cohort",
    "courses.CohortSession",
    "courses.Enrolment",
    "content.Topic",
    "wagtailcore.Site",
    "wagtailcore.PageViewRestriction",
]
SETTINGS_MODELS = ["content.NavigationSettings"]


def invalidate(*, generation_key: str = GENERATION_KEY, **kwargs) -> None:
    """Bump now, and again when the surrounding transaction commits (a signal receiver; `generation_key` names
    another cache's generation, such as the admin's furniture in admin_chrome).

    The commit bump is the one that makes it right: a visitor served between the save and the commit is rendered from
    the old rows (other connections cannot see the new ones yet) but tagged with the new generation, and that entry
    has to die at commit. The immediate bump costs one cache write; it retires pages at once when no commit follows in
    this process's view (tests wrapped in a transaction, a rollback to a savepoint) and shortens the window for the
    same process. Outside a transaction `on_commit` runs at once, so the bump just happens twice.
    """
    generation_bump(generation_key)
    transaction.on_commit(partial(generation_bump, generation_key))


def invalidate_unless_created(*, created=False, **kwargs) -> None:
    """For settings: `for_site()` creates the empty row on a page's first render, which changes nothing shown."""
    if not created:
        invalidate()


def connect_signals() -> None:
    """Hook invalidation to publishing and to the models above; called from AccountsConfig.ready()."""
    from wagtail import signals as wagtail_signals
    from wagtail.images import get_image_model

    for signal in (
        wagtail_signals.page_published,
        wagtail_signals.page_unpublished,  # also sent when a live page is deleted
        wagtail_signals.post_page_move,
        wagtail_signals.published,  # snippets with drafts
        wagtail_signals.unpublished,
    ):
        signal.connect(invalidate, dispatch_uid="page_cache.invalidate")
    for model in [*(apps.get_model(label) for label in INVALIDATING_MODELS), get_image_model()]:
        for signal in (post_save, post_delete):
            signal.connect(invalidate, sender=model, dispatch_uid=f"page_cache.invalidate.{model._meta.label}")
    for model in (apps.get_model(label) for label in SETTINGS_MODELS):
        post_save.connect(
            invalidate_unless_created, sender=model, dispatch_uid=f"page_cache.settings.{model._meta.label}"
        )
        post_delete.connect(invalidate, sender=model, dispatch_uid=f"page_cache.invalidate.{model._meta.label}")
