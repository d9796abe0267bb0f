"""Demo courses for `seed_demo`: the catalogue, two courses, four cohorts and a few learners. Safe to run again.

Registered on content's "build_demo_content" hook (courses/wagtail_hooks.py), so content never imports courses.
Cohort dates are set relative to the day the demo is first built and are not moved on later runs.
"""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from wagtail.models import Site

from content.demo.builder import child, topics_named
from content.models import NavigationSettings

from .factories import CohortFactory, CohortSessionFactory, EnrolmentFactory
from .models import (
    Attendance,
    AttendanceMark,
    Cohort,
    CourseFormat,
    CourseIndexPage,
    CoursePage,
    Enrolment,
    EnrolmentStatus,
    FeeBand,
    Payment,
    PaymentMethod,
    PaymentStatus,
    VatStatus,
)

COURSE_LEAD_EMAIL = "course.lead@example.org"
ADMIN_EMAIL = "admin@example.org"

CATALOGUE = {
    "slug": "courses",
    "title": "Courses",
    "introduction": (
        "CPD-accredited online courses in the systems approach to patient safety, taught live by our "
        "safety-investigation experts. Free for NHS staff in England; open to fee-paying learners from elsewhere."
    ),
}

SYSTEMS_MODULES = [
    (
        "Why a systems approach",
        "Why incidents are rarely explained by one person's mistake, and what changes when an investigation looks "
        "for the conditions that shaped the work instead of someone to blame.",
    ),
    (
        "The work system: the SEIPS model",
        "Using the Systems Engineering Initiative for Patient Safety to describe the work system: the people, "
        "their tasks, tools and technology, the organisation and the internal and external environment.",
    ),
    (
        "Gathering evidence: conversations and observation",
        "Planning learning conversations with staff, patients and families; observing how work is done; and "
        "telling work-as-imagined apart from work-as-done.",
    ),
    (
        "Processes over time",
        "Building a timeline and a process map that show how the parts of the work system interacted as care "
        "unfolded, including the adaptations people made to keep patients safe.",
    ),
    (
        "From work system to outcomes",
        "Linking work-system factors to outcomes for patients, staff and the organisation, and testing the "
        "analysis against the evidence with the people who do the work.",
    ),
    (
        "Findings, safety recommendations and learning",
        "Writing findings that do not apportion blame, making safety recommendations aimed at the system, and "
        "sharing what was learned so that it reaches the people who can act on it.",
    ),
]

HUMAN_FACTORS_MODULES = [
    (
        "People, performance and error",
        "How attention, memory, fatigue and workload shape what people do, and why error is a symptom of the "
        "system rather than its cause.",
    ),
    (
        "Designing for safe work",
        "How the design of equipment, information, environments and procedures makes the right action easy and "
        "the wrong one hard.",
    ),
    (
        "Teams, communication and handover",
        "What helps teams keep a shared picture of the patient, speak up, and hand over care without losing what "
        "matters.",
    ),
]

