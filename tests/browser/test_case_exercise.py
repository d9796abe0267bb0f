"""Case exercises in a real browser: the demo learner finishes the anticoagulation exercise and a course lead marks it,
every question type answered with the keyboard alone, and axe on every exercise screen.

The demo (assessments/demo.py) has the demo NHS learner on the running cohort SYS-03 with an attempt in progress:
stage 1 submitted, stage 2's first question saved (its first three choices). The exercise releases feedback on
submission, so the lead's marks reach the learner as soon as they are saved.
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from assessments import services
from assessments.demo import EXERCISE_SLUG, EXERCISE_TITLE, STAGE_2, STAGE_3, STAGE_4
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
from assessments.models import Answer, Attempt, AttemptStatus, CaseExercisePage
from assessments.selectors import attempt_stages
from courses.demo import COURSE_LEAD_EMAIL, COURSES
from courses.models import CoursePage
from tests.browser.accounts import EXTERNAL_LEARNER, NHS_LEARNER, sign_in, sign_in_to_admin, user, with_authenticator
from tests.browser.axe import assert_no_blocking_violations

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("staff_mfa_required")]

FLAGSHIP_PATH = f"/courses/{COURSES[0]['slug']}/"
EXERCISE_PATH = f"{FLAGSHIP_PATH}{EXERCISE_SLUG}/"
MARKING = "/admin/assessments/marking/"
SUBMITTED = "Stage submitted. Here is what happened next."
FINISHED = "You have finished the exercise."
SAVED = "Your answers are saved. You can come back to them on any device."
BLAMING_ANSWER = "The ward team should have read the operation note"
FINDING = (
    "The restart plan was written in the operation note, but the prescribing chart accepted 'withheld' without a "
    "restart date and the weekend doctor worked from the handover sheet, so the plan never reached the discharge letter."
)
MARKER_FEEDBACK = "A clear finding about the chart and the handover. Add the discharge check as evidence."

# The exercise for the keyboard test: one stage with every kind of question.
KEYBOARD_TITLE = "Working the case by keyboard"
CATEGORIES = ["Person", "Tasks", "Tools and technology", "Organisation"]
SORTED_ITEMS = (("Policy", "Organisation"), ("Pump", "Tools and technology"), ("Fatigue", "Person"))
RANKED_ITEMS = ("Design out the hazard", "Standardise the chart", "Remind staff")
EVENTS = (("08:00", "Admitted"), ("13:45", "Operated on"), ("20:00", "Handed over"))
KEYBOARD_STAGE = stage(
    "Working by keyboard",
    [
        single_choice(
            "Which is right?", choices=(("Wrong", False, None), ("Right", True, None), ("Unsure", False, None))
        ),
        multiple_choice("Which apply?", choices=(("A", True), ("B", True), ("C", False))),
        free_text("Describe the conditions."),
        ranking(items=RANKED_ITEMS),
        timeline(events=EVENTS),
        categorise(items=SORTED_ITEMS),
    ],
)


@pytest.fixture
def new_page(browser, demo_site):
    """Make a tab in a fresh browser context (no cookies): one per person in a journey."""
    contexts = []

    def make():
        context = browser.new_context(base_url=demo_site, locale="en-GB", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


# Helpers ---------------------------------------------------------------------------------------------------------------


def demo_attempt():
    return Attempt.objects.get(user__email=NHS_LEARNER, exercise__slug=EXERCISE_SLUG)


def open_form(page):
    """The form of the stage that is open (earlier stages show their answers without one)."""
    return page.get_by_role("main").locator("form").filter(has=page.get_by_role("button", name="Submit this stage"))


def question(scope, prompt):
    """A question's fieldset, named by its legend: 'Question n: <prompt> (m marks)'."""
    return scope.get_by_role("group", name=re.compile(re.escape(prompt[:60])))


def status_message(page, text):
    return page.get_by_role("status").filter(has_text=text)


def prompt_of(stage_data, number):
    return stage_data["questions"][number - 1][1]["prompt"]


def build_keyboard_exercise():
    """A published exercise under the flagship course with one stage holding every kind of question."""
    course = CoursePage.objects.get(slug=COURSES[0]["slug"])
    exercise = CaseExercisePageFactory(
        parent=course, title=KEYBOARD_TITLE, slug="working-by-keyboard", attempts_allowed=0, stages=[KEYBOARD_STAGE]
    )
    exercise.save_revision().publish()
    return CaseExercisePage.objects.get(pk=exercise.pk)


