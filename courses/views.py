"""The learner's side of courses: the enrolment steps, My learning and its actions, receipts and calendars.

Views stay thin: they read through selectors, write through services, and show an EnrolmentError's message on the page.
Every enrolment or payment is looked up through request.user, so another learner's is a 404. GET never changes anything.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from page_cache import shared_fragment

from . import services
from .calendar import cohort_calendar
from .exceptions import EnrolmentError
from .forms import DeclarationForm, PaymentForm, TransferForm
from .models import (
    ACTIVE_STATUSES,
    Cohort,
    CourseIndexPage,
    CoursePage,
    Enrolment,
    EnrolmentStatus,
    FeeBand,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from .payments import get_payment_adapter
from .selectors import cohort_places_left, cohorts_with_places, fee_band_decide, learner_enrolments, waitlist_position

ANSWERS_KEY = "courses:enrol:{code}"


# Enrolment -------------------------------------------------------------------------------------------------------------


def _cohort_or_404(code):
    return get_object_or_404(Cohort.objects.select_related("course"), code=code, course__live=True)


def _enrol_blocker(*, cohort, user) -> tuple[str, str] | None:
    """Why this learner cannot enrol on this cohort now, shown before they fill anything in: (code, message)."""
    if not cohort.is_open():
        if timezone.now() < cohort.enrolment_opens_at:
            opens = date_format(timezone.localtime(cohort.enrolment_opens_at), "j F Y")
            return "not_yet", _("Enrolment for this cohort opens on %(date)s.") % {"date": opens}
        return "closed", _("Enrolment for this cohort is closed.")
    if Enrolment.objects.filter(user=user, cohort=cohort, status__in=ACTIVE_STATUSES).exists():
        return "duplicate", _("You already have a place or a waiting-list entry on this cohort.")
    return None


def _enrol_context(request, cohort, *, places_left=None, **extra):
    return {
        "cohort": cohort,
        "course": cohort.course,
        "places_left": cohort_places_left(cohort=cohort) if places_left is None else places_left,
        "sessions": list(cohort.sessions.order_by("date", "start_time")),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def enrol_start(request, code):
    """Step 1: the declaration, with what each answer means for this learner's fee."""
    cohort = _cohort_or_404(code)
    course = cohort.course
    blocker = _enrol_blocker(cohort=cohort, user=request.user)
    key = ANSWERS_KEY.format(code=cohort.code)
    saved = request.session.get(key) or {}
    initial = {}
    if saved:
        initial = {"works_for_nhs_england": "yes" if saved.get("declared") else "no", "employer": saved.get("employer")}
    form = DeclarationForm(_post_data(request), initial=initial)
    if request.method == "POST" and blocker is None and form.is_valid():
        request.session[key] = {"declared": form.declared, "employer": form.cleaned_data["employer"]}
        return redirect("courses:enrol_check", code=cohort.code)
    if_yes = fee_band_decide(user=request.user, course=course, declared_nhs_england_employer=True)
    if_no = fee_band_decide(user=request.user, course=course, declared_nhs_england_employer=False)
    return render(
        request,
        "courses/enrol/declaration.html",
        _enrol_context(
            request,
            cohort,
            form=form,
            blocker=blocker[1] if blocker else None,
            if_yes=if_yes,
            if_no=if_no,
            vat_pence=course.vat_included_pence(course.external_fee_pence),
        ),
    )


def _post_data(request):
    """The POST data, or None for a GET: an empty POST still binds (a form with no fields is then valid)."""
    return request.POST if request.method == "POST" else None


def _payment_form(request, *, needs_payment):
    if needs_payment:
        return PaymentForm(_post_data(request), card_available=get_payment_adapter().card_available())
    return forms.Form(_post_data(request))


