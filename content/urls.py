from django.urls import path

from . import feeds, views

app_name = "content"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("feeds/news/", feeds.NewsFeed(), name="news_feed"),
    path("feeds/reports/", feeds.ReportsFeed(), name="reports_feed"),
]
