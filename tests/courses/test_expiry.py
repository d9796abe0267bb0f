"""enrolments_expire: lapsed payment holds and offers free their seats, which pass to the next person waiting."""

import datetime

from django.core import mail

import pytest

from courses import selectors, services
from courses.factories import CohortFactory
from courses.models import Enrolment, EnrolmentStatus, PaymentStatus
from tests.courses.test_services import (
    assert_seats_invariant,
    card_payments,  # noqa: F401 - a fixture
    db_state,
    external_learner,
    fresh,
    make_course,
    nhs_learner,
    request_card,
    request_free,
    request_invoice,
    subjects_to,
)

pytestmark = pytest.mark.django_db

SECOND = datetime.timedelta(seconds=1)
OFFER = datetime.timedelta(hours=48)


@pytest.fixture
def cohort(home_page):
    return CohortFactory(course=make_course(home_page), capacity=1)


def test_a_lapsed_card_hold_is_cancelled_and_the_seat_offered_to_the_first_waiting(cohort, card_payments):  # noqa: F811
    payer = external_learner()
    held = fresh(request_card(cohort, payer))
    first_user, second_user = nhs_learner(), nhs_learner()
    first, second = request_free(cohort, first_user), request_free(cohort, second_user)
    mail.outbox.clear()
    now = held.hold_expires_at + SECOND

    assert services.enrolments_expire(now=now) == {"holds": 1, "offers": 0}

    held.refresh_from_db()
    assert held.status == EnrolmentStatus.CANCELLED
    assert held.ended_at == now and held.hold_expires_at is None
    assert held.payments.get().status == PaymentStatus.EXPIRED
    first.refresh_from_db()
    assert first.status == EnrolmentStatus.OFFERED
    assert first.offer_expires_at == now + OFFER
    assert fresh(second).status == EnrolmentStatus.WAITLISTED
    assert selectors.waitlist_position(enrolment=second) == 1
    assert subjects_to(first_user) == ["A place is available for you"]
    assert subjects_to(second_user) == []
    assert_seats_invariant(cohort)


def test_a_hold_lapses_at_its_expiry_time_and_not_before(cohort, card_payments):  # noqa: F811
    held = fresh(request_card(cohort, external_learner()))
    waiting = request_free(cohort, nhs_learner())
    before = db_state()
    assert services.enrolments_expire(now=held.hold_expires_at - SECOND) == {"holds": 0, "offers": 0}
    assert db_state() == before
    assert services.enrolments_expire(now=held.hold_expires_at) == {"holds": 1, "offers": 0}
    assert fresh(held).status == EnrolmentStatus.CANCELLED
    assert fresh(waiting).status == EnrolmentStatus.OFFERED


def test_a_lapsed_hold_with_nobody_waiting_frees_the_seat(cohort, card_payments):  # noqa: F811
    held = fresh(request_card(cohort, external_learner()))
    services.enrolments_expire(now=held.hold_expires_at + SECOND)
    assert selectors.cohort_places_left(cohort=cohort) == 1
    # The seat can be had again, by the same learner too.
    again = fresh(request_card(cohort, held.user))
    assert again.status == EnrolmentStatus.AWAITING_PAYMENT and again.pk != held.pk


def test_a_lapsed_offer_passes_to_the_next(cohort):
    leaver, first_user, second_user = nhs_learner(), nhs_learner(), nhs_learner()
    place = request_free(cohort, leaver)
    first, second = request_free(cohort, first_user), request_free(cohort, second_user)
    services.enrolment_withdraw(enrolment=place, user=leaver)
    first.refresh_from_db()
    assert first.status == EnrolmentStatus.OFFERED
    mail.outbox.clear()
    now = first.offer_expires_at + SECOND

    assert services.enrolments_expire(now=now) == {"holds": 0, "offers": 1}

    first.refresh_from_db()
    assert first.status == EnrolmentStatus.CANCELLED
    assert first.ended_at == now and first.offer_expires_at is None
    second.refresh_from_db()
    assert second.status == EnrolmentStatus.OFFERED
    assert second.offer_expires_at == now + OFFER
    assert subjects_to(second_user) == ["A place is available for you"]
    assert_seats_invariant(cohort)

    # The last offer lapses too: nobody is left to offer it to, and the seat is free.
    later = second.offer_expires_at + SECOND
    assert services.enrolments_expire(now=later) == {"holds": 0, "offers": 1}
    assert fresh(second).status == EnrolmentStatus.CANCELLED
    assert selectors.cohort_places_left(cohort=cohort) == 1


def test_an_accepted_offer_does_not_lapse(cohort):
    leaver, user = nhs_learner(), nhs_learner()
    place = request_free(cohort, leaver)
    waiting = request_free(cohort, user)
    services.enrolment_withdraw(enrolment=place, user=leaver)
    offer_ends = fresh(waiting).offer_expires_at
    services.offer_accept(enrolment=waiting, user=user)
    assert services.enrolments_expire(now=offer_ends + SECOND) == {"holds": 0, "offers": 0}
    assert fresh(waiting).status == EnrolmentStatus.CONFIRMED


def test_nothing_lapsed_changes_nothing(cohort, card_payments):  # noqa: F811
    held = fresh(request_card(cohort, external_learner()))
    request_free(cohort, nhs_learner())
    other = CohortFactory(course=cohort.course, capacity=1)
    request_invoice(other, external_learner())  # an invoice hold has no expiry
    request_free(other, nhs_learner())
    before = db_state()
    assert services.enrolments_expire(now=held.hold_expires_at - SECOND) == {"holds": 0, "offers": 0}
    assert services.enrolments_expire() == {"holds": 0, "offers": 0}
    assert db_state() == before


def test_expiry_runs_twice_without_changing_anything_more(cohort, card_payments):  # noqa: F811
    held = fresh(request_card(cohort, external_learner()))
    waiting = request_free(cohort, nhs_learner())
    now = held.hold_expires_at + SECOND
    services.enrolments_expire(now=now)
    after_first = db_state()
    assert services.enrolments_expire(now=now) == {"holds": 0, "offers": 0}
    assert db_state() == after_first
    assert fresh(waiting).status == EnrolmentStatus.OFFERED


def test_expiry_handles_several_cohorts_at_once(cohort, card_payments):  # noqa: F811
    other = CohortFactory(course=cohort.course, capacity=2)
    holds = [fresh(request_card(cohort, external_learner()))]
    holds += [fresh(request_card(other, external_learner())) for _ in range(2)]
    waiting_here = request_free(cohort, nhs_learner())
    waiting_there = [request_free(other, nhs_learner()) for _ in range(3)]
    now = max(e.hold_expires_at for e in holds) + SECOND

    assert services.enrolments_expire(now=now) == {"holds": 3, "offers": 0}

    assert fresh(waiting_here).status == EnrolmentStatus.OFFERED
    assert [fresh(e).status for e in waiting_there] == ["offered", "offered", "waitlisted"]
    assert selectors.waitlist_position(enrolment=waiting_there[2]) == 1
    for each in (cohort, other):
        assert_seats_invariant(each)
    assert Enrolment.objects.filter(status=EnrolmentStatus.CANCELLED).count() == 3
