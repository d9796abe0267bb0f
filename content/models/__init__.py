from .articles import ArticleIndexPage, ArticleKind, ArticlePage
from .home import HomePage
from .navigation import NavigationSettings
from .reports import (
    RelatedReport,
    ReportIndexPage,
    ReportSummaryPage,
    SafetyObservation,
    SafetyRecommendation,
)
from .standard import StandardPage
from .topics import Topic

__all__ = [
    "ArticleIndexPage",
    "ArticleKind",
    "ArticlePage",
    "HomePage",
    "NavigationSettings",
    "RelatedReport",
    "ReportIndexPage",
    "ReportSummaryPage",
    "SafetyObservation",
    "SafetyRecommendation",
    "StandardPage",
    "Topic",
]
