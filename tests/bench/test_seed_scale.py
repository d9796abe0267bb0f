from http import HTTPStatus
from io import StringIO

from django.core.management import call_command
from django.db.models import Count, F, Q
from django.test import TestCase

from wagtail.models import Page

from allauth.account.models import EmailAddress

from accounts.models import User
from assessments.marking import answer_clean
from assessments.models import Answer, Attempt, AttemptStatus, CaseExercisePage
from assessments.selectors import attempt_questions
from bench import scale
from certificates.models import Certificate
from content.models import ArticleIndexPage, ArticlePage, ReportIndexPage, ReportSummaryPage
from courses.models import ACTIVE_STATUSES, SEAT_STATUSES, Cohort, Enrolment, EnrolmentStatus

SMALL = {
    "learners": 50,
    "cohorts": 5,
    "enrolments": 60,
    "answers": 100,
    "certificates": 10,
    "pages": 10,
}


def seed_scale(**numbers):
    out = StringIO()
    call_command("seed_scale", *[f"--{name}={value}" for name, value in numbers.items()], stdout=out)
    return out.getvalue()


def counts():
    return {
        "learners": scale.scale_learners().count(),
        "cohorts": scale.scale_cohorts().count(),
        "enrolments": scale.scale_enrolments().count(),
        "answers": scale.scale_answer_count(),
        "certificates": scale.scale_certificate_count(),
        "pages": scale.scale_pages().count(),
    }


class SeedScaleTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("seed_demo", stdout=StringIO())
        cls.output = seed_scale(**SMALL)

    def test_makes_the_numbers_asked_for_and_says_so(self):
        self.assertEqual(counts(), SMALL)
        for line in ["learners", "cohorts", "enrolments", "exercise answers", "certificates", "content pages"]:
            self.assertIn(line, self.output)

    def test_learners_have_a_verified_email_and_the_shared_password(self):
        learner = User.objects.get(email=scale.learner_email(1))
        self.assertTrue(learner.full_name)
        self.assertTrue(learner.check_password(scale.PASSWORD))
        self.assertTrue(EmailAddress.objects.filter(user=learner, email=learner.email, verified=True).exists())
        self.assertEqual(
            EmailAddress.objects.filter(user__in=scale.scale_learners(), primary=True, verified=True).count(), 50
        )

    def test_cohorts_have_sessions_and_spread_over_the_demo_courses(self):
        cohorts = scale.scale_cohorts()
        self.assertEqual(set(cohorts.values_list("code", flat=True)), {f"SCL-000{n}" for n in range(1, 6)})
        self.assertTrue(all(cohort.sessions.count() == 3 for cohort in cohorts))
        self.assertGreater(cohorts.values("course").distinct().count(), 1)

    def test_no_cohort_is_over_capacity(self):
        over = Cohort.objects.annotate(
            seats=Count("enrolments", filter=Q(enrolments__status__in=SEAT_STATUSES))
        ).filter(seats__gt=F("capacity"))
        self.assertFalse(over.exists())

    def test_one_active_enrolment_per_learner_per_cohort(self):
        doubled = (
            Enrolment.objects.filter(status__in=ACTIVE_STATUSES)
            .values("user", "cohort")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
        )
        self.assertFalse(doubled.exists())
        statuses = set(scale.scale_enrolments().values_list("status", flat=True))
        self.assertIn(EnrolmentStatus.COMPLETED, statuses)
        self.assertIn(EnrolmentStatus.CONFIRMED, statuses)

    def test_answers_belong_to_the_exercise_revision_in_the_stored_shape(self):
        exercise = CaseExercisePage.objects.get()
        attempts = Attempt.objects.filter(enrolment__cohort__code__startswith=scale.COHORT_PREFIX)
        self.assertTrue(attempts.exists())
        self.assertFalse(attempts.exclude(exercise=exercise).exists())
        self.assertFalse(attempts.exclude(enrolment__cohort__course=exercise.get_parent()).exists())
        attempt = attempts.filter(status=AttemptStatus.MARKED).first()
        questions = attempt_questions(attempt)
        for answer in attempt.answers.all():
            stage, question = questions[answer.question_id]
            self.assertEqual(answer.stage_id, stage.id)
            self.assertEqual(answer_clean(question.block_type, question.value, answer.response), answer.response)
            self.assertIsNotNone(answer.score)
        self.assertEqual(attempt.score, sum(answer.score for answer in attempt.answers.all()))
        self.assertFalse(
            Attempt.objects.filter(status=AttemptStatus.IN_PROGRESS)
            .values("user", "exercise")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
            .exists()
        )

    def test_one_valid_certificate_per_completed_enrolment(self):
        certificates = Certificate.objects.filter(cohort_code__startswith=scale.COHORT_PREFIX)
        self.assertFalse(
            certificates.values("enrolment").annotate(n=Count("pk")).filter(n__gt=1, revoked_at__isnull=True).exists()
        )
        self.assertFalse(certificates.exclude(enrolment__status=EnrolmentStatus.COMPLETED).exists())
        certificate = certificates.select_related("enrolment__user", "enrolment__cohort").first()
        self.assertEqual(certificate.learner_name, certificate.enrolment.user.full_name)
        self.assertEqual(certificate.cohort_code, certificate.enrolment.cohort.code)
        self.assertFalse(certificate.pdf)
        response = self.client.get(certificate.get_verification_url())
        self.assertEqual(response.status_code, HTTPStatus.OK)

    def test_pages_are_live_in_a_sound_tree_and_render(self):
        pages = scale.scale_pages()
        self.assertFalse(pages.filter(live=False).exists())
        self.assertEqual(Page.find_problems(), ([], [], [], [], []))
        article = ArticlePage.objects.filter(slug__startswith=scale.PAGE_PREFIX).first()
        report = ReportSummaryPage.objects.filter(slug__startswith=scale.PAGE_PREFIX).first()
        for page in (article, report):
            self.assertEqual(page.live_revision, page.latest_revision)
            response = self.client.get(page.url)
            self.assertContains(response, page.title)
        # The newest articles and reports are listed on their index pages.
        for index_model, model in [(ArticleIndexPage, ArticlePage), (ReportIndexPage, ReportSummaryPage)]:
            index = index_model.objects.get()
            newest = model.objects.child_of(index).live().order_by("-publication_date", "-pk").first()
            self.assertContains(self.client.get(index.url), newest.title)

    def test_the_catalogue_and_course_pages_render(self):
        catalogue = Page.objects.get(slug="courses")
        self.assertEqual(self.client.get(catalogue.url).status_code, HTTPStatus.OK)
        for course in Page.objects.child_of(catalogue):
            self.assertEqual(self.client.get(course.url).status_code, HTTPStatus.OK)

    def test_running_again_tops_up_without_duplicates(self):
        seed_scale(**SMALL)
        self.assertEqual(counts(), SMALL)
        more = {name: value * 2 for name, value in SMALL.items()}
        seed_scale(**more)
        self.assertEqual(counts(), more)
        self.assertEqual(Page.find_problems(), ([], [], [], [], []))
        self.assertFalse(
            Answer.objects.values("attempt", "question_id").annotate(n=Count("pk")).filter(n__gt=1).exists()
        )
        self.test_no_cohort_is_over_capacity()
        self.test_one_active_enrolment_per_learner_per_cohort()
