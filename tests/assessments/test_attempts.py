"""Attempts through the services: who may start, saving and locking stage by stage, branching, finishing, and
pinning to the revision the attempt started on."""

import datetime
from decimal import Decimal

from django.utils import timezone

import pytest

from accounts.factories import UserFactory
from assessments import selectors, services
from assessments.exceptions import AttemptError
from assessments.factories import (
    CaseExercisePageFactory,
    categorise,
    free_text,
    multiple_choice,
    ranking,
    single_choice,
    stage,
    timeline,
)
from assessments.models import Answer, Attempt, AttemptStatus
from assessments.selectors import attempt_stages, hindsight_phrases_in
from courses.factories import CohortFactory, CoursePageFactory, EnrolmentFactory
from courses.models import EnrolmentStatus
from tests.assessments.helpers import publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def exercise(course):
    page = CaseExercisePageFactory(
        parent=course,
        attempts_allowed=2,
        pass_mark_percent=60,
        stages=[
            stage(
                "The report",
                [
                    single_choice(
                        "Where do you start?",
                        choices=(("The work system", True, None), ("Straight to the end", False, 3)),
                        marks=2,
                    ),
                    multiple_choice(marks=2),
                ],
            ),
            stage("The ward", [ranking(marks=3)]),
            stage("The findings", [categorise(marks=2), timeline(marks=3)]),
        ],
    )
    return publish(page)


def stage_ids(attempt):
    return [s.id for s in attempt_stages(attempt)]


def questions(attempt, number):
    return [q.id for q in attempt_stages(attempt)[number - 1].questions]


def answer_stage(attempt, user, number, *answers):
    stage_id = stage_ids(attempt)[number - 1]
    problems = services.answers_save(
        attempt=attempt,
        user=user,
        stage_id=stage_id,
        answers=dict(zip(questions(attempt, number), answers, strict=True)),
    )
    assert problems == {}
    return services.stage_submit(attempt=attempt, user=user, stage_id=stage_id)


def refused(code, call, **kwargs):
    before = (Attempt.objects.count(), list(Answer.objects.values_list("pk", "response", "score")))
    with pytest.raises(AttemptError) as caught:
        call(**kwargs)
    assert caught.value.code == code, caught.value.message
    assert (Attempt.objects.count(), list(Answer.objects.values_list("pk", "response", "score"))) == before
    return caught.value


# --- Who may start ------------------------------------------------------------------------------------------------------


def test_an_enrolled_learner_starts_on_the_live_revision_at_the_first_stage(exercise, learner):
    attempt = services.attempt_start(user=learner, exercise=exercise)
    assert attempt.revision_id == exercise.live_revision_id
    assert attempt.route == [stage_ids(attempt)[0]]
    assert services.attempt_start(user=learner, exercise=exercise) == attempt, "starting again resumes"


@pytest.mark.parametrize(
    "status", [EnrolmentStatus.WAITLISTED, EnrolmentStatus.AWAITING_PAYMENT, EnrolmentStatus.WITHDRAWN]
)
def test_a_learner_without_a_confirmed_place_cannot_start(exercise, cohort, status):
    user = UserFactory()
    EnrolmentFactory(user=user, cohort=cohort, status=status)
    refused("not_enrolled", services.attempt_start, user=user, exercise=exercise)


def test_a_learner_on_another_course_or_a_finished_cohort_cannot_start(exercise, course):
    other = CoursePageFactory(parent=course.get_parent(), title="Human factors")
    elsewhere = UserFactory()
    EnrolmentFactory(user=elsewhere, cohort=CohortFactory(course=other))
    refused("not_enrolled", services.attempt_start, user=elsewhere, exercise=exercise)
    finished = UserFactory()
    past = timezone.localdate() - datetime.timedelta(days=60)
    EnrolmentFactory(
        user=finished,
        cohort=CohortFactory(
            course=exercise.get_parent().specific, starts_on=past, ends_on=past + datetime.timedelta(days=7)
        ),
    )
    refused("not_enrolled", services.attempt_start, user=finished, exercise=exercise)


def test_attempts_allowed_are_counted(exercise, learner):
    for _ in range(2):
        attempt = services.attempt_start(user=learner, exercise=exercise)
        answer_stage(attempt, learner, 1, {"choice": 1}, {"choices": [0]})  # branches to the last stage
        answer_stage(attempt, learner, 3, {"placements": [3, 2]}, {"order": [0, 1, 2]})
    refused("no_attempts_left", services.attempt_start, user=learner, exercise=exercise)


# --- Stage by stage -----------------------------------------------------------------------------------------------------


def test_a_locked_stage_cannot_be_answered_before_it_is_reached(exercise, learner):
    attempt = services.attempt_start(user=learner, exercise=exercise)
    second = stage_ids(attempt)[1]
    refused(
        "closed",
        services.answers_save,
        attempt=attempt,
        user=learner,
        stage_id=second,
        answers={questions(attempt, 2)[0]: {"order": [0, 1, 2]}},
    )


