"""Every URL the resolver knows, requested by every role, against the access table below; CSRF on every state change.

The roles (tests/security/world.py): anonymous, a learner on cohort A, another learner, an editor, a moderator, the
course lead of cohort A, the lead of cohort B, a course administrator and a superuser, every member of staff with an
authenticator app. Each role GETs every case of every route (follow=False) and the outcome must be the table's:

    ok        200
    login     a redirect to the sign-in page
    no_admin  Wagtail refusing someone signed in without admin access (to the sign-in page, with its message)
    denied    Wagtail refusing a member of staff without the permission (to the dashboard, with its message)
    404, 405  ...the status code; redirect:<path> for any other redirect
    any       (Wagtail's own screens, for staff) whatever Wagtail does, short of a server error

Every route whose view is ours (a module of this repository) or that our hooks and viewsets register has its own
entry in ENTRIES, by its full route. Wagtail's, allauth's and Django's own routes are covered by RULES, by prefix. A
route with neither fails TestTableCoversEveryRoute, naming it: add an entry (the failure of the role tests then says
what each role gets, to check against what each role should get).
"""

from collections import Counter
from dataclasses import dataclass
from http import HTTPStatus

from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.test import Client, TestCase
from django.urls import reverse

from tests.security.urlmap import walk
from tests.security.world import ROLES, build_world

# --- Outcomes ---------------------------------------------------------------------------------------------------------

OK = "ok"  # 200
LOGIN = "login"  # a redirect to the sign-in page
NO_ADMIN = "no_admin"  # Wagtail's refusal of someone signed in without admin access: to sign-in, with its message
DENIED = "denied"  # Wagtail's refusal of a member of staff without the permission: to the dashboard, with its message
ADMIN_REFUSAL = "You do not have permission to access the admin."
DENIED_MESSAGE = "Sorry, you do not have permission to access this area."


def classify(response) -> str:
    """The response as one word of the table: ok, login, no_admin, denied, redirect:<path>, or the status code."""
    status = response.status_code
    if status == HTTPStatus.OK:
        return OK
    if status in (HTTPStatus.FOUND, HTTPStatus.MOVED_PERMANENTLY):
        location = response["Location"]
        # Wagtail's admin messages end in a few newlines (where its buttons go): compare what they start with.
        said = " ".join(str(message) for message in get_messages(response.wsgi_request))
        if location.startswith("/account/login/?next="):
            return NO_ADMIN if ADMIN_REFUSAL in said else LOGIN
        if location == reverse("wagtailadmin_home") and DENIED_MESSAGE in said:
            return DENIED
        return "redirect:" + location.split("?")[0]
    return str(status)


# --- Default arguments for Wagtail's own URLs -------------------------------------------------------------------------


def default_url(route, w) -> str:
    """The route reversed with real objects where Wagtail's own patterns need them (covered by the rules below)."""
    values = {
        "page_id": w.standard_page.pk,
        "parent_page_id": w.home.pk,
        "page_to_move_id": w.standard_page.pk,
        "destination_id": w.course_index.pk,
        "page_pk": w.standard_page.pk,
        "content_type_app_name": "content",
        "content_type_model_name": "standardpage",
        "app_label": "content",
        "model_name": "standardpage",
        "app_name": "content",
        "revision_id": w.standard_page.latest_revision_id,
        "revision_id_a": "earliest",
        "revision_id_b": "latest",
        "task_state_id": 0,
        "workflow_state_id": 0,
        "task_id": w.task.pk,
        "workflow_pk": w.workflow.pk,
        "action_name": "approve",
        "collection_id": w.collection.pk,
        "image_id": w.image.pk,
        "document_id": w.document.pk,
        "doc_id": w.document.pk,
        "uploaded_file_id": 0,
        "filter_spec": "fill-100x100",
        "redirect_id": w.redirect.pk,
        "query_id": w.query.pk,
        "session_id": 0,
        "object_id": str(w.standard_page.pk),
        "restriction_id": 0,
        "page_view_restriction_id": 0,
        "uidb64": "MQ",
        "token": "set-password",
        "uidb36": "1",
        "key": "not-a-key",
        "action": "delete",
    }
    pk_by_namespace = {
        "wagtailusers_users": w.users["learner"].pk,
        "wagtailusers_groups": w.editors_group.pk,
        "wagtailsites": w.site.pk,
        "wagtailadmin_collections": w.collection.pk,
        "wagtailadmin_workflows": w.workflow.pk,
        "wagtailsnippets_content_topic": w.topic.pk,
        "wagtailsnippetchoosers_content_topic": w.topic.pk,
        "wagtailadmin_api:pages": w.standard_page.pk,
        "wagtailadmin_api:documents": w.document.pk,
        "wagtailadmin_api:images": w.image.pk,
        "wagtaildocs_chooser": w.document.pk,
        "wagtailimages_chooser": w.image.pk,
        "wagtailadmin_pages": w.standard_page.pk,
    }
    kwargs = {}
    for param in route.params:
        if param == "pk":
            namespace = route.name.rsplit(":", 1)[0]
            kwargs[param] = pk_by_namespace.get(namespace, pk_by_namespace.get(route.namespace, 0))
        else:
            kwargs[param] = values[param]
    if route.name == "wagtailadmin_bulk_action" or route.name == "wagtail_bulk_action":
        kwargs.update(app_label="wagtailcore", model_name="page", action="delete")
    if route.name.startswith("wagtailadmin_workflows:edit_task") or route.name.endswith(":task_chosen"):
        kwargs = dict.fromkeys(kwargs, w.task.pk)
    return reverse(route.name, kwargs=kwargs)


