"""Filtering and pagination shared by the report and article indexes."""

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator

from page_cache import shared_fragment

PAGE_SIZE = 10
CARD_IMAGE_SPEC = "fill-640x360"


def with_card_data(queryset):
    """Everything a listing card shows (content/includes/card.html), in a fixed number of queries however many items
    there are. Cards show no topics, so none are fetched."""
    return queryset.select_related("image").prefetch_related("image__renditions")


def query_param(request, name: str, max_length: int = 200) -> str:
    """A query-string value, trimmed; PostgreSQL refuses NUL characters in text, so they never reach a query."""
    return request.GET.get(name, "").replace("\x00", "").strip()[:max_length]


def paginate(request, queryset, per_page=PAGE_SIZE, count_name=""):
    """The page of `queryset` asked for (`?page=`). With `count_name`, the count behind the page links is kept in
    the shared cache under that name (page_cache.shared_fragment): counting every live item of an index grows with
    the site, and the count changes only when pages are published, unpublished or moved, or privacy is set, each of
    which retires it. The name must tell apart every filter applied to `queryset`."""
    paginator = Paginator(queryset, per_page)
    if count_name:
        paginator.count = shared_fragment(count_name, queryset.count)  # Paginator.count is a cached_property
    try:
        return paginator.page(request.GET.get("page", 1))
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(paginator.num_pages)


def querystring_without_page(request):
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
