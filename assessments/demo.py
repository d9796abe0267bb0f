"""The demo case exercise for `seed_demo`, and the demo NHS learner's attempt at it. Safe to run again.

Registered on content's "build_demo_content" hook (assessments/wagtail_hooks.py), after courses has built the flagship
course and its cohorts. The attempt is made through the services, as a learner's would be.
"""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from content.demo.builder import child
from content.models import ReportSummaryPage
from courses.demo import COURSE_LEAD_EMAIL, COURSES
from courses.factories import EnrolmentFactory
from courses.models import Attendance, AttendanceMark, Cohort, CoursePage, Enrolment, EnrolmentStatus, FeeBand

from . import services
from .blocks import SEIPS_COMPONENTS
from .models import Attempt, CaseExercisePage, FeedbackRelease
from .selectors import attempt_stages, learner_enrolment_for

NHS_LEARNER_EMAIL = "nhs.learner@nhs.net"
RUNNING_COHORT = "SYS-03"
REPORT_SLUG = "medication-not-given-anticoagulation"
EXERCISE_SLUG = "anticoagulation-withheld-around-a-procedure"
EXERCISE_TITLE = "Anticoagulation withheld around a procedure"


def _choice(text, correct, feedback):
    return {"text": text, "correct": correct, "feedback": feedback}


def _branching_choice(text, correct, feedback, go_to_stage=None):
    return {**_choice(text, correct, feedback), "go_to_stage": go_to_stage}


# --- Stage 1 -----------------------------------------------------------------------------------------------------------

STAGE_1 = {
    "title": "Stage 1: the incident is reported",
    "narrative": [
        (
            "rich_text",
            "<p>A patient in their late seventies, who takes apixaban for atrial fibrillation, is admitted for a "
            "planned abdominal procedure. At the pre-assessment clinic the plan is to take the last dose three days "
            "before the procedure, and to restart apixaban once the surgical team is satisfied there is no bleeding."
            "</p>"
            "<p>The procedure goes as planned and the patient goes home four days later. Eleven days after that they "
            "come back to the emergency department with weakness down one side of the body and are treated for a "
            "stroke. A nurse on the stroke unit notices that apixaban is missing from the discharge letter and "
            "reports a patient safety incident. Under the trust's patient safety incident response plan, it is "
            "chosen for an investigation, and you join the investigation team.</p>"
            "<p>The records are held in different systems. This is what each of them says:</p>"
            "<ul>"
            "<li><strong>Emergency department record, day 15:</strong> admitted with a stroke; the medicines list "
            "brought by the family does not include apixaban.</li>"
            "<li><strong>Discharge letter, day 4:</strong> apixaban is listed under 'medicines withheld', with no "
            "instruction about restarting it.</li>"
            "<li><strong>Pre-assessment clinic letter, ten days before the procedure:</strong> last dose of "
            "apixaban three days before the procedure; restart 'when the surgical team is happy'.</li>"
            "<li><strong>Ward round note, day 2:</strong> a doctor covering two wards reviews the medicines chart, "
            "which shows apixaban as 'withheld: surgery'.</li>"
            "<li><strong>Operation note, day 0:</strong> 'restart apixaban 48 hours after the procedure if there "
            "is no bleeding'.</li>"
            "<li><strong>Electronic prescribing audit log, day 0:</strong> apixaban marked as withheld on "
            "admission, reason 'surgery'; no restart date entered.</li>"
            "</ul>",
        )
    ],
    "evidence": [],
    "questions": [
        (
            "single_choice",
            {
                "prompt": "What should this investigation set out to do?",
                "marks": 1,
                "feedback": (
                    "A patient safety investigation looks for the conditions that shaped the care, so that the work "
                    "system can be made safer. It does not find blame or liability."
                ),
                "choices": [
                    _branching_choice(
                        "Find out which member of staff was responsible for restarting the apixaban",
                        False,
                        "Stopping at the last person in the chain ends the enquiry just where it becomes useful, and "
                        "makes people less willing to talk openly about their work.",
                    ),
                    _branching_choice(
                        "Understand how the work system made it likely that the restart was missed",
                        True,
                        "Yes. A systems approach asks how the people, tasks, tools, organisation and environment "
                        "interacted, not who got it wrong.",
                    ),
                    _branching_choice(
                        "Decide whether the care given fell below the standard expected in law",
                        False,
                        "Questions of liability belong to other processes. Mixing them in makes learning harder.",
                    ),
                    _branching_choice(
                        "Confirm the clinical cause of the stroke",
                        False,
                        "The clinical picture matters to the patient and family, but the investigation's aim is to "
                        "understand the system that shaped the care.",
                    ),
                ],
            },
        ),
        (
            "timeline",
            {
                "prompt": "Using the records above, put these events in the order they happened.",
                "marks": 3,
                "feedback": (
                    "Building one timeline from several records is often the first piece of analysis: here it "
                    "shows that the plan to restart was written down on the day of the procedure but never reached "
                    "the chart that the ward and the discharge letter relied on."
                ),
                "events": [
                    {
                        "when": "10 days before, 14:20",
                        "what": "The pre-assessment clinic writes the plan to stop apixaban before the procedure",
                    },
                    {
                        "when": "Day 0, 07:30",
                        "what": "Apixaban is marked as withheld on the prescribing chart, with no restart date",
                    },
                    {
                        "when": "Day 0, 13:45",
                        "what": "The operation note records the plan to restart apixaban after 48 hours",
                    },
                    {
                        "when": "Day 2, 10:15",
                        "what": "A doctor covering two wards reviews the chart, which still shows apixaban withheld",
                    },
                    {
                        "when": "Day 4, 11:30",
                        "what": "The discharge letter lists apixaban as withheld, with no instruction to restart",
                    },
                    {
                        "when": "Day 15, 16:40",
                        "what": "The patient returns to the emergency department and is treated for a stroke",
                    },
                ],
            },
        ),
    ],
    "locked": True,
}


