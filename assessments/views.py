"""The learner's flow through a case exercise: the overview, starting, and each stage of an attempt.

These are the routes of CaseExercisePage; every write goes through assessments.services.
"""

import random

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from . import services
from .exceptions import AttemptError
from .marking import answer_mark
from .models import Attempt, AttemptStatus, HindsightSettings
from .selectors import (
    attempt_page,
    attempt_stages,
    feedback_released,
    hindsight_phrases_in,
    learner_enrolment_for,
    user_may_preview,
)


def exercise_overview(request, page):
    user = request.user
    attempts = list(Attempt.objects.filter(user=user, exercise=page)) if user.is_authenticated else []
    in_progress = next((a for a in attempts if a.status == AttemptStatus.IN_PROGRESS), None)
    allowed = page.attempts_allowed
    return TemplateResponse(
        request,
        "assessments/case_exercise_page.html",
        {
            "page": page,
            "self": page,
            "course": page.get_parent().specific,
            "attempts": attempts,
            "in_progress": in_progress,
            "enrolment": learner_enrolment_for(user=user, exercise=page),
            "attempts_left": None if not allowed else max(allowed - len(attempts), 0),
            "preview": user_may_preview(user=user, exercise=page),
            "stages": page.stages,
        },
    )


def attempt_start(request, page):
    if request.method != "POST":
        return redirect(page.url)
    if not request.user.is_authenticated:
        return redirect_to_login(page.url)
    try:
        attempt = services.attempt_start(user=request.user, exercise=page)
    except AttemptError as error:
        messages.error(request, error.message)
        return redirect(page.url)
    return redirect(page.url + page.reverse_subpage("attempt", args=[attempt.pk]))


def _shuffled(items, seed):
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)  # noqa: S311 - a display order, not a secret
    return [(i, items[i]) for i in order]


def answers_from_post(stage, data) -> dict:
    """The stage's answers as the marking module expects them, from the form's fields (q-<question id>...)."""
    answers = {}
    for question in stage.questions:
        name, kind, value = f"q-{question.id}", question.block_type, question.value
        if kind == "single_choice":
            answers[question.id] = {"choice": data.get(name)} if data.get(name) not in (None, "") else None
        elif kind == "multiple_choice":
            answers[question.id] = {"choices": data.getlist(name)} if data.getlist(name) else None
        elif kind == "free_text":
            answers[question.id] = {"text": data.get(name, "")} if data.get(name, "").strip() else None
        elif kind in ("ranking", "timeline"):
            count = len(value["items"] if kind == "ranking" else value["events"])
            positions = [data.get(f"{name}-{i}") for i in range(count)]
            if not any(positions):
                answers[question.id] = None
                continue
            order = [None] * count
            for item, position in enumerate(positions):
                try:
                    place = int(position) - 1
                except (TypeError, ValueError):
                    continue
                if 0 <= place < count and order[place] is None:
                    order[place] = item
            answers[question.id] = {"order": order}
        elif kind == "categorise":
            placements = [data.get(f"{name}-{i}") for i in range(len(value["items"]))]
            answers[question.id] = {"placements": placements} if any(placements) else None
    return answers


def _question_views(attempt, stage, saved, released, errors, posted):
    """What the template needs to show each question: its choices (shuffled where order is the answer), the answer
    given or being given, and its marks and feedback when they are released."""
    views = []
    for number, question in enumerate(stage.questions, 1):
        kind, value = question.block_type, question.value
        answer = saved.get(question.id)
        if posted is not None and question.id in posted:
            response = posted[question.id]  # what was just sent, to show again with its error
        else:
            response = answer.response if answer else None
        view = {"number": number, "id": question.id, "kind": kind, "value": value, "response": response or {}}
        view["template"] = f"assessments/questions/{'ranking' if kind == 'timeline' else kind}.html"
        view["error"] = errors.get(question.id)
        if kind in ("ranking", "timeline"):
            items = list(value["items"]) if kind == "ranking" else [event["what"] for event in value["events"]]
            order = (response or {}).get("order") or []
            places = {item: place + 1 for place, item in enumerate(order) if item is not None}
            view["rows"] = [
                {"index": i, "text": text, "place": places.get(i)}
                for i, text in _shuffled(items, f"{attempt.pk}-{question.id}")
            ]
            view["places"] = range(1, len(items) + 1)
        if kind == "categorise":
            placements = (response or {}).get("placements") or []
            view["rows"] = [
                {"index": i, "text": item["text"], "placed": str(placements[i]) if i < len(placements) else ""}
                for i, item in enumerate(value["items"])
            ]
            view["categories"] = list(enumerate(value["categories"]))
        if kind in ("single_choice", "multiple_choice"):
            chosen = response or {}
            picked = {str(c) for c in chosen.get("choices", [])} | (
                {str(chosen["choice"])} if chosen.get("choice") is not None else set()
            )
            view["choices"] = [
                {"index": i, "text": choice["text"], "checked": str(i) in picked}
                for i, choice in enumerate(value["choices"])
            ]
        if kind == "free_text" and response:
            view["hindsight"] = hindsight_phrases_in(response.get("text", ""))
        if released and answer is not None:
            view["marked"] = answer_mark(kind, value, answer.response)
            view["score"] = answer.score
            view["marker_feedback"] = answer.marker_feedback
        views.append(view)
    return views