# --- The table --------------------------------------------------------------------------------------------------------

ANY = "any"  # whatever Wagtail does for this member of staff, short of a server error (see the rules)
GROUPS = {
    "learners": ("learner", "other_learner"),
    "signed_in": ROLES[1:],
    "staff": ("editor", "moderator", "lead_a", "lead_b", "administrator", "superuser"),
    "content_staff": ("editor", "moderator"),
    "leads": ("lead_a", "lead_b"),
    "admins": ("administrator", "superuser"),
}


def expect(default, **by) -> dict:
    """An outcome for every role: the default, then groups (learners, staff, leads...), then single roles."""
    unknown = set(by) - set(ROLES) - set(GROUPS)
    assert not unknown, f"no such role or group: {unknown}"
    outcomes = dict.fromkeys(ROLES, default)
    for group, members in GROUPS.items():
        if group in by:
            outcomes.update(dict.fromkeys(members, by[group]))
    outcomes.update({role: outcome for role, outcome in by.items() if role in ROLES})
    return outcomes


def public(outcome=OK):
    return expect(outcome)


def signed_in(outcome=OK, **by):
    """A page for anyone signed in (about themselves): anonymous visitors are asked to sign in."""
    return expect(outcome, **{"anonymous": LOGIN, **by})


def learners_own(outcome=OK):
    """The learner's own object: theirs alone. Anyone else signed in, staff included, is told it does not exist."""
    return expect("404", anonymous=LOGIN, learner=outcome)


def admin(default, **by):
    """An admin screen: Wagtail asks anonymous visitors to sign in and refuses signed-in people without admin access."""
    return expect(default, **{"anonymous": LOGIN, "learners": NO_ADMIN, **by})


def cohort_a(outcome=OK):
    """Cohort A's screens: its lead and the course administrators; any other member of staff gets a 404."""
    return admin("404", lead_a=outcome, admins=outcome)


def course_admin(outcome=OK, **by):
    """The course administrators' screens (model permissions): other staff are refused by Wagtail."""
    return admin(DENIED, admins=outcome, **by)


def superuser_only(outcome=OK, **by):
    return admin(DENIED, superuser=outcome, **by)


def url(name, *args, query=""):
    """A path reversed when the request is made (the world's objects exist by then)."""

    def build(w):
        return reverse(name, args=[arg(w) if callable(arg) else arg for arg in args]) + query

    return build


def pk(attribute):
    """The primary key of one of the world's objects, by its attribute name."""
    return lambda w: getattr(w, attribute).pk


@dataclass
class Case:
    url: object  # a path, or a function of the world returning one
    expect: dict
    label: str = ""
    known_bug: str = ""  # a mismatch to report, not to fail on, until it is fixed (then the test says to remove this)

    def path(self, w) -> str:
        return self.url(w) if callable(self.url) else self.url


def case(url_, expectation, label="", known_bug=""):
    return Case(url_, expectation, label, known_bug)


CERT_CODE = lambda w: w.certificate.code  # noqa: E731
COHORT_A = pk("cohort_a")

