"""Case exercises for tests and the demo: `stage()` and the question helpers build the StreamField data."""

import wagtail_factories

from .models import CaseExercisePage


def single_choice(prompt="Which is right?", choices=(("Right", True, None), ("Wrong", False, None)), marks=1, **extra):
    return (
        "single_choice",
        {
            "prompt": prompt,
            "marks": marks,
            "choices": [
                {"text": text, "correct": correct, "feedback": f"About {text}", "go_to_stage": go_to}
                for text, correct, go_to in choices
            ],
            **extra,
        },
    )


def multiple_choice(prompt="Which apply?", choices=(("A", True), ("B", True), ("C", False)), marks=2, **extra):
    return (
        "multiple_choice",
        {
            "prompt": prompt,
            "marks": marks,
            "partial_credit": extra.pop("partial_credit", "per_answer"),
            "choices": [{"text": text, "correct": correct, "feedback": ""} for text, correct in choices],
            **extra,
        },
    )


def free_text(prompt="Describe the conditions.", marks=5, guide="Names three SEIPS components."):
    return ("free_text", {"prompt": prompt, "marks": marks, "marking_guide": guide})


def ranking(items=("First", "Second", "Third"), marks=3):
    return ("ranking", {"prompt": "Rank these.", "marks": marks, "items": list(items)})


def timeline(events=(("08:00", "Woke"), ("09:00", "Ate"), ("10:00", "Left")), marks=3):
    return (
        "timeline",
        {"prompt": "Order these.", "marks": marks, "events": [{"when": w, "what": t} for w, t in events]},
    )


def categorise(items=(("Policy", "Organisation"), ("Pump", "Tools and technology")), marks=2):
    return (
        "categorise",
        {
            "prompt": "Sort these.",
            "marks": marks,
            "categories": ["Person", "Tasks", "Tools and technology", "Organisation"],
            "items": [{"text": text, "category": category} for text, category in items],
        },
    )


def stage(title="Stage", questions=(), locked=True):
    return (
        "stage",
        {
            "title": title,
            "narrative": [("rich_text", f"<p>{title}: what happened next.</p>")],
            "evidence": [],
            "questions": list(questions),
            "locked": locked,
        },
    )


class CaseExercisePageFactory(wagtail_factories.PageFactory):
    title = "Anticoagulation withheld"
    introduction = "<p>Work the case stage by stage.</p>"
    stages = [stage("Stage 1", [single_choice()])]

    class Meta:
        model = CaseExercisePage
