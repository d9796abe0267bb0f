"""Filtering and pagination shared by the report and article indexes."""

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator

PAGE_SIZE = 10
CARD_IMAGE_SPEC = "fill-640x360"


def with_card_data(queryset):
    """Everything a listing card shows (content/includes/card.html), in a fixed number of queries however many items
    there are. Cards show no topics, so none are fetched."""
    return queryset.select_related("image").prefetch_related("image__renditions")


def query_param(request, name: str, max_length: int = 200) -> str:
    """A query-string value, trimmed; PostgreSQL refuses NUL characters in text, so they never reach a query."""
    return request.GET.get(name, "").replace("\x00", "").strip()[:max_length]


def paginate(request, queryset, per_page=PAGE_SIZE):
    paginator = Paginator(queryset, per_page)
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