def attempt_detail(request, page, attempt_id):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    attempt = get_object_or_404(
        Attempt.objects.select_related("revision"), pk=attempt_id, exercise=page, user=request.user
    )
    if request.method == "POST":
        return _attempt_post(request, page, attempt)
    return _attempt_render(request, page, attempt)


def _attempt_render(request, page, attempt, *, errors=None, posted=None, status=200):
    pinned = attempt_page(attempt)
    stages = {stage.id: stage for stage in attempt_stages(attempt)}
    submitted = set(attempt.stage_submissions.values_list("stage_id", flat=True))
    saved = {answer.question_id: answer for answer in attempt.answers.all()}
    shown = []
    for stage_id in attempt.route:
        stage = stages.get(stage_id)
        if stage is None:
            continue
        is_open = stage_id not in submitted and attempt.status == AttemptStatus.IN_PROGRESS
        released = feedback_released(attempt, pinned, stage_id in submitted)
        shown.append(
            {
                "stage": stage,
                "open": is_open,
                "released": released,
                "questions": _question_views(
                    attempt, stage, saved, released, (errors or {}) if is_open else {}, posted if is_open else None
                ),
            }
        )
    return TemplateResponse(
        request,
        "assessments/attempt.html",
        {
            "page": page,
            "self": page,
            "pinned": pinned,
            "course": page.get_parent().specific,
            "attempt": attempt,
            "shown": shown,
            "open_stage": next((s for s in shown if s["open"]), None),
            "errors": errors or {},
            "released": feedback_released(attempt, pinned, True) and attempt.status != AttemptStatus.IN_PROGRESS,
            "hindsight_phrases": "\n".join(HindsightSettings.load().phrase_list()),
            "action_url": page.url + page.reverse_subpage("attempt", args=[attempt.pk]),
        },
        status=status,
    )


def _attempt_post(request, page, attempt):
    stage_id = request.POST.get("stage", "")
    stage = next((s for s in attempt_stages(attempt) if s.id == stage_id), None)
    if stage is None:
        raise Http404
    posted = answers_from_post(stage, request.POST)
    try:
        problems = services.answers_save(attempt=attempt, user=request.user, stage_id=stage.id, answers=posted)
        if problems:
            messages.error(request, _("Some answers were not saved: correct them below."))
            return _attempt_render(request, page, attempt, errors=problems, posted=posted, status=400)
        if request.POST.get("action") == "submit":
            attempt = services.stage_submit(attempt=attempt, user=request.user, stage_id=stage.id)
            if attempt.status == AttemptStatus.IN_PROGRESS:
                messages.success(request, _("Stage submitted. Here is what happened next."))
            else:
                messages.success(request, _("You have finished the exercise."))
        else:
            messages.success(request, _("Your answers are saved. You can come back to them on any device."))
    except AttemptError as error:
        messages.error(request, error.message)
        if error.code == "incomplete":
            answered = set(attempt.answers.values_list("question_id", flat=True))
            missing = {q.id: _("Answer this question.") for q in stage.questions if q.id not in answered}
            return _attempt_render(request, page, attempt, errors=missing, posted=posted, status=400)
    return redirect(page.url + page.reverse_subpage("attempt", args=[attempt.pk]))
