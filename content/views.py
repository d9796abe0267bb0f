from urllib.parse import urlencode

from django.shortcuts import render
from django.utils.translation import gettext as _

from wagtail.models import Page

from .models.listing import paginate, query_param
from .models.privacy import public_pages

MAX_QUERY_LENGTH = 200


def search(request):
    query = query_param(request, "q", MAX_QUERY_LENGTH)
    results = None
    if query:
        # The SQLite search backend passes a double quote unescaped into FTS5, which then fails with a 500.
        terms = query.replace('"', " ").strip()
        matches = (
            public_pages(Page.objects.live()).specific().search(terms, operator="and") if terms else Page.objects.none()
        )
        results = paginate(request, matches)
    return render(
        request,
        "content/search_results.html",
        {
            "search_query": query,
            "results": results,
            "querystring": urlencode({"q": query}),
            "title": _("Search results for '%(query)s'") % {"query": query} if query else _("Search"),
        },
    )
