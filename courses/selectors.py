"""Reads that are more than a filter: seats, eligibility, the catalogue and a learner's enrolments."""

from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from allauth.account.models import EmailAddress

from .models import SEAT_STATUSES, Cohort, CoursePage, EligibilitySettings, Enrolment, EnrolmentStatus, FeeBand
from .models.pages import open_for_enrolment_q


def cohort_seats_taken(*, cohort: Cohort) -> int:
    return cohort.enrolments.filter(status__in=SEAT_STATUSES).count()


def cohort_places_left(*, cohort: Cohort) -> int:
    return max(cohort.capacity - cohort_seats_taken(cohort=cohort), 0)


def enrolments_counted(statuses) -> Coalesce:
    """A cohort's enrolments in these statuses, as an annotation on a cohort queryset.

    A count per cohort from the (cohort, status) index rather than a join with GROUP BY: on PostgreSQL the join read
    all 50,000 enrolments to count the 4,000 of a learner's 53 upcoming cohorts (18 ms against 2 ms)."""
    counted = Enrolment.objects.filter(cohort=OuterRef("pk"), status__in=statuses).order_by().values("cohort")
    return Coalesce(Subquery(counted.annotate(n=Count("*")).values("n"), output_field=IntegerField()), 0)


def cohorts_with_places(queryset):
    """Annotate `seats_taken` so that listings show places left without a query per cohort."""
    return queryset.annotate(seats_taken=enrolments_counted(SEAT_STATUSES))


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


# A course that runs all year has many dates ahead: the page shows the soonest, and all of them on request.
COURSE_PAGE_COHORTS = 8


def course_page_context(*, course: CoursePage, request) -> dict:
    now = timezone.now()
    current = course.cohorts.filter(ends_on__gte=timezone.localdate())
    show_all = request.GET.get("dates") == "all"
    listed = current
    if not show_all:
        # The soonest cohorts first, then seats counted for those alone: counting them for every current cohort of a
        # course that runs all year costs more than all the page's other queries together.
        soonest = current.order_by("starts_on", "pk").values("pk")[: COURSE_PAGE_COHORTS + 1]
        listed = Cohort.objects.filter(pk__in=soonest)
    cohorts = list(cohorts_with_places(listed).prefetch_related("sessions").order_by("starts_on", "pk"))
    more = not show_all and len(cohorts) > COURSE_PAGE_COHORTS
    cohorts = cohorts[:COURSE_PAGE_COHORTS] if more else cohorts
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
    # One small query on every page, so that the count stays the same however many cohorts there are.
    totals = current.aggregate(count=Count("pk"), open=Count("pk", filter=open_for_enrolment_q(now)))
    return {
        "cohorts": cohorts,
        "cohort_count": totals["count"],
        "more_cohorts": more,
        "has_open_cohort": totals["open"] > 0,
        "vat_pence": course.vat_included_pence(course.external_fee_pence),
    }


