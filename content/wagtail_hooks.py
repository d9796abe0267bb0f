from wagtail.contrib.settings.registry import register_setting
from wagtail.snippets.models import register_snippet

from .models import NavigationSettings
from .viewsets import TopicViewSet

register_snippet(TopicViewSet)
register_setting(NavigationSettings, icon="list-ul")