# --- Stage 2 -----------------------------------------------------------------------------------------------------------

STAGE_2 = {
    "title": "Stage 2: learning conversations",
    "narrative": [
        (
            "rich_text",
            "<p>The team brings the records together into one timeline and holds learning conversations with the "
            "staff involved and with the patient's family. Each conversation starts from how the work is usually "
            "done, not from what went wrong on the day.</p>",
        )
    ],
    "evidence": [
        (
            "timeline",
            {
                "title": "The combined timeline",
                "events": [
                    {
                        "when": "10 days before, 14:20",
                        "what": "Pre-assessment clinic. The plan is written in the clinic letter and the "
                        "pre-assessment record: last dose three days before; restart when the surgical team is happy.",
                    },
                    {"when": "3 days before", "what": "The patient takes the last dose at home, as planned."},
                    {
                        "when": "Day 0, 07:30",
                        "what": "Admission. Apixaban is marked 'withheld: surgery' on the electronic prescribing "
                        "chart. The restart date field is optional and left empty.",
                    },
                    {
                        "when": "Day 0, 13:45",
                        "what": "Procedure completed. The operation note says to restart apixaban after 48 hours if "
                        "there is no bleeding.",
                    },
                    {
                        "when": "Day 0, 20:00",
                        "what": "Evening handover is given by the on-call team; the operating surgeon is in theatre "
                        "with an emergency.",
                    },
                    {
                        "when": "Day 2, 10:15",
                        "what": "Weekend ward round by a doctor covering two wards, working from the handover sheet.",
                    },
                    {
                        "when": "Day 4, 11:30",
                        "what": "Discharge. The letter is built from the inpatient chart and lists apixaban as "
                        "withheld.",
                    },
                    {
                        "when": "Day 6",
                        "what": "The community pharmacy's next delivery leaves out apixaban, following the letter.",
                    },
                    {"when": "Day 15, 16:40", "what": "Readmission with a stroke."},
                ],
            },
        ),
        (
            "interview",
            {
                "who": "Pre-assessment nurse",
                "extract": "We write the plan in the clinic letter and in our own record. The ward can't see our "
                "record on their system, so we rely on the letter being in the notes on the day. For apixaban I "
                "write 'restart when the surgical team is happy', because it really does depend on the operation.",
            },
        ),
        (
            "interview",
            {
                "who": "Ward nurse in charge, day of admission",
                "extract": "When someone comes in on an anticoagulant we mark it as withheld so nobody gives it by "
                "mistake. You pick a reason from a list. There's a box for a restart date, but it isn't compulsory, "
                "and with six admissions in a morning I fill in what the system asks for.",
            },
        ),
        (
            "interview",
            {
                "who": "Surgical registrar",
                "extract": "Post-operative instructions go in the operation note; that's where we always put them. "
                "I'd normally say it at the evening handover too, but that night I was called to theatre and the "
                "on-call team handed over.",
            },
        ),
        (
            "interview",
            {
                "who": "Doctor covering the ward at the weekend",
                "extract": "I had two wards. My list for each patient came from the handover sheet, and the "
                "operation note is in a different part of the record. 'Withheld: surgery' reads like a decision "
                "someone has already made, not a job that's waiting for someone.",
            },
        ),
        (
            "interview",
            {
                "who": "Ward pharmacist",
                "extract": "There's no pharmacy cover on that ward at weekends. At discharge the check compares the "
                "letter with the inpatient chart, so anything withheld on the chart comes out withheld on the letter.",
            },
        ),
        (
            "interview",
            {
                "who": "Patient's daughter",
                "extract": "The letter said apixaban was 'withheld'. Dad took that to mean the hospital had stopped "
                "it, and the chemist stopped sending it. Nobody told us it was meant to start again.",
            },
        ),
    ],
    "questions": [
        (
            "multiple_choice",
            {
                "prompt": "From the learning conversations, which of these are conditions of the work system that "
                "made the missed restart more likely? Choose all that apply.",
                "marks": 4,
                "partial_credit": "per_answer",
                "feedback": (
                    "Four conditions of the work system stand out: where the plan was written, what the chart "
                    "allowed, how weekend cover was arranged, and what the discharge check compared. Judgements "
                    "about a person's care or attention are made with hindsight and explain nothing about the next "
                    "weekend."
                ),
                "choices": [
                    _choice(
                        "The restart plan was in the operation note, which the ward team did not routinely read",
                        True,
                        "Yes: the plan existed, but not where the people acting on it would see it.",
                    ),
                    _choice(
                        "The prescribing chart accepted a withheld medicine without a restart date or review",
                        True,
                        "Yes: the tool made 'withheld' look like a finished decision rather than an open task.",
                    ),
                    _choice(
                        "At weekends one doctor covered two wards, working from the handover sheet",
                        True,
                        "Yes: the organisation of cover shaped what information reached the ward round.",
                    ),
                    _choice(
                        "The discharge check compared the letter with the inpatient chart, not with the medicines "
                        "taken before admission",
                        True,
                        "Yes: the check could only confirm the chart, so it could not catch the gap.",
                    ),
                    _choice(
                        "The covering doctor did not take enough care over the chart",
                        False,
                        "This is a judgement about a person, made with hindsight. The doctor worked with the "
                        "information the system put in front of them.",
                    ),
                    _choice(
                        "The family did not ask about the apixaban",
                        False,
                        "The letter told the family the medicine was withheld, with nothing about restarting it. "
                        "Their reading of it was reasonable.",
                    ),
                ],
            },
        ),
        (
            "single_choice",
            {
                "prompt": "The surgical directorate suggests closing the investigation now: the patient is "
                "recovering, the covering doctor has reflected on the incident, and a reminder about the "
                "anticoagulation policy has gone to all junior doctors. What do you recommend?",
                "marks": 1,
                "feedback": (
                    "A reminder changes nothing about the conditions every weekend team works in. The value of the "
                    "investigation lies in the analysis that comes next."
                ),
                "choices": [
                    _branching_choice(
                        "Carry on: analyse how the restart plan moves between teams and systems before making findings",
                        True,
                        "Right. The conversations point to conditions that will be there for the next patient; the "
                        "next stage analyses them.",
                    ),
                    _branching_choice(
                        "Agree to close the investigation now and go straight to the report",
                        False,
                        "Closing here leaves the chart, the handover and the discharge check as they were. You go "
                        "straight to the report, without the analysis that would support its findings.",
                        go_to_stage=4,
                    ),
                ],
            },
        ),
    ],
    "locked": True,
}


