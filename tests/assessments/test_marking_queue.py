"""The course lead's marking queue, releasing marks, and what assessments adds to the cohort dashboard."""

import csv
import datetime
import io
from http import HTTPStatus

from django.core import mail
from django.core.cache import cache
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from accounts.factories import UserFactory
from assessments import services
from assessments.factories import CaseExercisePageFactory, free_text, single_choice, stage
from assessments.models import Answer, AttemptStatus, FeedbackRelease, MarkingComment
from assessments.selectors import attempt_stages
from courses.factories import CohortFactory, CourseIndexPageFactory, CoursePageFactory, EnrolmentFactory
from tests.conftest import make_site_home
from tests.content.helpers import make_group_member, soup, texts
from tests.courses.roster import roster_by_heading

QUEUE = "/admin/assessments/marking/"


def mark_url(attempt):
    return reverse("assessments_marking:mark", args=[attempt.pk])


class MarkingTestCase(TestCase):
    release_rule = FeedbackRelease.ON_SUBMISSION

    @classmethod
    def setUpTestData(cls):
        home = make_site_home()
        index = CourseIndexPageFactory(parent=home)
        cls.course = CoursePageFactory(parent=index, title="A systems approach")
        other_course = CoursePageFactory(parent=index, title="Human factors")
        today = timezone.localdate()
        dates = {"starts_on": today - datetime.timedelta(days=2), "ends_on": today + datetime.timedelta(days=20)}
        cls.cohort = CohortFactory(course=cls.course, code="SYS-A", **dates)
        cls.other_cohort = CohortFactory(course=other_course, code="HFE-B", **dates)
        cls.lead = make_group_member("Course leads", "lead.a@example.org")
        cls.other_lead = make_group_member("Course leads", "lead.b@example.org")
        for cohort, lead in [(cls.cohort, cls.lead), (cls.other_cohort, cls.other_lead)]:
            cohort.leads.add(lead)
            cohort.save()
        cls.exercise = CaseExercisePageFactory(
            parent=cls.course,
            title="Anticoagulation withheld",
            pass_mark_percent=50,
            feedback_release=cls.release_rule,
            stages=[stage("Only", [single_choice(marks=2), free_text(marks=4)])],
        )
        cls.exercise.save_revision().publish()
        cls.exercise.refresh_from_db()
        cls.learner = UserFactory(full_name="Sam Learner", email="sam@nhs.net")
        cls.enrolment = EnrolmentFactory(user=cls.learner, cohort=cls.cohort)
        cls.attempt = services.attempt_start(user=cls.learner, exercise=cls.exercise)
        stage_ = attempt_stages(cls.attempt)[0]
        single, written = (q.id for q in stage_.questions)
        services.answers_save(
            attempt=cls.attempt,
            user=cls.learner,
            stage_id=stage_.id,
            answers={single: {"choice": 0}, written: {"text": "Two versions of the policy were in use."}},
        )
        cls.attempt = services.stage_submit(attempt=cls.attempt, user=cls.learner, stage_id=stage_.id)
        cls.written = Answer.objects.get(question_id=written)

    def post_marks(self, score, feedback="Clear account of the policy conditions.", **extra):
        data = {f"score_{self.written.pk}": score, f"feedback_{self.written.pk}": feedback, **extra}
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(mark_url(self.attempt), data)


class TestMarkingQueue(MarkingTestCase):
    def test_the_lead_sees_the_attempt_with_the_marking_guide_beside_the_answer(self):
        self.client.force_login(self.lead)
        queue = self.client.get(QUEUE)
        self.assertContains(queue, "Sam Learner")
        self.assertContains(queue, "1 answer to mark")
        page = self.client.get(mark_url(self.attempt))
        self.assertContains(page, "Two versions of the policy were in use.")
        self.assertContains(page, "Names three SEIPS components.")

    def test_a_lead_of_another_cohort_sees_nothing_and_cannot_mark(self):
        self.client.force_login(self.other_lead)
        self.assertNotContains(self.client.get(QUEUE), "Sam Learner")
        self.assertEqual(self.client.get(mark_url(self.attempt)).status_code, HTTPStatus.NOT_FOUND)
        self.assertEqual(self.post_marks("4").status_code, HTTPStatus.NOT_FOUND)
        self.written.refresh_from_db()
        self.assertIsNone(self.written.score)

    def test_a_mark_out_of_range_is_refused_and_saves_nothing(self):
        self.client.force_login(self.lead)
        for score in ["5", "-1", "lots"]:
            with self.subTest(score=score):
                response = self.post_marks(score)
                self.assertEqual(response.status_code, HTTPStatus.OK)
                self.assertTrue(texts(soup(response).select(".error-message")))
                self.written.refresh_from_db()
                self.assertIsNone(self.written.score)

    def test_marking_on_a_release_on_submission_exercise_releases_and_emails(self):
        self.client.force_login(self.lead)
        response = self.post_marks("3.5", **{f"keep_{self.written.pk}": "on"})
        self.assertRedirects(response, mark_url(self.attempt))
        self.attempt.refresh_from_db()
        self.assertEqual(self.attempt.status, AttemptStatus.MARKED)
        self.assertEqual((self.attempt.score, self.attempt.max_score, self.attempt.passed), (5.5, 6, True))
        self.assertIsNotNone(self.attempt.released_at)
        [email] = mail.outbox
        self.assertEqual(email.to, ["sam@nhs.net"])
        self.assertIn("You scored 5.5 out of 6 (92%), a pass.", email.body)
        self.assertTrue(MarkingComment.objects.filter(text="Clear account of the policy conditions.").exists())

        self.client.force_login(self.learner)
        attempt_page = self.client.get(self.exercise.url + f"attempts/{self.attempt.pk}/")
        text = " ".join(soup(attempt_page).get_text().split())
        self.assertIn("You scored 5.5 out of 6", text)
        self.assertIn("From your marker: Clear account of the policy conditions.", text)

    def test_a_reusable_comment_is_added_to_the_feedback(self):
        comment = MarkingComment.objects.create(text="Good use of the SEIPS model.")
        self.client.force_login(self.lead)
        self.post_marks("4", feedback="Thorough.", **{f"comments_{self.written.pk}": [comment.pk]})
        self.written.refresh_from_db()
        self.assertEqual(self.written.marker_feedback, "Thorough.\n\nGood use of the SEIPS model.")


