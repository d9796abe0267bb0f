"""Every public and learner-facing form, and the course lead's, fed random input by Hypothesis: none may answer 5xx.

Inputs mix random text with the classic troublemakers: NUL characters, very long strings, unusual unicode (right-to-left
marks, emoji, combining marks, the replacement character), and bytes that are not UTF-8 at all in bodies and query
strings. Every request runs with a guard that fails, as PostgreSQL would, if a NUL character reaches the database, so
these SQLite runs catch the 500s that only PostgreSQL would raise. Each example runs in a savepoint that is rolled
back, so examples do not pile up state for the ones after them. The last test reports how many inputs were tried.
"""

import datetime
import os
import sys
import tempfile
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote, quote_from_bytes, urlencode

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from accounts.factories import TEST_PASSWORD, UserFactory
from assessments.factories import CaseExercisePageFactory, free_text, multiple_choice, ranking, single_choice, stage
from assessments.services import answers_save, attempt_start, stage_submit
from certificates.models import CPDActivity
from courses.factories import (
    CohortFactory,
    CohortSessionFactory,
    CourseIndexPageFactory,
    CoursePageFactory,
    EnrolmentFactory,
)
from tests.conftest import verified
from tests.content.helpers import make_group_member, make_superuser

from .hostile import as_strict_as_postgresql

# Hypothesis keeps caches beside the tests unless told otherwise: keep them, and no example database, out of the repo.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "safety-learning-hypothesis")

pytestmark = pytest.mark.django_db

# Inputs tried, by test, for the report at the end.
FUZZED: dict[str, int] = {}


def fuzz(examples: int):
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# Strategies -----------------------------------------------------------------------------------------------------------

TROUBLE = [
    "\x00",
    "a\x00b",
    "\x00" * 50,
    "x" * 10_001,
    "é" * 3_000,
    "\U0001f600" * 500,
    "\u202eevil\u202c",
    "\ufeff\u200b\u200d",
    "e\u0301\u0301\u0301",
    "\ufffd",
    "\uffff\U0010ffff",
    "   ",
    "\r\n\t",
    "0",
    "-1",
    "1e400",
    "NaN",
    "99999999999999999999999",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}}",
    "' OR 1=1 --",
    "%00",
    "../../etc/passwd",
]

# st.text() never makes lone surrogates (no HTTP client can send one as UTF-8); raw bytes below cover what they would.
text = st.one_of(st.text(max_size=300), st.sampled_from(TROUBLE), st.text(alphabet="\x00 a<>\"'&", max_size=40))
number_like = st.one_of(text, st.integers(-(10**6), 10**6).map(str), st.decimals(allow_nan=True).map(str))
extra_fields = st.dictionaries(st.text(max_size=20), text, max_size=3)
raw_bytes = st.one_of(
    st.binary(max_size=200), st.sampled_from([b"\xff\xfe", b"\xed\xa0\x80", b"\xc0\xaf", b"\x00\xff"])
)


def form(**fields):
    """Each field present or missing, random or troublesome, plus a few made-up fields."""
    return st.builds(
        lambda chosen, extra: {**extra, **chosen},
        st.fixed_dictionaries({}, optional=fields),
        extra_fields,
    )


def raw_form_body(names):
    """A form body with values that are not UTF-8 (and not always percent-encoded), as a broken client might send."""
    encoded = st.lists(st.tuples(st.sampled_from(names), raw_bytes), max_size=4).map(
        lambda pairs: "&".join(f"{name}={quote_from_bytes(value)}" for name, value in pairs).encode()
    )
    return st.one_of(encoded, raw_bytes)


# The world -------------------------------------------------------------------------------------------------------------