def test_a_submitted_stage_cannot_be_changed(exercise, learner):
    attempt = services.attempt_start(user=learner, exercise=exercise)
    answer_stage(attempt, learner, 1, {"choice": 0}, {"choices": [0, 1]})
    first = stage_ids(attempt)[0]
    for call, kwargs in [
        (services.answers_save, {"answers": {questions(attempt, 1)[0]: {"choice": 1}}}),
        (services.stage_submit, {}),
    ]:
        refused("closed", call, attempt=attempt, user=learner, stage_id=first, **kwargs)
    assert Answer.objects.get(question_id=questions(attempt, 1)[0]).response == {"choice": 0}


def test_another_learner_cannot_touch_the_attempt(exercise, learner, cohort):
    attempt = services.attempt_start(user=learner, exercise=exercise)
    other = UserFactory()
    EnrolmentFactory(user=other, cohort=cohort)
    refused(
        "not_yours",
        services.answers_save,
        attempt=attempt,
        user=other,
        stage_id=stage_ids(attempt)[0],
        answers={questions(attempt, 1)[0]: {"choice": 1}},
    )


def test_saving_reports_invalid_answers_and_keeps_the_valid_ones(exercise, learner):
    attempt = services.attempt_start(user=learner, exercise=exercise)
    single, multiple = questions(attempt, 1)
    problems = services.answers_save(
        attempt=attempt,
        user=learner,
        stage_id=stage_ids(attempt)[0],
        answers={single: {"choice": 0}, multiple: {"choices": [7]}},
    )
    assert problems == {multiple: "That answer is not one of the options. Choose again."}
    assert list(attempt.answers.values_list("question_id", flat=True)) == [single]


def test_a_stage_with_an_unanswered_question_is_not_submitted(exercise, learner):
    attempt = services.attempt_start(user=learner, exercise=exercise)
    services.answers_save(
        attempt=attempt, user=learner, stage_id=stage_ids(attempt)[0], answers={questions(attempt, 1)[0]: {"choice": 0}}
    )
    error = refused("incomplete", services.stage_submit, attempt=attempt, user=learner, stage_id=stage_ids(attempt)[0])
    assert "question 2 still needs an answer" in error.message


def test_the_route_follows_the_stages_in_order_without_a_branch(exercise, learner):
    attempt = services.attempt_start(user=learner, exercise=exercise)
    attempt = answer_stage(attempt, learner, 1, {"choice": 0}, {"choices": [0, 1]})
    assert attempt.route == stage_ids(attempt)[:2]
    attempt = answer_stage(attempt, learner, 2, {"order": [0, 1, 2]})
    attempt = answer_stage(attempt, learner, 3, {"placements": [3, 2]}, {"order": [0, 1, 2]})
    assert attempt.route == stage_ids(attempt)
    assert attempt.status == AttemptStatus.MARKED
    assert (attempt.score, attempt.max_score, attempt.passed) == (Decimal(12), Decimal(12), True)


def test_a_branching_answer_skips_to_the_chosen_stage(exercise, learner):
    attempt = services.attempt_start(user=learner, exercise=exercise)
    attempt = answer_stage(attempt, learner, 1, {"choice": 1}, {"choices": [2]})
    ids = stage_ids(attempt)
    assert attempt.route == [ids[0], ids[2]]
    attempt = answer_stage(attempt, learner, 3, {"placements": [0, 0]}, {"order": [2, 0, 1]})
    # Only the stages on the route count: 0 + 0 + 0 + 0 of 2 + 2 + 2 + 3.
    assert (attempt.status, attempt.score, attempt.max_score, attempt.passed) == (
        AttemptStatus.MARKED,
        Decimal(0),
        Decimal(9),
        False,
    )


def test_the_pass_mark_is_a_share_of_the_marks(exercise, learner):
    attempt = services.attempt_start(user=learner, exercise=exercise)
    attempt = answer_stage(attempt, learner, 1, {"choice": 1}, {"choices": [0, 1]})  # 0 + 2, then the last stage
    attempt = answer_stage(attempt, learner, 3, {"placements": [3, 2]}, {"order": [0, 2, 1]})  # 2 + 1
    assert (attempt.score, attempt.max_score, attempt.percent, attempt.passed) == (Decimal(5), Decimal(9), 56, False)


def test_a_free_text_answer_leaves_the_attempt_waiting_for_a_marker(course, learner):
    page = publish(CaseExercisePageFactory(parent=course, stages=[stage("Only", [free_text(marks=5)])]))
    attempt = services.attempt_start(user=learner, exercise=page)
    attempt = answer_stage(attempt, learner, 1, {"text": "The plan did not say which dose to hold."})
    assert attempt.status == AttemptStatus.SUBMITTED
    assert attempt.score is None and attempt.max_score == 5
    assert Answer.objects.get().score is None