# --- Stage 3 -----------------------------------------------------------------------------------------------------------

STAGE_3 = {
    "title": "Stage 3: analysing the work system",
    "narrative": [
        (
            "rich_text",
            "<p>The team maps how the plan to restart apixaban moved, or failed to move, between the pre-assessment "
            "clinic, theatre, the ward, the discharge letter and the community pharmacy. It then describes the work "
            "system with the SEIPS model and considers which safety actions would make the biggest difference.</p>",
        )
    ],
    "evidence": [
        (
            "interview",
            {
                "who": "Clinical lead for electronic prescribing",
                "extract": "The list of reasons for withholding a medicine was set up when the system went live. "
                "Making a restart date compulsory was discussed, but it was turned down because staff already see "
                "too many alerts. Nobody looked at anticoagulants on their own.",
            },
        ),
    ],
    "questions": [
        (
            "categorise",
            {
                "prompt": "Sort each factor into the SEIPS component it belongs to.",
                "marks": 6,
                "feedback": (
                    "Each component played a part, and they interacted: a chart that does not ask for a restart "
                    "date matters most when cover is thin and the plan lives in another part of the record."
                ),
                "categories": SEIPS_COMPONENTS,
                "items": [
                    {
                        "text": "The covering doctor had worked three long days in a row before the weekend",
                        "category": "Person",
                    },
                    {
                        "text": "Restarting a withheld medicine is a job with no owner and no due time",
                        "category": "Tasks",
                    },
                    {
                        "text": "The prescribing chart does not require a restart date for a withheld medicine",
                        "category": "Tools and technology",
                    },
                    {
                        "text": "Weekend medical and pharmacy cover is spread across two wards",
                        "category": "Organisation",
                    },
                    {
                        "text": "The ward round took place in a crowded bay with no computer at the bedside",
                        "category": "Internal environment",
                    },
                    {
                        "text": "No national guidance says how a plan to restart an anticoagulant should be shared "
                        "between care settings",
                        "category": "External environment",
                    },
                ],
            },
        ),
        (
            "ranking",
            {
                "prompt": "Rank these proposed safety actions from strongest to weakest.",
                "marks": 4,
                "feedback": (
                    "Actions that design the hazard out, or make the right step the easy one, are stronger than "
                    "checklists, which are stronger than reminders and training, which depend on people remembering "
                    "under the same pressures as before."
                ),
                "items": [
                    "Change the prescribing system so that a medicine cannot be withheld without a restart date or a "
                    "named review",
                    "Create one anticoagulation plan in the record that the clinic, theatre, the ward and the "
                    "discharge letter all draw from",
                    "Add withheld medicines to the discharge checklist, checked against the medicines taken before "
                    "admission",
                    "Send a reminder about the anticoagulation policy to all junior doctors",
                ],
            },
        ),
    ],
    "locked": True,
}