@pytest.fixture
def world(home_page):
    today = timezone.localdate()
    index = CourseIndexPageFactory(parent=home_page)
    course = CoursePageFactory(parent=index, title="A systems approach", external_fee_pence=45000)
    cohort = CohortFactory(
        course=course,
        code="SYS-F",
        starts_on=today - datetime.timedelta(days=3),
        ends_on=today + datetime.timedelta(days=30),
    )
    later = CohortFactory(course=course, code="SYS-G")
    session = CohortSessionFactory(cohort=cohort, date=today - datetime.timedelta(days=1))
    lead = make_group_member("Course leads", "lead@example.org")
    cohort.leads.add(lead)
    cohort.save()
    learner = verified(UserFactory(email="learner@example.org", full_name="Alex Learner"))
    enrolment = EnrolmentFactory(user=learner, cohort=cohort)
    # Someone to enrol from scratch, external so that the invoice form is asked.
    newcomer = verified(UserFactory(email="newcomer@example.org", full_name="Nia Newcomer"))
    exercise = CaseExercisePageFactory(
        parent=course,
        title="Anticoagulation withheld",
        stages=[
            stage("First", [single_choice(), multiple_choice(), free_text(), ranking()]),
            stage("Second", [free_text()]),
        ],
    )
    exercise.save_revision().publish()
    exercise.refresh_from_db()
    attempt = attempt_start(user=learner, exercise=exercise)
    # A second learner's submitted attempt, waiting in the lead's marking queue.
    marked_learner = UserFactory(email="sam@example.org", full_name="Sam Learner")
    EnrolmentFactory(user=marked_learner, cohort=cohort)
    to_mark = attempt_start(user=marked_learner, exercise=exercise.specific)
    first = exercise.stages[0]
    answers_save(
        attempt=to_mark,
        user=marked_learner,
        stage_id=first.id,
        answers={
            q.id: answer
            for q, answer in zip(
                first.value["questions"],
                [{"choice": 0}, {"choices": [0]}, {"text": "Two policies."}, {"order": [0, 1, 2]}],
                strict=True,
            )
        },
    )
    stage_submit(attempt=to_mark, user=marked_learner, stage_id=first.id)
    second = exercise.stages[1]
    answers_save(
        attempt=to_mark,
        user=marked_learner,
        stage_id=second.id,
        answers={second.value["questions"][0].id: {"text": "Staffing."}},
    )
    to_mark = stage_submit(attempt=to_mark, user=marked_learner, stage_id=second.id)
    activity = CPDActivity.objects.create(
        user=learner, title="Human factors webinar", activity_type="elearning", date=today, hours=1
    )
    return {
        "cohort": cohort,
        "later": later,
        "session": session,
        "lead": lead,
        "admin": make_superuser("root@example.org"),
        "learner": learner,
        "enrolment": enrolment,
        "newcomer": newcomer,
        "exercise": exercise,
        "attempt": attempt,
        "to_mark": to_mark,
        "activity": activity,
        "course": course,
    }


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def send(request, *, fuzzed=True):
    """One request, in a savepoint rolled back afterwards, as strict as PostgreSQL; counted when its input is fuzzed."""
    if fuzzed:
        test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]
        FUZZED[test] = FUZZED.get(test, 0) + 1
    cache.clear()  # rate limits and throttles would otherwise answer later examples with a 429 before any form ran
    with transaction.atomic():
        with as_strict_as_postgresql():
            response = request()
        transaction.set_rollback(True)
    assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, response
    return response


def post_raw(client, url, body: bytes):
    return client.generic("POST", url, body, content_type="application/x-www-form-urlencoded")


# Public forms ----------------------------------------------------------------------------------------------------------


@fuzz(36)
@given(data=form(full_name=text, email=st.one_of(st.emails(), text), password1=text, password2=text))
def test_sign_up(world, data):
    send(lambda: client_for().post("/account/signup/", data))


@fuzz(24)
@given(data=form(login=st.one_of(st.emails(), text), password=st.one_of(st.just(TEST_PASSWORD), text), remember=text))
def test_sign_in(world, data):
    send(lambda: client_for().post("/account/login/", data))


