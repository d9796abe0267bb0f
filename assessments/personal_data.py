"""What assessments holds about a learner (their attempts and answers), for the data download and account closure.

Closing an account deletes the learner's attempts and answers: they are the learner's own words, and anything the
organisation must keep from them (that the course was completed) is already on the certificate.
"""

import json

from django.utils.translation import gettext_lazy as _

from accounts.personal_data import log_labels_refresh, model_section

from .models import Answer, Attempt, AttemptStatus
from .selectors import attempt_page, attempt_questions, feedback_released


def _question_prompt(answer, prompts: dict) -> str:
    attempt = answer.attempt
    if attempt.pk not in prompts:
        prompts[attempt.pk] = {
            qid: question.value["prompt"] for qid, (_stage, question) in attempt_questions(attempt).items()
        }
    return prompts[attempt.pk].get(answer.question_id, answer.question_id)


def _answer(answer):
    """Written answers as written; choices, rankings and timelines in their stored form."""
    response = answer.response or {}
    return response["text"] if set(response) == {"text"} else json.dumps(response)


class _Released:
    """Marks and feedback only where the exercise's release rule lets the learner see them already."""

    def __init__(self):
        self.submitted = {}
        self.pages = {}  # each answer row brings its own copy of the attempt: parse each pinned revision once

    def page(self, attempt):
        if attempt.revision_id not in self.pages:
            self.pages[attempt.revision_id] = attempt_page(attempt)
        return self.pages[attempt.revision_id]

    def attempt(self, attempt) -> bool:
        return feedback_released(attempt, self.page(attempt), attempt.status != AttemptStatus.IN_PROGRESS)

    def answer(self, answer) -> bool:
        attempt = answer.attempt
        if attempt.pk not in self.submitted:
            self.submitted[attempt.pk] = set(attempt.stage_submissions.values_list("stage_id", flat=True))
        return feedback_released(attempt, self.page(attempt), answer.stage_id in self.submitted[attempt.pk])

    def field(self, name, label, of: str):
        return (name, label, lambda obj: getattr(obj, name) if getattr(self, of)(obj) else None)


def assessment_sections(user):
    attempts = Attempt.objects.filter(user=user).select_related("exercise", "revision").order_by("started_at", "pk")
    answers = (
        Answer.objects.filter(attempt__user=user)
        .select_related("attempt__exercise", "attempt__revision")
        .order_by("attempt__started_at", "attempt_id", "pk")
    )
    prompts = {}
    released = _Released()
    return [
        model_section(
            "exercise_attempts",
            _("Case exercise attempts"),
            attempts,
            [
                ("exercise", _("Exercise"), lambda a: a.exercise.title),
                "status",
                "started_at",
                "submitted_at",
                released.field("score", _("Score"), "attempt"),
                "max_score",
                released.field("passed", _("Passed"), "attempt"),
            ],
        ),
        model_section(
            "exercise_answers",
            _("Your answers"),
            answers,
            [
                ("exercise", _("Exercise"), lambda a: a.attempt.exercise.title),
                ("question", _("Question"), lambda a: _question_prompt(a, prompts)),
                ("response", _("Your answer"), _answer),
                released.field("score", _("Score"), "answer"),
                "max_score",
                released.field("marker_feedback", _("Marker's feedback"), "answer"),
                "saved_at",
            ],
        ),
    ]


def assessments_close_account(user):
    attempts = Attempt.objects.filter(user=user).select_related("user", "exercise")
    log_labels_refresh(attempts)  # the log outlives the attempts, and their labels named the learner
    attempts.delete()
