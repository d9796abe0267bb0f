"""Checking and marking one answer to one question, by the question's kind.

Questions come from the revision an attempt is pinned to (StructValues, or plain dicts and lists in tests); answers are
the JSON stored on the attempt. Nothing here touches the database, so the rules are easy to read and to test.

Answer shapes, by kind:
- single_choice: {"choice": i}; multiple_choice: {"choices": [i, ...]}; free_text: {"text": "..."};
- ranking and timeline: {"order": [i, ...]}, the items' indices in the order the learner put them;
- categorise: {"placements": [c, ...]}, a category index for each item, in the items' order.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Marked:
    score: Decimal | None  # None until a person marks it
    max_score: Decimal
    feedback: list[str] = field(default_factory=list)
    go_to_stage: int | None = None  # a 1-based stage number, for a branching answer

    @property
    def needs_marker(self) -> bool:
        return self.score is None


def _share(marks, right: int, out_of: int) -> Decimal:
    if out_of <= 0:
        return Decimal(0)
    return (Decimal(marks) * right / out_of).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def _index(value, size: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError
    number = int(value)
    if not 0 <= number < size:
        raise ValueError
    return number


def _permutation(order, size: int) -> list[int]:
    order = [_index(i, size) for i in order]
    if sorted(order) != list(range(size)):
        raise ValueError
    return order


# --- Checking an answer ------------------------------------------------------------------------------------------------


def answer_clean(kind: str, question, answer) -> dict:
    """The answer in its stored shape, or a ValidationError saying, in the learner's terms, what is missing or wrong."""
    answer = answer or {}
    try:
        if kind == "single_choice":
            if answer.get("choice") in (None, ""):
                raise ValidationError(_("Choose an answer."), "missing")
            return {"choice": _index(answer["choice"], len(question["choices"]))}
        if kind == "multiple_choice":
            chosen = answer.get("choices") or []
            if not chosen:
                raise ValidationError(_("Choose at least one answer."), "missing")
            return {"choices": sorted({_index(i, len(question["choices"])) for i in chosen})}
        if kind == "free_text":
            text = str(answer.get("text") or "").strip()
            if not text:
                raise ValidationError(_("Write your answer."), "missing")
            if len(text) > 10000:
                raise ValidationError(_("Keep your answer under 10,000 characters."), "too_long")
            if "\x00" in text:
                # PostgreSQL cannot store it, and no keyboard types it: it comes from a pasted or corrupted text.
                raise ValidationError(
                    _("Your answer has a null character in it, which cannot be saved. Remove it and try again."),
                    "null_character",
                )
            return {"text": text}
        if kind in ("ranking", "timeline"):
            items = question["items"] if kind == "ranking" else question["events"]
            order = answer.get("order") or []
            if len(order) != len(items) or any(item is None for item in order):
                raise ValidationError(_("Give every item a different place."), "missing")
            return {"order": _permutation(order, len(items))}
        if kind == "categorise":
            placements = answer.get("placements") or []
            if len(placements) != len(question["items"]) or any(p in (None, "") for p in placements):
                raise ValidationError(_("Choose a category for every item."), "missing")
            return {"placements": [_index(p, len(question["categories"])) for p in placements]}
    except (ValueError, TypeError, KeyError) as error:
        raise ValidationError(_("That answer is not one of the options. Choose again."), "invalid") from error
    raise ValidationError(_("This kind of question cannot be answered here."), "unknown_kind")


# --- Marking an answer -------------------------------------------------------------------------------------------------


def answer_mark(kind: str, question, answer: dict | None) -> Marked:
    """Marks out of the question's marks, with the feedback that applies. An empty answer scores nothing."""
    marks = Decimal(question["marks"] or 0)
    general = [question["feedback"]] if question.get("feedback") else []
    if kind == "free_text":
        return Marked(None if answer else Decimal(0), marks, general)
    if not answer:
        return Marked(Decimal(0), marks, general)
    if kind == "single_choice":
        choice = question["choices"][answer["choice"]]
        feedback = [choice["feedback"]] if choice.get("feedback") else []
        return Marked(
            marks if choice["correct"] else Decimal(0), marks, feedback + general, choice.get("go_to_stage") or None
        )
    if kind == "multiple_choice":
        return _mark_multiple(question, answer, marks, general)
    if kind in ("ranking", "timeline"):
        in_place = sum(1 for position, item in enumerate(answer["order"]) if item == position)
        return Marked(_share(marks, in_place, len(answer["order"])), marks, general)
    if kind == "categorise":
        correct = [list(question["categories"]).index(item["category"]) for item in question["items"]]
        right = sum(1 for placed, wanted in zip(answer["placements"], correct, strict=True) if placed == wanted)
        return Marked(_share(marks, right, len(correct)), marks, general)
    raise ValueError(f"Unknown question kind: {kind}")


def _mark_multiple(question, answer, marks, general) -> Marked:
    choices = list(question["choices"])
    chosen = set(answer["choices"])
    correct = {i for i, choice in enumerate(choices) if choice["correct"]}
    feedback = [choices[i]["feedback"] for i in sorted(chosen) if choices[i].get("feedback")]
    if question.get("partial_credit") == "all_or_nothing":
        score = marks if chosen == correct else Decimal(0)
    else:
        # Each right answer chosen earns its share; each wrong one chosen takes a share away; never below nothing.
        net = len(chosen & correct) - len(chosen - correct)
        score = _share(marks, max(net, 0), len(correct))
    return Marked(score, marks, feedback + general)