def _after_payment_choice(request, enrolment):
    """Where a learner goes once their place is held or confirmed: Stripe Checkout for a card, else My learning."""
    if enrolment.status == EnrolmentStatus.AWAITING_PAYMENT and enrolment.payment_method == PaymentMethod.CARD:
        return _checkout_redirect(request, enrolment)
    my_learning = redirect("courses:my_learning")
    course, cohort = enrolment.cohort.course, enrolment.cohort
    names = {"course": course.title, "code": cohort.code}
    if enrolment.status == EnrolmentStatus.CONFIRMED:
        messages.success(
            request,
            _("Your place on %(course)s (%(code)s) is confirmed. We have emailed you the joining instructions.")
            % names,
        )
    elif enrolment.status == EnrolmentStatus.WAITLISTED:
        position = waitlist_position(enrolment=enrolment)
        messages.info(
            request,
            _(
                "%(course)s (%(code)s) is full, so you are on the waiting list at number %(position)s. "
                "We will email you if a place comes up."
            )
            % {**names, "position": position},
        )
    elif enrolment.status == EnrolmentStatus.AWAITING_PAYMENT:
        messages.success(
            request,
            _(
                "We have your invoice request for %(course)s (%(code)s). Your place is held for you and is confirmed "
                "when the invoice is paid."
            )
            % names,
        )
    return my_learning


def _checkout_redirect(request, enrolment):
    my_learning = request.build_absolute_uri(reverse("courses:my_learning"))
    try:
        url = services.payment_checkout_start(
            enrolment=enrolment,
            user=request.user,
            success_url=f"{my_learning}?payment=done",
            cancel_url=f"{my_learning}?payment=cancelled",
        )
    except EnrolmentError as error:
        messages.error(request, error.message)
        return redirect("courses:my_learning")
    return redirect(url)


