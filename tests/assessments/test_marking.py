"""Marking every kind of question: right, wrong, partial and empty answers, and checking what a learner sends."""

from decimal import Decimal

from django.core.exceptions import ValidationError

import pytest

from assessments.factories import categorise, free_text, multiple_choice, ranking, single_choice, timeline
from assessments.marking import answer_clean, answer_mark
from assessments.templatetags.marks import marks


def score(question, answer):
    kind, value = question
    return answer_mark(kind, value, answer).score


def test_single_choice_scores_the_right_answer_only_and_gives_its_feedback():
    question = single_choice(marks=2)
    assert score(question, {"choice": 0}) == 2
    assert score(question, {"choice": 1}) == 0
    assert answer_mark(*question, {"choice": 1}).feedback == ["About Wrong"]


def test_a_branching_answer_names_the_stage_to_go_to():
    question = single_choice(choices=(("Interview the team", True, 3), ("Read the notes", False, None)))
    assert answer_mark(*question, {"choice": 0}).go_to_stage == 3
    assert answer_mark(*question, {"choice": 1}).go_to_stage is None


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        ([0, 1], Decimal("2.00")),  # both right answers
        ([0], Decimal("1.00")),  # one of two right answers: half the marks
        ([0, 2], Decimal("0.00")),  # one right, one wrong: they cancel
        ([0, 1, 2], Decimal("1.00")),  # both right, one wrong
        ([2], Decimal("0.00")),  # never below nothing
    ],
)
def test_multiple_choice_partial_credit(chosen, expected):
    assert score(multiple_choice(marks=2), {"choices": chosen}) == expected


def test_multiple_choice_all_or_nothing():
    question = multiple_choice(marks=2, partial_credit="all_or_nothing")
    assert score(question, {"choices": [0, 1]}) == 2
    assert score(question, {"choices": [0]}) == 0
    assert score(question, {"choices": [0, 1, 2]}) == 0


def test_multiple_choice_shares_are_rounded_to_the_penny():
    question = multiple_choice(marks=1, choices=(("A", True), ("B", True), ("C", True)))
    assert score(question, {"choices": [0]}) == Decimal("0.33")
    assert score(question, {"choices": [0, 1]}) == Decimal("0.67")


def test_free_text_waits_for_a_person_unless_empty():
    marked = answer_mark(*free_text(marks=5), {"text": "The policy had two versions."})
    assert marked.needs_marker and marked.max_score == 5
    assert answer_mark(*free_text(marks=5), None).score == 0


@pytest.mark.parametrize("question", [ranking(marks=3), timeline(marks=3)], ids=["ranking", "timeline"])
def test_ranking_and_timeline_earn_a_share_for_each_item_in_its_place(question):
    assert score(question, {"order": [0, 1, 2]}) == 3
    assert score(question, {"order": [0, 2, 1]}) == 1
    assert score(question, {"order": [2, 0, 1]}) == 0


def test_categorise_earns_a_share_for_each_item_in_its_category():
    question = categorise(marks=2)
    assert score(question, {"placements": [3, 2]}) == 2
    assert score(question, {"placements": [3, 0]}) == 1
    assert score(question, {"placements": [0, 0]}) == 0


@pytest.mark.parametrize(
    "question", [single_choice(), multiple_choice(), ranking(), timeline(), categorise()], ids=lambda q: q[0]
)
def test_an_empty_answer_scores_nothing(question):
    assert score(question, None) == 0
    assert score(question, {}) == 0


@pytest.mark.parametrize(
    ("question", "answer", "message"),
    [
        (single_choice(), {}, "Choose an answer."),
        (single_choice(), {"choice": 5}, "That answer is not one of the options. Choose again."),
        (single_choice(), {"choice": "x"}, "That answer is not one of the options. Choose again."),
        (multiple_choice(), {"choices": []}, "Choose at least one answer."),
        (multiple_choice(), {"choices": [0, 9]}, "That answer is not one of the options. Choose again."),
        (free_text(), {"text": "   "}, "Write your answer."),
        (free_text(), {"text": "x" * 10001}, "Keep your answer under 10,000 characters."),
        (ranking(), {"order": [0, 1]}, "Give every item a different place."),
        (ranking(), {"order": [0, None, 1]}, "Give every item a different place."),
        (ranking(), {"order": [0, 0, 1]}, "That answer is not one of the options. Choose again."),
        (timeline(), {"order": [0, 1, 7]}, "That answer is not one of the options. Choose again."),
        (categorise(), {"placements": [0]}, "Choose a category for every item."),
        (categorise(), {"placements": [0, ""]}, "Choose a category for every item."),
        (categorise(), {"placements": [0, 9]}, "That answer is not one of the options. Choose again."),
    ],
)
def test_an_incomplete_or_invalid_answer_is_refused_with_a_clear_message(question, answer, message):
    kind, value = question
    with pytest.raises(ValidationError) as caught:
        answer_clean(kind, value, answer)
    assert caught.value.messages == [message]


def test_valid_answers_are_stored_in_a_fixed_shape():
    assert answer_clean(*single_choice(), {"choice": "1"}) == {"choice": 1}
    assert answer_clean(*multiple_choice(), {"choices": ["1", "0", "1"]}) == {"choices": [0, 1]}
    assert answer_clean(*free_text(), {"text": "  Two policies.  "}) == {"text": "Two policies."}
    assert answer_clean(*ranking(), {"order": ["2", "0", "1"]}) == {"order": [2, 0, 1]}
    assert answer_clean(*categorise(), {"placements": ["3", "2"]}) == {"placements": [3, 2]}


@pytest.mark.parametrize(
    ("stored", "shown"),
    [(Decimal("6.00"), "6"), (Decimal("5.50"), "5.5"), (Decimal("5.25"), "5.25"), (Decimal("0"), "0"), (None, "")],
)
def test_marks_read_without_trailing_zeros(stored, shown):
    assert marks(stored) == shown