# --- Stage 4 -----------------------------------------------------------------------------------------------------------

STAGE_4 = {
    "title": "Stage 4: findings and safety recommendations",
    "narrative": [
        (
            "rich_text",
            "<p>The investigation team now writes its findings and safety recommendations. The report will be shared "
            "with the patient's family, the staff involved and the organisations that can act on it, so it must "
            "explain what happened without blaming anyone, and say what will make the system safer.</p>",
        )
    ],
    "evidence": [
        (
            "interview",
            {
                "who": "Patient's daughter, at the family meeting",
                "extract": "We don't want anyone punished. We want to know it won't happen to somebody else's dad.",
            },
        ),
    ],
    "questions": [
        (
            "free_text",
            {
                "prompt": "Write one finding about how the plan to restart apixaban was shared between the teams. "
                "Describe the conditions rather than the people, and say what evidence supports it.",
                "marks": 5,
                "marking_guide": (
                    "A good answer: (1) says the plan was recorded in several places (clinic letter, operation note, "
                    "prescribing chart, discharge letter) and no single record held the whole plan; (2) links this "
                    "to at least two SEIPS components, for example tools and technology (the chart accepts a "
                    "withhold without a restart date) and organisation (weekend cover across two wards, no weekend "
                    "pharmacist); (3) cites evidence from the timeline or the learning conversations; (4) uses roles, "
                    "not names, and avoids hindsight and blame ('should have', 'failed to'). One mark each for "
                    "points 1 to 3; up to two for point 4 and overall clarity."
                ),
                "feedback": (
                    "A strong finding describes how the plan was split across records and systems, names the "
                    "conditions that kept it from reaching the ward and the discharge letter, and rests on the "
                    "evidence gathered, in language the staff involved would recognise as fair."
                ),
            },
        ),
        (
            "single_choice",
            {
                "prompt": "Which of these is written as a safety recommendation aimed at the system?",
                "marks": 1,
                "feedback": (
                    "A safety recommendation is addressed to an organisation that can act on it, and changes the "
                    "conditions of the work rather than asking people to try harder."
                ),
                "choices": [
                    _branching_choice(
                        "Staff should take more care to read the operation note before a ward round",
                        False,
                        "This asks people to try harder under the same conditions, and uses the language of hindsight.",
                    ),
                    _branching_choice(
                        "The covering doctor completes a reflective account on the anticoagulation policy",
                        False,
                        "Reflection can help one person, but it leaves the system as it was for everyone else.",
                    ),
                    _branching_choice(
                        "The trust changes its prescribing system so that every withheld anticoagulant has a restart "
                        "date or a named review, visible to every team caring for the patient",
                        True,
                        "Yes: it is addressed to the organisation, and it changes the tool that everyone relies on.",
                    ),
                    _branching_choice(
                        "All staff are reminded that apixaban must be restarted after surgery",
                        False,
                        "Reminders fade, and this one would not reach the next covering doctor at the moment it "
                        "matters.",
                    ),
                ],
            },
        ),
    ],
    "locked": True,
}