# Every pattern whose view is ours (or that our hooks and viewsets register) has its own entry, by its full route.
ENTRIES: dict[str, list[Case]] = {
    # -- The public site and what anyone may see ------------------------------------------------------------------
    "health/": [case("/health/", public())],
    "privacy/": [case("/privacy/", public())],
    "cookies/": [case("/cookies/", public())],
    "search/": [case("/search/?q=anticoagulation", public())],
    "feeds/news/": [case("/feeds/news/", public())],
    "feeds/reports/": [case("/feeds/reports/", public())],
    "certificates/verify/": [
        case("/certificates/verify/", public()),
        case(
            lambda w: f"/certificates/verify/?code={w.certificate.code.lower()}",
            public(lambda w: f"redirect:/certificates/verify/{w.certificate.code}/"),
            "a typed code goes to its page",
        ),
    ],
    "certificates/verify/<str:code>/": [
        case(url("certificates:verify", CERT_CODE), public()),
        case(url("certificates:verify", "AAAA-AAAA-AAAA"), public("404"), "an unknown code"),
    ],
    "certificates/issuer.json": [case(url("certificates:issuer"), public())],
    # -- The holder's downloads: the PDF also for the staff who run the cohort, the credential for the holder alone --
    "certificates/<str:code>.pdf": [
        case(url("certificates:pdf", CERT_CODE), expect("404", learner=OK, lead_a=OK, admins=OK)),
    ],
    "certificates/<str:code>/credential.json": [
        case(url("certificates:credential", CERT_CODE), expect("404", learner=OK)),
    ],
    # -- Enrolment ------------------------------------------------------------------------------------------------
    "courses/cohorts/<str:code>/enrol/": [
        case(url("courses:enrol", "SYS-NEXT"), signed_in()),
        case(url("courses:enrol", "NO-SUCH"), signed_in("404"), "an unknown cohort"),
    ],
    "courses/cohorts/<str:code>/enrol/check/": [
        # Without the declaration's answers in the session, the check step sends the learner back to step 1.
        case(url("courses:enrol_check", "SYS-NEXT"), signed_in("redirect:/courses/cohorts/SYS-NEXT/enrol/")),
    ],
    "courses/register-interest/<int:course_id>/": [
        case(url("courses:register_interest", pk("course")), signed_in(lambda w: "redirect:" + w.course.url)),
    ],
    # -- My learning: the learner's enrolments, payments and calendar ---------------------------------------------
    "my-learning/": [case(url("courses:my_learning"), signed_in())],
    "my-learning/enrolments/<int:enrolment_id>/pay/": [
        case(url("courses:pay", pk("enrolment_a")), signed_in("405")),
    ],
    "my-learning/enrolments/<int:enrolment_id>/accept/": [
        case(url("courses:offer_accept", pk("enrolment_offer")), learners_own()),
    ],
    "my-learning/enrolments/<int:enrolment_id>/decline/": [
        case(url("courses:offer_decline", pk("enrolment_offer")), learners_own()),
    ],
    "my-learning/enrolments/<int:enrolment_id>/withdraw/": [
        case(url("courses:withdraw", pk("enrolment_a")), learners_own()),
        case(
            url("courses:withdraw", pk("other_enrolment")),
            expect("404", anonymous=LOGIN, other_learner=OK),
            "the other learner's enrolment",
        ),
    ],
    "my-learning/enrolments/<int:enrolment_id>/transfer/": [
        case(url("courses:transfer", pk("enrolment_a")), signed_in("405")),
    ],
    "my-learning/enrolments/<int:enrolment_id>/calendar.ics": [
        case(url("courses:calendar", pk("enrolment_a")), learners_own()),
    ],
    "my-learning/receipts/<int:payment_id>/": [case(url("courses:receipt", pk("payment")), learners_own())],
    "payments/stripe/webhook/": [case(url("payments:stripe_webhook"), public("405"))],
    # -- The CPD record: each person's own ------------------------------------------------------------------------
    "my-cpd/": [case(url("certificates:cpd_record"), signed_in())],
    "my-cpd/activities/add/": [case(url("certificates:cpd_activity_add"), signed_in())],
    "my-cpd/activities/<int:pk>/": [
        case(url("certificates:cpd_activity_edit", pk("activity")), learners_own()),
        case(
            url("certificates:cpd_activity_edit", pk("other_activity")),
            expect("404", anonymous=LOGIN, other_learner=OK),
            "the other learner's activity",
        ),
    ],
    "my-cpd/activities/<int:pk>/delete/": [
        case(url("certificates:cpd_activity_delete", pk("activity")), learners_own()),
    ],
    "my-cpd/activities/<int:pk>/evidence/": [
        case(url("certificates:cpd_activity_evidence", pk("activity")), learners_own()),
    ],
    "my-cpd/revalidation-date/": [case(url("certificates:cpd_revalidation_date"), signed_in())],
    "my-cpd/cpd-record.csv": [case(url("certificates:cpd_export_csv"), signed_in())],
    "my-cpd/cpd-record.pdf": [case(url("certificates:cpd_export_pdf"), signed_in())],
    # -- The account: each person's own ---------------------------------------------------------------------------
    "account/profile/": [case(url("accounts:profile"), signed_in())],
    "account/your-data/": [case(url("accounts:your_data"), signed_in())],
    "account/your-data.json": [case(url("accounts:your_data_json"), signed_in())],
    "account/close/": [case(url("accounts:close"), signed_in())],
    # -- Pages, and the case exercise's routes (served by Wagtail, the routes ours) -----------------------------
    r"^((?:[\w\-]+/)*)$": [
        case("/", public(), "the home page"),
        case("/about-us/", public(), "a standard page"),
        case(lambda w: w.course.url, public(), "a course page"),
        case(lambda w: w.exercise.url, public(), "a case exercise's overview"),
        case(lambda w: w.exercise.url + "start/", public(lambda w: "redirect:" + w.exercise.url), "start, by GET"),
        case(
            lambda w: w.exercise.url + w.exercise.reverse_subpage("attempt", args=[w.attempt.pk]),
            learners_own(),
            "the learner's attempt",
        ),
        case("/no-such-page/", public("404"), "a page that does not exist"),
    ],
    # -- Cohort dashboards: the cohort's lead and the course administrators ---------------------------------------
    "admin/courses/dashboards/": [case(url("courses_cohort_dashboards:index"), admin(OK))],
    "admin/courses/dashboards/<int:cohort_pk>/": [
        case(url("courses_cohort_dashboards:dashboard", COHORT_A), cohort_a()),
        case(url("courses_cohort_dashboards:dashboard", COHORT_A, query="?export=csv"), cohort_a(), "roster CSV"),
        case(url("courses_cohort_dashboards:dashboard", COHORT_A, query="?export=xlsx"), cohort_a(), "roster XLSX"),
    ],
    "admin/courses/dashboards/<int:cohort_pk>/register/<int:session_pk>/": [
        case(url("courses_cohort_dashboards:register", COHORT_A, pk("session_a")), cohort_a()),
        case(
            url("courses_cohort_dashboards:register", COHORT_A, pk("session_b")),
            admin("404"),
            "cohort A's register with cohort B's session",
        ),
    ],
    "admin/courses/dashboards/<int:cohort_pk>/joining/": [
        case(url("courses_cohort_dashboards:joining", COHORT_A), cohort_a())
    ],
    "admin/courses/dashboards/<int:cohort_pk>/message/": [
        case(url("courses_cohort_dashboards:message", COHORT_A), cohort_a())
    ],
    "admin/courses/dashboards/<int:cohort_pk>/sign-off/": [
        case(url("courses_cohort_dashboards:sign_off", COHORT_A), cohort_a())
    ],
    "admin/courses/dashboards/<int:cohort_pk>/enrol-group/": [
        case(url("courses_cohort_dashboards:bulk_enrol", COHORT_A), cohort_a())
    ],
    "admin/courses/dashboards/<int:cohort_pk>/waiting/<int:enrolment_pk>/<str:action>/": [
        case(url("courses_cohort_dashboards:waitlist_action", COHORT_A, pk("waiting_a"), "promote"), cohort_a("405")),
    ],
    "admin/courses/report/": [
        case(url("courses_report:index"), course_admin()),
        case(url("courses_report:index", query="?export=csv"), course_admin(), "CSV"),
    ],
    # -- Course pages, cohorts, enrolments, payments: the course administrators ----------------------------------
    # The course pages are pages: the editors' and moderators' (page permissions), not the course staff's.
    "admin/courses/pages/": [case(url("courses_pages:index"), superuser_only(content_staff=OK))],
    "admin/courses/pages/results/": [case(url("courses_pages:index_results"), superuser_only(content_staff=OK))],
    "admin/courses/pages/choose_parent/": [
        # With one place a course can go, Wagtail goes straight to the new page's form; with none, an empty choice.
        case(
            url("courses_pages:choose_parent"),
            admin(
                OK,
                content_staff=lambda w: f"redirect:/admin/pages/add/courses/coursepage/{w.course_index.pk}/",
                superuser=lambda w: f"redirect:/admin/pages/add/courses/coursepage/{w.course_index.pk}/",
            ),
        )
    ],
    "admin/courses/cohorts/": [case(url("courses_cohorts:index"), course_admin())],
    "admin/courses/cohorts/results/": [case(url("courses_cohorts:index_results"), course_admin())],
    "admin/courses/cohorts/new/": [case(url("courses_cohorts:add"), course_admin())],
    "admin/courses/cohorts/edit/<int:pk>/": [case(url("courses_cohorts:edit", COHORT_A), course_admin())],
    "admin/courses/cohorts/delete/<int:pk>/": [case(url("courses_cohorts:delete", COHORT_A), course_admin())],
    "admin/courses/cohorts/history/<int:pk>/": [case(url("courses_cohorts:history", COHORT_A), course_admin())],
    "admin/courses/cohorts/history-results/<int:pk>/": [
        case(url("courses_cohorts:history_results", COHORT_A), course_admin())
    ],
    "admin/courses/cohorts/usage/<int:pk>/": [case(url("courses_cohorts:usage", COHORT_A), course_admin())],
}

