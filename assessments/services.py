"""Attempts at case exercises: start (pinned to the live revision), save answers, submit stage by stage, finish.

An answer is final once its stage is submitted, and each stage after the first that is locked opens only once the stage
before it is submitted, so that what a later stage reveals cannot be used to rewrite an earlier answer.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wagtail.log_actions import log

from .exceptions import AttemptError
from .marking import answer_clean, answer_mark
from .models import Answer, Attempt, AttemptStatus, CaseExercisePage, FeedbackRelease, StageSubmission
from .selectors import attempt_page, attempt_stages, learner_enrolment_for


def _lock(attempt: Attempt) -> Attempt:
    return Attempt.objects.select_for_update().select_related("revision", "exercise").get(pk=attempt.pk)


def attempts_used(*, user, exercise: CaseExercisePage) -> int:
    return Attempt.objects.filter(user=user, exercise=exercise).count()


def attempt_start(*, user, exercise: CaseExercisePage) -> Attempt:
    """Resume the learner's attempt in progress, or start one on the exercise as it is published now."""
    current = Attempt.objects.filter(user=user, exercise=exercise, status=AttemptStatus.IN_PROGRESS).first()
    if current:
        return current
    enrolment = learner_enrolment_for(user=user, exercise=exercise)
    if enrolment is None:
        raise AttemptError(
            _("Only learners with a confirmed place on a current cohort of this course can do this exercise."),
            "not_enrolled",
        )
    if not exercise.live or exercise.live_revision_id is None:
        raise AttemptError(_("This exercise is not published."), "not_live")
    allowed = exercise.attempts_allowed
    if allowed and attempts_used(user=user, exercise=exercise) >= allowed:
        raise AttemptError(_("You have used all your attempts at this exercise."), "no_attempts_left")
    revision = exercise.live_revision
    stages = attempt_stages(Attempt(revision=revision))
    if not stages:
        raise AttemptError(_("This exercise has no stages yet."), "empty")
    try:
        with transaction.atomic():
            return Attempt.objects.create(
                user=user, exercise=exercise, revision=revision, enrolment=enrolment, route=_opening(stages, stages[0])
            )
    except IntegrityError:
        # Two starts at once (two tabs): the one that won is the attempt.
        return Attempt.objects.get(user=user, exercise=exercise, status=AttemptStatus.IN_PROGRESS)


def _own_attempt_in_progress(attempt: Attempt, user) -> Attempt:
    attempt = _lock(attempt)
    if attempt.user_id != user.pk:
        raise AttemptError(_("That attempt is not yours."), "not_yours")
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise AttemptError(_("This attempt is submitted: its answers can no longer be changed."), "submitted")
    return attempt


def stage_is_open(attempt: Attempt, stage_id: str) -> bool:
    """Reached on the learner's route and not yet submitted."""
    submitted = set(attempt.stage_submissions.values_list("stage_id", flat=True))
    return stage_id in attempt.route and stage_id not in submitted


def _stage(attempt: Attempt, stage_id: str):
    for stage in attempt_stages(attempt):
        if stage.id == stage_id:
            return stage
    raise AttemptError(_("That stage is not part of this exercise."), "no_stage")


@transaction.atomic
def answers_save(*, attempt: Attempt, user, stage_id: str, answers: dict) -> dict[str, str]:
    """Save what the learner has answered on an open stage; returns {question id: message} for answers not accepted.

    A question left blank is simply not saved yet. An answer given only in part (a ranking with two items in one place,
    a categorise question with an item left out) or not one of the options is reported and not saved; the stage's other
    answers are saved, so a learner loses nothing while they correct one.
    """
    attempt = _own_attempt_in_progress(attempt, user)
    stage = _stage(attempt, stage_id)
    if not stage_is_open(attempt, stage.id):
        raise AttemptError(_("That stage is submitted or not reached yet: its answers cannot be changed."), "closed")
    problems = {}
    for question in stage.questions:
        answer = answers.get(question.id)
        if not answer:
            continue
        try:
            cleaned = answer_clean(question.block_type, question.value, answer)
        except ValidationError as error:
            problems[question.id] = error.messages[0]
            continue
        Answer.objects.update_or_create(
            attempt=attempt,
            question_id=question.id,
            defaults={"stage_id": stage.id, "response": cleaned},
        )
    return problems