EXERCISE = {
    "title": EXERCISE_TITLE,
    "introduction": (
        "<p>A patient's anticoagulant is withheld before a planned procedure and is not restarted afterwards. Work "
        "through the investigation as the evidence arrives: the incident report, learning conversations with the "
        "people involved, an analysis of the work system and, finally, findings and safety recommendations.</p>"
        "<p>There is no one to blame in this case. Each stage asks what the work system made likely.</p>"
    ),
    "stages": [("stage", STAGE_1), ("stage", STAGE_2), ("stage", STAGE_3), ("stage", STAGE_4)],
}

# The demo learner's attempt: stage 1 answered and submitted, stage 2's first question saved.
STAGE_1_ANSWERS = [{"choice": 1}, {"order": [0, 1, 2, 3, 4, 5]}]
STAGE_2_SAVED = [{"choices": [0, 1, 2]}, None]


def build_exercise(course: CoursePage, report: ReportSummaryPage | None) -> CaseExercisePage:
    page = child(
        course,
        CaseExercisePage,
        EXERCISE_SLUG,
        title=EXERCISE["title"],
        introduction=EXERCISE["introduction"],
        pass_mark_percent=60,
        attempts_allowed=2,
        counts_towards_completion=True,
        feedback_release=FeedbackRelease.ON_SUBMISSION,
        report=report,
        stages=EXERCISE["stages"],
    )
    # Fresh from the database: publishing updates the stored page, not the instance that child() made.
    return CaseExercisePage.objects.get(pk=page.pk)


def enrol_free(user, cohort: Cohort, *, days_ago: int) -> Enrolment:
    """A free, confirmed place for an NHS learner, as the enrolment flow would have made it `days_ago` days ago."""
    joined = timezone.now() - datetime.timedelta(days=days_ago)
    profile = getattr(user, "profile", None)
    enrolment = EnrolmentFactory(
        user=user,
        cohort=cohort,
        employer=getattr(profile, "organisation", "") or "Northfield Hospitals NHS Foundation Trust",
        status=EnrolmentStatus.CONFIRMED,
        fee_band=FeeBand.FREE,
        fee_pence=0,
        fee_band_reason="Free: a verified email on an NHS England domain and an NHS employer in England.",
        declared_nhs_england_employer=True,
        confirmed_at=joined,
    )
    Enrolment.objects.filter(pk=enrolment.pk).update(created_at=joined)
    return enrolment


def enrol_on_running_cohort(user) -> Enrolment | None:
    """A free, confirmed place on the running cohort, present at its first session like the rest of the cohort."""
    cohort = Cohort.objects.filter(code=RUNNING_COHORT).first()
    if cohort is None or cohort.enrolments.filter(user=user).exists():
        return None
    enrolment = enrol_free(user, cohort, days_ago=26)
    first = cohort.sessions.order_by("date", "start_time").first()
    # Only where the register was taken, so the demo register still covers everyone on the cohort.
    if first is not None and first.attendance.exists():
        lead = get_user_model().objects.filter(email=COURSE_LEAD_EMAIL).first()
        Attendance.objects.create(enrolment=enrolment, session=first, mark=AttendanceMark.PRESENT, recorded_by=lead)
    return enrolment


def start_attempt(user, exercise: CaseExercisePage) -> Attempt | None:
    """Stage 1 answered and submitted, stage 2 partly answered and saved: an attempt to carry on with."""
    if Attempt.objects.filter(user=user, exercise=exercise).exists():
        return None
    if learner_enrolment_for(user=user, exercise=exercise) is None:
        return None
    attempt = services.attempt_start(user=user, exercise=exercise)
    first, second = attempt_stages(attempt)[:2]
    for stage, answers, submit in [(first, STAGE_1_ANSWERS, True), (second, STAGE_2_SAVED, False)]:
        responses = {q.id: answer for q, answer in zip(stage.questions, answers, strict=True) if answer}
        services.answers_save(attempt=attempt, user=user, stage_id=stage.id, answers=responses)
        if submit:
            attempt = services.stage_submit(attempt=attempt, user=user, stage_id=stage.id)
    return attempt


def build_assessment_demo(home):
    """The anticoagulation case exercise under the flagship course, and the demo NHS learner's attempt at it."""
    course = CoursePage.objects.descendant_of(home).filter(slug=COURSES[0]["slug"]).first()
    if course is None:
        return
    report = ReportSummaryPage.objects.descendant_of(home).filter(slug=REPORT_SLUG).first()
    exercise = build_exercise(course.specific, report)
    learner = get_user_model().objects.filter(email=NHS_LEARNER_EMAIL).first()
    if learner is None:
        return
    enrol_on_running_cohort(learner)
    start_attempt(learner, exercise)