COURSES = [
    {
        "slug": "systems-approach-patient-safety-incidents",
        "title": "A systems approach to investigating and learning from patient safety incidents",
        "summary": (
            "Learn to investigate patient safety incidents by looking at the whole work system rather than for "
            "someone to blame. Over six live online sessions, our safety-investigation experts take you from the "
            "SEIPS model through evidence gathering and analysis to findings and safety recommendations that lead "
            "to lasting improvement."
        ),
        "audience": (
            "<p>Anyone who leads, takes part in or learns from patient safety incident responses, for example:</p>"
            "<ul><li>patient safety specialists and incident investigators;</li>"
            "<li>clinical and operational leads who commission or review investigations;</li>"
            "<li>governance, quality and risk staff;</li>"
            "<li>staff in independent-sector and devolved-nation organisations adopting a systems approach.</li></ul>"
            "<p>No previous investigation training is needed.</p>"
        ),
        "learning_outcomes": (
            "<p>By the end of the course you will be able to:</p>"
            "<ul><li>explain why a systems approach gives more useful learning than a search for individual error;</li>"
            "<li>describe a work system with the SEIPS model;</li>"
            "<li>plan and hold learning conversations with staff, patients and families;</li>"
            "<li>analyse how work-system factors interacted to produce an outcome;</li>"
            "<li>write findings and safety recommendations that target the system.</li></ul>"
        ),
        "modules": SYSTEMS_MODULES,
        "time_commitment": "Six live online sessions of three hours, one a week, with short case exercises between them",
        "cpd_hours": 18,
        "accreditation_body": "The CPD Certification Service",
        "accreditation_reference": "CPD-SYS-0418",
        "completion_requirements": (
            "<p>To complete the course and receive your certificate you must:</p>"
            "<ul><li>attend at least 80% of the live sessions (five of the six);</li>"
            "<li>complete each of the case exercises.</li></ul>"
        ),
        "external_fee_pence": 45000,
        "topics": ["Education", "Systems thinking"],
        "session_times": (datetime.time(9, 30), datetime.time(12, 30)),
    },
    {
        "slug": "human-factors-essentials",
        "title": "Human factors essentials for patient safety",
        "summary": (
            "A short introduction to human factors for anyone working in healthcare: how people, tasks, equipment "
            "and the environment fit together, and how to use that understanding to make care safer."
        ),
        "audience": (
            "<p>Clinical and non-clinical staff who want a practical grounding in human factors before they take "
            "part in incident reviews or improvement work.</p>"
        ),
        "learning_outcomes": (
            "<ul><li>describe how human performance is shaped by the work system;</li>"
            "<li>recognise design features that make errors more or less likely;</li>"
            "<li>use simple human factors questions in everyday safety conversations.</li></ul>"
        ),
        "modules": HUMAN_FACTORS_MODULES,
        "time_commitment": "Three live online sessions of two hours, one a week",
        "cpd_hours": 6,
        "accreditation_body": "The CPD Certification Service",
        "accreditation_reference": "CPD-HFE-0212",
        "completion_requirements": "<p>Attend at least 80% of the live sessions (all three).</p>",
        "external_fee_pence": 15000,
        "topics": ["Education", "Human factors"],
        "session_times": (datetime.time(10, 0), datetime.time(12, 0)),
    },
]

# Learners who only appear as enrolments; they have no password and cannot sign in.
LEARNERS = {
    "aisha": ("Aisha Rahman", "aisha.rahman@example.com", "Riverside Independent Hospital"),
    "tom": ("Tom Whitfield", "tom.whitfield@example.com", "Glenview Care Group"),
    "grace": ("Grace Okoro", "grace.okoro@example.org", "NHS England (on secondment)"),
    "daniel": ("Daniel Price", "daniel.price@example.com", "Cardiff Bay Clinic"),
    "mei": ("Mei Lin", "mei.lin@example.com", "Lothian Private Healthcare"),
    "owen": ("Owen Hughes", "owen.hughes@example.com", "Snowdonia Community Care"),
    "fatima": ("Fatima Begum", "fatima.begum@example.com", "Harbour Independent Clinic"),
    "hannah": ("Hannah Scott", "hannah.scott@example.com", "Belfast Day Surgery"),
    "ravi": ("Ravi Patel", "ravi.patel@example.com", "Riverside Independent Hospital"),
    "nadia": ("Nadia Hussain", "nadia.hussain@nhs.net", "Leeds Teaching Hospitals NHS Trust"),
    "james": ("James Cole", "james.cole@mft.nhs.uk", "Manchester University NHS Foundation Trust"),
    "sophie": ("Sophie Turner", "sophie.turner@nhs.net", "NHS Kent and Medway ICB"),
}

# code, course slug, capacity, days from today: (enrolment opens, closes, starts), flagship?, enrolments
# An enrolment is (learner, kind, days ago) with kind one of: "paid" (external, invoice paid), "invoice"
# (external, invoice awaiting payment), "free" (NHS staff in England), "override" (free by an administrator's
# override) or "waiting". SYS-03 is running: its first session was held, with a register taken.
COHORTS = [
    (
        "SYS-01",
        COURSES[0]["slug"],
        20,
        (-14, 35, 42),
        [("aisha", "paid", 10), ("tom", "invoice", 6), ("grace", "override", 3)],
    ),
    (
        "SYS-02",
        COURSES[0]["slug"],
        2,
        (-30, 14, 21),
        [("daniel", "paid", 25), ("mei", "paid", 20), ("owen", "waiting", 8), ("fatima", "waiting", 5)],
    ),
    (
        "SYS-03",
        COURSES[0]["slug"],
        16,
        (-60, -10, -8),
        [
            ("hannah", "paid", 40),
            ("ravi", "paid", 33),
            ("nadia", "free", 30),
            ("james", "free", 28),
            ("sophie", "free", 21),
        ],
    ),
    ("HFE-01", COURSES[1]["slug"], 16, (-7, 28, 35), []),
]


