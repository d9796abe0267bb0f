"""Reads that are more than a filter: seats, eligibility, the catalogue and a learner's enrolments."""

from dataclasses import dataclass

from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from allauth.account.models import EmailAddress

from .models import SEAT_STATUSES, Cohort, CoursePage, EligibilitySettings, Enrolment, EnrolmentStatus, FeeBand


def cohort_seats_taken(*, cohort: Cohort) -> int:
    return cohort.enrolments.filter(status__in=SEAT_STATUSES).count()


def cohort_places_left(*, cohort: Cohort) -> int:
    return max(cohort.capacity - cohort_seats_taken(cohort=cohort), 0)


def cohorts_with_places(queryset):
    """Annotate `seats_taken` so that listings show places left without a query per cohort."""
    return queryset.annotate(seats_taken=Count("enrolments", filter=Q(enrolments__status__in=SEAT_STATUSES)))


def waitlist_position(*, enrolment: Enrolment) -> int | None:
    if enrolment.status != EnrolmentStatus.WAITLISTED:
        return None
    ahead = Enrolment.objects.filter(cohort_id=enrolment.cohort_id, status=EnrolmentStatus.WAITLISTED).filter(
        Q(waitlisted_at__lt=enrolment.waitlisted_at) | Q(waitlisted_at=enrolment.waitlisted_at, pk__lt=enrolment.pk)
    )
    return ahead.count() + 1


@dataclass(frozen=True)
class FeeDecision:
    band: str
    fee_pence: int
    reason: str
    has_nhs_email: bool


def _verified_email_on(*, user, domain_test) -> str | None:
    for address in EmailAddress.objects.filter(user=user, verified=True).order_by("-primary", "pk"):
        if domain_test(address.email.rsplit("@", 1)[-1]):
            return address.email
    return None


def user_nhs_england_email(*, user) -> str | None:
    """The learner's first verified address on an NHS England domain, if any."""
    return _verified_email_on(user=user, domain_test=EligibilitySettings.load().is_nhs_england_domain)


def fee_band_decide(*, user, course: CoursePage, declared_nhs_england_employer: bool) -> FeeDecision:
    nhs_email = user_nhs_england_email(user=user)
    if nhs_email and declared_nhs_england_employer:
        return FeeDecision(
            FeeBand.FREE,
            0,
            _(
                "Free: your verified email %(email)s is on an NHS England domain and you work for an NHS organisation in England."
            )
            % {"email": nhs_email},
            True,
        )
    excluded_email = (
        None if nhs_email else _verified_email_on(user=user, domain_test=EligibilitySettings.load().is_excluded_domain)
    )
    if nhs_email:
        reason = _("The fee applies because you have not said that you work for an NHS organisation in England.")
    elif excluded_email:
        reason = _(
            "The fee applies because free places are funded for NHS staff in England, and your verified email "
            "%(email)s is on the domain of a health service outside England, not an NHS England domain."
        ) % {"email": excluded_email}
    elif (
        EmailAddress.objects.filter(user=user, verified=False).exists()
        and not EmailAddress.objects.filter(user=user, verified=True).exists()
    ):
        reason = _(
            "The fee applies because your email address is not verified yet. Verify it to check for a free place."
        )
    else:
        reason = _(
            "The fee applies because you have no verified email address on an NHS England domain (such as nhs.net). "
            "Add and verify your NHS email address to check for a free place."
        )
    return FeeDecision(FeeBand.EXTERNAL, course.external_fee_pence, reason, bool(nhs_email))


def next_open_cohort(*, course: CoursePage, now=None):
    now = now or timezone.now()
    return (
        cohorts_with_places(course.cohorts.filter(enrolment_opens_at__lte=now, enrolment_closes_at__gt=now))
        .order_by("starts_on")
        .first()
    )


def course_page_context(*, course: CoursePage, request) -> dict:
    now = timezone.now()
    cohorts = list(
        cohorts_with_places(course.cohorts.filter(ends_on__gte=timezone.localdate()))
        .prefetch_related("sessions")
        .order_by("starts_on")
    )
    for cohort in cohorts:
        cohort.places_left = max(cohort.capacity - cohort.seats_taken, 0)
        cohort.open_now = cohort.enrolment_opens_at <= now < cohort.enrolment_closes_at
    mine = {}
    if request.user.is_authenticated:
        mine = {
            e.cohort_id: e
            for e in Enrolment.objects.filter(user=request.user, cohort__course=course).exclude(
                status__in=[EnrolmentStatus.WITHDRAWN, EnrolmentStatus.CANCELLED]
            )
        }
    for cohort in cohorts:
        cohort.my_enrolment = mine.get(cohort.pk)
    return {
        "cohorts": cohorts,
        "has_open_cohort": any(c.open_now for c in cohorts),
        "vat_pence": course.vat_included_pence(course.external_fee_pence),
    }


def catalogue_entries(*, index_page, request) -> dict:
    from content.models import Topic

    from .models.pages import CoursePage as Course

    now = timezone.now()
    today = timezone.localdate()
    courses = (
        Course.objects.child_of(index_page)
        .live()
        .public()
        .annotate(next_start=Min("cohorts__starts_on", filter=Q(cohorts__starts_on__gte=today)))
        .prefetch_related("topics")
        .order_by("title")
    )
    topic = Topic.objects.filter(slug=request.GET.get("topic", "").replace("\x00", "")[:100]).first()
    if topic:
        courses = courses.filter(topics=topic)
    month = request.GET.get("month", "")
    selected_month = None
    if len(month) == 7 and month[:4].isascii() and month[:4].isdigit() and month[5:].isdigit() and month[4] == "-":
        year, mon = int(month[:4]), int(month[5:])
        if 1 <= mon <= 12:
            selected_month = month
            courses = courses.filter(cohorts__starts_on__year=year, cohorts__starts_on__month=mon).distinct()
    courses = list(courses)
    # Places left in each course's next cohort, in one query for the whole catalogue.
    next_cohorts = {}
    for cohort in cohorts_with_places(
        Cohort.objects.filter(course__in=[c.pk for c in courses], starts_on__gte=today)
    ).order_by("starts_on"):
        next_cohorts.setdefault(cohort.course_id, cohort)
    for course in courses:
        cohort = next_cohorts.get(course.pk)
        course.next_cohort = cohort
        course.next_places_left = max(cohort.capacity - cohort.seats_taken, 0) if cohort else None
        course.next_open = bool(cohort and cohort.enrolment_opens_at <= now < cohort.enrolment_closes_at)
    months = sorted(
        {
            d.strftime("%Y-%m")
            for d in Cohort.objects.filter(
                course__in=Course.objects.child_of(index_page).live(), starts_on__gte=today
            ).values_list("starts_on", flat=True)
        }
    )
    return {
        "courses": courses,
        "topics": Topic.objects.filter(coursepage__in=Course.objects.child_of(index_page).live()).distinct(),
        "months": months,
        "selected_topic": topic,
        "selected_month": selected_month,
    }


def learner_enrolments(*, user):
    return (
        Enrolment.objects.filter(user=user)
        .select_related("cohort", "cohort__course")
        .prefetch_related("cohort__sessions", "payments")
        .order_by("cohort__starts_on")
    )
