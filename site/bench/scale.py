"""Scale data for benchmarks: learners, cohorts, enrolments, exercise answers, certificates and content pages.

Everything is made with bulk inserts in batches, one transaction per batch, and is recognisable by a marker (learners'
emails `scale-learner-<n>@example.net`, cohort codes `SCL-`, page slugs `scale-`), so that running it again tops up to
the numbers asked for instead of adding them again. bulk_create sends no post_save, so no emails, PDFs or certificate
issuing run; created_at-style fields that Django stamps on insert are backdated afterwards with bulk_update.
Choices come from a seeded random generator, so the same numbers give the same data.
"""

import datetime
import random
import uuid
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import connections, models, router, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from wagtail.models import Page, Revision, Site
from wagtail.search.backends import get_search_backends

from allauth.account.models import EmailAddress

from accounts.models import Profile, User
from assessments.marking import answer_mark
from assessments.models import Answer, Attempt, AttemptStatus, CaseExercisePage, FeedbackRelease, StageSubmission
from assessments.selectors import exercise_stages
from certificates.models import Certificate, CertificateTemplate, certificate_code_new
from content.models import (
    ArticleIndexPage,
    ArticleKind,
    ArticlePage,
    ReportIndexPage,
    ReportSummaryPage,
    SafetyObservation,
    SafetyRecommendation,
    Topic,
)
from courses.models import (
    SEAT_STATUSES,
    Attendance,
    AttendanceMark,
    Cohort,
    CohortSession,
    CoursePage,
    Enrolment,
    EnrolmentStatus,
    FeeBand,
    PaymentMethod,
)

BATCH = 2000
PASSWORD = "scale-password"  # noqa: S105 (shared by every scale learner, for logging in during a benchmark)
EMAIL_PREFIX = "scale-learner-"
EMAIL_DOMAIN = "example.net"
COHORT_PREFIX = "SCL-"
PAGE_PREFIX = "scale-"
STAFF_EMAILS = ("course.lead@example.org", "admin@example.org")

FIRST_NAMES = (
    "Aisha Alex Amara Amir Anna Ben Bethany Callum Chen Chloe Daniel Deepa Eilidh Elena Emeka Fatima Finn Grace "
    "Hannah Harry Imran Isla Jack Jade Joseph Kate Kwame Laura Liam Mei Mohammed Nadia Niamh Oliver Omar Priya Rachel "
    "Ravi Rosa Sam Sarah Sophie Tom Uma Victoria Wei Yusuf Zara Zoe"
).split()
SURNAMES = (
    "Adeyemi Ahmed Ali Bailey Begum Bennett Brown Campbell Chowdhury Clarke Davies Evans Fraser Green Hall Hughes "
    "Hussain Jones Kaur Khan Kowalski Lewis Mensah Morgan Murphy Nguyen Okafor O'Brien Patel Phillips Price Roberts "
    "Robinson Shah Singh Smith Taylor Thomas Thompson Walker Ward Watson White Williams Wilson Wood Wright Young"
).split()
NHS_EMPLOYERS = [
    f"{place} {kind}"
    for place in "Northfield Eastbrook Westmere Southvale Harlow Kingsbridge Riverside Oakley Millbrook Ashford".split()
    for kind in ("Hospitals NHS Foundation Trust", "Community Health NHS Trust", "Integrated Care Board")
]
OTHER_EMPLOYERS = [
    "Harbour Independent Hospital",
    "Cardiff and Vale University Health Board",
    "NHS Lothian",
    "Belfast Health and Social Care Trust",
    "Meridian Private Healthcare",
    "Island Health Authority",
    "St Columba's Hospice",
]
JOB_ROLES = [
    "Patient safety specialist",
    "Staff nurse",
    "Ward manager",
    "Consultant anaesthetist",
    "Clinical governance lead",
    "Pharmacist",
    "Midwife",
    "Paramedic",
    "Risk manager",
    "Physiotherapist",
    "Quality improvement lead",
    "Foundation doctor",
]
FREE_TEXT_ANSWERS = [
    "The plan to hold the anticoagulant was written in the notes but not on the drug chart, so the night team had no "
    "prompt to check it. Handover happened at the busiest time of the shift and the electronic record did not flag "
    "the restart date.",
    "Several parts of the work system lined up: two versions of the policy on the intranet, a discharge checklist "
    "that did not ask about anticoagulants, and a weekend team working without the consultant's plan.",
    "Tools and technology: the prescribing system allowed a hold without a restart date. Organisation: responsibility "
    "for restarting moved between teams without anyone owning it. Tasks: the check was left to memory.",
    "The conditions made the missed restart likely for any nurse on that shift: the information was split across "
    "three places and the handover sheet had no field for it.",
]
MARKER_FEEDBACK = [
    "Good use of the SEIPS model, with evidence from the case for each component.",
    "Clear analysis of the work system. Say more about how the teams handed over responsibility.",
    "You name the conditions well; link each one to the evidence in the timeline.",
]
TOPIC_WORDS = [
    "medication safety",
    "handover",
    "deteriorating patients",
    "maternity care",
    "mental health inpatient care",
    "discharge planning",
    "diagnostic delay",
    "falls in hospital",
    "learning from deaths",
    "safety culture",
    "digital prescribing",
    "ambulance response",
    "infection prevention",
    "surgical safety",
    "community pharmacy",
]
SETTINGS_WORDS = [
    "an acute hospital",
    "a community trust",
    "an emergency department",
    "a maternity unit",
    "a mental health ward",
    "general practice",
    "an ambulance service",
    "a care home",
]


def _batches(items, size=BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Fields whose Python values every database driver takes as they are; the others go through Django's preparation.
_PLAIN = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey)