@fuzz(24)
@given(code=text, raw=raw_bytes)
def test_certificate_verification_lookup(world, code, raw):
    client = client_for()
    send(lambda: client.get(reverse("certificates:verify_form"), {"code": code}))
    send(lambda: client.get(reverse("certificates:verify_form") + "?code=" + quote_from_bytes(raw)))
    send(lambda: client.get("/certificates/verify/" + quote(code, safe="") + "/"))
    send(lambda: client.get("/certificates/verify/" + quote_from_bytes(raw, safe="") + "/"))


@fuzz(24)
@given(query=text, raw=raw_bytes, params=st.dictionaries(st.sampled_from(["page", "topic", "month", "dates"]), text))
def test_search_and_catalogue_query_strings(world, query, raw, params):
    client = client_for()
    send(lambda: client.get("/search/", {"q": query, **params}))
    send(lambda: client.get("/search/?q=" + quote_from_bytes(raw) + "&page=" + quote_from_bytes(raw)))
    send(lambda: client.get(world["course"].get_parent().url, params))
    send(lambda: client.get(world["course"].url, {"dates": query}))


# The learner's forms ----------------------------------------------------------------------------------------------------

PROFILE_FIELDS = {
    "full_name": text,
    "job_role": text,
    "organisation": text,
    "professional_body": st.one_of(st.sampled_from(["", "gmc", "nmc", "hcpc", "other"]), text),
    "professional_body_other": text,
    "registration_number": text,
}


@fuzz(30)
@given(data=form(**PROFILE_FIELDS), raw=raw_form_body(list(PROFILE_FIELDS)))
def test_profile(world, data, raw):
    client = client_for(world["learner"])
    send(lambda: client.post(reverse("accounts:profile"), data))
    send(lambda: post_raw(client, reverse("accounts:profile"), raw))


INVOICE_FIELDS = {
    "payment_method": st.one_of(st.sampled_from(["invoice", "card"]), text),
    "organisation": text,
    "billing_contact": text,
    "billing_email": st.one_of(st.emails(), text),
    "purchase_order": text,
}


@fuzz(24)
@given(
    declaration=form(works_for_nhs_england=st.one_of(st.sampled_from(["yes", "no"]), text), employer=text),
    invoice=form(**INVOICE_FIELDS),
)
def test_enrolment_declaration_and_invoice(world, declaration, invoice):
    client = client_for(world["newcomer"])
    code = world["cohort"].code

    def enrol():
        client.post(reverse("courses:enrol", args=[code]), declaration)
        # Whatever the declaration did, the check step is reached with a good one too, so the invoice form is fuzzed.
        client.post(reverse("courses:enrol", args=[code]), {"works_for_nhs_england": "no", "employer": "Acme"})
        return client.post(reverse("courses:enrol_check", args=[code]), invoice)

    send(enrol)


@fuzz(18)
@given(cohort=text, payment=text)
def test_my_learning_transfer_and_query(world, cohort, payment):
    client = client_for(world["learner"])
    enrolment = world["enrolment"].pk
    send(lambda: client.post(reverse("courses:transfer", args=[enrolment]), {"cohort": cohort}))
    send(lambda: client.get(reverse("courses:my_learning"), {"payment": payment}))


def cpd_fields():
    return {
        "title": text,
        "provider": text,
        "activity_type": st.one_of(st.sampled_from(["course", "elearning", "conference", "other"]), text),
        "date_day": number_like,
        "date_month": number_like,
        "date_year": number_like,
        "hours": number_like,
        "participatory": st.one_of(st.sampled_from(["yes", "no"]), text),
        "reflection_what": text,
        "reflection_learned": text,
        "reflection_practice": text,
        "reflection_code": text,
        "remove_evidence": text,
    }


evidence = st.builds(
    lambda name, content: SimpleUploadedFile(name or "x", content),
    st.one_of(text, st.sampled_from(["notes.txt", "a\x00b.pdf", "x" * 300 + ".pdf", "../../evil.pdf", ".pdf"])),
    st.binary(max_size=64),
)


