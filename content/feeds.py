import datetime

from django.contrib.syndication.views import Feed
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ArticlePage, ReportSummaryPage
from .models.privacy import public_pages

FEED_SIZE = 20


def _as_datetime(value: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(value, datetime.time(9, 0)))


class PageFeed(Feed):
    """RSS 2.0 of the newest published pages of one type; links are absolute via the request's site."""

    model = None

    def __call__(self, request, *args, **kwargs):
        self.request = request
        return super().__call__(request, *args, **kwargs)

    def link(self):
        return "/"

    def items(self):
        return public_pages(self.model.objects.live()).order_by("-publication_date", "-pk")[:FEED_SIZE]

    def item_title(self, item):
        return item.title

    def item_link(self, item):
        return item.get_url(self.request)

    def item_pubdate(self, item):
        return _as_datetime(item.publication_date)

    def item_updateddate(self, item):
        return item.last_published_at


class NewsFeed(PageFeed):
    model = ArticlePage
    title = _("News, blogs and events")
    description = _("News, blogs and events on patient safety investigation and education.")

    def item_description(self, item):
        return item.teaser

    def item_categories(self, item):
        return [item.get_kind_display()]


class ReportsFeed(PageFeed):
    model = ReportSummaryPage
    title = _("Investigation reports")
    description = _("Summaries of our patient safety investigation reports.")

    def item_description(self, item):
        return item.summary