def open_keyboard_attempt(page):
    """The demo learner starts the keyboard exercise: its one stage is open, nothing answered yet."""
    exercise = build_keyboard_exercise()
    sign_in(page, NHS_LEARNER)
    page.goto(exercise.url)
    page.get_by_role("button", name="Start the exercise").click()
    expect(page.get_by_role("heading", level=2, name="Working by keyboard")).to_be_visible()
    return Attempt.objects.get(user__email=NHS_LEARNER, exercise=exercise)


def is_focused(locator):
    return locator.evaluate("element => element === document.activeElement")


def tab_to(page, target, limit=80):
    """Press Tab until `target` has the focus, as someone using a keyboard reaches it."""
    for _ in range(limit):
        if is_focused(target):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} was not reached with {limit} presses of Tab")


def focused_label(page):
    return page.evaluate("() => document.activeElement.labels[0].textContent.trim()")


def finish_demo_attempt():
    """Answer and submit stages 2 to 4 of the demo attempt through the services, as the journey does in the browser."""
    learner = user(NHS_LEARNER)
    attempt = demo_attempt()
    seips = list(STAGE_3["questions"][0][1]["categories"])
    answers = {
        2: [{"choices": [0, 1, 2, 3]}, {"choice": 0}],
        3: [
            {"placements": [seips.index(item["category"]) for item in STAGE_3["questions"][0][1]["items"]]},
            {"order": [0, 1, 2, 3]},
        ],
        4: [{"text": FINDING}, {"choice": 2}],
    }
    for number, responses in answers.items():
        current = attempt_stages(attempt)[number - 1]
        answered = {q.id: response for q, response in zip(current.questions, responses, strict=True)}
        assert not services.answers_save(attempt=attempt, user=learner, stage_id=current.id, answers=answered)
        attempt = services.stage_submit(attempt=attempt, user=learner, stage_id=current.id)
    assert attempt.status == AttemptStatus.SUBMITTED
    return attempt


def mark_demo_attempt(attempt):
    written = attempt.answers.get(score__isnull=True)
    return services.attempt_marks_save(
        attempt=attempt, marks={written.pk: (Decimal(4), MARKER_FEEDBACK)}, by_user=user(COURSE_LEAD_EMAIL)
    )


# Journey ---------------------------------------------------------------------------------------------------------------