ENROLMENT = pk("enrolment_a")
for _suffix, _name in [
    ("", "index"),
    ("results/", "index_results"),
    ("inspect/<int:pk>/", "inspect"),
    ("history/<int:pk>/", "history"),
    ("history-results/<int:pk>/", "history_results"),
    ("override-band/<int:pk>/", "override_band"),
    ("cancel/<int:pk>/", "cancel"),
    ("transfer/<int:pk>/", "transfer"),
]:
    _args = [ENROLMENT] if "<int:pk>" in _suffix else []
    ENTRIES[f"admin/courses/enrolments/{_suffix}"] = [case(url(f"courses_enrolments:{_name}", *_args), course_admin())]
for _suffix, _name in [
    ("", "index"),
    ("results/", "index_results"),
    ("inspect/<int:pk>/", "inspect"),
    ("history/<int:pk>/", "history"),
    ("history-results/<int:pk>/", "history_results"),
    ("mark-paid/<int:pk>/", "mark_paid"),
    ("retry-refund/<int:pk>/", "retry_refund"),
]:
    _args = [pk("payment")] if "<int:pk>" in _suffix else []
    ENTRIES[f"admin/courses/payments/{_suffix}"] = [case(url(f"courses_payments:{_name}", *_args), course_admin())]
for _suffix, _name in [
    ("", "index"),
    ("results/", "index_results"),
    ("inspect/<int:pk>/", "inspect"),
    ("history/<int:pk>/", "history"),
    ("history-results/<int:pk>/", "history_results"),
    ("retry/<int:pk>/", "retry"),
]:
    _args = [pk("email_delivery")] if "<int:pk>" in _suffix else []
    ENTRIES[f"admin/courses/emails/{_suffix}"] = [case(url(f"courses_emails:{_name}", *_args), course_admin())]

