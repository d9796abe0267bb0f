"""What assessments adds to a cohort through the hooks courses defines: the dashboard panel and the completion rule."""

from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column

from courses import dashboard_cache
from courses.extensions import CompletionCheck, cohort_memo, cohort_memo_get
from courses.selectors import cohort_roster
from page_cache import shared_fragment

from .models import Attempt, AttemptStatus, CaseExercisePage


def course_exercises(cohort):
    """The course's live exercises, read once for the dashboard's panel, its roster columns and the completion rule.

    Kept in the shared cache between requests too: exercises are pages, and publishing, unpublishing or moving a
    page retires every shared fragment (page_cache)."""
    course = cohort.course
    return cohort_memo(
        cohort, "exercises", lambda: shared_fragment(f"course-exercises:{course.pk}", lambda: _live_exercises(course))
    )


def _live_exercises(course) -> list:
    # What the panel, the cells, the rule and the progress export read of an exercise: no other field is loaded.
    return list(
        CaseExercisePage.objects.live().child_of(course).order_by("path").only("title", "counts_towards_completion")
    )


# What a cell and the completion rule read of an attempt: its route and the rest are never parsed here.
CELL_FIELDS = ["enrolment", "exercise", "status", "started_at", "released_at", "score", "max_score", "passed"]


def _attempts_key(enrolments) -> str:
    return f"attempts:{sorted(enrolment.pk for enrolment in enrolments)}"


def marking_backlog(cohort) -> int:
    """Attempts of the cohort waiting to be marked, or marked and not yet released; kept between requests until an
    attempt of the cohort changes (courses.dashboard_cache)."""
    waiting = Attempt.objects.filter(enrolment__cohort=cohort).filter(
        Q(status=AttemptStatus.SUBMITTED) | Q(status=AttemptStatus.MARKED, released_at__isnull=True)
    )
    return dashboard_cache.kept(cohort, "marking-backlog", lambda: waiting.aggregate(n=Count("pk"))["n"])


def cohort_progress(cohort, enrolments=None) -> dict:
    """Per learner and exercise: their best released result or where they are, in a fixed number of queries."""
    exercises = course_exercises(cohort)
    if not exercises:
        return {"exercises": [], "rows": []}
    enrolments = cohort_roster(cohort=cohort) if enrolments is None else list(enrolments)
    # Kept for the completion rule of the same learners on the same page (completion_checks).
    attempts = cohort_memo(
        cohort,
        _attempts_key(enrolments),
        lambda: list(
            Attempt.objects.filter(enrolment__in=enrolments, exercise__in=exercises)
            .only(*CELL_FIELDS)
            .order_by("started_at")
        ),
    )
    cells = {}
    for attempt in attempts:
        key = (attempt.enrolment_id, attempt.exercise_id)
        best = cells.get(key)
        released = attempt.released_at is not None and attempt.score is not None
        rank = (released, bool(attempt.passed), attempt.score or 0)
        if best is None or rank >= best["rank"]:
            cells[key] = {"attempt": attempt, "rank": rank, "released": released}
    words = _cell_words()
    rows = [
        {"enrolment": enrolment, "cells": [_cell_text(cells.get((enrolment.pk, e.pk)), words) for e in exercises]}
        for enrolment in enrolments
    ]
    return {"exercises": exercises, "rows": rows}


def _cell_words() -> dict:
    """The cells' words, translated once per table rather than once per cell."""
    return {
        None: _("Not started"),
        AttemptStatus.IN_PROGRESS: _("In progress"),
        AttemptStatus.SUBMITTED: _("Waiting for marking"),
        "unreleased": _("Marked, not released"),
        True: _("passed"),
        False: _("not passed"),
    }


def _cell_text(cell, words) -> str:
    if cell is None:
        return words[None]
    attempt = cell["attempt"]
    if attempt.status in (AttemptStatus.IN_PROGRESS, AttemptStatus.SUBMITTED):
        return words[attempt.status]
    if not attempt.released_at:
        return words["unreleased"]
    return f"{attempt.percent}% ({words[bool(attempt.passed)]})"


class ExerciseProgressPanel(Component):
    """The marking backlog, the way to marking, and a CSV of every learner's progress; the roster shows it per learner."""

    def __init__(self, cohort):
        self.cohort = cohort

    def render_html(self, parent_context=None):
        if not course_exercises(self.cohort):
            return ""
        return render_to_string(
            "assessments/admin/progress_panel.html",
            {
                "backlog": marking_backlog(self.cohort),
                "cohort": self.cohort,
                "marking_url": reverse("assessments_marking:index"),
                "export_url": reverse("assessments_marking:progress_csv", args=[self.cohort.pk]),
            },
        )


def dashboard_panels(request, cohort):
    return [ExerciseProgressPanel(cohort)]


def roster_columns(request, cohort, enrolments):
    """One column per exercise (marked "required" when it counts towards completion): the learner's best released
    result, or where they are."""
    progress = cohort_progress(cohort, enrolments)
    cells = {row["enrolment"].pk: row["cells"] for row in progress["rows"]}
    required = _("required")
    return [
        Column(
            f"exercise_{exercise.pk}",
            label=f"{exercise.title} ({required})" if exercise.counts_towards_completion else exercise.title,
            accessor=lambda enrolment, index=index: cells[enrolment.pk][index],
        )
        for index, exercise in enumerate(progress["exercises"])
    ]


def completion_checks(cohort, enrolments) -> dict:
    """'Pass <exercise>' for each exercise that counts towards completion: a released, passing attempt."""
    required = [exercise for exercise in course_exercises(cohort) if exercise.counts_towards_completion]
    if not required:
        return {}
    loaded = cohort_memo_get(cohort, _attempts_key(enrolments))  # the roster's cells read these learners' attempts
    if loaded is not None:
        passed = {(a.enrolment_id, a.exercise_id) for a in loaded if a.passed and a.released_at is not None}
    else:
        passed = set(
            Attempt.objects.filter(
                enrolment__in=enrolments, exercise__in=required, passed=True, released_at__isnull=False
            ).values_list("enrolment_id", "exercise_id")
        )
    labels = {exercise.pk: _("Pass '%(title)s'") % {"title": exercise.title} for exercise in required}
    yes, not_yet = _("Passed"), _("Not passed yet")
    checks = {}
    for enrolment in enrolments:
        for exercise in required:
            met = (enrolment.pk, exercise.pk) in passed
            checks.setdefault(enrolment.pk, []).append(
                CompletionCheck(labels[exercise.pk], met, yes if met else not_yet)
            )
    return checks