def catalogue_entries(*, index_page, request) -> dict:
    from content.models.privacy import public_pages
    from content.models.topics import topic_for_slug

    from .models.pages import CoursePage as Course

    now = timezone.now()
    today = timezone.localdate()
    upcoming = Cohort.objects.filter(starts_on__gte=today)
    courses = (
        public_pages(Course.objects.child_of(index_page).live())
        # Each course's next cohort by a subquery, so the catalogue reads one cohort per course, not every future one.
        .annotate(
            next_cohort_id=Subquery(upcoming.filter(course=OuterRef("pk")).order_by("starts_on", "pk").values("pk")[:1])
        )
        .prefetch_related("topics")
        .order_by("title")
    )
    topic = topic_for_slug(request.GET.get("topic", "").replace("\x00", "")[:100])
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
    next_cohorts = cohorts_with_places(Cohort.objects.filter(pk__in=[c.next_cohort_id for c in courses])).in_bulk()
    for course in courses:
        cohort = next_cohorts.get(course.next_cohort_id)
        course.next_cohort = cohort
        course.next_places_left = max(cohort.capacity - cohort.seats_taken, 0) if cohort else None
        course.next_open = bool(cohort and cohort.enrolment_opens_at <= now < cohort.enrolment_closes_at)
    return {
        "courses": courses,
        **index_page.filter_options(today=today),
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


# --- Course leads --------------------------------------------------------------------------------------------------------

# The learners on a cohort's roster: everyone holding a confirmed place, before or after sign-off.
ROSTER_STATUSES = [EnrolmentStatus.CONFIRMED, EnrolmentStatus.COMPLETED, EnrolmentStatus.DID_NOT_COMPLETE]
# The waiting list as a lead sees it: those in the queue and those with a place offered, not yet accepted.
WAITING_STATUSES = [EnrolmentStatus.OFFERED, EnrolmentStatus.WAITLISTED]


def user_runs_all_cohorts(*, user) -> bool:
    """Course administrators (and superusers) run every cohort; a course lead runs only those they lead."""
    return user.is_active and (user.is_superuser or user.has_perm("courses.change_cohort"))


def request_runs_cohorts(request) -> bool:
    """Whether the person runs any cohort. Several admin menu items ask on every admin page, so it is read once per
    request."""
    if not hasattr(request, "_runs_cohorts"):
        request._runs_cohorts = cohorts_for_staff(user=request.user).exists()
    return request._runs_cohorts


def cohorts_for_staff(*, user):
    """The cohorts whose dashboards, exports and actions this person may reach."""
    if not user.is_authenticated:
        return Cohort.objects.none()
    if user_runs_all_cohorts(user=user):
        return Cohort.objects.all()
    return Cohort.objects.filter(leads=user)


def roster_queryset(*, cohort: Cohort):
    """The roster in name order, with what a lead needs per learner joined in: to read whole or a page at a time.
    Who signed a learner off is joined only where it is shown (`cohort_roster(..., signed_off_by=True)`)."""
    return (
        cohort.enrolments.filter(status__in=ROSTER_STATUSES)
        .select_related("user", "user__profile")
        .order_by("user__full_name", "user__email", "pk")
    )


def cohort_roster(*, cohort: Cohort, signed_off_by: bool = False) -> list[Enrolment]:
    """The whole roster, in a fixed number of queries however many learners there are."""
    roster = roster_queryset(cohort=cohort)
    return list(roster.select_related("completion_recorded_by") if signed_off_by else roster)


def sessions_held(*, cohort: Cohort, today=None) -> list:
    today = today or timezone.localdate()
    return [session for session in cohort.sessions.all() if session.date <= today]


def attendance_summary(*, cohort: Cohort, enrolments, today=None) -> dict[int, dict]:
    """Per enrolment: sessions attended (present or late) of those held so far, and that as a percentage."""
    from .models import ATTENDED_MARKS, Attendance

    today = today or timezone.localdate()
    held = len(sessions_held(cohort=cohort, today=today))  # from the cohort's sessions when a view prefetched them
    attended = dict(
        Attendance.objects.filter(
            enrolment__in=[e.pk for e in enrolments], session__cohort=cohort, session__date__lte=today
        )
        .filter(mark__in=ATTENDED_MARKS)
        .values("enrolment")
        .annotate(n=Count("pk"))
        .values_list("enrolment", "n")
    )
    return {
        e.pk: {
            "attended": attended.get(e.pk, 0),
            "held": held,
            "percent": round(100 * attended.get(e.pk, 0) / held) if held else None,
        }
        for e in enrolments
    }


def completion_checks(*, cohort: Cohort, enrolments, attendance: dict | None = None) -> dict[int, list]:
    """Every part of the completion rule for each learner: attendance here, and what other apps register."""
    from .extensions import CompletionCheck, extra_completion_checks

    enrolments = list(enrolments)
    if not enrolments:  # nobody signed off yet, say: nothing to ask attendance or the other apps
        return {}
    attendance = attendance if attendance is not None else attendance_summary(cohort=cohort, enrolments=enrolments)
    threshold = cohort.course.attendance_threshold_percent
    extra = extra_completion_checks(cohort=cohort, enrolments=enrolments)
    # Translated once, not per learner: on a roster of hundreds that adds up.
    label = _("Attendance of at least %(threshold)d%%") % {"threshold": threshold}
    share, none_held = _("%(attended)d of %(held)d sessions held (%(percent)d%%)"), _("No sessions held yet")
    checks = {}
    for enrolment in enrolments:
        summary = attendance[enrolment.pk]
        detail = share % summary if summary["held"] else none_held
        # Judged on the exact share, not the rounded percentage shown: 2 of 3 is not 67%.
        met = bool(summary["held"]) and summary["attended"] * 100 >= threshold * summary["held"]
        checks[enrolment.pk] = [CompletionCheck(label, met, detail), *extra.get(enrolment.pk, [])]
    return checks


def waiting_and_pending(*, cohort: Cohort) -> tuple[list[Enrolment], list[Enrolment]]:
    """The waiting list (offers outstanding, then the queue in order; each waiting entry carries its `position`), and
    those awaiting payment (oldest first, with their payments), read together."""
    entries = list(
        cohort.enrolments.filter(status__in=[*WAITING_STATUSES, EnrolmentStatus.AWAITING_PAYMENT])
        .select_related("user")
        .order_by("-status", "waitlisted_at", "pk")
    )
    waiting = [entry for entry in entries if entry.status in WAITING_STATUSES]
    pending = sorted(
        (entry for entry in entries if entry.status == EnrolmentStatus.AWAITING_PAYMENT),
        key=lambda entry: (entry.created_at, entry.pk),
    )
    prefetch_related_objects(pending, "payments")
    position = 0
    for entry in waiting:
        if entry.status == EnrolmentStatus.WAITLISTED:
            position += 1
            entry.position = position
        else:
            entry.position = None
    return waiting, pending


def course_report(*, starts_from=None, starts_to=None, course=None) -> list[dict]:
    """Per cohort starting in the range: enrolments by band and status, fill, completion and income, in few queries."""
    from .models import Payment, PaymentStatus

    cohorts = Cohort.objects.select_related("course").order_by("course__title", "starts_on", "code")
    if starts_from:
        cohorts = cohorts.filter(starts_on__gte=starts_from)
    if starts_to:
        cohorts = cohorts.filter(starts_on__lte=starts_to)
    if course:
        cohorts = cohorts.filter(course=course)
    counts = {}
    for row in (
        Enrolment.objects.filter(cohort__in=cohorts)
        .values("cohort", "status", "fee_band")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts.setdefault(row["cohort"], []).append(row)
    income = {}
    for row in (
        Payment.objects.filter(enrolment__cohort__in=cohorts, status__in=[PaymentStatus.PAID, PaymentStatus.REFUNDED])
        .values("enrolment__cohort", "method")
        .annotate(paid=Sum("amount_pence"), refunded=Sum("refunded_pence"))
        .order_by()
    ):
        key = (row["enrolment__cohort"], row["method"])
        income[key] = (row["paid"] or 0) - (row["refunded"] or 0)
    rows = []
    for cohort in cohorts:
        by_status = dict.fromkeys(EnrolmentStatus.values, 0)
        by_band = dict.fromkeys(FeeBand.values, 0)
        for row in counts.get(cohort.pk, []):
            by_status[row["status"]] += row["n"]
            if row["status"] in SEAT_STATUSES:
                by_band[row["fee_band"]] += row["n"]
        seats = sum(by_status[status] for status in SEAT_STATUSES)
        signed_off = by_status[EnrolmentStatus.COMPLETED] + by_status[EnrolmentStatus.DID_NOT_COMPLETE]
        rows.append(
            {
                "cohort": cohort,
                "course": cohort.course,
                "by_status": by_status,
                "by_band": by_band,
                "seats": seats,
                "fill_percent": round(100 * seats / cohort.capacity) if cohort.capacity else None,
                "completion_percent": (
                    round(100 * by_status[EnrolmentStatus.COMPLETED] / signed_off) if signed_off else None
                ),
                "card_pence": income.get((cohort.pk, "card"), 0),
                "invoice_pence": income.get((cohort.pk, "invoice"), 0),
            }
        )
    return rows
