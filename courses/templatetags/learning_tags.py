"""Money, month and waiting-list helpers for the course, enrolment and email templates."""

import datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format

register = template.Library()


@register.filter
def pounds(pence):
    """Integer pence as pounds for people: 45000 -> '£450.00'."""
    if pence in (None, ""):
        return ""
    pence = int(pence)
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    return f"{sign}£{whole:,}.{part:02d}"


@register.filter
def month_label(value):
    """'2027-03' -> 'March 2027', for the catalogue's month filter."""
    try:
        year, month = (int(part) for part in str(value).split("-"))
        return date_format(datetime.date(year, month, 1), "F Y")
    except ValueError:
        return value


@register.filter
def waitlist_position(enrolment):
    """The learner's place in the queue (1 is next), or None when not waiting."""
    from courses.selectors import waitlist_position as position

    return position(enrolment=enrolment) if enrolment else None


@register.filter
def opens_later(cohort):
    """True while the cohort's enrolment has not opened yet."""
    return timezone.now() < cohort.enrolment_opens_at


@register.filter
def clock(value):
    """A time in the NHS.UK style: '9am', '12:30pm'. Aware datetimes are shown in local time."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    hour = value.hour % 12 or 12
    minutes = f":{value.minute:02d}" if value.minute else ""
    return f"{hour}{minutes}{'am' if value.hour < 12 else 'pm'}"


@register.filter
def moment(value):
    """A date and time in the NHS.UK style: '6:59pm on Monday 23 November 2026'."""
    if value in (None, ""):
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{clock(local)} on {date_format(local, 'l j F Y')}"
