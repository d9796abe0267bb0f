"""`courses_housekeeping`, run every minute by cron or the worker: lapsed holds and offers pass their seats on."""

import datetime
from io import StringIO

from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from accounts.factories import UserFactory
from courses.factories import CohortFactory, CourseIndexPageFactory, CoursePageFactory, EnrolmentFactory
from courses.models import CourseInterest, EnrolmentStatus, FeeBand, Payment, PaymentMethod, PaymentStatus
from tests.conftest import make_site_home


def housekeeping():
    out = StringIO()
    call_command("courses_housekeeping", stdout=out)
    return out.getvalue()


class HousekeepingTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.course = CoursePageFactory(parent=CourseIndexPageFactory(parent=make_site_home()))
        cls.cohort = CohortFactory(course=cls.course, capacity=1)
        now = timezone.now()
        cls.held = EnrolmentFactory(
            cohort=cls.cohort,
            status=EnrolmentStatus.AWAITING_PAYMENT,
            fee_band=FeeBand.EXTERNAL,
            fee_pence=45000,
            payment_method=PaymentMethod.CARD,
            hold_expires_at=now - datetime.timedelta(minutes=1),
            confirmed_at=None,
        )
        cls.card = Payment.objects.create(enrolment=cls.held, method=PaymentMethod.CARD, amount_pence=45000)
        cls.waiting = EnrolmentFactory(
            cohort=cls.cohort,
            status=EnrolmentStatus.WAITLISTED,
            waitlisted_at=now - datetime.timedelta(hours=1),
            confirmed_at=None,
        )

    def test_a_lapsed_hold_is_released_and_the_seat_offered_to_the_next_waiting(self):
        output = housekeeping()

        self.held.refresh_from_db()
        self.waiting.refresh_from_db()
        self.card.refresh_from_db()
        self.assertEqual(self.held.status, EnrolmentStatus.CANCELLED)
        self.assertEqual(self.card.status, PaymentStatus.EXPIRED)
        self.assertEqual(self.waiting.status, EnrolmentStatus.OFFERED)
        self.assertGreater(self.waiting.offer_expires_at, timezone.now())
        self.assertIn("Expired payment holds: 1. Expired offers: 0.", output)

    def test_a_lapsed_offer_passes_on_and_a_second_run_changes_nothing(self):
        housekeeping()
        self.waiting.refresh_from_db()
        self.waiting.offer_expires_at = timezone.now() - datetime.timedelta(minutes=1)
        self.waiting.save()
        next_in_line = EnrolmentFactory(
            cohort=self.cohort, status=EnrolmentStatus.WAITLISTED, waitlisted_at=timezone.now(), confirmed_at=None
        )

        output = housekeeping()

        self.waiting.refresh_from_db()
        next_in_line.refresh_from_db()
        self.assertEqual(self.waiting.status, EnrolmentStatus.CANCELLED)
        self.assertEqual(next_in_line.status, EnrolmentStatus.OFFERED)
        self.assertIn("Expired payment holds: 0. Expired offers: 1.", output)
        self.assertIn("Expired payment holds: 0. Expired offers: 0.", housekeeping())

    def test_learners_who_registered_interest_hear_once_that_a_cohort_opened(self):
        other = CoursePageFactory(parent=self.course.get_parent())
        interest = CourseInterest.objects.create(user=UserFactory(), course=other)
        self.assertIn("Learners told a cohort has opened: 0.", housekeeping())

        CohortFactory(course=other)

        self.assertIn("Learners told a cohort has opened: 1.", housekeeping())
        interest.refresh_from_db()
        self.assertIsNotNone(interest.notified_at)
        self.assertIn("Learners told a cohort has opened: 0.", housekeeping())