class TestReleaseAfterMarking(MarkingTestCase):
    release_rule = FeedbackRelease.AFTER_MARKING

    def test_marks_wait_for_the_lead_to_release_them(self):
        self.client.force_login(self.lead)
        self.post_marks("4")
        self.attempt.refresh_from_db()
        self.assertEqual(self.attempt.status, AttemptStatus.MARKED)
        self.assertIsNone(self.attempt.released_at)
        self.assertEqual(mail.outbox, [])
        self.assertContains(self.client.get(QUEUE), "Marked: ready to release")

        self.client.force_login(self.learner)
        waiting = self.client.get(self.exercise.url + f"attempts/{self.attempt.pk}/")
        self.assertContains(waiting, "Your marks will be shown when the course lead releases them.")

        self.client.force_login(self.lead)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("assessments_marking:release", args=[self.attempt.pk]))
        self.assertRedirects(response, mark_url(self.attempt))
        self.attempt.refresh_from_db()
        self.assertIsNotNone(self.attempt.released_at)
        self.assertEqual(len(mail.outbox), 1)
        self.assertNotContains(self.client.get(QUEUE), "Sam Learner")

    def test_release_before_marking_is_refused(self):
        self.client.force_login(self.lead)
        self.client.post(reverse("assessments_marking:release", args=[self.attempt.pk]))
        self.attempt.refresh_from_db()
        self.assertIsNone(self.attempt.released_at)


class TestCohortDashboard(MarkingTestCase):
    def test_the_panel_shows_progress_and_backlog_and_exports(self):
        self.client.force_login(self.lead)
        dashboard = self.client.get(reverse("courses_cohort_dashboards:dashboard", args=[self.cohort.pk]))
        panel = soup(dashboard).find("section", attrs={"aria-labelledby": "exercises-heading"})
        self.assertIn("1 attempt to mark or release.", panel.get_text())
        # Each learner's progress is a column of the roster, one per exercise.
        self.assertEqual(
            roster_by_heading(dashboard)["Sam Learner"]["Anticoagulation withheld (required)"], "Waiting for marking"
        )

        export = self.client.get(reverse("assessments_marking:progress_csv", args=[self.cohort.pk]))
        rows = list(csv.reader(io.StringIO(export.content.decode())))
        self.assertEqual(
            rows, [["Name", "Email", "Anticoagulation withheld"], ["Sam Learner", "sam@nhs.net", "Waiting for marking"]]
        )
        self.client.force_login(self.other_lead)
        self.assertEqual(
            self.client.get(reverse("assessments_marking:progress_csv", args=[self.cohort.pk])).status_code,
            HTTPStatus.NOT_FOUND,
        )

    def test_with_exercises_kept_between_requests_publishing_and_unpublishing_show_at_once(self):
        self.client.force_login(self.lead)
        url = reverse("courses_cohort_dashboards:dashboard", args=[self.cohort.pk])

        def exercise_columns():
            return [
                heading for heading in roster_by_heading(self.client.get(url))["Sam Learner"] if "(required)" in heading
            ]

        with self.settings(FRAGMENT_CACHE_SECONDS=300):
            cache.clear()
            self.assertEqual(exercise_columns(), ["Anticoagulation withheld (required)"])
            second = CaseExercisePageFactory(parent=self.course, title="Handover at shift change", live=False)
            self.assertEqual(exercise_columns(), ["Anticoagulation withheld (required)"])  # a draft is not shown
            second.save_revision().publish()
            self.assertEqual(
                exercise_columns(), ["Anticoagulation withheld (required)", "Handover at shift change (required)"]
            )
            self.exercise.unpublish()
            self.assertEqual(exercise_columns(), ["Handover at shift change (required)"])
        cache.clear()

    def test_passing_the_exercise_is_part_of_the_completion_rule(self):
        self.client.force_login(self.lead)
        sign_off = reverse("courses_cohort_dashboards:sign_off", args=[self.cohort.pk])

        def rule():
            return texts(soup(self.client.get(sign_off)).select("tbody td li"))

        def on_dashboard():  # the roster's column judges the rule from the attempts its exercise cells read
            dashboard = self.client.get(reverse("courses_cohort_dashboards:dashboard", args=[self.cohort.pk]))
            return roster_by_heading(dashboard)["Sam Learner"]["Completion rule"]

        self.assertIn("Not met: Pass 'Anticoagulation withheld': Not passed yet", rule())
        self.assertEqual(
            on_dashboard(),
            "Not met: Attendance of at least 80%, Pass 'Anticoagulation withheld', Signed off by a course lead",
        )
        self.post_marks("4")
        self.assertIn("Met: Pass 'Anticoagulation withheld': Passed", rule())
        self.assertEqual(on_dashboard(), "Not met: Attendance of at least 80%, Signed off by a course lead")
