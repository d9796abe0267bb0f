"""`seed_demo` builds the anticoagulation case exercise and the demo NHS learner's attempt at it, once."""

from http import HTTPStatus
from io import StringIO

from django.core.cache import cache
from django.core.management import call_command
from django.test import TestCase

from wagtail.models import Page

from accounts.models import User
from assessments.blocks import SEIPS_COMPONENTS
from assessments.models import Answer, Attempt, AttemptStatus, CaseExercisePage, StageSubmission
from assessments.selectors import attempt_stages
from content.demo.text import DEMO_PASSWORD
from content.models import ReportSummaryPage
from courses.demo import COURSES
from courses.models import Attendance, CoursePage, Enrolment, EnrolmentStatus

NHS_LEARNER = "nhs.learner@nhs.net"
REPORT_TITLE = "Medication not given: anticoagulation before and after a procedure"
QUESTION_KINDS = {"single_choice", "multiple_choice", "free_text", "ranking", "categorise", "timeline"}


def seed():
    call_command("seed_demo", stdout=StringIO())


def counts():
    return {
        model.__name__: model.objects.count()
        for model in [Page, CaseExercisePage, Enrolment, Attendance, Attempt, Answer, StageSubmission, User]
    }


def questions(exercise):
    return [(stage.value, question) for stage in exercise.stages for question in stage.value["questions"]]


class SeedDemoAssessmentsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        seed()
        cls.counts_after_first_run = counts()
        cls.exercise = CaseExercisePage.objects.get(title="Anticoagulation withheld around a procedure")
        cls.learner = User.objects.get(email=NHS_LEARNER)

    def setUp(self):
        cache.clear()

    def test_running_again_adds_nothing(self):
        seed()

        self.assertEqual(counts(), self.counts_after_first_run)

    def test_the_exercise_is_live_under_the_flagship_course(self):
        flagship = CoursePage.objects.get(slug=COURSES[0]["slug"])
        self.assertEqual(self.exercise.get_parent().pk, flagship.pk)
        self.assertTrue(self.exercise.live)
        self.assertFalse(self.exercise.has_unpublished_changes)
        self.assertEqual(
            (
                self.exercise.pass_mark_percent,
                self.exercise.attempts_allowed,
                self.exercise.counts_towards_completion,
                self.exercise.feedback_release,
            ),
            (60, 2, True, "on_submission"),
        )

    def test_four_stages_use_every_kind_of_question_with_feedback(self):
        self.assertEqual(len(self.exercise.stages), 4)
        self.assertEqual({question.block_type for _stage, question in questions(self.exercise)}, QUESTION_KINDS)
        for _stage, question in questions(self.exercise):
            with self.subTest(question=question.value["prompt"]):
                self.assertTrue(question.value["feedback"])
        [categorise] = [q for _s, q in questions(self.exercise) if q.block_type == "categorise"]
        self.assertEqual(list(categorise.value["categories"]), SEIPS_COMPONENTS)
        self.assertEqual({item["category"] for item in categorise.value["items"]}, set(SEIPS_COMPONENTS))
        [free_text] = [q for _s, q in questions(self.exercise) if q.block_type == "free_text"]
        self.assertTrue(free_text.value["marking_guide"])
        [multiple] = [q for _s, q in questions(self.exercise) if q.block_type == "multiple_choice"]
        self.assertEqual(multiple.value["partial_credit"], "per_answer")
        evidence = {item.block_type for stage in self.exercise.stages for item in stage.value["evidence"]}
        self.assertLessEqual({"timeline", "interview"}, evidence)

    def test_one_answer_in_stage_two_branches_to_stage_four(self):
        branches = [
            (number, choice)
            for number, stage in enumerate(self.exercise.stages, 1)
            for question in stage.value["questions"]
            if question.block_type == "single_choice"
            for choice in question.value["choices"]
            if choice["go_to_stage"]
        ]
        self.assertEqual(len(branches), 1)
        [(stage_number, choice)] = branches
        self.assertEqual((stage_number, choice["go_to_stage"]), (2, 4))
        self.assertFalse(choice["correct"])

    def test_the_exercise_and_the_report_link_to_each_other(self):
        report = ReportSummaryPage.objects.get(title=REPORT_TITLE)
        self.assertEqual(self.exercise.report_id, report.pk)

        response = self.client.get(report.url)

        self.assertContains(response, "Case exercises built from this report")
        self.assertContains(response, f'href="{self.exercise.url}"')
        self.assertContains(self.client.get(self.exercise.url), f'href="{report.url}"')

    def test_other_reports_list_no_exercises(self):
        other = ReportSummaryPage.objects.exclude(title=REPORT_TITLE).first()

        self.assertNotContains(self.client.get(other.url), "Case exercises built from this report")

    def test_the_demo_learner_has_a_free_place_on_the_running_cohort(self):
        enrolment = Enrolment.objects.get(user=self.learner, cohort__code="SYS-03")
        self.assertEqual(
            (enrolment.status, enrolment.fee_band, enrolment.fee_pence), (EnrolmentStatus.CONFIRMED, "free", 0)
        )
        first = enrolment.cohort.sessions.order_by("date").first()
        self.assertEqual(first.attendance.count(), enrolment.cohort.enrolments.filter(status="confirmed").count())

    def test_the_demo_learner_has_one_attempt_with_stage_one_submitted(self):
        attempt = Attempt.objects.get(user=self.learner, exercise=self.exercise)
        self.assertEqual(attempt.status, AttemptStatus.IN_PROGRESS)
        first, second, *_rest = attempt_stages(attempt)
        self.assertEqual(attempt.route, [first.id, second.id])
        self.assertEqual(list(attempt.stage_submissions.values_list("stage_id", flat=True)), [first.id])
        self.assertEqual(attempt.answers.filter(stage_id=first.id).count(), len(first.questions))
        self.assertFalse(attempt.answers.filter(stage_id=first.id, score=None).exists())
        saved = attempt.answers.filter(stage_id=second.id)
        self.assertTrue(0 < saved.count() < len(second.questions))

    def test_the_demo_learner_can_carry_on_from_the_overview(self):
        self.assertTrue(self.client.login(email=NHS_LEARNER, password=DEMO_PASSWORD))

        response = self.client.get(self.exercise.url)

        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertContains(response, "Carry on where you left off")
        attempt = Attempt.objects.get(user=self.learner, exercise=self.exercise)
        response = self.client.get(self.exercise.url + self.exercise.reverse_subpage("attempt", args=[attempt.pk]))
        self.assertContains(response, "Stage 2: learning conversations")