@fuzz(30)
@given(data=form(**cpd_fields()), upload=st.one_of(st.none(), evidence), raw=raw_form_body(list(cpd_fields())))
def test_cpd_activity_add_and_edit(world, data, upload, raw):
    client = client_for(world["learner"])
    files = {"evidence": upload} if upload is not None else {}
    send(lambda: client.post(reverse("certificates:cpd_activity_add"), {**data, **files}))
    if upload is not None:
        upload.seek(0)
    edit = reverse("certificates:cpd_activity_edit", args=[world["activity"].pk])
    send(lambda: client.post(edit, {**data, **files}))
    send(lambda: post_raw(client, edit, raw))


@fuzz(18)
@given(
    data=form(revalidation_due_day=number_like, revalidation_due_month=number_like, revalidation_due_year=number_like)
)
def test_cpd_revalidation_date(world, data):
    send(lambda: client_for(world["learner"]).post(reverse("certificates:cpd_revalidation_date"), data))


@fuzz(36)
@given(
    values=st.lists(st.one_of(text, number_like), min_size=8, max_size=8),
    action=st.one_of(st.sampled_from(["save", "submit"]), text),
    stage_choice=st.one_of(st.just("first"), text),
    extra=extra_fields,
)
def test_exercise_answers(world, values, action, stage_choice, extra):
    exercise, attempt = world["exercise"], world["attempt"]
    first = exercise.stages[0]
    single, multiple, written, rank = (q.id for q in first.value["questions"])
    data = {
        **extra,
        "stage": first.id if stage_choice == "first" else stage_choice,
        "action": action,
        f"q-{single}": values[0],
        f"q-{multiple}": [values[1], values[2]],
        f"q-{written}": values[3],
        **{f"q-{rank}-{i}": values[4 + i] for i in range(3)},
        f"q-{rank}-x": values[7],
    }
    url = exercise.url + exercise.reverse_subpage("attempt", args=[attempt.pk])
    send(lambda: client_for(world["learner"]).post(url, data))


# The course lead's forms ------------------------------------------------------------------------------------------------


def dashboard(name, *args):
    return reverse(f"courses_cohort_dashboards:{name}", args=args)


@fuzz(18)
@given(mark=text, all_present=st.one_of(st.none(), text), extra=extra_fields)
def test_attendance_register(world, mark, all_present, extra):
    data = {**extra, f"mark_{world['enrolment'].pk}": mark}
    if all_present is not None:
        data["all_present"] = all_present
    url = dashboard("register", world["cohort"].pk, world["session"].pk)
    send(lambda: client_for(world["lead"]).post(url, data))


@fuzz(24)
@given(score=number_like, feedback=text, comments=st.lists(text, max_size=2), keep=st.one_of(st.none(), text))
def test_marking(world, score, feedback, comments, keep):
    attempt = world["to_mark"]
    data = {}
    for answer in attempt.answers.all():
        data.update({f"score_{answer.pk}": score, f"feedback_{answer.pk}": feedback, f"comments_{answer.pk}": comments})
        if keep is not None:
            data[f"keep_{answer.pk}"] = keep
    url = reverse("assessments_marking:mark", args=[attempt.pk])
    send(lambda: client_for(world["lead"]).post(url, data))


@fuzz(24)
@given(data=form(audience=st.one_of(st.sampled_from(["confirmed", "waitlisted"]), text), subject=text, body=text))
def test_cohort_message(world, data, django_capture_on_commit_callbacks):
    url = dashboard("message", world["cohort"].pk)

    def message():
        # The emails go out when the message is saved, as they would once the request's transaction commits.
        with django_capture_on_commit_callbacks(execute=True):
            return client_for(world["lead"]).post(url, data)

    send(message)


@fuzz(18)
@given(
    data=form(
        enrolments=st.lists(st.one_of(text, st.just(None)), max_size=2),
        outcome=st.one_of(st.sampled_from(["completed", "did_not_complete"]), text),
        override_reason=text,
    ),
    learner=text,
)
def test_sign_off(world, data, learner):
    data = {
        key: [world["enrolment"].pk if item is None else item for item in value] if key == "enrolments" else value
        for key, value in data.items()
    }
    url = dashboard("sign_off", world["cohort"].pk)
    client = client_for(world["lead"])
    send(lambda: client.get(url, {"learner": learner}))
    send(lambda: client.post(url, data))


