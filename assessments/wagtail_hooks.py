"""Registers the hindsight-prompt setting (and, as they land, the marking queue and the cohort dashboard panel)."""

from wagtail.contrib.settings.registry import register_setting

from .models import HindsightSettings

register_setting(HindsightSettings, icon="warning")