@login_required
@require_http_methods(["GET", "POST"])
def enrol_check(request, code):
    """Step 2: check your answers, see the band, the amount and why, choose how to pay, then commit."""
    cohort = _cohort_or_404(code)
    course = cohort.course
    key = ANSWERS_KEY.format(code=cohort.code)
    answers = request.session.get(key)
    if answers is None:
        return redirect("courses:enrol", code=cohort.code)
    decision = fee_band_decide(user=request.user, course=course, declared_nhs_england_employer=answers["declared"])
    places_left = cohort_places_left(cohort=cohort)
    pays = decision.band == FeeBand.EXTERNAL and decision.fee_pence > 0
    # A full cohort means the waiting list: how to pay is asked for when a place is offered.
    needs_payment = pays and places_left > 0
    form = _payment_form(request, needs_payment=needs_payment)
    if request.method == "POST" and form.is_valid():
        try:
            enrolment = services.enrolment_request(
                cohort=cohort,
                user=request.user,
                declared_nhs_england_employer=answers["declared"],
                employer=answers.get("employer", ""),
                payment_method=form.cleaned_data.get("payment_method") if needs_payment else None,
                invoice=form.invoice() if needs_payment else None,
            )
        except EnrolmentError as error:
            form.add_error(None, error.message)
        else:
            request.session.pop(key, None)
            return _after_payment_choice(request, enrolment)
    return render(
        request,
        "courses/enrol/check.html",
        _enrol_context(
            request,
            cohort,
            places_left=places_left,
            form=form,
            answers=answers,
            decision=decision,
            pays=pays,
            needs_payment=needs_payment,
            vat_pence=course.vat_included_pence(decision.fee_pence),
            blocker=(_enrol_blocker(cohort=cohort, user=request.user) or (None, None))[1],
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def interest_register(request, course_id):
    """'Tell me when the next cohort opens'. A GET (after signing in) goes back to the course page to press the button."""
    course = get_object_or_404(CoursePage.objects.live().public(), pk=course_id)
    if request.method == "POST":
        services.interest_register(user=request.user, course=course)
        messages.success(
            request,
            _("Thank you. We will email you at %(email)s when the next cohort of %(course)s opens for enrolment.")
            % {"email": request.user.email, "course": course.title},
        )
    return redirect(course.get_url(request))


# My learning -----------------------------------------------------------------------------------------------------------


def _enrolment_or_404(request, enrolment_id):
    return get_object_or_404(
        Enrolment.objects.select_related("cohort", "cohort__course"), pk=enrolment_id, user=request.user
    )


def _next_session(sessions, today):
    upcoming = sorted((s for s in sessions if s.date >= today), key=lambda s: (s.date, s.start_time))
    return upcoming[0] if upcoming else None


@login_required
def my_learning(request):
    today = timezone.localdate()
    now = timezone.now()
    enrolments = list(learner_enrolments(user=request.user))
    transferred = {e.transferred_from_id for e in enrolments if e.transferred_from_id}
    active_cohorts = {e.cohort_id for e in enrolments if e.status in ACTIVE_STATUSES}

    # Other cohorts of the same courses that still have places, in one query, for "Move to another cohort".
    movable = [e for e in enrolments if e.status in [EnrolmentStatus.CONFIRMED, EnrolmentStatus.AWAITING_PAYMENT]]
    alternatives = {}
    if movable:
        for cohort in _upcoming_cohorts(sorted({e.cohort.course_id for e in movable}), today):
            if cohort.seats_taken < cohort.capacity and cohort.pk not in active_cohorts:
                alternatives.setdefault(cohort.course_id, []).append(cohort)

    groups = {
        "confirmed": [],
        "awaiting_payment": [],
        "offered": [],
        "waitlisted": [],
        "past": [],
        "ended": [],
    }
    for enrolment in enrolments:
        cohort = enrolment.cohort
        enrolment.receipts = [p for p in enrolment.payments.all() if p.receipt_number]
        enrolment.pending_payment = next(
            (p for p in enrolment.payments.all() if p.status == PaymentStatus.PENDING), None
        )
        enrolment.started = cohort.has_started(today)
        enrolment.transfer_to = [] if enrolment.started else alternatives.get(cohort.course_id, [])
        status = enrolment.status
        if status == EnrolmentStatus.CONFIRMED and cohort.ends_on >= today:
            enrolment.next_session = _next_session(cohort.sessions.all(), today)
            groups["confirmed"].append(enrolment)
        elif status == EnrolmentStatus.AWAITING_PAYMENT:
            groups["awaiting_payment"].append(enrolment)
        elif status == EnrolmentStatus.OFFERED:
            enrolment.offer_expired = bool(enrolment.offer_expires_at and enrolment.offer_expires_at <= now)
            enrolment.vat_pence = cohort.course.vat_included_pence(enrolment.fee_pence)
            groups["offered"].append(enrolment)
        elif status == EnrolmentStatus.WAITLISTED:
            enrolment.position = waitlist_position(enrolment=enrolment)
            groups["waitlisted"].append(enrolment)
        elif status in [EnrolmentStatus.CONFIRMED, EnrolmentStatus.COMPLETED, EnrolmentStatus.DID_NOT_COMPLETE]:
            groups["past"].append(enrolment)
        else:
            enrolment.was_transferred = enrolment.pk in transferred
            groups["ended"].append(enrolment)
    groups["past"].reverse()
    groups["ended"].reverse()
    return render(
        request,
        "courses/learning/my_learning.html",
        {
            "groups": groups,
            "has_enrolments": bool(enrolments),
            "payment_returned": request.GET.get("payment")
            if request.GET.get("payment") in {"done", "cancelled"}
            else None,
            "catalogue_url": _catalogue_url(request),
        },
    )


def _upcoming_cohorts(course_ids: list, today) -> list:
    """The courses' cohorts starting after today, with the places taken, from the shared cache: places are what
    anonymous pages show too, and every change of an enrolment or cohort retires the copy (page_cache)."""
    return shared_fragment(
        f"upcoming-cohorts:{today.isoformat()}:{','.join(map(str, course_ids))}",
        lambda: list(
            cohorts_with_places(Cohort.objects.filter(course_id__in=course_ids, starts_on__gt=today)).order_by(
                "starts_on"
            )
        ),
    )


def _catalogue_url(request):
    """The course catalogue's address; a page's address changes only as pages are published, moved or made private,
    each of which retires the shared copy."""

    def find():
        catalogue = CourseIndexPage.objects.live().public().first()
        return catalogue.get_url(request) if catalogue else "/"

    return shared_fragment(f"catalogue-url:{request.get_host()}", find)


@login_required
@require_POST
def enrolment_pay(request, enrolment_id):
    return _checkout_redirect(request, _enrolment_or_404(request, enrolment_id))


@login_required
@require_http_methods(["GET", "POST"])
def offer_accept(request, enrolment_id):
    """Accept an offered place; a fee-band learner chooses how to pay on the same page."""
    enrolment = _enrolment_or_404(request, enrolment_id)
    needs_payment = enrolment.fee_pence > 0
    form = _payment_form(request, needs_payment=needs_payment)
    if request.method == "POST" and form.is_valid():
        try:
            enrolment = services.offer_accept(
                enrolment=enrolment,
                user=request.user,
                payment_method=form.cleaned_data.get("payment_method") if needs_payment else None,
                invoice=form.invoice() if needs_payment else None,
            )
        except EnrolmentError as error:
            if enrolment.fee_pence == 0 or error.code in {"expired", "no_offer"}:
                messages.error(request, error.message)
                return redirect("courses:my_learning")
            form.add_error(None, error.message)
        else:
            return _after_payment_choice(request, enrolment)
    if enrolment.status != EnrolmentStatus.OFFERED:
        messages.error(request, _("There is no open offer on this enrolment."))
        return redirect("courses:my_learning")
    course = enrolment.cohort.course
    return render(
        request,
        "courses/learning/offer_accept.html",
        {
            "enrolment": enrolment,
            "cohort": enrolment.cohort,
            "course": course,
            "form": form,
            "needs_payment": needs_payment,
            "vat_pence": course.vat_included_pence(enrolment.fee_pence),
        },
    )


def _confirm_view(request, enrolment_id, *, action, template, allowed, success):
    enrolment = _enrolment_or_404(request, enrolment_id)
    if request.method == "POST":
        try:
            action(enrolment=enrolment, user=request.user)
        except EnrolmentError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, success % {"course": enrolment.cohort.course.title, "code": enrolment.cohort.code}
            )
        return redirect("courses:my_learning")
    if enrolment.status not in allowed:
        messages.error(request, _("This enrolment can no longer be changed here."))
        return redirect("courses:my_learning")
    return render(
        request, template, {"enrolment": enrolment, "cohort": enrolment.cohort, "course": enrolment.cohort.course}
    )


@login_required
@require_http_methods(["GET", "POST"])
def offer_decline(request, enrolment_id):
    return _confirm_view(
        request,
        enrolment_id,
        action=services.offer_decline,
        template="courses/learning/offer_decline.html",
        allowed=[EnrolmentStatus.OFFERED],
        success=_(
            "You have declined the place on %(course)s (%(code)s). It will be offered to the next person waiting."
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def enrolment_withdraw(request, enrolment_id):
    return _confirm_view(
        request,
        enrolment_id,
        action=services.enrolment_withdraw,
        template="courses/learning/withdraw.html",
        allowed=[
            EnrolmentStatus.CONFIRMED,
            EnrolmentStatus.AWAITING_PAYMENT,
            EnrolmentStatus.WAITLISTED,
            EnrolmentStatus.OFFERED,
        ],
        success=_("You have withdrawn from %(course)s (%(code)s). We have emailed you to confirm."),
    )


@login_required
@require_POST
def enrolment_transfer(request, enrolment_id):
    enrolment = _enrolment_or_404(request, enrolment_id)
    cohorts = Cohort.objects.filter(course_id=enrolment.cohort.course_id).exclude(pk=enrolment.cohort_id)
    form = TransferForm(request.POST, cohorts=cohorts)
    if not form.is_valid():
        messages.error(request, form.errors["cohort"][0])
        return redirect("courses:my_learning")
    try:
        moved = services.enrolment_transfer(
            enrolment=enrolment, to_cohort=form.cleaned_data["cohort"], by_user=request.user
        )
    except EnrolmentError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Your place has moved to cohort %(code)s, starting %(date)s.")
            % {"code": moved.cohort.code, "date": date_format(moved.cohort.starts_on, "j F Y")},
        )
    return redirect("courses:my_learning")


@login_required
def enrolment_calendar(request, enrolment_id):
    """The cohort's sessions as an .ics file: for confirmed learners only, since it carries the joining link."""
    enrolment = get_object_or_404(
        Enrolment.objects.select_related("cohort", "cohort__course"),
        pk=enrolment_id,
        user=request.user,
        status=EnrolmentStatus.CONFIRMED,
    )
    response = HttpResponse(cohort_calendar(cohort=enrolment.cohort), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{enrolment.cohort.code}.ics"'
    return response


@login_required
def receipt(request, payment_id):
    payment = get_object_or_404(
        Payment.objects.select_related(
            "enrolment", "enrolment__cohort", "enrolment__cohort__course", "enrolment__user"
        ),
        Q(status=PaymentStatus.PAID) | Q(status=PaymentStatus.REFUNDED),
        pk=payment_id,
        enrolment__user=request.user,
        receipt_number__isnull=False,
    )
    enrolment = payment.enrolment
    return render(
        request,
        "courses/learning/receipt.html",
        {"payment": payment, "enrolment": enrolment, "cohort": enrolment.cohort, "course": enrolment.cohort.course},
    )