@fuzz(18)
@given(
    data=form(joining_instructions=text, joining_link=st.one_of(text, st.just("javascript:alert(1)"))),
    employer=text,
    csv=st.one_of(
        st.binary(max_size=300),
        st.lists(st.tuples(text, st.one_of(st.emails(), text)), max_size=4).map(
            lambda rows: "\n".join(f"{name},{email}" for name, email in rows).encode("utf-8")
        ),
    ),
)
def test_joining_details_and_group_enrolment(world, data, employer, csv):
    client = client_for(world["lead"])
    send(lambda: client.post(dashboard("joining", world["cohort"].pk), data))
    upload = SimpleUploadedFile("group.csv", csv, content_type="text/csv")
    send(lambda: client.post(dashboard("bulk_enrol", world["cohort"].pk), {"employer": employer, "file": upload}))


@fuzz(12)
@given(query=text, raw=raw_bytes)
def test_admin_listing_searches(world, query, raw):
    client = client_for(world["admin"])
    for url in ["/admin/courses/enrolments/", "/admin/courses/payments/", "/admin/certificates/issued/"]:
        send(lambda url=url: client.get(url, {"q": query}))
    send(
        lambda: client.get("/admin/courses/enrolments/?" + urlencode({"status": query}) + "&q=" + quote_from_bytes(raw))
    )


# NUL characters and overlong values, field by field ---------------------------------------------------------------------
# The fuzzing above finds a NUL only by chance; these put one in every free-text field a person can fill, and check the
# form says why it refused rather than store it (PostgreSQL would answer a stored NUL with a server error).

NUL = "Two\x00policies"
NULL_MESSAGE = "Null characters are not allowed."


def nul_cases(world):
    today = timezone.localdate()
    cpd = {
        "title": "Webinar",
        "activity_type": "elearning",
        "date_day": today.day,
        "date_month": today.month,
        "date_year": today.year,
        "hours": "1",
        "participatory": "no",
    }
    profile = {"full_name": "Alex Learner"}
    cases = [
        (
            None,
            "/account/signup/",
            {"email": "n@example.org", "password1": "x7!Kq2#pLm", "password2": "x7!Kq2#pLm"},
            ["full_name"],
        ),
        (
            "learner",
            reverse("accounts:profile"),
            profile,
            ["full_name", "job_role", "organisation", "registration_number"],
        ),
        (
            "newcomer",
            reverse("courses:enrol", args=[world["cohort"].code]),
            {"works_for_nhs_england": "yes"},
            ["employer"],
        ),
        (
            "learner",
            reverse("certificates:cpd_activity_add"),
            cpd,
            ["title", "provider", "reflection_what", "reflection_code"],
        ),
        (
            "lead",
            dashboard("message", world["cohort"].pk),
            {"audience": "confirmed", "subject": "Hello", "body": "Hi"},
            ["subject", "body"],
        ),
    ]
    return [(who, url, {**base, field: NUL}, field) for who, url, base, fields in cases for field in fields]


def test_a_nul_character_in_any_free_text_field_is_refused_with_a_message(world):
    for who, url, data, field in nul_cases(world):
        client = client_for(world[who] if who else None)
        response = send(lambda client=client, url=url, data=data: client.post(url, data), fuzzed=False)
        assert response.status_code in (HTTPStatus.OK, HTTPStatus.BAD_REQUEST), (url, field, response.status_code)
        assert NULL_MESSAGE in response.content.decode(), (url, field)


