"""Which pages are private, answered from the shared fragment cache instead of the view restrictions table.

Wagtail reads every view restriction for each `.public()` listing, and again for each page it serves. Restricted
sections are few and change rarely, and page_cache retires the shared copy whenever a restriction is saved or deleted
and whenever pages move (which changes their paths), so the copy is as fresh as the whole-page cache.
"""

from django.db.models import Q

from wagtail.models import PageViewRestriction

from page_cache import shared_fragment


def _read_restricted_sections() -> tuple[tuple[str, int], ...]:
    return tuple(PageViewRestriction.objects.order_by("page__path").values_list("page__path", "page__depth").distinct())


def restricted_sections() -> tuple[tuple[str, int], ...]:
    """The (path, depth) of every page with a view restriction: the section under it is private."""
    return shared_fragment("view-restrictions", _read_restricted_sections)


def private_q() -> Q:
    """The pages in a restricted section, built as Wagtail's `PageQuerySet.private_q()` builds it."""
    q = Q()
    for path, depth in restricted_sections():
        q |= Q(path__startswith=path) & Q(depth__gte=depth)
    # Wagtail's way of matching nothing when no section is private: excluding it leaves the query untouched.
    return q if q else Q(pk__in=[])


def public_pages(queryset):
    """`queryset.public()`, with the restricted sections from the shared cache rather than a query each time."""
    return queryset.exclude(private_q())