ENTRIES.update(
    {
        # -- Marking: who may mark is who leads the learner's cohort -----------------------------------------------
        "admin/assessments/marking/": [case(url("assessments_marking:index"), admin(OK))],
        "admin/assessments/marking/<int:attempt_pk>/": [
            case(url("assessments_marking:mark", pk("attempt")), cohort_a()),
        ],
        "admin/assessments/marking/<int:attempt_pk>/release/": [
            case(url("assessments_marking:release", pk("attempt")), admin("405")),
        ],
        "admin/assessments/marking/cohorts/<int:cohort_pk>.csv": [
            case(url("assessments_marking:progress_csv", COHORT_A), cohort_a()),
        ],
        # -- Certificates: issued ones for the course administrators; a cohort's for whoever runs it ---------------
        "admin/certificates/cohorts/<int:cohort_pk>/issue/": [
            case(url("certificates_cohorts:issue", pk("cohort_done")), cohort_a("405")),
        ],
        "admin/certificates/cohorts/<int:cohort_pk>/download/": [
            case(url("certificates_cohorts:download", pk("cohort_done")), cohort_a()),
        ],
    }
)
CERTIFICATE = pk("certificate")
for _suffix, _name in [
    ("", "index"),
    ("results/", "index_results"),
    ("inspect/<int:pk>/", "inspect"),
    ("history/<int:pk>/", "history"),
    ("history-results/<int:pk>/", "history_results"),
    ("revoke/<int:pk>/", "revoke"),
    ("reissue/<int:pk>/", "reissue"),
]:
    _args = [CERTIFICATE] if "<int:pk>" in _suffix else []
    ENTRIES[f"admin/certificates/issued/{_suffix}"] = [
        case(url(f"certificates_issued:{_name}", *_args), course_admin())
    ]


def _snippet_entries(prefix, namespace, chooser_namespace, obj, expectation, chooser_expectation):
    """A snippet viewset's screens (ours: registered by our hooks), all with one expectation, and its chooser's."""
    listing = [
        ("", "list", False),
        ("results/", "list_results", False),
        ("add/", "add", False),
        ("edit/<int:pk>/", "edit", True),
        ("delete/<int:pk>/", "delete", True),
        ("usage/<int:pk>/", "usage", True),
        ("history/<int:pk>/", "history", True),
        ("history-results/<int:pk>/", "history_results", True),
        ("copy/<int:pk>/", "copy", True),
    ]
    for suffix, name, with_pk in listing:
        args = [pk(obj)] if with_pk else []
        ENTRIES[f"admin/snippets/{prefix}/{suffix}"] = [case(url(f"{namespace}:{name}", *args), expectation)]
    chooser = [
        ("", "choose", False),
        ("results/", "choose_results", False),
        ("chosen/<str:pk>/", "chosen", True),
        ("chosen-multiple/", "chosen_multiple", False),
        ("create/", "create", False),
    ]
    for suffix, name, with_pk in chooser:
        args = [pk(obj)] if with_pk else []
        ENTRIES[f"admin/snippets/choose/{prefix}/{suffix}"] = [
            case(url(f"{chooser_namespace}:{name}", *args), chooser_expectation)
        ]


# Topics are the editors' (add, change; deleting is for superusers); designs are the course administrators' (add,
# change; no delete). A chooser lists to any member of staff; creating from it needs the add permission.
_snippet_entries(
    "content/topic",
    "wagtailsnippets_content_topic",
    "wagtailsnippetchoosers_content_topic",
    "topic",
    superuser_only(content_staff=OK),
    admin(OK),
)
ENTRIES["admin/snippets/content/topic/delete/<int:pk>/"][0].expect = superuser_only()
ENTRIES["admin/snippets/choose/content/topic/create/"][0].expect = superuser_only(content_staff=OK)
_snippet_entries(
    "certificates/certificatetemplate",
    "wagtailsnippets_certificates_certificatetemplate",
    "wagtailsnippetchoosers_certificates_certificatetemplate",
    "design",
    course_admin(),
    admin(OK),
)
ENTRIES["admin/snippets/certificates/certificatetemplate/delete/<int:pk>/"][0].expect = superuser_only()
ENTRIES["admin/snippets/choose/certificates/certificatetemplate/create/"][0].expect = course_admin()
for _suffix in [
    "history/<int:pk>/revisions/<int:revision_id>/revert/",
    r"history/(?P<pk>.+)/revisions/compare/(?P<revision_id_a>live|earliest|\d+)\.\.\.(?P<revision_id_b>live|latest|\d+)/$",
]:
    _name = "revisions_revert" if "revert" in _suffix else "revisions_compare"
    ENTRIES[f"admin/snippets/certificates/certificatetemplate/{_suffix}"] = [
        case(
            lambda w, _name=_name: reverse(
                f"wagtailsnippets_certificates_certificatetemplate:{_name}",
                args=[w.design.pk, w.design.latest_revision_id]
                if _name == "revisions_revert"
                else [w.design.pk, "earliest", "latest"],
            ),
            course_admin(),
        )
    ]

# -- The user admin (our viewset, for the full-name field): superusers alone --------------------------------------
LEARNER_PK = lambda w: w.users["learner"].pk  # noqa: E731
for _suffix, _name in [
    ("", "index"),
    ("results/", "index_results"),
    ("new/", "add"),
    ("edit/<int:pk>/", "edit"),
    ("delete/<int:pk>/", "delete"),
    ("history/<int:pk>/", "history"),
    ("history-results/<int:pk>/", "history_results"),
    ("usage/<int:pk>/", "usage"),
    ("copy/<int:pk>/", "copy"),
]:
    _args = [LEARNER_PK] if "<int:pk>" in _suffix else []
    ENTRIES[f"admin/users/{_suffix}"] = [case(url(f"wagtailusers_users:{_name}", *_args), superuser_only())]