def insert_rows(model, rows: list[dict]) -> None:
    """INSERT rows (dicts of column attnames) with one executemany, for tables too big to build model instances for.

    Columns a row leaves out get the field's default (auto_now fields get now), as Model.save would; values are
    prepared with the fields' own get_db_prep_save, so SQLite and PostgreSQL store them as the ORM would.
    """
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    now = timezone.now()
    given = list(rows[0])
    fields = [model._meta.get_field(name) for name in given]
    missing = [
        field
        for field in model._meta.concrete_fields
        if field.attname not in given and not field.primary_key and field.name not in given
    ]
    constant, per_row = {}, []
    for field in missing:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            constant[field] = now
        elif field.has_default() and callable(field.default):
            per_row.append(field)
        else:
            constant[field] = field.get_default()
    columns = [*fields, *constant, *per_row]
    prepare = [None if isinstance(field, _PLAIN) else field for field in columns]
    constants = [
        value if prep is None else prep.get_db_prep_save(value, connection)
        for value, prep in zip(constant.values(), prepare[len(fields) : len(fields) + len(constant)], strict=True)
    ]
    params = []
    memo = {}  # many rows share a timestamp or a score: prepare each distinct one once

    def prepared(value, field):
        if field is None or value is None:
            return value
        if isinstance(value, dict | list):
            return field.get_db_prep_save(value, connection)
        key = (field, value)
        if key not in memo:
            memo[key] = field.get_db_prep_save(value, connection)
        return memo[key]

    for row in rows:
        values = [prepared(value, prep) for value, prep in zip(row.values(), prepare, strict=False)]
        values += constants
        values += [field.get_db_prep_save(field.get_default(), connection) for field in per_row]
        params.append(values)
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names from the model, quoted; values are params)
        quote(model._meta.db_table),
        ", ".join(quote(field.column) for field in columns),
        ", ".join(["%s"] * len(columns)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _rng(kind: str, salt: int) -> random.Random:
    return random.Random(f"seed-scale-{kind}-{salt}")  # noqa: S311 (data, not secrets)


def _person(n: int) -> str:
    return f"{FIRST_NAMES[(n * 7) % len(FIRST_NAMES)]} {SURNAMES[(n * 13 + n // 50) % len(SURNAMES)]}"


def learner_email(n: int) -> str:
    return f"{EMAIL_PREFIX}{n}@{EMAIL_DOMAIN}"


def learner_is_nhs(n: int) -> bool:
    """Seven in ten scale learners work for the NHS in England and have a verified nhs.net address as well."""
    return n % 10 < 7


def _learner_number(email: str) -> int:
    return int(email[len(EMAIL_PREFIX) : email.index("@")])


def scale_learners():
    return User.objects.filter(email__startswith=EMAIL_PREFIX, email__endswith="@" + EMAIL_DOMAIN)


def scale_cohorts():
    return Cohort.objects.filter(code__startswith=COHORT_PREFIX)


def scale_enrolments():
    return Enrolment.objects.filter(cohort__code__startswith=COHORT_PREFIX)


# --- Learners ----------------------------------------------------------------------------------------------------------


def learners_seed(*, target: int) -> int:
    """Scale learners 1..target that are missing, with a verified email (and an nhs.net one for NHS staff) and a profile."""
    have = {_learner_number(email) for email in scale_learners().values_list("email", flat=True)}
    missing = [n for n in range(1, target + 1) if n not in have]
    if not missing:
        return 0
    password = make_password(PASSWORD)  # hashed once: hashing 100,000 times would take hours
    now = timezone.now()
    for numbers in _batches(missing):
        with transaction.atomic():
            insert_rows(
                User,
                [
                    {
                        "email": learner_email(n),
                        "full_name": _person(n),
                        "password": password,
                        "date_joined": now - datetime.timedelta(days=(n * 17) % 1500, minutes=n % 1440),
                    }
                    for n in numbers
                ],
            )
            ids = dict(User.objects.filter(email__in=[learner_email(n) for n in numbers]).values_list("email", "pk"))
            addresses, profiles = [], []
            for n in numbers:
                user_id = ids[learner_email(n)]
                addresses.append({"user_id": user_id, "email": learner_email(n), "verified": True, "primary": True})
                if learner_is_nhs(n):
                    addresses.append(
                        {"user_id": user_id, "email": f"{EMAIL_PREFIX}{n}@nhs.net", "verified": True, "primary": False}
                    )
                employers = NHS_EMPLOYERS if learner_is_nhs(n) else OTHER_EMPLOYERS
                profiles.append(
                    {
                        "user_id": user_id,
                        "job_role": JOB_ROLES[n % len(JOB_ROLES)],
                        "organisation": employers[n % len(employers)],
                    }
                )
            insert_rows(EmailAddress, addresses)
            insert_rows(Profile, profiles)
    return len(missing)


# --- Cohorts -----------------------------------------------------------------------------------------------------------

# Seven in ten cohorts have finished, one in ten is running and two in ten are still to come.
PHASES = ["past", "running", "past", "future", "past", "past", "past", "future", "past", "past"]


def cohort_phase(n: int) -> str:
    return PHASES[(n - 1) % len(PHASES)]


def _cohort_start(n: int, today: datetime.date) -> datetime.date:
    phase = cohort_phase(n)
    if phase == "running":
        return today - datetime.timedelta(days=n % 14)  # three weekly sessions: started within the last fortnight
    if phase == "future":
        return today + datetime.timedelta(days=14 + (n * 13) % 330)
    return today - datetime.timedelta(days=21 + (n * 37) % 1400)


def courses_for_scale() -> tuple[list[CoursePage], CoursePage | None]:
    """The live courses, and the flagship: the one with a case exercise under it (else the first)."""
    courses = list(CoursePage.objects.live().order_by("path"))
    exercise = CaseExercisePage.objects.live().order_by("path").first()
    flagship = next((c for c in courses if exercise and exercise.path.startswith(c.path)), None)
    return courses, flagship or (courses[0] if courses else None)


def _course_for(n: int, courses, flagship) -> CoursePage:
    """Three cohorts in five are of the flagship course; the rest go round the other courses."""
    others = [course for course in courses if course.pk != flagship.pk]
    if not others or n % 5 in (1, 2, 3):
        return flagship
    return others[(n // 5) % len(others)]


def cohorts_seed(*, target: int) -> int:
    courses, flagship = courses_for_scale()
    if flagship is None:
        raise RuntimeError("No live course pages: run `manage.py seed_demo` first.")
    have = set(scale_cohorts().values_list("code", flat=True))
    missing = [n for n in range(1, target + 1) if f"{COHORT_PREFIX}{n:04d}" not in have]
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    for numbers in _batches(missing, 500):
        with transaction.atomic():
            cohorts = []
            for n in numbers:
                starts_on = _cohort_start(n, today)
                course = _course_for(n, courses, flagship)
                code = f"{COHORT_PREFIX}{n:04d}"
                cohorts.append(
                    Cohort(
                        course=course,
                        code=code,
                        starts_on=starts_on,
                        ends_on=starts_on + datetime.timedelta(weeks=2),
                        enrolment_opens_at=datetime.datetime.combine(
                            starts_on - datetime.timedelta(days=180), datetime.time(9), tz
                        ),
                        enrolment_closes_at=datetime.datetime.combine(
                            starts_on - datetime.timedelta(days=2), datetime.time(17), tz
                        ),
                        capacity=100 + (n * 7) % 41,
                        joining_instructions="Join ten minutes early to test your sound and camera.",
                        joining_link=f"https://meet.example.org/{code.lower()}",
                    )
                )
            cohorts = Cohort.objects.bulk_create(cohorts)
            if any(cohort.pk is None for cohort in cohorts):
                ids = dict(Cohort.objects.filter(code__in=[c.code for c in cohorts]).values_list("code", "pk"))
                for cohort in cohorts:
                    cohort.pk = ids[cohort.code]
            sessions = []
            for cohort in cohorts:
                modules = [block.value["title"] for block in cohort.course.outline] or ["Introduction"]
                morning = cohort.pk % 2 == 0
                for week in range(3):
                    sessions.append(
                        CohortSession(
                            cohort=cohort,
                            title=f"{week + 1}. {modules[week % len(modules)]}",
                            date=cohort.starts_on + datetime.timedelta(weeks=week),
                            start_time=datetime.time(9, 30) if morning else datetime.time(13, 30),
                            end_time=datetime.time(12, 30) if morning else datetime.time(16, 30),
                            sort_order=week + 1,
                        )
                    )
            CohortSession.objects.bulk_create(sessions)
            for backend in get_search_backends(with_auto_update=True):
                backend.add_bulk(Cohort, cohorts)
    return len(missing)


# --- Enrolments --------------------------------------------------------------------------------------------------------


def _status_for(phase: str, seat_free: bool, is_nhs: bool, r: float) -> str:
    if phase == "past":
        if not seat_free:
            return EnrolmentStatus.WITHDRAWN
        return (
            EnrolmentStatus.COMPLETED
            if r < 0.84
            else EnrolmentStatus.DID_NOT_COMPLETE
            if r < 0.93
            else EnrolmentStatus.WITHDRAWN
            if r < 0.98
            else EnrolmentStatus.CANCELLED
        )
    if phase == "running":
        if not seat_free:
            return EnrolmentStatus.WITHDRAWN
        return EnrolmentStatus.CONFIRMED if r < 0.94 else EnrolmentStatus.WITHDRAWN
    if not seat_free:
        return EnrolmentStatus.WAITLISTED
    if r < 0.82:
        return EnrolmentStatus.CONFIRMED
    if r < 0.90:
        return EnrolmentStatus.CONFIRMED if is_nhs else EnrolmentStatus.AWAITING_PAYMENT
    if r < 0.93:
        return EnrolmentStatus.OFFERED
    return EnrolmentStatus.WITHDRAWN


def _enrolment(cohort, user_id, n, status, rng, now, staff) -> dict:
    """An enrolment row as the enrolment flow would have left it, made at a time while enrolment was open."""
    nhs = learner_is_nhs(n)
    opened = max(cohort.enrolment_opens_at, now - datetime.timedelta(days=2000))
    closes = min(cohort.enrolment_closes_at, now)
    created = opened + (closes - opened) * rng.random()
    employers = NHS_EMPLOYERS if nhs else OTHER_EMPLOYERS
    starts = datetime.datetime.combine(cohort.starts_on, datetime.time(9), timezone.get_current_timezone())
    signed_off = status in (EnrolmentStatus.COMPLETED, EnrolmentStatus.DID_NOT_COMPLETE)
    waiting = status in (EnrolmentStatus.WAITLISTED, EnrolmentStatus.OFFERED)
    ended = status in (EnrolmentStatus.WITHDRAWN, EnrolmentStatus.CANCELLED)
    confirmed = status in (EnrolmentStatus.CONFIRMED, EnrolmentStatus.COMPLETED, EnrolmentStatus.DID_NOT_COMPLETE)
    return {
        "user_id": user_id,
        "cohort_id": cohort.pk,
        "status": status,
        "fee_band": FeeBand.FREE if nhs else FeeBand.EXTERNAL,
        "fee_pence": 0 if nhs else cohort.course.external_fee_pence,
        "fee_band_reason": (
            f"Free: your verified email {EMAIL_PREFIX}{n}@nhs.net is on an NHS England domain and you work for an NHS "
            "organisation in England."
            if nhs
            else "The fee applies because you have no verified email address on an NHS England domain (such as "
            "nhs.net). Add and verify your NHS email address to check for a free place."
        ),
        "declared_nhs_england_employer": nhs,
        "employer": employers[n % len(employers)],
        "payment_method": "" if nhs else (PaymentMethod.CARD if n % 3 else PaymentMethod.INVOICE),
        "created_at": created,
        "waitlisted_at": created if waiting else None,
        "offer_expires_at": now + datetime.timedelta(hours=12 + n % 36) if status == EnrolmentStatus.OFFERED else None,
        "hold_expires_at": (
            now + datetime.timedelta(hours=6 + n % 40) if status == EnrolmentStatus.AWAITING_PAYMENT else None
        ),
        "ended_at": min(created + datetime.timedelta(days=1 + n % 20), now) if ended else None,
        "confirmed_at": created + datetime.timedelta(minutes=1 if nhs else 60 + n % 600) if confirmed else None,
        "completion_recorded_by_id": staff if signed_off else None,
        "completion_recorded_at": starts + datetime.timedelta(weeks=2, days=1 + n % 5) if signed_off else None,
    }


def _attendance(enrolment_id, status, sessions, today, recorded_by, rng) -> list[dict]:
    """The register for the sessions held: those who completed attended them all, the others missed some."""
    held = [session for session in sessions if session.date <= today]
    marks = []
    for number, session in enumerate(held):
        if status == EnrolmentStatus.DID_NOT_COMPLETE and number > 0:
            mark = AttendanceMark.ABSENT
        else:
            mark = AttendanceMark.LATE if rng.random() < 0.05 else AttendanceMark.PRESENT
        marks.append(
            {
                "enrolment_id": enrolment_id,
                "session_id": session.pk,
                "mark": mark,
                "recorded_by_id": recorded_by,
                "recorded_at": datetime.datetime.combine(
                    session.date, session.end_time, timezone.get_current_timezone()
                ),
            }
        )
    return marks


def enrolments_seed(*, target: int) -> int:
    """Enrolments on the scale cohorts up to `target`: seats never above capacity, one active place per learner."""
    existing = scale_enrolments().count()
    needed = target - existing
    if needed <= 0:
        return 0
    learners = sorted(scale_learners().values_list("email", "pk"), key=lambda row: _learner_number(row[0]))
    learners = [(_learner_number(email), pk) for email, pk in learners]
    if not learners:
        return 0
    cohorts = list(scale_cohorts().select_related("course").prefetch_related("sessions").order_by("code"))
    now, today = timezone.now(), timezone.localdate()
    seats = dict(
        scale_cohorts()
        .annotate(n=Count("enrolments", filter=Q(enrolments__status__in=SEAT_STATUSES)))
        .values_list("pk", "n")
    )
    totals = dict(scale_cohorts().annotate(n=Count("enrolments")).values_list("pk", "n"))
    taken = set(scale_enrolments().values_list("user_id", "cohort_id"))
    staff = User.objects.filter(email__in=STAFF_EMAILS).order_by("email").values_list("pk", flat=True)
    lead = staff[1] if len(staff) > 1 else (staff[0] if staff else None)
    rng = _rng("enrolments", existing)

    def room(cohort) -> int:
        """How many more this cohort takes: its seats, plus a waiting list or a few who withdrew."""
        phase = cohort_phase(int(cohort.code[len(COHORT_PREFIX) :]))
        if phase == "future" and cohort.enrolment_opens_at > now:
            return 0
        extra = 20 if phase == "future" else 8
        return max(cohort.capacity + extra - totals.get(cohort.pk, 0), 0)

    # Cohorts still to come are the popular ones: two places a round each, against one for the others.
    plan = []
    rooms = {cohort.pk: room(cohort) for cohort in cohorts}
    while len(plan) < needed and any(rooms.values()):
        for cohort in cohorts:
            share = 2 if cohort_phase(int(cohort.code[len(COHORT_PREFIX) :])) == "future" else 1
            for _ in range(min(share, rooms[cohort.pk])):
                if len(plan) < needed:
                    plan.append(cohort)
                    rooms[cohort.pk] -= 1
    created = 0
    for chunk in _batches(plan):
        with transaction.atomic():
            enrolments = []
            for cohort in chunk:
                for _ in range(50):
                    n, user_id = learners[rng.randrange(len(learners))]
                    if (user_id, cohort.pk) not in taken:
                        break
                else:
                    continue
                taken.add((user_id, cohort.pk))
                phase = cohort_phase(int(cohort.code[len(COHORT_PREFIX) :]))
                seat_free = seats.get(cohort.pk, 0) < cohort.capacity
                status = _status_for(phase, seat_free, learner_is_nhs(n), rng.random())
                if status in SEAT_STATUSES:
                    seats[cohort.pk] = seats.get(cohort.pk, 0) + 1
                enrolments.append(_enrolment(cohort, user_id, n, status, rng, now, lead))
            insert_rows(Enrolment, enrolments)
            ids = {
                (user_id, cohort_id): pk
                for user_id, cohort_id, pk in Enrolment.objects.filter(
                    cohort_id__in={row["cohort_id"] for row in enrolments},
                    user_id__in={row["user_id"] for row in enrolments},
                ).values_list("user_id", "cohort_id", "pk")
            }
            sessions = {cohort.pk: list(cohort.sessions.all()) for cohort in chunk}
            register = []
            for row in enrolments:
                status = row["status"]
                starts_on = sessions[row["cohort_id"]][0].date if sessions[row["cohort_id"]] else today
                if status in (EnrolmentStatus.COMPLETED, EnrolmentStatus.DID_NOT_COMPLETE) or (
                    status == EnrolmentStatus.CONFIRMED and starts_on <= today
                ):
                    pk = ids[row["user_id"], row["cohort_id"]]
                    register += _attendance(pk, status, sessions[row["cohort_id"]], today, lead, rng)
            insert_rows(Attendance, register)
            created += len(enrolments)
    return created


# --- Exercise answers --------------------------------------------------------------------------------------------------


def _response(kind: str, question, rng, good: bool) -> dict:
    """An answer in the shape assessments.marking.answer_clean stores, right more often than not when `good`."""
    right = rng.random() < (0.8 if good else 0.4)
    if kind == "single_choice":
        choices = list(question["choices"])
        # Never a branching answer, so that every attempt takes the stages in order.
        allowed = [i for i, choice in enumerate(choices) if not choice.get("go_to_stage")]
        correct = [i for i in allowed if choices[i]["correct"]]
        return {"choice": correct[0] if right and correct else rng.choice(allowed)}
    if kind == "multiple_choice":
        choices = list(question["choices"])
        correct = [i for i, choice in enumerate(choices) if choice["correct"]]
        if right:
            return {"choices": correct}
        return {"choices": sorted(rng.sample(range(len(choices)), rng.randint(1, len(choices))))}
    if kind == "free_text":
        return {"text": rng.choice(FREE_TEXT_ANSWERS)}
    if kind in ("ranking", "timeline"):
        order = list(range(len(question["items"] if kind == "ranking" else question["events"])))
        if not right:
            rng.shuffle(order)
        return {"order": order}
    if kind == "categorise":
        categories = list(question["categories"])
        return {
            "placements": [
                categories.index(item["category"]) if right else rng.randrange(len(categories))
                for item in question["items"]
            ]
        }
    return {}


def scale_exercise() -> CaseExercisePage | None:
    _courses, flagship = courses_for_scale()
    if flagship is None:
        return None
    return CaseExercisePage.objects.live().descendant_of(flagship).order_by("path").first()


def answers_seed(*, target: int) -> int:
    """Attempts at the flagship course's case exercise by its scale learners, with `target` answers in all.

    Learners who completed have a marked (mostly passed) attempt; those who did not complete a marked or submitted
    one; learners on running cohorts are part way through. Free-text answers of marked attempts are marked by a lead.
    """
    exercise = scale_exercise()
    if exercise is None:
        return 0
    scale_answers = Answer.objects.filter(attempt__enrolment__cohort__code__startswith=COHORT_PREFIX)
    existing = scale_answers.count()
    needed = target - existing
    if needed <= 0:
        return 0
    revision = exercise.live_revision or exercise.latest_revision
    page = revision.as_object()
    stages = exercise_stages(page)
    if not any(stage.questions for stage in stages):
        return 0
    allowed = page.attempts_allowed or 1000
    used = defaultdict(int)
    for user_id, n in (
        Attempt.objects.filter(exercise=exercise).values_list("user_id").annotate(n=Count("pk")).order_by()
    ):
        used[user_id] = n
    busy = set(
        Attempt.objects.filter(exercise=exercise, status=AttemptStatus.IN_PROGRESS).values_list("user_id", flat=True)
    )
    attempted = set(Attempt.objects.filter(exercise=exercise).values_list("enrolment_id", flat=True))
    order = {
        EnrolmentStatus.COMPLETED: 0,
        EnrolmentStatus.DID_NOT_COMPLETE: 1,
        EnrolmentStatus.CONFIRMED: 2,
    }
    candidates = sorted(
        (
            e
            for e in scale_enrolments()
            .filter(cohort__course_id=exercise.get_parent().pk, status__in=list(order))
            .exclude(status=EnrolmentStatus.CONFIRMED, cohort__starts_on__gt=timezone.localdate())
            .select_related("cohort")
            .only("pk", "user_id", "status", "cohort__starts_on", "cohort__ends_on", "completion_recorded_at")
            if e.pk not in attempted
        ),
        key=lambda e: (order[e.status], e.pk),
    )
    staff = User.objects.filter(email__in=STAFF_EMAILS).order_by("email").values_list("pk", flat=True)
    marker = staff[1] if len(staff) > 1 else (staff[0] if staff else None)
    rng = _rng("answers", existing)
    now = timezone.now()
    tz = timezone.get_current_timezone()
    created = 0
    # A second pass gives a second attempt where the exercise allows one, should the first pass not reach the target.
    for _pass in range(2):
        for chunk in _batches(candidates, 500):
            if created >= needed:
                break
            with transaction.atomic():
                attempts, answer_sets, submissions = [], [], []
                for enrolment in chunk:
                    if created >= needed:
                        break
                    if used[enrolment.user_id] >= allowed:
                        continue
                    running = enrolment.status == EnrolmentStatus.CONFIRMED
                    if running and enrolment.user_id in busy:
                        continue
                    started = datetime.datetime.combine(
                        enrolment.cohort.starts_on + datetime.timedelta(days=rng.randint(0, 10)), datetime.time(19), tz
                    )
                    started = min(started, now - datetime.timedelta(hours=1))
                    good = enrolment.status == EnrolmentStatus.COMPLETED
                    # Learners on a running cohort have submitted some stages; the last partial attempt fits the target.
                    stage_count = rng.randint(1, len(stages)) if running else len(stages)
                    attempt = Attempt(
                        user_id=enrolment.user_id,
                        exercise=exercise,
                        revision=revision,
                        enrolment_id=enrolment.pk,
                        route=[stage.id for stage in stages[: min(stage_count + (1 if running else 0), len(stages))]],
                    )
                    attempt.started_at = started
                    answers, submitted = [], []
                    for stage in stages[:stage_count]:
                        for question in stage.questions:
                            if created + len(answers) >= needed:
                                break
                            response = _response(question.block_type, question.value, rng, good)
                            marked = answer_mark(question.block_type, question.value, response)
                            answers.append(
                                {
                                    "attempt_id": None,
                                    "stage_id": stage.id,
                                    "question_id": question.id,
                                    "response": response,
                                    "score": marked.score,
                                    "max_score": marked.max_score,
                                    "marker_feedback": "",
                                    "marked_by_id": None,
                                    "marked_at": None,
                                    "saved_at": None,
                                }
                            )
                        else:
                            submitted.append(stage.id)
                            continue
                        break
                    complete = len(submitted) == len(stages) and len(answers) > 0
                    submitted_at = started + datetime.timedelta(minutes=rng.randint(20, 180))
                    if complete and not running:
                        attempt.submitted_at = submitted_at
                        attempt.max_score = sum((a["max_score"] for a in answers), Decimal(0))
                        needs_marker = [a for a in answers if a["score"] is None]
                        if enrolment.status == EnrolmentStatus.DID_NOT_COMPLETE and rng.random() < 0.3:
                            attempt.status = AttemptStatus.SUBMITTED  # left in the marking queue
                        else:
                            for answer in needs_marker:
                                top = int(answer["max_score"])
                                answer["score"] = Decimal(rng.randint(top // 2 if good else 0, top))
                                answer["marker_feedback"] = rng.choice(MARKER_FEEDBACK)
                                answer["marked_by_id"] = marker
                                answer["marked_at"] = submitted_at + datetime.timedelta(days=rng.randint(1, 6))
                            attempt.status = AttemptStatus.MARKED
                            attempt.marked_at = max(
                                [a["marked_at"] for a in needs_marker if a["marked_at"]] or [submitted_at]
                            )
                            attempt.score = sum((a["score"] for a in answers), Decimal(0))
                            attempt.passed = attempt.score * 100 >= page.pass_mark_percent * attempt.max_score
                            if good and not attempt.passed:
                                # Completion needs the exercise passed: the marker found more in the written answer.
                                for answer in needs_marker:
                                    attempt.score += answer["max_score"] - answer["score"]
                                    answer["score"] = answer["max_score"]
                                attempt.passed = attempt.score * 100 >= page.pass_mark_percent * attempt.max_score
                            if page.feedback_release != FeedbackRelease.AFTER_MARKING or good:
                                attempt.released_at = attempt.marked_at
                    else:
                        # In progress: the submitted stages are final, the open stage may be partly saved.
                        if enrolment.user_id in busy:
                            continue
                        attempt.route = [stage.id for stage in stages[: min(len(submitted) + 1, len(stages))]]
                        if len(submitted) == len(stages):
                            submitted = submitted[:-1]
                        busy.add(enrolment.user_id)
                    used[enrolment.user_id] += 1
                    created += len(answers)
                    attempts.append(attempt)
                    answer_sets.append(answers)
                    submissions.append((submitted, submitted_at))
                columns = [f.attname for f in Attempt._meta.concrete_fields if not f.primary_key]
                insert_rows(Attempt, [{name: getattr(attempt, name) for name in columns} for attempt in attempts])
                # Each enrolment gets at most one new attempt a batch: the newest is the one just made.
                ids = dict(
                    Attempt.objects.filter(exercise=exercise, enrolment_id__in=[a.enrolment_id for a in attempts])
                    .order_by("pk")
                    .values_list("enrolment_id", "pk")
                )
                rows, stage_rows = [], []
                for attempt, answers, (submitted, when) in zip(attempts, answer_sets, submissions, strict=True):
                    attempt_id = ids[attempt.enrolment_id]
                    saved = attempt.submitted_at or min(when, now)
                    for answer in answers:
                        answer["attempt_id"], answer["saved_at"] = attempt_id, saved
                        rows.append(answer)
                    stage_rows += [
                        {"attempt_id": attempt_id, "stage_id": stage_id, "submitted_at": saved}
                        for stage_id in submitted
                    ]
                insert_rows(Answer, rows)
                insert_rows(StageSubmission, stage_rows)
        if created >= needed:
            break
    return created


# --- Certificates ------------------------------------------------------------------------------------------------------


def default_design_revision() -> Revision:
    design = CertificateTemplate.objects.filter(course__isnull=True).first()
    if design is None:
        design = CertificateTemplate.objects.create(
            name="Programme certificate",
            organisation_name="National Patient Safety Investigations",
            signatory_name="Dr Helen Marsh",
            signatory_role="Director of Education",
        )
    if design.latest_revision is None:
        design.save_revision()
    return design.latest_revision


def certificates_seed(*, target: int) -> int:
    """Certificates for completed scale enrolments without a valid one, as issuing on sign-off would have made them."""
    existing = Certificate.objects.filter(enrolment__cohort__code__startswith=COHORT_PREFIX).count()
    needed = target - existing
    if needed <= 0:
        return 0
    revision = default_design_revision()
    exercise = scale_exercise()
    passed = set()
    if exercise is not None:
        passed = set(Attempt.objects.filter(exercise=exercise, passed=True).values_list("enrolment_id", flat=True))
    candidates = (
        scale_enrolments()
        .filter(status=EnrolmentStatus.COMPLETED)
        .exclude(Exists(Certificate.objects.filter(enrolment=OuterRef("pk"), revoked_at__isnull=True)))
        .order_by("pk")
        .values_list("pk", "user_id", "cohort_id", "completion_recorded_at")
    )
    # Where the course has a case exercise, only learners who passed it meet the completion rule.
    exercise_course = exercise.get_parent().pk if exercise else None
    cohorts = {cohort.pk: cohort for cohort in scale_cohorts().select_related("course")}
    eligible = [row for row in candidates if cohorts[row[2]].course_id != exercise_course or row[0] in passed][:needed]
    names = dict(scale_learners().filter(pk__in={row[1] for row in eligible}).values_list("pk", "full_name"))
    codes = set(Certificate.objects.values_list("code", flat=True))
    created = 0
    for chunk in _batches(eligible):
        with transaction.atomic():
            certificates = []
            for enrolment_id, user_id, cohort_id, completed in chunk:
                code = certificate_code_new()
                while code in codes:
                    code = certificate_code_new()
                codes.add(code)
                cohort = cohorts[cohort_id]
                course = cohort.course
                completed = completed or timezone.now()
                certificates.append(
                    {
                        "enrolment_id": enrolment_id,
                        "user_id": user_id,
                        "code": code,
                        "learner_name": names[user_id],
                        "course_title": course.title,
                        "cohort_code": cohort.code,
                        "cohort_starts_on": cohort.starts_on,
                        "cohort_ends_on": cohort.ends_on,
                        "completed_on": timezone.localdate(completed),
                        "cpd_hours": course.cpd_hours,
                        "accreditation_body": course.accreditation_body,
                        "accreditation_reference": course.accreditation_reference,
                        "template_revision_id": revision.pk,
                        # Issued automatically a moment after the lead signed the learner off.
                        "issued_at": completed + datetime.timedelta(minutes=2),
                    }
                )
            insert_rows(Certificate, certificates)
            created += len(certificates)
    return created


# --- Content pages -----------------------------------------------------------------------------------------------------


def _index_pages():
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    root = site.root_page if site else Page.get_first_root_node()
    articles = ArticleIndexPage.objects.live().descendant_of(root).order_by("path").first()
    reports = ReportIndexPage.objects.live().descendant_of(root).order_by("path").first()
    return articles, reports


def scale_pages():
    return Page.objects.filter(slug__startswith=PAGE_PREFIX, depth__gte=3)


def _article(n: int, rng, images, topic_ids):
    kind = [ArticleKind.NEWS, ArticleKind.NEWS, ArticleKind.BLOG, ArticleKind.EVENT][n % 4]
    topic = TOPIC_WORDS[n % len(TOPIC_WORDS)]
    where = SETTINGS_WORDS[(n // 3) % len(SETTINGS_WORDS)]
    published = timezone.localdate() - datetime.timedelta(days=(n * 3) % 2200)
    titles = {
        ArticleKind.NEWS: f"New national learning on {topic} in {where}",
        ArticleKind.BLOG: f"What we learned about {topic} in {where}",
        ArticleKind.EVENT: f"Webinar: {topic} in {where}",
    }
    fields = {
        "title": f"{titles[kind]} ({n})",
        "slug": f"{PAGE_PREFIX}article-{n:05d}",
        "kind": kind,
        "publication_date": published,
        "teaser": f"How the conditions of work in {where} shape {topic}, and what teams elsewhere can learn from it.",
        "image_id": images[n % len(images)] if images and n % 2 else None,
        "body": [
            ("heading", {"text": "What happened", "level": "h2"}),
            (
                "rich_text",
                f"<p>Our investigators looked at {topic} across {where}. They found no one to blame: the risks came "
                "from how the work is organised, the tools people use and the pressure they work under.</p>"
                "<p>Teams told us what helps them work safely, and where the system makes that harder.</p>",
            ),
            ("quote", {"quote": "We look for learning, not for someone to blame.", "attribution": "Lead investigator"}),
        ],
    }
    if kind == ArticleKind.BLOG:
        fields.update(author_name=_person(n), author_role=JOB_ROLES[n % len(JOB_ROLES)], author_is_guest=n % 8 == 2)
    if kind == ArticleKind.EVENT:
        start = datetime.datetime.combine(published, datetime.time(13), timezone.get_current_timezone())
        fields.update(event_start=start, event_end=start + datetime.timedelta(hours=1, minutes=30), event_online=True)
    topics = [topic_ids[n % len(topic_ids)]] if topic_ids else []
    return ArticlePage(**fields), topics, []


def _report(n: int, rng, images, topic_ids):
    topic = TOPIC_WORDS[n % len(TOPIC_WORDS)]
    where = SETTINGS_WORDS[(n // 5) % len(SETTINGS_WORDS)]
    published = timezone.localdate() - datetime.timedelta(days=(n * 5) % 2500)
    page = ReportSummaryPage(
        title=f"{topic.capitalize()}: learning from an incident in {where} ({n})",
        slug=f"{PAGE_PREFIX}report-{n:05d}",
        reference=f"NIR/{published.year}/{n:04d}",
        publication_date=published,
        image_id=images[n % len(images)] if images and n % 3 == 0 else None,
        summary=f"An investigation of {topic} in {where}, the conditions that made harm more likely, and our "
        "safety recommendations.",
        event_in_brief=f"<p>A patient came to harm in {where}. The investigation looked at {topic} across the "
        "system of care rather than at the actions of one person.</p>",
        findings="<ul><li>Information needed for the decision was held in more than one place.</li>"
        "<li>Handover happened at the busiest point of the shift.</li>"
        "<li>Local policy and national guidance differed.</li></ul>",
        learning_prompts="<p>Where in your own service is the same information held in more than one place?</p>",
    )
    year = published.year
    recommendations = [
        SafetyRecommendation(
            code=f"R/{year}/{n:04d}-{i}",
            addressed_to=["NHS England", "the Care Quality Commission", "the Royal College of Nursing"][i],
            text=f"Work with partners to make the safe way of managing {topic} the easy way, in every setting.",
            sort_order=i,
        )
        for i in range(1 + n % 3)
    ]
    observations = [
        SafetyObservation(
            code=f"O/{year}/{n:04d}", text="Teams benefit from a shared view of the plan at handover.", sort_order=0
        )
    ]
    topics = [topic_ids[n % len(topic_ids)], topic_ids[(n + 3) % len(topic_ids)]] if topic_ids else []
    return page, sorted(set(topics)), [*recommendations, *observations]


def _add_pages(*, parent: Page, builders: list, model) -> list[int]:
    """Insert pages under `parent` with tree paths worked out here, published with one revision each.

    Wagtail's add_child and publish take dozens of queries a page; this takes a few per batch. The base rows go in with
    bulk_create; the specific rows are saved `raw`, as loaddata saves a multi-table child, so only their own table is
    written and no signal handler does work (the search index is brought up to date in bulk afterwards).
    """
    parent = Page.objects.get(pk=parent.pk)
    last = parent.get_last_child()
    position = last._get_lastpos_in_path() if last else 0
    content_type = ContentType.objects.get_for_model(model)
    now = timezone.now()
    tz = timezone.get_current_timezone()
    topics_field = model._meta.get_field("topics")
    through = topics_field.remote_field.through
    page_link = f"{topics_field.m2m_field_name()}_id"
    topic_link = f"{topics_field.m2m_reverse_field_name()}_id"
    page_type = ContentType.objects.get_for_model(Page)
    pks = []
    for chunk in _batches(builders, 250):
        with transaction.atomic():
            specifics, extras = [], []
            for page, topics, children in chunk:
                position += 1
                published = datetime.datetime.combine(page.publication_date, datetime.time(10), tz)
                page.path = Page._get_path(parent.path, parent.depth + 1, position)
                page.depth = parent.depth + 1
                page.numchild = 0
                page.url_path = f"{parent.url_path}{page.slug}/"
                page.draft_title = page.title
                page.content_type = content_type
                page.locale_id = parent.locale_id
                page.translation_key = uuid.uuid4()
                page.live = True
                page.has_unpublished_changes = False
                page.first_published_at = page.last_published_at = min(published, now)
                page.latest_revision_created_at = page.first_published_at
                specifics.append(page)
                extras.append((topics, children))
            base_fields = {f.attname: f for f in Page._meta.concrete_fields}
            bases = Page.objects.bulk_create(
                [Page(**{name: getattr(page, name) for name in base_fields if name != "id"}) for page in specifics]
            )
            if any(base.pk is None for base in bases):
                ids = dict(Page.objects.filter(path__in=[b.path for b in bases]).values_list("path", "pk"))
                for base in bases:
                    base.pk = ids[base.path]
            links, rows = [], []
            for page, base, (topics, children) in zip(specifics, bases, extras, strict=True):
                page.pk = page.page_ptr_id = base.pk
                page.save_base(raw=True, force_insert=True)
                links += [through(**{page_link: base.pk, topic_link: topic}) for topic in topics]
                for child in children:
                    child.page_id = base.pk
                    rows.append(child)
            through.objects.bulk_create(links)
            for child_model in {type(child) for child in rows}:
                child_model.objects.bulk_create([child for child in rows if type(child) is child_model])
            pages = list(model.objects.filter(pk__in=[b.pk for b in bases]).order_by("pk"))
            revisions = Revision.objects.bulk_create(
                [
                    Revision(
                        content_type=content_type,
                        base_content_type=page_type,
                        object_id=str(page.pk),
                        object_str=page.title,
                        content=page.serializable_data(),
                        approved_go_live_at=None,
                        created_at=page.first_published_at,
                    )
                    for page in pages
                ]
            )
            for page, revision in zip(pages, revisions, strict=True):
                page.latest_revision_id = page.live_revision_id = revision.pk
            Page.objects.bulk_update(pages, ["latest_revision", "live_revision"], batch_size=500)
            pks += [page.pk for page in pages]
    return pks


def pages_seed(*, target: int) -> int:
    """News and blog articles (three in five) and report summaries under the demo's indexes, up to `target`."""
    articles_index, reports_index = _index_pages()
    if articles_index is None or reports_index is None:
        raise RuntimeError("No news or report index page: run `manage.py seed_demo` first.")
    have = set(scale_pages().values_list("slug", flat=True))
    # The demo's own pictures, shared, so listings exercise image renditions without thousands of files.
    images = sorted(
        {
            *ArticlePage.objects.exclude(image=None).values_list("image_id", flat=True),
            *ReportSummaryPage.objects.exclude(image=None).values_list("image_id", flat=True),
        }
    )
    topic_ids = list(Topic.objects.order_by("pk").values_list("pk", flat=True))
    rng = _rng("pages", len(have))
    article_builders, report_builders = [], []
    for n in range(1, target + 1):
        if n % 5 in (1, 3, 4):
            if f"{PAGE_PREFIX}article-{n:05d}" not in have:
                article_builders.append(_article(n, rng, images, topic_ids))
        elif f"{PAGE_PREFIX}report-{n:05d}" not in have:
            report_builders.append(_report(n, rng, images, topic_ids))
    added = []
    if article_builders:
        added += _add_pages(parent=articles_index, builders=article_builders, model=ArticlePage)
    if report_builders:
        added += _add_pages(parent=reports_index, builders=report_builders, model=ReportSummaryPage)
    for index_page in (articles_index, reports_index):
        Page.objects.filter(pk=index_page.pk).update(numchild=Page.objects.child_of(index_page).count())
    for model in (ArticlePage, ReportSummaryPage):
        objects = list(model.objects.filter(pk__in=added))
        for backend in get_search_backends(with_auto_update=True):
            for chunk in _batches(objects, 500):
                backend.add_bulk(model, chunk)
    return len(added)


def scale_answer_count() -> int:
    return Answer.objects.filter(attempt__enrolment__cohort__code__startswith=COHORT_PREFIX).count()


def scale_certificate_count() -> int:
    return Certificate.objects.filter(enrolment__cohort__code__startswith=COHORT_PREFIX).count()