# --- Pinned to its revision ---------------------------------------------------------------------------------------------


def test_an_attempt_shows_and_marks_as_the_revision_it_started_on(exercise, learner):
    attempt = services.attempt_start(user=learner, exercise=exercise)
    # An editor changes the right answer of the first question, renames the stage and publishes.
    exercise.stages[0].value["title"] = "Renamed"
    exercise.stages[0].value["questions"][0].value["choices"][0]["correct"] = False
    exercise.stages[0].value["questions"][0].value["choices"][1]["correct"] = True
    publish(exercise)
    attempt.refresh_from_db()

    assert attempt_stages(attempt)[0].value["title"] == "The report"
    attempt = answer_stage(attempt, learner, 1, {"choice": 0}, {"choices": [0, 1]})
    assert Answer.objects.get(question_id=questions(attempt, 1)[0]).score == 2
    fresh = UserFactory()
    EnrolmentFactory(user=fresh, cohort=learner.enrolments.get().cohort)
    newer = services.attempt_start(user=fresh, exercise=exercise)
    assert newer.revision_id != attempt.revision_id
    assert attempt_stages(newer)[0].value["title"] == "Renamed"


@pytest.fixture
def pinned_pages_kept(fragments_on):
    selectors._pinned_pages.clear()
    yield selectors._pinned_pages
    selectors._pinned_pages.clear()


def test_a_pinned_page_is_built_once_per_process_and_each_caller_gets_its_own_copy(
    exercise, learner, pinned_pages_kept, django_assert_max_num_queries
):
    attempt = services.attempt_start(user=learner, exercise=exercise)
    first = attempt_stages(Attempt.objects.get(pk=attempt.pk))
    again = Attempt.objects.get(pk=attempt.pk)
    with django_assert_max_num_queries(0):  # neither the revision nor the page behind it is read again
        second = attempt_stages(again)
    assert [stage.value["title"] for stage in second] == [stage.value["title"] for stage in first]
    second[0].value["title"] = "Changed by one request"
    assert attempt_stages(Attempt.objects.get(pk=attempt.pk))[0].value["title"] == "The report"

    # Publishing (which may move what the page takes from the live one) retires what is kept; the content stays pinned.
    exercise.stages[0].value["title"] = "Renamed"
    publish(exercise)
    with django_assert_max_num_queries(20) as queries:
        assert attempt_stages(Attempt.objects.get(pk=attempt.pk))[0].value["title"] == "The report"
    assert len(queries) > 1  # built afresh
    assert len(pinned_pages_kept) == 2


def test_pinned_pages_kept_are_bounded(exercise, learner, pinned_pages_kept, monkeypatch):
    monkeypatch.setattr(selectors, "PINNED_PAGES_KEPT", 1)
    attempt = services.attempt_start(user=learner, exercise=exercise)
    attempt_stages(Attempt.objects.get(pk=attempt.pk))
    exercise.stages[0].value["title"] = "Renamed"
    publish(exercise)
    fresh = UserFactory()
    EnrolmentFactory(user=fresh, cohort=learner.enrolments.get().cohort)
    attempt_stages(services.attempt_start(user=fresh, exercise=exercise))
    assert len(pinned_pages_kept) == 1


# --- Hindsight and blame ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The nurse should have checked the chart.",
        "Staff FAILED TO follow the policy",
        "This was human error.",
        "A careless mistake.",
    ],
)
def test_hindsight_phrases_are_found(db, text):
    assert hindsight_phrases_in(text)


@pytest.mark.parametrize(
    "text",
    [
        "Two versions of the policy were on the intranet, and handover fell at the busiest time.",
        "The e-prescribing system did not flag the hold.",
        "Shoulder pain was recorded.",  # 'should' inside another word is not the phrase
        "",
    ],
)
def test_neutral_text_is_not_flagged(db, text):
    assert hindsight_phrases_in(text) == []


def test_an_unlocked_stage_opens_with_the_one_before_it(course, learner):
    page = publish(
        CaseExercisePageFactory(
            parent=course,
            stages=[
                stage("Briefing", [single_choice()]),
                stage("Reference", [single_choice()], locked=False),
                stage("Findings", [single_choice()]),
            ],
        )
    )
    attempt = services.attempt_start(user=learner, exercise=page)
    ids = stage_ids(attempt)
    assert attempt.route == ids[:2], "the unlocked second stage is open from the start"
    attempt = answer_stage(attempt, learner, 2, {"choice": 0})
    assert attempt.route == ids[:2], "the third stage waits until both open stages are submitted"
    attempt = answer_stage(attempt, learner, 1, {"choice": 0})
    assert attempt.route == ids
    attempt = answer_stage(attempt, learner, 3, {"choice": 0})
    assert attempt.status == AttemptStatus.MARKED