@transaction.atomic
def stage_submit(*, attempt: Attempt, user, stage_id: str) -> Attempt:
    """Make a stage's answers final, mark what can be marked, and open the next stage (or a branch's), or finish."""
    attempt = _own_attempt_in_progress(attempt, user)
    stage = _stage(attempt, stage_id)
    if not stage_is_open(attempt, stage.id):
        raise AttemptError(_("That stage is submitted or not reached yet."), "closed")
    saved = {answer.question_id: answer for answer in attempt.answers.filter(stage_id=stage.id)}
    missing = [number for number, question in enumerate(stage.questions, 1) if question.id not in saved]
    if missing:
        raise AttemptError(
            _("Answer every question before you submit this stage: question %(numbers)s still needs an answer.")
            % {"numbers": ", ".join(str(n) for n in missing)},
            "incomplete",
        )
    go_to = None
    for question in stage.questions:
        answer = saved[question.id]
        marked = answer_mark(question.block_type, question.value, answer.response)
        answer.score, answer.max_score = marked.score, marked.max_score
        answer.save(update_fields=["score", "max_score"])
        go_to = marked.go_to_stage or go_to
    StageSubmission.objects.create(attempt=attempt, stage_id=stage.id)
    if any(stage_is_open(attempt, stage_id) for stage_id in attempt.route):
        return attempt  # an unlocked stage opened alongside this one is still to submit
    stages = attempt_stages(attempt)
    last = next(s for s in stages if s.id == attempt.route[-1])
    if go_to and 1 <= go_to <= len(stages):
        following = stages[go_to - 1]
    else:
        following = stages[last.number] if last.number < len(stages) else None
    if following is None or following.id in attempt.route:
        # The end of the case (a branch back to a stage already worked through also ends it).
        _finish(attempt)
    else:
        attempt.route = [*attempt.route, *_opening(stages, following)]
        attempt.save(update_fields=["route"])
    return attempt


def _opening(stages, first) -> list[str]:
    """The stage that opens, with the unlocked stages straight after it, which open with it."""
    opened = [first.id]
    for stage in stages[first.number :]:
        if stage.value["locked"]:
            break
        opened.append(stage.id)
    return opened


def _finish(attempt: Attempt):
    now = timezone.now()
    answers = list(attempt.answers.all())
    attempt.submitted_at = now
    attempt.max_score = sum((answer.max_score for answer in answers), Decimal(0))
    if any(answer.score is None for answer in answers):
        attempt.status = AttemptStatus.SUBMITTED
    else:
        _record_score(attempt, answers, now)
    attempt.save()


def _record_score(attempt: Attempt, answers, now):
    attempt.status = AttemptStatus.MARKED
    attempt.marked_at = now
    attempt.score = sum((answer.score for answer in answers), Decimal(0))
    attempt.max_score = sum((answer.max_score for answer in answers), Decimal(0))
    # The pass mark and release rule of the revision the attempt started on, not of today's page.
    page = attempt_page(attempt)
    attempt.passed = attempt.max_score == 0 or attempt.score * 100 >= page.pass_mark_percent * attempt.max_score
    if page.feedback_release != FeedbackRelease.AFTER_MARKING:
        attempt.released_at = attempt.released_at or now


# --- Marking by course leads -------------------------------------------------------------------------------------------


@transaction.atomic
def attempt_marks_save(*, attempt: Attempt, marks: dict[int, tuple], by_user) -> Attempt:
    """Record a person's marks and feedback on written answers: `marks` maps answer pks to (score, feedback).

    All or nothing: a score below nothing or above the question's marks refuses the whole save. When every answer
    has a mark the attempt is marked; its marks are released at once unless the exercise waits for a lead to release.
    """
    attempt = _lock(attempt)
    if attempt.status == AttemptStatus.IN_PROGRESS:
        raise AttemptError(_("This attempt is still in progress, so it cannot be marked yet."), "in_progress")
    answers = {answer.pk: answer for answer in attempt.answers.select_for_update()}
    now = timezone.now()
    given = {}
    for answer_id, (score, feedback) in marks.items():
        answer = answers.get(answer_id)
        if answer is None:
            raise AttemptError(_("That answer is not part of this attempt."), "not_in_attempt")
        if score is None:
            continue
        score = Decimal(score)
        if score < 0 or score > answer.max_score:
            raise AttemptError(
                _("Give a mark from 0 to %(max)s.") % {"max": f"{answer.max_score.normalize():f}"}, "out_of_range"
            )
        answer.score, answer.marker_feedback = score, (feedback or "").strip()
        answer.marked_by, answer.marked_at = by_user, now
        answer.save(update_fields=["score", "marker_feedback", "marked_by", "marked_at"])
        given[answer.question_id] = f"{score.normalize():f}"
    answers = list(answers.values())
    if given:
        log(instance=attempt, action="assessments.mark", user=by_user, data={"marks": given})
    if all(answer.score is not None for answer in answers):
        newly_released = attempt.released_at is None
        _record_score(attempt, answers, now)
        attempt.save()
        if attempt.released_at and newly_released:
            _marks_released(attempt)
    return attempt


@transaction.atomic
def attempt_release(*, attempt: Attempt, by_user) -> Attempt:
    """A lead releases the marks and feedback of a marked attempt; the learner is emailed."""
    attempt = _lock(attempt)
    if attempt.status != AttemptStatus.MARKED:
        raise AttemptError(_("Mark every answer before you release the marks."), "not_marked")
    if attempt.released_at:
        raise AttemptError(_("These marks are already released."), "released")
    attempt.released_at = timezone.now()
    attempt.save(update_fields=["released_at"])
    log(instance=attempt, action="assessments.release", user=by_user)
    _marks_released(attempt)
    return attempt


def _marks_released(attempt: Attempt):
    from .emails import marks_released_send

    transaction.on_commit(lambda: marks_released_send.enqueue(attempt_id=attempt.pk))


def marking_comment_save(*, text: str, by_user):
    from .models import MarkingComment

    text = text.strip()
    if text:
        MarkingComment.objects.get_or_create(text=text, defaults={"created_by": by_user})
