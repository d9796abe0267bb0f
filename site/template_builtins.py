"""Filters every template gets without {% load %} (TEMPLATES["OPTIONS"]["builtins"])."""

import datetime
from functools import lru_cache

from django import template
from django.template import defaultfilters
from django.utils import translation

register = template.Library()


@lru_cache(maxsize=4096)
def _date(value, arg, language):
    return defaultfilters.date(value, arg)


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    """Django's `date` filter, remembered per value, format and language.

    Formatting is a pure function of those three, and a page of course dates formats the same few dates dozens of
    times, each one translating its day and month names again. Anything but a date or datetime goes to Django's own.
    """
    if isinstance(value, datetime.date):
        return _date(value, arg, translation.get_language())
    return defaultfilters.date(value, arg)