def test_learner_finishes_the_demo_exercise_and_a_course_lead_marks_it(new_page, mailoutbox):
    learner = new_page()
    sign_in(learner, NHS_LEARNER)
    learner.goto(FLAGSHIP_PATH)
    learner.get_by_role("main").get_by_role("link", name=EXERCISE_TITLE, exact=True).click()
    expect(learner).to_have_url(re.compile(rf"{re.escape(EXERCISE_PATH)}$"))
    expect(learner.get_by_role("heading", level=1)).to_have_text(EXERCISE_TITLE)
    learner.get_by_role("button", name="Carry on where you left off").click()

    # Stage 2 is open with its first question as saved; stage 1 is shown above it, answered and closed.
    attempt = demo_attempt()
    expect(learner).to_have_url(re.compile(rf"{re.escape(EXERCISE_PATH)}attempts/{attempt.pk}/$"))
    expect(learner.get_by_role("heading", level=2, name=STAGE_2["title"])).to_be_visible()
    form = open_form(learner)
    conditions = question(form, prompt_of(STAGE_2, 1))
    for checkbox in conditions.get_by_role("checkbox").all()[:3]:
        expect(checkbox).to_be_checked()
    expect(conditions.get_by_role("checkbox").nth(3)).not_to_be_checked()
    conditions.get_by_role("checkbox").nth(3).check()
    question(form, prompt_of(STAGE_2, 2)).get_by_role("radio", name=re.compile("^Carry on: analyse")).check()
    form.get_by_role("button", name="Submit this stage").click()

    # Carrying on leads to the analysis of the work system.
    expect(status_message(learner, SUBMITTED)).to_be_visible()
    expect(learner.get_by_role("heading", level=2, name=STAGE_3["title"])).to_be_visible()
    form = open_form(learner)
    sorting = question(form, prompt_of(STAGE_3, 1))
    for item in STAGE_3["questions"][0][1]["items"]:
        sorting.get_by_label(item["text"], exact=True).select_option(label=item["category"])
    ranking_question = question(form, prompt_of(STAGE_3, 2))
    for place, action in enumerate(STAGE_3["questions"][1][1]["items"], 1):
        ranking_question.get_by_label(action, exact=True).select_option(str(place))
    form.get_by_role("button", name="Submit this stage").click()

    expect(status_message(learner, SUBMITTED)).to_be_visible()
    expect(learner.get_by_role("heading", level=2, name=STAGE_4["title"])).to_be_visible()
    form = open_form(learner)
    finding = question(form, prompt_of(STAGE_4, 1))
    answer_box = finding.get_by_role("textbox", name="Your answer")
    # The prompt sits in a live region that is on the page before it shows, so screen readers announce it.
    live_region = finding.locator("[aria-live=polite]")
    expect(live_region).to_be_attached()
    expect(live_region).not_to_have_attribute("hidden", "")
    hindsight = live_region.locator(".site-hindsight-prompt")
    expect(hindsight).to_be_hidden()
    # The prompt appears while the learner types, before anything is sent, and goes once the blame is reworded.
    answer_box.press_sequentially(BLAMING_ANSWER)
    expect(hindsight).to_be_visible()
    expect(hindsight).to_contain_text("(should have)")
    answer_box.fill(FINDING)
    expect(hindsight).to_be_hidden()
    recommendation = STAGE_4["questions"][1][1]["choices"][2]["text"]
    question(form, prompt_of(STAGE_4, 2)).get_by_role("radio", name=recommendation).check()
    form.get_by_role("button", name="Submit this stage").click()

    expect(status_message(learner, FINISHED)).to_be_visible()
    submitted = learner.locator(".nhsuk-panel").filter(has=learner.get_by_role("heading", name="Exercise submitted"))
    expect(submitted).to_contain_text("A course lead will mark your written answers.")
    expect(question(learner.get_by_role("main"), prompt_of(STAGE_4, 1)).locator("xpath=..")).to_contain_text(
        "Waiting for a course lead to mark it."
    )
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED
    assert attempt.answers.get(score__isnull=True).response == {"text": FINDING}
    learner.context.close()

    # The course lead marks the written answer from the marking queue.
    lead = new_page()
    sign_in_to_admin(lead, COURSE_LEAD_EMAIL, with_authenticator(COURSE_LEAD_EMAIL))
    lead.get_by_role("navigation", name="Main menu").get_by_role("link", name="Marking").click()
    expect(lead).to_have_url(re.compile(rf"{MARKING}$"))
    row = lead.get_by_role("row").filter(has_text=EXERCISE_TITLE)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("SYS-03")
    expect(row).to_contain_text("1 answer to mark")
    row.get_by_role("link", name="Priya Shah").click()
    expect(lead).to_have_url(re.compile(rf"{MARKING}{attempt.pk}/$"))
    expect(lead.get_by_role("main")).to_contain_text(FINDING)
    lead.get_by_label("Mark (out of 5)").fill("4")
    lead.get_by_label("Feedback to the learner").fill(MARKER_FEEDBACK)
    lead.get_by_role("button", name="Save marks").click()
    expect(lead.locator(".messages")).to_contain_text("Marks saved and released: the learner has been emailed.")
    lead.context.close()

    attempt.refresh_from_db()
    assert (attempt.status, attempt.score, attempt.max_score) == (AttemptStatus.MARKED, Decimal(24), Decimal(25))
    assert attempt.released_at is not None
    assert [m.subject for m in mailoutbox if NHS_LEARNER in m.to] == [f"Your marks are ready: {EXERCISE_TITLE}"]

    # The learner signs in again and finds the score and the marker's feedback on the attempt.
    learner = new_page()
    sign_in(learner, NHS_LEARNER)
    learner.goto(EXERCISE_PATH)
    attempts = learner.get_by_role("table", name="Your attempts at this exercise")
    expect(attempts.get_by_role("row").nth(1)).to_contain_text("96% (passed)")
    attempts.get_by_role("link").first.click()
    expect(learner).to_have_url(re.compile(rf"attempts/{attempt.pk}/$"))
    submitted = learner.locator(".nhsuk-panel")
    expect(submitted).to_contain_text("You scored 24 out of 25 (96%).")
    expect(submitted).to_contain_text("You passed.")
    written = question(learner.get_by_role("main"), prompt_of(STAGE_4, 1)).locator("xpath=..")
    expect(written).to_contain_text("4 out of 5")
    expect(written).to_contain_text(f"From your marker: {MARKER_FEEDBACK}")


# Keyboard only -----------------------------------------------------------------------------------------------------------


