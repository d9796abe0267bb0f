"""The course lead's marking queue in the Wagtail admin: written answers beside their marking guide, then release.

A lead reaches only attempts by learners on the cohorts they lead (`attempts_for_staff`); any other is a 404.
"""

from decimal import Decimal

from django import forms
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from django.views.generic.edit import FormView

from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from audit import log_actions_registrar
from courses.selectors import cohorts_for_staff
from uploads import csv_writer

from . import services
from .exceptions import AttemptError
from .models import FeedbackRelease, MarkingComment
from .progress import cohort_progress
from .selectors import attempt_page, attempt_questions, attempts_for_staff, marking_queue

LOG_ACTIONS = {
    "assessments.mark": (_("Mark answers"), _("Answers marked")),
    "assessments.release": (_("Release marks"), _("Marks released to the learner")),
}


register_log_actions = log_actions_registrar(LOG_ACTIONS)

URL_NAMESPACE = "assessments_marking"


def marking_url(name, *args):
    return reverse(f"{URL_NAMESPACE}:{name}", args=args)


class MarkingQueueView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "assessments/admin/marking_queue.html"
    page_title = _("Marking")
    header_icon = "edit"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        attempts = list(marking_queue(user=self.request.user))
        for attempt in attempts:
            attempt.url = marking_url("mark", attempt.pk)
        context["attempts"] = attempts
        return context


class MarkingForm(forms.Form):
    """A mark and feedback for each written answer, with the team's reusable comments to add."""

    def __init__(self, *args, rows, comments, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            answer = row["answer"]
            self.fields[f"score_{answer.pk}"] = forms.DecimalField(
                label=_("Mark (out of %(max)s)") % {"max": f"{answer.max_score.normalize():f}"},
                required=False,
                min_value=Decimal(0),
                max_value=answer.max_score,
                decimal_places=2,
                initial=answer.score,
            )
            self.fields[f"feedback_{answer.pk}"] = forms.CharField(
                label=_("Feedback to the learner"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
                initial=answer.marker_feedback,
            )
            self.fields[f"comments_{answer.pk}"] = forms.ModelMultipleChoiceField(
                label=_("Add reusable comments"),
                queryset=comments,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
            self.fields[f"keep_{answer.pk}"] = forms.BooleanField(
                label=_("Keep this feedback as a reusable comment"), required=False
            )
            row["fields"] = [self[f"{name}_{answer.pk}"] for name in ("score", "feedback", "comments", "keep")]

    def marks(self) -> dict[int, tuple]:
        marks = {}
        for row in self.rows:
            pk = row["answer"].pk
            extra = [comment.text for comment in self.cleaned_data[f"comments_{pk}"]]
            feedback = "\n\n".join(part for part in [self.cleaned_data[f"feedback_{pk}"].strip(), *extra] if part)
            marks[pk] = (self.cleaned_data[f"score_{pk}"], feedback)
        return marks


class AttemptMarkView(WagtailAdminTemplateMixin, FormView):
    template_name = "assessments/admin/mark_attempt.html"
    form_class = MarkingForm
    page_title = _("Mark written answers")
    header_icon = "edit"

    @cached_property
    def attempt(self):
        return get_object_or_404(
            attempts_for_staff(user=self.request.user).select_related(
                "user", "exercise", "enrolment__cohort", "revision"
            ),
            pk=self.kwargs["attempt_pk"],
        )

    def get_page_subtitle(self):
        return f"{self.attempt.user}: {self.attempt.exercise.title}"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": marking_url("index"), "label": gettext("Marking")},
            {"url": "", "label": str(self.attempt.user)},
        ]

    @cached_property
    def rows(self):
        questions = attempt_questions(self.attempt)
        rows = []
        for answer in self.attempt.answers.order_by("pk"):
            stage, question = questions.get(answer.question_id, (None, None))
            if question is None or question.block_type != "free_text":
                continue
            rows.append({"answer": answer, "stage": stage, "question": question.value})
        return rows

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "rows": self.rows, "comments": MarkingComment.objects.all()}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        attempt = self.attempt
        context.update(
            {
                "attempt": attempt,
                "cohort": attempt.enrolment.cohort,
                "waits_for_release": attempt_page(attempt).feedback_release == FeedbackRelease.AFTER_MARKING,
                "release_url": marking_url("release", attempt.pk),
                "media": context["form"].media,
            }
        )
        return context

    def form_valid(self, form):
        try:
            attempt = services.attempt_marks_save(attempt=self.attempt, marks=form.marks(), by_user=self.request.user)
        except AttemptError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        for row in self.rows:
            pk = row["answer"].pk
            if form.cleaned_data[f"keep_{pk}"]:
                services.marking_comment_save(text=form.cleaned_data[f"feedback_{pk}"], by_user=self.request.user)
        if attempt.released_at:
            messages.success(self.request, gettext("Marks saved and released: the learner has been emailed."))
        elif attempt.status == "marked":
            messages.success(self.request, gettext("Marks saved. Release them when you are ready."))
        else:
            messages.success(self.request, gettext("Marks saved. Some answers still need a mark."))
        return redirect(marking_url("mark", attempt.pk))

    def form_invalid(self, form):
        messages.error(self.request, gettext("Nothing was saved: correct the errors below."))
        return super().form_invalid(form)


class AttemptReleaseView(WagtailAdminTemplateMixin, TemplateView):
    http_method_names = ["post"]

    def post(self, request, attempt_pk):
        attempt = get_object_or_404(attempts_for_staff(user=request.user), pk=attempt_pk)
        try:
            services.attempt_release(attempt=attempt, by_user=request.user)
        except AttemptError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, gettext("Marks released: the learner has been emailed."))
        return redirect(marking_url("mark", attempt.pk))


class ProgressCsvView(WagtailAdminTemplateMixin, TemplateView):
    """The cohort dashboard's exercise panel as a spreadsheet: one row per learner, one column per exercise."""

    def get(self, request, cohort_pk):
        cohort = get_object_or_404(cohorts_for_staff(user=request.user).select_related("course"), pk=cohort_pk)
        progress = cohort_progress(cohort)
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="exercises-{cohort.code}.csv"'
        writer = csv_writer(response)  # names and titles that look like formulas are written as text
        writer.writerow([gettext("Name"), gettext("Email"), *[exercise.title for exercise in progress["exercises"]]])
        for row in progress["rows"]:
            user = row["enrolment"].user
            writer.writerow([user.full_name, user.email, *row["cells"]])
        return response
