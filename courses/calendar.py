from django.conf import settings

from icalendar import Calendar, Event


def cohort_calendar(*, cohort) -> bytes:
    """The cohort's sessions as an iCalendar file, with the joining link for confirmed learners."""
    calendar = Calendar()
    calendar.add("prodid", "-//Safety investigation learning//Courses//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{cohort.course.title} ({cohort.code})")
    for session in cohort.sessions.all():
        event = Event()
        event.add("uid", f"session-{session.pk}@{settings.WAGTAIL_SITE_NAME.lower().replace(' ', '-')}")
        event.add("summary", f"{cohort.course.title}: {session.title}")
        event.add("dtstart", session.starts_at())
        event.add("dtend", session.ends_at())
        if cohort.joining_link:
            event.add("location", cohort.joining_link)
            event.add("url", cohort.joining_link)
        if cohort.joining_instructions:
            event.add("description", cohort.joining_instructions)
        calendar.add_component(event)
    return calendar.to_ical()