def test_every_question_type_can_be_answered_with_the_keyboard_alone(page):
    attempt = open_keyboard_attempt(page)
    form = open_form(page)
    questions = attempt_stages(attempt)[0].questions

    # Single choice: Tab reaches the group's first radio; the arrow key moves to, and picks, the next one.
    radios = question(form, "Which is right?").get_by_role("radio")
    tab_to(page, radios.first)
    page.keyboard.press("ArrowDown")
    expect(radios.nth(1)).to_be_focused()
    expect(radios.nth(1)).to_be_checked()

    # Multiple choice: Space ticks the focused box, Tab moves on.
    boxes = question(form, "Which apply?").get_by_role("checkbox")
    tab_to(page, boxes.first)
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(boxes.nth(0)).to_be_checked()
    expect(boxes.nth(1)).to_be_checked()
    expect(boxes.nth(2)).not_to_be_checked()

    # Free text: typed straight into the box.
    tab_to(page, question(form, "Describe the conditions.").get_by_role("textbox"))
    page.keyboard.type("The chart accepted a withheld medicine with no restart date.")

    # Ranking and timeline: the items come shuffled; each place is picked with the arrow keys on a closed select.
    for prompt, texts in [("Rank these.", RANKED_ITEMS), ("Order these.", [what for _, what in EVENTS])]:
        places = question(form, prompt).get_by_role("combobox")
        tab_to(page, places.first)
        for _ in texts:
            place = texts.index(focused_label(page)) + 1
            for _ in range(place):
                page.keyboard.press("ArrowDown")
            page.keyboard.press("Tab")

    # Categorise: typing the start of a category's name picks it.
    categories = question(form, "Sort these.").get_by_role("combobox")
    tab_to(page, categories.first)
    for _ in SORTED_ITEMS:
        category = dict(SORTED_ITEMS)[focused_label(page)]
        page.keyboard.type(category[:5])
        page.keyboard.press("Tab")

    save = form.get_by_role("button", name="Save and come back later")
    tab_to(page, save)
    page.keyboard.press("Enter")
    expect(status_message(page, SAVED)).to_be_visible()

    saved = dict(Answer.objects.filter(attempt=attempt).values_list("question_id", "response"))
    assert [saved.get(q.id) for q in questions] == [
        {"choice": 1},
        {"choices": [0, 1]},
        {"text": "The chart accepted a withheld medicine with no restart date."},
        {"order": [0, 1, 2]},
        {"order": [0, 1, 2]},
        {"placements": [CATEGORIES.index(category) for _, category in SORTED_ITEMS]},
    ]
    # The page shown again has the answers in place.
    form = open_form(page)
    expect(question(form, "Which is right?").get_by_role("radio", name="Right")).to_be_checked()
    expect(question(form, "Which apply?").get_by_role("checkbox", name="A")).to_be_checked()
    expect(question(form, "Which apply?").get_by_role("checkbox", name="B")).to_be_checked()
    expect(question(form, "Describe the conditions.").get_by_role("textbox")).to_have_value(
        "The chart accepted a withheld medicine with no restart date."
    )
    for place, text in enumerate(RANKED_ITEMS, 1):
        expect(question(form, "Rank these.").get_by_label(text, exact=True)).to_have_value(str(place))
    for place, (_, text) in enumerate(EVENTS, 1):
        expect(question(form, "Order these.").get_by_label(text, exact=True)).to_have_value(str(place))
    for text, category in SORTED_ITEMS:
        expect(question(form, "Sort these.").get_by_label(text, exact=True)).to_have_value(
            str(CATEGORIES.index(category))
        )


def test_the_error_summary_links_take_the_keyboard_to_each_question(page):
    open_keyboard_attempt(page)
    form = open_form(page)
    form.get_by_role("button", name="Submit this stage").click()

    links = page.locator(".nhsuk-error-summary").get_by_role("link")
    expect(links).to_have_count(6)
    prompts = [
        "Which is right?",
        "Which apply?",
        "Describe the conditions.",
        "Rank these.",
        "Order these.",
        "Sort these.",
    ]
    for number, prompt in enumerate(prompts, 1):
        link = links.nth(number - 1)
        expect(link).to_have_text(f"Question {number}: Answer this question.")
        link.focus()
        page.keyboard.press("Enter")
        # The question's first field (for ranking, the first of the shuffled items) has the focus, ready to answer.
        expect(question(form, prompt).locator("input, textarea, select").first).to_be_focused()


# axe-core on every exercise screen -------------------------------------------------------------------------------------


