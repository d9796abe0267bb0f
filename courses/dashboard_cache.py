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
A piece is keyed by its cohort, its name, the language and today's date (what counts as a session held), so it may
depend on nothing else: not on who is asking, nor on the request. DASHBOARD_CACHE_SECONDS caps its life; 0 builds
every piece on every request.
"""

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


def retire(cohort_pks) -> None:
    """Retire what is kept for these cohorts' dashboards, now and when the transaction commits."""
    for pk in set(cohort_pks):
        page_cache.invalidate(generation_key=_generation_key(pk))


def track(model, cohorts_of) -> None:
    """Retire the dashboards of `cohorts_of(instance)` (cohort pks) whenever a `model` row is saved or deleted."""

    def changed(*, instance, **kwargs):
        retire(cohorts_of(instance))

    for signal in (post_save, post_delete):
        signal.connect(changed, sender=model, weak=False, dispatch_uid=f"dashboard_cache.{model._meta.label}")


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


def _account_saved(*, instance, update_fields=None, **kwargs) -> None:
    # Signing in saves last_login alone, which no dashboard shows.
    if update_fields is None or set(update_fields) != {"last_login"}:
        retire(cohorts_of_learner(instance.pk))


def install() -> None:
    """Track what courses shows on a dashboard; called from CoursesConfig.ready()."""
    from accounts.models import Profile

    from .models import Attendance, CohortSession, Enrolment

    track(Enrolment, lambda enrolment: [enrolment.cohort_id])
    track(CohortSession, lambda session: [session.cohort_id])
    track(Attendance, cohort_of_enrolment)
    track(Profile, lambda profile: cohorts_of_learner(profile.user_id))
    # No delete to track: an account's enrolments protect it.
    post_save.connect(_account_saved, sender=get_user_model(), dispatch_uid="dashboard_cache.account")
