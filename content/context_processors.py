from django.conf import settings

from wagtail.models import Site

from accounts.services import user_is_staff

from .models import NavigationSettings


def navigation_links(request):
    site = Site.find_for_request(request)
    if site is None:
        return []
    links = []
    for block in NavigationSettings.for_site(site).links:
        page = block.value["page"]
        if not page or not page.live:
            continue
        url = page.get_url(request)
        is_current = url == request.path
        links.append(
            {
                "url": url,
                "label": block.value["label"] or page.title,
                "current": is_current,
                "active": not is_current and url != "/" and request.path.startswith(url),
            }
        )
    return links


def site_navigation(request):
    """The site name, the editor-chosen main navigation and whether to show the admin link."""
    user = getattr(request, "user", None)
    return {
        "site_name": settings.WAGTAIL_SITE_NAME,
        "navigation_links": navigation_links(request),
        "can_access_admin": bool(user and user_is_staff(user=user)),
    }