# -- Our settings, on Wagtail's settings screens ------------------------------------------------------------------
def _setting_pk(model_path):
    def find(w):
        from django.test import RequestFactory
        from django.utils.module_loading import import_string

        from wagtail.models import Site

        model = import_string(model_path)
        if hasattr(model, "load"):
            return model.load().pk
        # A setting per site is addressed by its site's pk: the one Wagtail finds for the request's host.
        return (Site.find_for_request(RequestFactory().get("/")) or w.site).pk

    return find


def _setting(app_model, model_path):
    """A setting's screen, by the instance Wagtail keeps (one for the install, or the site's)."""
    return lambda w: f"/admin/settings/{app_model}/{_setting_pk(model_path)(w)}/"


def _to_setting(app_model, model_path):
    """Wagtail sends everyone with admin access from a setting's address to its instance, then checks permission."""
    return lambda w: "redirect:" + _setting(app_model, model_path)(w)


ELIGIBILITY = ("courses/eligibilitysettings", "courses.models.EligibilitySettings")
HINDSIGHT = ("assessments/hindsightsettings", "assessments.models.HindsightSettings")
NAVIGATION = ("content/navigationsettings", "content.models.NavigationSettings")
ENTRIES["admin/settings/<slug:app_name>/<slug:model_name>/"] = [
    # A setting for the whole install sends everyone with admin access on to its instance, which then checks; a
    # setting per site checks first.
    *[
        case(f"/admin/settings/{app_model}/", admin(_to_setting(app_model, model)), label)
        for (app_model, model), label in [(ELIGIBILITY, "NHS eligibility"), (HINDSIGHT, "hindsight")]
    ],
    case(f"/admin/settings/{NAVIGATION[0]}/", superuser_only(_to_setting(*NAVIGATION)), "the site's menu"),
]
ENTRIES["admin/settings/<slug:app_name>/<slug:model_name>/<int:pk>/"] = [
    case(_setting(*ELIGIBILITY), course_admin(), "NHS eligibility: the course administrators'"),
    case(_setting(*HINDSIGHT), superuser_only(), "hindsight phrases"),
    case(_setting(*NAVIGATION), superuser_only(), "the site's menu"),
]


# --- Rules for Wagtail's, allauth's and Django's own patterns ---------------------------------------------------------


@dataclass
class Rule:
    description: str
    applies: object  # a function of the Route
    expect: dict
    url: object = None  # a path for unnamed patterns, or a function of (route, world)


def _starts(*prefixes):
    return lambda route: route.route.startswith(prefixes)


ADMIN_OUTSIDE_LOGIN = ("admin/login/", "admin/password_reset/", "admin/jsi18n/", "admin/sprite/")
RULES = [
    Rule("the sitemap is public", _starts("sitemap.xml"), public()),
    Rule(
        # Wagtail checks the document's collection (public here) and then hands the file to sendfile, which finds no
        # file on disk under the test settings' in-memory storage: 404 for everyone, the same for every role.
        "documents in a public collection are served alike to everyone",
        _starts("documents/^"),
        public("404"),
        url=lambda route, w: reverse("wagtaildocs_serve", args=[w.document.pk, w.document.filename]),
    ),
    Rule(
        "a password restriction that does not exist",
        _starts("documents/authenticate_with_password/", "_util/authenticate_with_password/"),
        public("404"),
    ),
    Rule("Wagtail's front-end login (unused: allauth signs people in)", _starts("_util/login/"), public(ANY)),
    Rule(
        "the admin's own sign-in, password reset (off), translations and icons",
        _starts(*ADMIN_OUTSIDE_LOGIN),
        public(ANY),
    ),
    Rule("Wagtail's 404 test page", _starts("admin/test404/"), admin(OK), url="/admin/test404/"),
    Rule(
        "Wagtail's deliberate error page raises for staff",
        _starts("admin/failwhale/"),
        admin("500"),
    ),
    Rule(
        # Wagtail's catch-all sends people without admin access to its own sign-in (which forwards to allauth's).
        "an admin path that matches no screen",
        _starts("admin/^.*/$"),
        admin("404", anonymous="redirect:/admin/login/", learners="redirect:/admin/login/"),
        url="/admin/no-such-screen/",
    ),
    Rule("Wagtail's groups and sites: superusers alone", _starts("admin/groups/", "admin/sites/"), superuser_only(ANY)),
    Rule("Wagtail's own admin screens: sign-in required, no admin for learners", _starts("admin/"), admin(ANY)),
    Rule("allauth's account pages", _starts("account/"), public(ANY)),
]

# Mismatches known and reported, not failed on, until fixed: (route, role) -> what is wrong. When one is fixed, the
# test fails to say so, and the line goes.
KNOWN_BUGS: dict[tuple[str, str], str] = {}


# --- The plan: every route with its cases -----------------------------------------------------------------------------


@dataclass
class Planned:
    route: object
    case: Case
    source: str  # "entry" or the rule's description