def show_overview_signed_out(page):
    page.goto(EXERCISE_PATH)
    expect(page.get_by_role("link", name="Sign in to do this exercise")).to_be_visible()


def show_overview_not_enrolled(page):
    sign_in(page, EXTERNAL_LEARNER)
    page.goto(EXERCISE_PATH)
    expect(page.get_by_role("main")).to_contain_text("This exercise is for learners with a confirmed place")


def show_overview_in_progress(page):
    sign_in(page, NHS_LEARNER)
    page.goto(EXERCISE_PATH)
    expect(page.get_by_role("button", name="Carry on where you left off")).to_be_visible()


def show_overview_to_start(page):
    exercise = build_keyboard_exercise()
    sign_in(page, NHS_LEARNER)
    page.goto(exercise.url)
    expect(page.get_by_role("button", name="Start the exercise")).to_be_visible()


def show_stage_with_evidence(page):
    """The demo attempt's open stage 2: the combined timeline and interviews, with stage 1 answered above it."""
    sign_in(page, NHS_LEARNER)
    page.goto(f"{EXERCISE_PATH}attempts/{demo_attempt().pk}/")
    expect(open_form(page)).to_be_visible()


def show_stage_with_every_question_type(page):
    open_keyboard_attempt(page)
    expect(open_form(page).get_by_role("group")).to_have_count(6)


def show_stage_with_errors(page):
    open_keyboard_attempt(page)
    question(open_form(page), "Which is right?").get_by_role("radio", name="Right").check()
    open_form(page).get_by_role("button", name="Submit this stage").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary.get_by_role("link")).to_have_count(5)


def show_hindsight_prompt(page):
    open_keyboard_attempt(page)
    question(open_form(page), "Describe the conditions.").get_by_role("textbox").press_sequentially(BLAMING_ANSWER)
    expect(page.locator(".site-hindsight-prompt")).to_be_visible()


def show_finished_with_feedback(page):
    mark_demo_attempt(finish_demo_attempt())
    sign_in(page, NHS_LEARNER)
    page.goto(f"{EXERCISE_PATH}attempts/{demo_attempt().pk}/")
    expect(page.locator(".nhsuk-panel")).to_contain_text("You scored 24 out of 25")
    expect(page.get_by_role("main")).to_contain_text(f"From your marker: {MARKER_FEEDBACK}")


def show_marking_queue(page):
    finish_demo_attempt()
    sign_in_to_admin(page, COURSE_LEAD_EMAIL, with_authenticator(COURSE_LEAD_EMAIL))
    page.goto(MARKING)
    expect(page.get_by_role("row").filter(has_text=EXERCISE_TITLE)).to_contain_text("1 answer to mark")


def show_marking_page(page):
    attempt = finish_demo_attempt()
    sign_in_to_admin(page, COURSE_LEAD_EMAIL, with_authenticator(COURSE_LEAD_EMAIL))
    page.goto(f"{MARKING}{attempt.pk}/")
    expect(page.get_by_role("button", name="Save marks")).to_be_visible()


def show_marking_page_with_errors(page):
    show_marking_page(page)
    page.get_by_label("Mark (out of 5)").fill("9")
    page.get_by_role("button", name="Save marks").click()
    expect(page.locator(".messages")).to_contain_text("Nothing was saved: correct the errors below.")


SCREENS = {
    "overview signed out": show_overview_signed_out,
    "overview signed in, not enrolled": show_overview_not_enrolled,
    "overview enrolled, attempt in progress": show_overview_in_progress,
    "overview enrolled, not started": show_overview_to_start,
    "stage with evidence": show_stage_with_evidence,
    "stage with every question type": show_stage_with_every_question_type,
    "stage with the error summary": show_stage_with_errors,
    "stage with the hindsight prompt": show_hindsight_prompt,
    "finished attempt with released feedback": show_finished_with_feedback,
    "marking queue": show_marking_queue,
    "marking page": show_marking_page,
    "marking page with errors": show_marking_page_with_errors,
}


@pytest.mark.parametrize("show", SCREENS.values(), ids=SCREENS.keys())
def test_no_serious_or_critical_violations(page, axe, show):
    show(page)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    # Wagtail fades its messages in: axe measuring contrast mid-fade sees a paler colour (see test_course_lead).
    page.wait_for_function(
        "() => [...document.querySelectorAll('.messages > ul')].every(list => getComputedStyle(list).opacity === '1')"
    )

    assert_no_blocking_violations(axe, page)
