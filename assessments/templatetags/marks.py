"""How marks read on the page: 5, 5.5 or 5.25, never "5.50" (marks are stored to two decimal places)."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def marks(value):
    if value in (None, ""):
        return ""
    value = Decimal(value).quantize(Decimal("0.01"))
    places = 0 if value == value.to_integral_value() else len(str(value.normalize()).partition(".")[2])
    return number_format(value, decimal_pos=places)