def _page_fields(data):
    return {
        "title": data["title"],
        "summary": data["summary"],
        "audience": data["audience"],
        "learning_outcomes": data["learning_outcomes"],
        "outline": [("module", {"title": title, "description": text}) for title, text in data["modules"]],
        "course_format": CourseFormat.ONLINE_LIVE,
        "time_commitment": data["time_commitment"],
        "cpd_hours": data["cpd_hours"],
        "accreditation_body": data["accreditation_body"],
        "accreditation_reference": data["accreditation_reference"],
        "completion_requirements": data["completion_requirements"],
        "external_fee_pence": data["external_fee_pence"],
        "vat_status": VatStatus.EXEMPT,
    }


def build_course_pages(catalogue: CourseIndexPage) -> dict[str, CoursePage]:
    courses = {}
    for data in COURSES:
        existing = catalogue.get_children().filter(slug=data["slug"]).first()
        if existing:
            courses[data["slug"]] = existing.specific
            continue
        page = CoursePage(slug=data["slug"], **_page_fields(data))
        page.topics = topics_named(data["topics"])
        catalogue.add_child(instance=page)
        page.save_revision().publish()
        courses[data["slug"]] = page
    return courses


def _learner(key):
    name, email, _organisation = LEARNERS[key]
    User = get_user_model()
    user = User.objects.filter(email=email).first()
    return user or User.objects.create_user(email=email, password=None, full_name=name)


def _enrol(cohort, key, kind, days_ago, admin):
    now = timezone.now()
    created = now - datetime.timedelta(days=days_ago)
    course = cohort.course
    user = _learner(key)
    organisation = LEARNERS[key][2]
    common = {"user": user, "cohort": cohort, "employer": organisation}
    if kind == "waiting":
        return EnrolmentFactory(
            **common,
            status=EnrolmentStatus.WAITLISTED,
            fee_band=FeeBand.EXTERNAL,
            fee_pence=course.external_fee_pence,
            fee_band_reason="The fee applies: no verified email address on an NHS England domain.",
            payment_method=PaymentMethod.INVOICE,
            waitlisted_at=created,
            confirmed_at=None,
        )
    if kind == "free":
        return EnrolmentFactory(
            **common,
            status=EnrolmentStatus.CONFIRMED,
            fee_band=FeeBand.FREE,
            fee_pence=0,
            fee_band_reason="Free: a verified email on an NHS England domain and an NHS employer in England.",
            declared_nhs_england_employer=True,
            confirmed_at=created,
        )
    if kind == "override":
        return EnrolmentFactory(
            **common,
            status=EnrolmentStatus.CONFIRMED,
            fee_band=FeeBand.FREE,
            fee_pence=0,
            fee_band_reason="The fee applies: no verified email address on an NHS England domain.",
            band_override_reason="Employed by NHS England on secondment to a partner organisation; agreed by the course team.",
            band_overridden_by=admin,
            band_overridden_at=created,
            declared_nhs_england_employer=True,
            confirmed_at=created,
        )
    paid = kind == "paid"
    enrolment = EnrolmentFactory(
        **common,
        status=EnrolmentStatus.CONFIRMED if paid else EnrolmentStatus.AWAITING_PAYMENT,
        fee_band=FeeBand.EXTERNAL,
        fee_pence=course.external_fee_pence,
        fee_band_reason="The fee applies: no verified email address on an NHS England domain.",
        payment_method=PaymentMethod.INVOICE,
        confirmed_at=created if paid else None,
    )
    payment = Payment.objects.create(
        enrolment=enrolment,
        method=PaymentMethod.INVOICE,
        status=PaymentStatus.PAID if paid else PaymentStatus.PENDING,
        amount_pence=enrolment.fee_pence,
        vat_pence=course.vat_included_pence(enrolment.fee_pence),
        organisation=organisation,
        billing_contact=f"Accounts payable, {organisation}",
        billing_email="accounts@example.com",
        purchase_order=f"PO-{cohort.code}-{user.pk:04d}",
        paid_at=created if paid else None,
        marked_paid_by=admin if paid else None,
    )
    if paid:
        # The same form of receipt number as services.invoice_mark_paid gives.
        payment.receipt_number = f"RCP-{created:%Y}-{payment.pk:06d}"
        payment.save(update_fields=["receipt_number"])
    return enrolment


