"""The learner's flow over HTTP: the overview, starting, saving, submitting stage by stage, and who may see what."""

from http import HTTPStatus

import pytest

from accounts.factories import UserFactory
from assessments.factories import CaseExercisePageFactory, free_text, multiple_choice, ranking, single_choice, stage
from assessments.models import Answer, Attempt, AttemptStatus
from assessments.selectors import attempt_stages
from courses.factories import EnrolmentFactory
from tests.content.helpers import soup, texts

pytestmark = pytest.mark.django_db


@pytest.fixture
def exercise(course):
    page = CaseExercisePageFactory(
        parent=course,
        title="Anticoagulation withheld",
        stages=[
            stage("The report", [single_choice("Where do you start?", marks=2), multiple_choice(marks=2)]),
            stage("The ward", [ranking(marks=3), free_text(marks=5)]),
        ],
    )
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def start(client, exercise):
    response = client.post(exercise.url + "start/")
    assert response.status_code == HTTPStatus.FOUND
    return Attempt.objects.get(), response.url


def question_ids(attempt, number):
    return [q.id for q in attempt_stages(attempt)[number - 1].questions]


def stage_id(attempt, number):
    return attempt_stages(attempt)[number - 1].id


def page_text(response):
    return " ".join(soup(response).get_text().split())


def test_the_overview_invites_an_enrolled_learner_to_start(client, exercise, learner):
    client.force_login(learner)
    response = client.get(exercise.url)
    assert response.status_code == HTTPStatus.OK
    assert "Start the exercise" in page_text(response)
    assert "The ward" not in page_text(response), "learners do not see later stages in advance"


def test_the_overview_tells_others_who_it_is_for(client, exercise):
    assert "Sign in to do this exercise" in page_text(client.get(exercise.url))
    client.force_login(UserFactory())
    text = page_text(client.get(exercise.url))
    assert "for learners with a confirmed place on a current cohort" in text
    assert "Start the exercise" not in text


def test_a_learner_not_enrolled_cannot_start(client, exercise):
    client.force_login(UserFactory())
    response = client.post(exercise.url + "start/", follow=True)
    assert not Attempt.objects.exists()
    assert "Only learners with a confirmed place" in page_text(response)


def test_a_learner_works_through_the_stages(client, exercise, learner):
    client.force_login(learner)
    attempt, url = start(client, exercise)
    first = client.get(url)
    assert "The report" in page_text(first)
    assert "The ward" not in page_text(first)
    single, multiple = question_ids(attempt, 1)

    saved = client.post(url, {"stage": stage_id(attempt, 1), "action": "save", f"q-{single}": "0"}, follow=True)
    assert "Your answers are saved" in page_text(saved)
    assert soup(saved).select_one(f"#q-{single}-0")["checked"] is not None

    incomplete = client.post(url, {"stage": stage_id(attempt, 1), "action": "submit"})
    assert incomplete.status_code == HTTPStatus.BAD_REQUEST
    assert texts(soup(incomplete).select(".nhsuk-error-summary__list a")) == ["Question 2: Answer this question."]

    done = client.post(
        url,
        {"stage": stage_id(attempt, 1), "action": "submit", f"q-{single}": "0", f"q-{multiple}": ["0", "1"]},
        follow=True,
    )
    assert "Stage submitted" in page_text(done)
    assert "The ward" in page_text(done)
    assert soup(done).select_one(f"#q-{single}-0").has_attr("disabled"), "a submitted stage is shown, not editable"

    # Changing a submitted stage's answer by hand-made request changes nothing.
    changed = client.post(url, {"stage": stage_id(attempt, 1), "action": "save", f"q-{single}": "1"}, follow=True)
    assert "cannot be changed" in page_text(changed)
    assert Answer.objects.get(question_id=single).response == {"choice": 0}

    ranked, written = question_ids(attempt, 2)
    client.post(
        url,
        {
            "stage": stage_id(attempt, 2),
            "action": "submit",
            f"q-{ranked}-0": "1",
            f"q-{ranked}-1": "2",
            f"q-{ranked}-2": "3",
            f"q-{written}": "The plan did not say which dose to hold.",
        },
    )
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED
    finished = client.get(url)
    assert "A course lead will mark your written answers" in page_text(finished)
    assert "Submit this stage" not in page_text(finished)


