"""Reads for case exercises: who may attempt or preview one, and an attempt's content as it was when it started."""

import pickle
import re
from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

import page_cache
from courses.models import Enrolment, EnrolmentStatus
from courses.selectors import cohorts_for_staff

from .models import AttemptStatus, CaseExercisePage, FeedbackRelease, HindsightSettings


@dataclass(frozen=True)
class Stage:
    id: str
    number: int  # 1-based, as editors and learners count
    value: object  # the StageBlock's StructValue

    @property
    def questions(self):
        return list(self.value["questions"])


def exercise_stages(page: CaseExercisePage) -> list[Stage]:
    return [Stage(block.id, number, block.value) for number, block in enumerate(page.stages, 1)]


def attempt_page(attempt) -> CaseExercisePage:
    """The exercise exactly as it was when the attempt started, whatever has been published since."""
    memo = attempt.__dict__.setdefault("_pinned_page", {})
    if attempt.revision_id not in memo:
        memo[attempt.revision_id] = _pinned_page(attempt)
    return memo[attempt.revision_id]


# Pages built from the revisions attempts are pinned to, in each process's memory, newest last. A revision's content
# never changes; what the built page takes from the live page (its address, say) changes only when a page is
# published, unpublished or moved, which bumps the page cache's generation, part of the key. Building one took
# 4.5 ms and five queries on every step of an attempt. Kept pickled, so that each caller unpickles its own copy
# (0.1 ms) and nothing set on it reaches the next request; pickled in this process, so the block definitions are
# always this code's. FRAGMENT_CACHE_SECONDS=0 (the tests) builds every time.
PINNED_PAGES_KEPT = 100
_pinned_pages: OrderedDict = OrderedDict()


def _pinned_page(attempt) -> CaseExercisePage:
    if not settings.FRAGMENT_CACHE_SECONDS:
        return attempt.revision.as_object()
    key = (attempt.revision_id, page_cache.generation())
    if (kept := _pinned_pages.get(key)) is not None:
        try:
            _pinned_pages.move_to_end(key)
        except KeyError:  # dropped by another thread meanwhile (a threaded server): it stays out
            pass
        return pickle.loads(kept)  # noqa: S301 - pickled by this process, from its own database rows
    page = attempt.revision.as_object()
    _pinned_pages[key] = pickle.dumps(page, pickle.HIGHEST_PROTOCOL)
    while len(_pinned_pages) > PINNED_PAGES_KEPT:
        _pinned_pages.popitem(last=False)
    return page


def attempt_stages(attempt) -> list[Stage]:
    return exercise_stages(attempt_page(attempt))


def learner_enrolment_for(*, user, exercise: CaseExercisePage) -> Enrolment | None:
    """The learner's confirmed place on a cohort of the exercise's course that has not finished, if any."""
    if not user.is_authenticated:
        return None
    course = exercise.get_parent()
    return (
        Enrolment.objects.filter(
            user=user,
            status=EnrolmentStatus.CONFIRMED,
            cohort__course_id=course.pk,
            cohort__ends_on__gte=timezone.localdate(),
        )
        .select_related("cohort")
        .order_by("cohort__starts_on")
        .first()
    )


def user_may_preview(*, user, exercise: CaseExercisePage) -> bool:
    """Editors who can edit the page, and the leads (and administrators) of the course's cohorts, see it without attempting."""
    if not user.is_authenticated:
        return False
    if exercise.permissions_for_user(user).can_edit():
        return True
    return cohorts_for_staff(user=user).filter(course_id=exercise.get_parent().pk).exists()


def hindsight_phrases_in(text: str, phrases: list[str] | None = None) -> list[str]:
    """The listed phrases of blame and hindsight found in `text`, as whole words, without regard to case."""
    phrases = HindsightSettings.load().phrase_list() if phrases is None else phrases
    found = []
    for phrase in phrases:
        pattern = r"(?<!\w)" + r"\s+".join(re.escape(word) for word in phrase.split()) + r"(?!\w)"
        if re.search(pattern, text or "", flags=re.IGNORECASE):
            found.append(phrase)
    return found


def attempts_for_staff(*, user):
    """Attempts by learners on the cohorts this person runs: a course lead's own cohorts, or all for administrators."""
    from .models import Attempt

    return Attempt.objects.filter(enrolment__cohort__in=cohorts_for_staff(user=user))


def marking_queue(*, user):
    """Submitted attempts with written answers to mark, and marked ones waiting for their marks to be released."""
    from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
    from django.db.models.functions import Coalesce

    from .models import Answer, AttemptStatus

    # Counted per attempt by a subquery: a join with every answer, grouped by every selected column, made PostgreSQL
    # read all the answers in the database before it could narrow them to the queue.
    unmarked = (
        Answer.objects.filter(attempt=OuterRef("pk"), score__isnull=True)
        .order_by()
        .values("attempt")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        attempts_for_staff(user=user)
        .filter(Q(status=AttemptStatus.SUBMITTED) | Q(status=AttemptStatus.MARKED, released_at__isnull=True))
        .select_related("user", "exercise", "enrolment__cohort")
        .annotate(to_mark=Coalesce(Subquery(unmarked, output_field=IntegerField()), Value(0)))
        .order_by("submitted_at", "pk")
    )


def attempt_questions(attempt) -> dict[str, tuple]:
    """Each question of the pinned revision by its id: (stage, question)."""
    return {question.id: (stage, question) for stage in attempt_stages(attempt) for question in stage.questions}


def feedback_released(attempt, page, stage_submitted: bool) -> bool:
    """Whether the learner may see marks and feedback yet, by the exercise's release rule."""
    if page.feedback_release == FeedbackRelease.AFTER_EACH_STAGE:
        return stage_submitted
    if page.feedback_release == FeedbackRelease.ON_SUBMISSION:
        return attempt.status != AttemptStatus.IN_PROGRESS
    return attempt.released_at is not None