def take_first_register(cohort: Cohort, lead):
    """A running cohort's first session has its register taken: everyone present but the last learner, who was late."""
    first = cohort.sessions.order_by("date", "start_time").first()
    if first is None or first.date > timezone.localdate():
        return
    roster = list(cohort.enrolments.filter(status=EnrolmentStatus.CONFIRMED).order_by("pk"))
    for number, enrolment in enumerate(roster, 1):
        mark = AttendanceMark.LATE if number == len(roster) else AttendanceMark.PRESENT
        Attendance.objects.create(enrolment=enrolment, session=first, mark=mark, recorded_by=lead)


def build_cohorts(courses: dict[str, CoursePage]) -> list[Cohort]:
    User = get_user_model()
    lead = User.objects.filter(email=COURSE_LEAD_EMAIL).first()
    admin = User.objects.filter(email=ADMIN_EMAIL).first()
    now = timezone.now()
    today = timezone.localdate()
    cohorts = []
    for code, course_slug, capacity, (opens, closes, starts), enrolments in COHORTS:
        cohort = Cohort.objects.filter(code=code).first()
        if cohort is None:
            course = courses[course_slug]
            data = next(d for d in COURSES if d["slug"] == course_slug)
            starts_on = today + datetime.timedelta(days=starts)
            session_days = [starts_on + datetime.timedelta(weeks=week) for week in range(len(data["modules"]))]
            cohort = CohortFactory(
                course=course,
                code=code,
                capacity=capacity,
                starts_on=starts_on,
                ends_on=session_days[-1],
                enrolment_opens_at=now + datetime.timedelta(days=opens),
                enrolment_closes_at=now + datetime.timedelta(days=closes),
                joining_instructions=(
                    "Join from a quiet place with a headset. The link opens ten minutes before each session; "
                    "keep your camera on for the group work if you can."
                ),
                joining_link=f"https://meet.example.org/{code.lower()}",
            )
            start, end = data["session_times"]
            for number, ((title, _text), day) in enumerate(zip(data["modules"], session_days, strict=True), 1):
                CohortSessionFactory(
                    cohort=cohort,
                    title=f"{number}. {title}",
                    date=day,
                    start_time=start,
                    end_time=end,
                    sort_order=number,
                )
            for key, kind, days_ago in enrolments:
                enrolment = _enrol(cohort, key, kind, days_ago, admin)
                # created_at is set on insert; backdate it so the admin lists read like a real term.
                created = now - datetime.timedelta(days=days_ago)
                Enrolment.objects.filter(pk=enrolment.pk).update(created_at=created)
                enrolment.payments.update(created_at=created)
            take_first_register(cohort, lead)
        if lead and course_slug == COURSES[0]["slug"] and not cohort.leads.filter(pk=lead.pk).exists():
            cohort.leads.add(lead)
            cohort.save()
        cohorts.append(cohort)
    return cohorts


def link_catalogue(home, catalogue: CourseIndexPage):
    """Point the home page's education link and the "Courses" navigation link at the catalogue."""
    placeholder = home.get_children().filter(slug="education").first()
    if home.education_link_id in (None, getattr(placeholder, "pk", None)):
        home.education_link = catalogue
        home.save_revision().publish()

    nav = NavigationSettings.for_site(Site.objects.get(is_default_site=True))
    links = [(block.block_type, dict(block.value)) for block in nav.links]
    changed = False
    for _block_type, value in links:
        page = value.get("page")
        if placeholder is not None and page is not None and page.pk == placeholder.pk:
            value["page"] = catalogue
            changed = True
    if not any(value.get("page") and value["page"].pk == catalogue.pk for _type, value in links):
        links.insert(0, ("link", {"page": catalogue, "label": "Courses"}))
        changed = True
    if changed:
        nav.links = links
        nav.save()


def build_course_demo(home):
    """The demo catalogue under `home`, with its courses, cohorts, sessions and enrolments."""
    catalogue = child(
        home, CourseIndexPage, CATALOGUE["slug"], title=CATALOGUE["title"], introduction=CATALOGUE["introduction"]
    )
    courses = build_course_pages(catalogue)
    build_cohorts(courses)
    link_catalogue(home, catalogue)
    return catalogue
