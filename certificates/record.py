"""Reads for a learner's CPD record: their certificates and logged activities, hours per year, and progress towards the
NMC's revalidation requirements over the three-year period.

The record loads in three queries whatever its size (certificates, activities, the revalidation date); every total is
worked out from those lists in Python, so the page, the CSV and the PDF always agree with each other.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from .models import Certificate, CPDActivity, CPDProfile

# What the NMC asks of a nurse or midwife over the three years before each revalidation.
NMC_HOURS = 35
NMC_PARTICIPATORY_HOURS = 20
NMC_REFLECTIONS = 5
PERIOD_YEARS = 3

ZERO = Decimal("0")


@dataclass(frozen=True)
class RevalidationPeriod:
    starts_on: datetime.date
    ends_on: datetime.date
    # True when counted back from the learner's own revalidation date; False for the three years up to today.
    from_revalidation_date: bool

    def __contains__(self, day: datetime.date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class Target:
    done: Decimal | int
    target: int

    @property
    def remaining(self) -> Decimal | int:
        return max(self.target - self.done, 0)

    @property
    def met(self) -> bool:
        return self.done >= self.target


@dataclass(frozen=True)
class RevalidationProgress:
    period: RevalidationPeriod
    hours: Target
    participatory_hours: Target
    reflections: Target

    @property
    def met(self) -> bool:
        return self.hours.met and self.participatory_hours.met and self.reflections.met


@dataclass
class YearTotal:
    year: int
    hours: Decimal = ZERO
    participatory_hours: Decimal = ZERO
    reflections: int = 0
    certificates: int = 0
    activities: int = 0


@dataclass(frozen=True)
class CPDRecord:
    certificates: list[Certificate]
    activities: list[CPDActivity]
    revalidation_due: datetime.date | None
    years: list[YearTotal] = field(default_factory=list)
    progress: RevalidationProgress | None = None
    # Shown as revoked (a revoked certificate shows as revoked everywhere), counted nowhere.
    revoked_certificates: list[Certificate] = field(default_factory=list)


def cpd_certificates(*, user) -> list[Certificate]:
    """All the learner's certificates, newest first; `cpd_record` sets the revoked ones apart, as they count for nothing."""
    return list(Certificate.objects.filter(user=user).order_by("-completed_on", "-pk"))


def cpd_activities(*, user) -> list[CPDActivity]:
    return list(CPDActivity.objects.filter(user=user).order_by("-date", "-pk"))


def cpd_revalidation_due(*, user) -> datetime.date | None:
    return CPDProfile.objects.filter(user=user).values_list("revalidation_due", flat=True).first()


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def revalidation_period(*, due: datetime.date | None, today: datetime.date) -> RevalidationPeriod:
    """The three years up to the revalidation date, or, when the learner has not given one, up to today.

    The period starts the day after the same date three years earlier, as the NMC counts from the last renewal.
    """
    ends_on = due or today
    return RevalidationPeriod(
        starts_on=_years_before(ends_on, PERIOD_YEARS) + datetime.timedelta(days=1),
        ends_on=ends_on,
        from_revalidation_date=due is not None,
    )


def cpd_hours_by_year(*, certificates: list[Certificate], activities: list[CPDActivity]) -> list[YearTotal]:
    """Totals per calendar year, newest first. A certificate's hours count as participatory: its courses are taught live."""
    years: dict[int, YearTotal] = {}
    for certificate in certificates:
        total = years.setdefault(certificate.completed_on.year, YearTotal(certificate.completed_on.year))
        total.hours += certificate.cpd_hours
        total.participatory_hours += certificate.cpd_hours
        total.certificates += 1
    for activity in activities:
        total = years.setdefault(activity.date.year, YearTotal(activity.date.year))
        total.hours += activity.hours
        if activity.participatory:
            total.participatory_hours += activity.hours
        if activity.has_reflection:
            total.reflections += 1
        total.activities += 1
    return [years[year] for year in sorted(years, reverse=True)]


def revalidation_progress(
    *, period: RevalidationPeriod, certificates: list[Certificate], activities: list[CPDActivity]
) -> RevalidationProgress:
    certificates = [c for c in certificates if c.completed_on in period]
    activities = [a for a in activities if a.date in period]
    certificate_hours = sum((c.cpd_hours for c in certificates), ZERO)
    hours = certificate_hours + sum((a.hours for a in activities), ZERO)
    participatory = certificate_hours + sum((a.hours for a in activities if a.participatory), ZERO)
    reflections = sum(1 for a in activities if a.has_reflection)
    return RevalidationProgress(
        period=period,
        hours=Target(hours, NMC_HOURS),
        participatory_hours=Target(participatory, NMC_PARTICIPATORY_HOURS),
        reflections=Target(reflections, NMC_REFLECTIONS),
    )


def cpd_record(*, user, today: datetime.date | None = None) -> CPDRecord:
    """Everything the record page and its exports show, in three queries."""
    today = today or timezone.localdate()
    every_certificate = cpd_certificates(user=user)
    certificates = [c for c in every_certificate if not c.is_revoked]
    activities = cpd_activities(user=user)
    due = cpd_revalidation_due(user=user)
    return CPDRecord(
        certificates=certificates,
        activities=activities,
        revalidation_due=due,
        revoked_certificates=[c for c in every_certificate if c.is_revoked],
        years=cpd_hours_by_year(certificates=certificates, activities=activities),
        progress=revalidation_progress(
            period=revalidation_period(due=due, today=today), certificates=certificates, activities=activities
        ),
    )