def test_a_nul_character_in_the_invoice_details_is_refused_with_a_message(world):
    client = client_for(world["newcomer"])
    code = world["cohort"].code
    client.post(reverse("courses:enrol", args=[code]), {"works_for_nhs_england": "no", "employer": "Acme"})
    url = reverse("courses:enrol_check", args=[code])
    good = {
        "payment_method": "invoice",
        "organisation": "Acme",
        "billing_contact": "Kim",
        "billing_email": "kim@example.org",
        "purchase_order": "PO-1",
    }
    for name in ["organisation", "billing_contact", "billing_email", "purchase_order"]:
        data = {**good, name: NUL}
        response = send(lambda data=data: client.post(url, data), fuzzed=False)
        assert response.status_code == HTTPStatus.OK, name
        assert NULL_MESSAGE in response.content.decode() or "right format" in response.content.decode(), name
    assert not world["newcomer"].enrolments.exists()


def test_a_nul_character_in_a_written_answer_is_refused_with_a_message(world):
    exercise, attempt = world["exercise"], world["attempt"]
    first = exercise.stages[0]
    written = first.value["questions"][2].id
    url = exercise.url + exercise.reverse_subpage("attempt", args=[attempt.pk])
    response = send(
        lambda: client_for(world["learner"]).post(url, {"stage": first.id, f"q-{written}": NUL}), fuzzed=False
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "null character" in response.content.decode()
    assert not attempt.answers.filter(question_id=written).exists()


def test_marking_feedback_with_a_nul_character_is_refused(world):
    attempt = world["to_mark"]
    data = {}
    for answer in attempt.answers.filter(score__isnull=True):
        data.update({f"score_{answer.pk}": "1", f"feedback_{answer.pk}": NUL})
    url = reverse("assessments_marking:mark", args=[attempt.pk])
    response = send(lambda: client_for(world["lead"]).post(url, data), fuzzed=False)
    assert NULL_MESSAGE in response.content.decode()
    # Checked in Python: SQLite's LIKE stops reading a pattern at a NUL character.
    assert not any("\x00" in answer.marker_feedback for answer in attempt.answers.all())


def test_a_group_file_with_a_nul_character_or_an_overlong_name_is_refused(world):
    client = client_for(world["lead"])
    url = dashboard("bulk_enrol", world["cohort"].pk)
    for content, message in [
        (b"Kim\x00 Lee,kim@example.org\n", "The file must be a CSV file saved as UTF-8 text."),
        (f"{'K' * 201},kim@example.org\n".encode(), "200 characters or fewer"),
        (f"Kim Lee,{'k' * 250}@example.org\n".encode(), "254 characters or fewer"),
    ]:
        upload = SimpleUploadedFile("group.csv", content, content_type="text/csv")
        response = send(
            lambda upload=upload: client.post(url, {"employer": "Leeds Trust", "file": upload}), fuzzed=False
        )
        assert message in response.content.decode(), content
    assert not world["cohort"].enrolments.filter(user__email="kim@example.org").exists()


def test_an_overlong_billing_email_is_refused_with_a_message(world):
    client = client_for(world["newcomer"])
    code = world["cohort"].code
    client.post(reverse("courses:enrol", args=[code]), {"works_for_nhs_england": "no", "employer": "Acme"})
    data = {
        "payment_method": "invoice",
        "organisation": "Acme",
        "billing_contact": "Kim",
        "billing_email": "k" * 60 + "@" + ".".join(["a" * 60] * 4) + ".org",
        "purchase_order": "PO-1",
    }
    assert len(data["billing_email"]) > 254
    response = send(lambda: client.post(reverse("courses:enrol_check", args=[code]), data), fuzzed=False)
    assert response.status_code == HTTPStatus.OK
    assert "254 characters or fewer" in response.content.decode()
    assert not world["newcomer"].enrolments.exists()


def test_the_count_of_fuzzed_inputs(capsys):
    """The total is reported for the record (pytest shows it even with -q); every fuzz test that ran sent requests."""
    if not FUZZED:
        pytest.skip("no fuzz test ran in this session")
    total = sum(FUZZED.values())
    with capsys.disabled():
        sys.stdout.write(f"\n{total} fuzzed inputs over {len(FUZZED)} tests, none answered with a server error.\n")
    assert all(count > 0 for count in FUZZED.values()), FUZZED
