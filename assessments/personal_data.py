"""What assessments holds about a learner (their attempts and answers), for the data download and account closure.

Closing an account deletes the learner's attempts and answers: they are the learner's own words, and anything the
organisation must keep from them (that the course was completed) is already on the certificate.
"""

import json

from django.utils.translation import gettext_lazy as _

from accounts.personal_data import model_section

from .models import Answer, Attempt
from .selectors import attempt_questions


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


def assessment_sections(user):
    attempts = Attempt.objects.filter(user=user).select_related("exercise").order_by("started_at", "pk")
    answers = (
        Answer.objects.filter(attempt__user=user)
        .select_related("attempt__exercise", "attempt__revision")
        .order_by("attempt__started_at", "attempt_id", "pk")
    )
    prompts = {}
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
                "score",
                "max_score",
                "passed",
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
                "score",
                "max_score",
                "marker_feedback",
                "saved_at",
            ],
        ),
    ]


def assessments_close_account(user):
    Attempt.objects.filter(user=user).delete()
