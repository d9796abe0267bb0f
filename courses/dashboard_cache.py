"""What a cohort's dashboard shows of its learners, kept in the shared cache between requests until any of it changes.

The roster page and the panels' counts (certificates to issue, the marking backlog) are read and drawn from hundreds
of rows: on a 200-learner cohort that was most of the dashboard's time, although the rows change far less often than
a course lead looks. `kept(cohort, name, build)` keeps such a piece, tagged (page_cache.tagged_get) with two
generations, and bumping either retires it:

- the cohort's own: every save or delete of a row it shows retires it through `track()`. Courses tracks the cohort's
  enrolments, sessions and attendance, and its learners' accounts and profiles; assessments tracks attempts and
  certificates tracks certificates (each in its AppConfig.ready()). As with the page cache, a change retires at once
  and again when its transaction commits (page_cache.invalidate), so a piece drawn from rows not yet committed dies
  with the commit.
- the page cache's: publishing, unpublishing or moving a page (a course's exercises and its attendance threshold are
  pages) and every change of places.

Rows changed by `QuerySet.update()` send no signal: code that does so calls `retire()` for the cohorts concerned.
A service that saves many rows of one cohort (a register, a sign-off) wraps them in `retired_once()`.
A piece is keyed by its cohort, its name, the language and today's date (what counts as a session held), so it may
depend on nothing else: not on who is asking, nor on the request. DASHBOARD_CACHE_SECONDS caps its life; 0 builds
every piece on every request.
"""

import threading
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.utils import timezone, translation

import page_cache


def _generation_key(cohort_pk) -> str:
    return f"cohort-dashboard:{cohort_pk}:generation"


def kept(cohort, name: str, build):
    """`build()` for this cohort's dashboard, kept until a change retires it (see the module's docstring)."""
    key = f"cohort-dashboard:{cohort.pk}:{name}:{translation.get_language()}:{timezone.localdate().isoformat()}"
    generations = (_generation_key(cohort.pk), page_cache.GENERATION_KEY)
    return page_cache.tagged_build(key, build, settings.DASHBOARD_CACHE_SECONDS, generations)


_batch = threading.local()


def retire(cohort_pks) -> None:
    """Retire what is kept for these cohorts' dashboards, now and when the transaction commits; inside
    `retired_once()`, once at its end."""
    pending = getattr(_batch, "cohort_pks", None)
    if pending is not None:
        pending.update(cohort_pks)
        return
    for pk in set(cohort_pks):
        page_cache.invalidate(generation_key=_generation_key(pk))


@contextmanager
def retired_once():
    """Saves inside retire their cohorts once, at the end: a register of 200 marks is one retirement, not 200 (each
    two cache writes). Wrap a service's whole transaction, so that the commit-time retirement is the outer one's."""
    if getattr(_batch, "cohort_pks", None) is not None:  # already inside one
        yield
        return
    _batch.cohort_pks = set()
    try:
        yield
    finally:
        pending, _batch.cohort_pks = _batch.cohort_pks, None
        retire(pending)


def track(model, cohorts_of, unshown=frozenset()) -> None:
    """Retire the dashboards of `cohorts_of(instance)` (cohort pks) whenever a `model` row is saved or deleted, except
    for a save of `unshown` fields alone (fields no dashboard shows)."""

    def saved(*, instance, update_fields=None, **kwargs):
        if update_fields is None or not set(update_fields) <= unshown:
            retire(cohorts_of(instance))

    def deleted(*, instance, **kwargs):
        retire(cohorts_of(instance))

    post_save.connect(saved, sender=model, weak=False, dispatch_uid=f"dashboard_cache.{model._meta.label}")
    post_delete.connect(deleted, sender=model, weak=False, dispatch_uid=f"dashboard_cache.{model._meta.label}")


def cohort_of_enrolment(instance) -> list:
    """For a row with an `enrolment`: that enrolment's cohort, from the enrolment loaded with the row, else from one
    query (which finds nothing once the enrolment is deleted too; its own delete retired the cohort then)."""
    from .models import Enrolment

    if type(instance).enrolment.is_cached(instance):
        return [instance.enrolment.cohort_id]
    return list(Enrolment.objects.filter(pk=instance.enrolment_id).values_list("cohort_id", flat=True))


def cohorts_of_learner(user_pk) -> list:
    from .models import Enrolment

    return list(Enrolment.objects.filter(user_id=user_pk).values_list("cohort_id", flat=True).distinct())


def install() -> None:
    """Track what courses shows on a dashboard; called from CoursesConfig.ready()."""
    from accounts.models import Profile

    from .models import Attendance, CohortSession, Enrolment

    track(Enrolment, lambda enrolment: [enrolment.cohort_id])
    track(CohortSession, lambda session: [session.cohort_id])
    # A register's marks are saved with their session at hand: no query to find the cohort.
    track(
        Attendance,
        lambda mark: [mark.session.cohort_id] if Attendance.session.is_cached(mark) else cohort_of_enrolment(mark),
    )
    track(Profile, lambda profile: cohorts_of_learner(profile.user_id))
    # Signing in saves last_login alone, which no dashboard shows.
    track(get_user_model(), lambda user: cohorts_of_learner(user.pk), unshown={"last_login"})
