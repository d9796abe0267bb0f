from wagtail.snippets.models import register_snippet

from .viewsets import TopicViewSet

register_snippet(TopicViewSet)