def test_a_wrong_answer_value_is_refused_with_a_message(client, exercise, learner):
    client.force_login(learner)
    attempt, url = start(client, exercise)
    single, _multiple = question_ids(attempt, 1)
    response = client.post(url, {"stage": stage_id(attempt, 1), "action": "save", f"q-{single}": "9"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "That answer is not one of the options" in page_text(response)
    assert not Answer.objects.exists()


def test_a_ranking_answered_in_part_is_reported_not_dropped(client, exercise, learner):
    client.force_login(learner)
    attempt, url = start(client, exercise)
    single, multiple = question_ids(attempt, 1)
    client.post(
        url, {"stage": stage_id(attempt, 1), "action": "submit", f"q-{single}": "0", f"q-{multiple}": ["0", "1"]}
    )
    ranked, written = question_ids(attempt, 2)
    two_in_first_place = {f"q-{ranked}-0": "1", f"q-{ranked}-1": "1", f"q-{ranked}-2": "3"}

    for action in ("save", "submit"):
        response = client.post(
            url, {"stage": stage_id(attempt, 2), "action": action, **two_in_first_place, f"q-{written}": "A finding."}
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert texts(soup(response).select(".nhsuk-error-summary__list a")) == [
            "Question 1: Give every item a different place."
        ]
        shown = [soup(response).select_one(f"#q-{ranked}-{i}").find("option", selected=True) for i in range(3)]
        assert [option.text.strip() if option else None for option in shown] == ["1", None, "3"], (
            "the places given stay filled in; the clashing one is left for the learner to choose again"
        )
    assert not Answer.objects.filter(question_id=ranked).exists()
    assert Answer.objects.get(question_id=written).response == {"text": "A finding."}
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.IN_PROGRESS


def test_a_blaming_answer_gets_a_gentle_prompt_and_is_still_saved(client, exercise, learner):
    client.force_login(learner)
    attempt, url = start(client, exercise)
    single, multiple = question_ids(attempt, 1)
    client.post(url, {"stage": stage_id(attempt, 1), "action": "submit", f"q-{single}": "0", f"q-{multiple}": "0"})
    _ranked, written = question_ids(attempt, 2)
    response = client.post(
        url,
        {"stage": stage_id(attempt, 2), "action": "save", f"q-{written}": "The nurse should have checked."},
        follow=True,
    )
    prompt = soup(response).select_one(".site-hindsight-prompt")
    assert not prompt.has_attr("hidden")
    assert "should have" in prompt.get_text()
    assert Answer.objects.get(question_id=written).response == {"text": "The nurse should have checked."}


def test_another_learners_attempt_is_not_found(client, exercise, learner, cohort):
    client.force_login(learner)
    _attempt, url = start(client, exercise)
    other = UserFactory()
    EnrolmentFactory(user=other, cohort=cohort)
    client.force_login(other)
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert client.post(url, {"stage": "x", "action": "save"}).status_code == HTTPStatus.NOT_FOUND


def test_a_course_lead_previews_every_stage(client, exercise, cohort):
    lead = UserFactory()
    cohort.leads.add(lead)
    cohort.save()
    client.force_login(lead)
    text = page_text(client.get(exercise.url))
    assert "Preview of every stage" in text
    assert "The ward" in text


def test_the_course_page_lists_its_case_exercises(client, exercise, course):
    response = client.get(course.url)
    links = {a.get_text(strip=True): a["href"] for a in soup(response).select("#exercises ~ ul a")}
    assert links.get("Anticoagulation withheld") == exercise.url