def plan(routes):
    """Each route's cases from its entry, or from the first rule that covers it; and the routes with neither."""
    planned, missing = [], []
    for route in routes:
        if route.route in ENTRIES:
            planned.extend(Planned(route, each, "entry") for each in ENTRIES[route.route])
            continue
        rule = None if route.ours else next((rule for rule in RULES if rule.applies(route)), None)
        if rule is None:
            missing.append(route)
            continue
        if rule.url is None:
            path = lambda w, route=route: default_url(route, w)  # noqa: E731
        elif callable(rule.url):
            path = lambda w, route=route, build=rule.url: build(route, w)  # noqa: E731
        else:
            path = rule.url
        planned.append(Planned(route, Case(path, rule.expect, rule.description), rule.description))
    return planned, missing


def stale_entries(routes):
    """Entries for routes the resolver no longer knows: a renamed URL must not leave its old entry behind untested."""
    known = {route.route for route in routes}
    return sorted(set(ENTRIES) - known)


def coverage_problems(routes) -> list[str]:
    _planned, missing = plan(routes)
    problems = [f"no entry in the access table for {route}" for route in missing if route.ours]
    problems += [f"no entry or rule in the access table for {route}" for route in missing if not route.ours]
    problems += [f"an entry for a route that no longer exists: {route!r}" for route in stale_entries(routes)]
    return problems


def _resolve(value, w):
    return value(w) if callable(value) else value


def fresh_request(client, user):
    """Nothing carried over from the previous request: rate limits, messages, or a sign-out some page caused."""
    cache.clear()
    client.cookies.pop("messages", None)
    if user is not None and "_auth_user_id" not in client.session:
        client.force_login(user)


class TestAccessTable(TestCase):
    """One test per role: every case of every route, the mismatches collected and reported together."""

    @classmethod
    def setUpTestData(cls):
        cls.w = build_world()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.routes = walk()
        cls.planned, _missing = plan(cls.routes)

    def check_role(self, role):
        w = self.w
        user = None if role == "anonymous" else w.users[role]
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        mismatches, known, fixed = [], [], []
        for item in self.planned:
            path = item.case.path(w)
            expected = _resolve(item.case.expect[role], w)
            fresh_request(client, user)
            response = client.get(path)
            actual = classify(response)
            matches = response.status_code < 500 if expected == ANY else actual == expected
            bug = KNOWN_BUGS.get((item.route.route, role))
            if bug and matches:
                fixed.append(f"{item.route.route} as {role}: fixed ({bug}); remove it from KNOWN_BUGS")
            elif bug:
                known.append(f"GET {path} as {role}: {actual} ({bug})")
            elif not matches:
                label = f" [{item.case.label}]" if item.case.label else ""
                mismatches.append(f"GET {path}{label} as {role}: expected {expected}, got {actual} ({item.source})")
        for line in known:
            print("known bug:", line)  # noqa: T201
        problems = mismatches + fixed
        self.assertFalse(
            problems, f"{len(problems)} of {len(self.planned)} requests as {role}:\n" + "\n".join(problems)
        )


for _role in ROLES:
    setattr(TestAccessTable, f"test_{_role}", lambda self, role=_role: self.check_role(role))


# --- The table covers every route, and the guard itself works ---------------------------------------------------------


def _unlisted_view(request):
    raise AssertionError("never requested")


class TestTableCoversEveryRoute(TestCase):
    def test_every_route_has_an_entry_or_a_rule_and_no_entry_is_stale(self):
        problems = coverage_problems(walk())
        self.assertFalse(problems, "\n".join(problems))

    def test_a_new_url_of_ours_without_an_entry_is_named(self):
        from django.urls import URLResolver, path
        from django.urls.resolvers import RoutePattern
        from django.views.generic import RedirectView

        extra = URLResolver(
            RoutePattern(""),
            [
                path("my-learning/secret-new-page/", _unlisted_view, name="unlisted"),
                # Django's own view, where no rule reaches: named too.
                path("elsewhere/", RedirectView.as_view(url="/"), name="elsewhere"),
            ],
        )
        routes = walk() + walk(extra)

        problems = coverage_problems(routes)

        self.assertEqual(len(problems), 2, problems)
        self.assertIn("no entry in the access table for 'my-learning/secret-new-page/'", problems[0])
        self.assertIn("tests.security.test_access._unlisted_view", problems[0])
        self.assertIn("no entry or rule in the access table for 'elsewhere/'", problems[1])

    def test_an_entry_for_a_route_that_is_gone_is_named(self):
        ENTRIES["gone/<int:pk>/"] = [case("/gone/1/", public())]
        try:
            problems = coverage_problems(walk())
        finally:
            del ENTRIES["gone/<int:pk>/"]
        self.assertEqual(problems, ["an entry for a route that no longer exists: 'gone/<int:pk>/'"])

    def test_our_routes_are_found_and_only_entries_cover_them(self):
        routes = walk()
        ours = [route for route in routes if route.ours]
        planned, _missing = plan(routes)
        by_rule = {item.route.route for item in planned if item.source != "entry"}
        counts = Counter(item.source == "entry" for item in planned)
        print(  # noqa: T201 - the numbers the lead reports (pytest -s)
            f"\n{len(routes)} URL patterns: {len(ours)} ours, each with its own entry; {len(routes) - len(ours)} of "
            f"Wagtail, allauth and Django ({len(routes) - len(ENTRIES)} by rule). {len(planned)} requests per role "
            f"({counts[True]} from entries, {counts[False]} from rules), {len(ROLES)} roles: "
            f"{len(planned) * len(ROLES)} GET requests."
        )
        self.assertGreater(len(routes), 300)  # the admin's, allauth's and ours: far more than our own
        self.assertGreater(len(ours), 100)
        self.assertFalse({route.route for route in ours} & by_rule)
        # The project's own modules and viewsets are recognised: a view in site/ and one Wagtail makes for our model.
        names = {route.name: route for route in ours}
        self.assertIn("health", names)
        self.assertIn("courses_cohorts:history", names)  # Wagtail's HistoryView, from our CohortViewSet
        self.assertIn("wagtailsnippets_content_topic:list", names)  # a snippet our hooks register
        self.assertIn("wagtailusers_users:index", names)  # the user viewset accounts' AppConfig names


