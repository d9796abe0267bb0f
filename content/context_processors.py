import functools

from django.conf import settings

from wagtail.models import Site

from accounts.services import user_is_staff
from page_cache import shared_fragment, site_remember

from .models import NavigationSettings


def _site_links(site) -> list[tuple[str, str]]:
    """The live pages of the editor-chosen navigation, as (url, label): the same for every request to the site."""
    links = []
    for block in NavigationSettings.for_site(site).links:
        page = block.value["page"]
        if page and page.live:
            links.append((page.get_url(current_site=site), block.value["label"] or page.title))
    return links


def navigation_links(request):
    site_remember(request)  # the site from the shared cache, on pages Wagtail does not serve too (My learning, say)
    site = Site.find_for_request(request)
    if site is None:
        return []
    links = []
    for url, label in shared_fragment(f"navigation:{site.pk}", lambda: _site_links(site)):
        is_current = url == request.path
        links.append(
            {
                "url": url,
                "label": label,
                "current": is_current,
                "active": not is_current and url != "/" and request.path.startswith(url),
            }
        )
    return links


def site_navigation(request):
    """The site name, the editor-chosen main navigation and whether to show the admin link.

    The last two are worked out only when a template shows them (templates call what they are given): context
    processors run for every template, and the admin's pages, which show neither, need not look up the site.
    """
    user = getattr(request, "user", None)
    return {
        "site_name": settings.WAGTAIL_SITE_NAME,
        "navigation_links": functools.cache(lambda: navigation_links(request)),
        "can_access_admin": functools.cache(lambda: bool(user and user_is_staff(user=user))),
    }