# --- CSRF: every state-changing view of ours refuses a POST without the token ---------------------------------------

# Views that take a POST without a CSRF token on purpose, and why each is safe.
CSRF_EXEMPT = {
    "payments/stripe/webhook/": (
        "Stripe's servers post events with no session or cookie of ours; the view checks the Stripe-Signature header "
        "against the webhook secret instead, and a bad signature changes nothing (courses/webhooks.py)."
    ),
}
# Server errors an empty (but CSRF-valid) POST causes, reported and not failed on until fixed: "route [label]" (the
# label where a route has several cases) -> what happens.
KNOWN_POST_ERRORS = {
    "admin/snippets/choose/content/topic/create/": "Wagtail's chooser create view fails on a POST without its form",
    "admin/snippets/choose/certificates/certificatetemplate/create/": (
        "Wagtail's chooser create view fails on a POST without its form"
    ),
    "admin/settings/<slug:app_name>/<slug:model_name>/<int:pk>/ [the site's menu]": (
        "the navigation setting's StreamField fails on a POST without links-count (Wagtail's StreamField)"
    ),
}
# Whom to sign in as for each URL: the first of these the table lets in (for a POST-only view, answers 405 to GET).
USERS_FIRST = ("learner", "lead_a", "administrator", "superuser", "editor", "moderator", "other_learner", "anonymous")
REFUSED = {"404", LOGIN, NO_ADMIN, DENIED}
CSRF_SECRET = "a" * 32  # Django accepts the unmasked secret as the token


def _who_may_use(case, w):
    for role in USERS_FIRST:
        if _resolve(case.expect[role], w) not in REFUSED:
            return role
    return "anonymous"


class TestCsrf(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = build_world()

    def posts(self):
        """(route, case, role) for every case of every entry: our views, and our pages' routes."""
        for route, cases in ENTRIES.items():
            for each in cases:
                yield route, each, _who_may_use(each, self.w)

    def post(self, route, each, role, *, token):
        client = Client(enforce_csrf_checks=True, raise_request_exception=False)
        user = None if role == "anonymous" else self.w.users[role]
        data = {}
        if token:
            client.cookies["csrftoken"] = CSRF_SECRET
            data["csrfmiddlewaretoken"] = CSRF_SECRET
        # Each POST's changes are undone at once, so that one (a deletion, a withdrawal) cannot change the next.
        with transaction.atomic():
            if user is not None:
                client.force_login(user)
            cache.clear()
            response = client.post(each.path(self.w), data)
            transaction.set_rollback(True)
        return response

    def test_a_post_without_the_token_is_refused_by_every_view_of_ours(self):
        problems, tried = [], 0
        for route, each, role in self.posts():
            response = self.post(route, each, role, token=False)
            tried += 1
            refused = response.status_code == HTTPStatus.FORBIDDEN
            if route in CSRF_EXEMPT and refused:
                problems.append(f"POST {each.path(self.w)} as {role}: 403, yet listed as exempt: {CSRF_EXEMPT[route]}")
            elif route not in CSRF_EXEMPT and not refused:
                problems.append(f"POST {each.path(self.w)} as {role} without a CSRF token: {response.status_code}")
        print(f"\n{tried} POSTs without a CSRF token, {len(CSRF_EXEMPT)} view exempt on purpose")  # noqa: T201
        self.assertGreater(tried, 100)
        self.assertFalse(problems, "\n".join(problems))

    def test_the_same_post_with_the_token_is_not_refused(self):
        """The control: the 403s above are CSRF's, not the view refusing the person. An empty form is sent, so this
        also finds views that fail on bad input instead of saying what is wrong."""
        problems, known = [], []
        for route, each, role in self.posts():
            response = self.post(route, each, role, token=True)
            status = response.status_code
            bug = KNOWN_POST_ERRORS.get(f"{route} [{each.label}]" if each.label else route)
            if status == HTTPStatus.FORBIDDEN or (status >= 500 and not bug):
                problems.append(f"POST {each.path(self.w)} as {role} with the token: {status}")
            elif bug and status < 500:
                problems.append(f"POST {each.path(self.w)}: fixed ({bug}); remove it from KNOWN_POST_ERRORS")
            elif bug:
                known.append(f"POST {each.path(self.w)} as {role}: {status} ({bug})")
        for line in known:
            print("known bug:", line)  # noqa: T201
        self.assertFalse(problems, "\n".join(problems))
