"""Forms for the course administrators' screens in the Wagtail admin."""

import csv
import io

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.widgets import AdminDateInput

from uploads import csv_formula_start, upload_check

from .models import (
    Attendance,
    AttendanceMark,
    Cohort,
    CoursePage,
    Enrolment,
    FeeBand,
    MessageAudience,
)
from .selectors import ROSTER_STATUSES, WAITING_STATUSES, cohort_seats_taken, cohorts_with_places
from .services import BulkRow

COURSE_LEADS_GROUP = "Course leads"
NAME_MAX_LENGTH = get_user_model()._meta.get_field("full_name").max_length
EMAIL_MAX_LENGTH = get_user_model()._meta.get_field("email").max_length


class CohortAdminForm(WagtailAdminModelForm):
    """The cohort form: leads are chosen from the course leads, and capacity never drops below the seats taken."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "leads" in self.fields:
            current = self.instance.leads.all() if self.instance.pk else get_user_model().objects.none()
            self.fields["leads"].widget = forms.CheckboxSelectMultiple()
            # Setting the queryset after the widget gives the widget its choices.
            self.fields["leads"].queryset = (
                get_user_model()
                .objects.filter(Q(groups__name=COURSE_LEADS_GROUP) | Q(pk__in=current.values("pk")))
                .distinct()
                .order_by("full_name", "email")
            )
            self.fields["leads"].help_text = _("Members of the 'Course leads' group.")

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        if self.instance.pk:
            taken = cohort_seats_taken(cohort=self.instance)
            if capacity < taken:
                raise forms.ValidationError(
                    _("%(taken)d places are already taken or held, so the capacity cannot be lower than that.")
                    % {"taken": taken}
                )
        return capacity


class FeeBandOverrideForm(forms.Form):
    band = forms.ChoiceField(label=_("Fee band"), choices=FeeBand.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded with your name against the enrolment."),
    )

    def __init__(self, *args, enrolment: Enrolment, **kwargs):
        super().__init__(*args, **kwargs)
        self.enrolment = enrolment
        self.fields["band"].initial = enrolment.fee_band

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give a reason for the override."))
        return reason


class CohortChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        left = max(obj.capacity - obj.seats_taken, 0)
        return _("%(cohort)s: %(left)d of %(capacity)d places left") % {
            "cohort": obj,
            "left": left,
            "capacity": obj.capacity,
        }


class EnrolmentTransferForm(forms.Form):
    to_cohort = CohortChoiceField(label=_("Move to cohort"), queryset=Cohort.objects.none(), empty_label=None)

    def __init__(self, *args, enrolment: Enrolment, **kwargs):
        super().__init__(*args, **kwargs)
        self.enrolment = enrolment
        self.fields["to_cohort"].queryset = cohorts_with_places(
            Cohort.objects.filter(course_id=enrolment.cohort.course_id).exclude(pk=enrolment.cohort_id)
        ).order_by("starts_on", "code")


class ConfirmForm(forms.Form):
    """An action that needs nothing but the confirming POST (and its CSRF token)."""


# --- Course leads -------------------------------------------------------------------------------------------------------


class JoiningDetailsForm(forms.ModelForm):
    joining_link = forms.URLField(
        label=_("Online joining link"),
        required=False,
        assume_scheme="https",
        help_text=_("Shown only to confirmed learners."),
    )

    class Meta:
        model = Cohort
        fields = ["joining_instructions", "joining_link"]
        widgets = {"joining_instructions": forms.Textarea(attrs={"rows": 6})}


class RegisterForm(forms.Form):
    """One radio group per learner on the roster; a learner left blank keeps whatever mark they had."""

    def __init__(self, *args, enrolments, session, **kwargs):
        super().__init__(*args, **kwargs)
        current = dict(
            Attendance.objects.filter(session=session, enrolment__in=enrolments).values_list("enrolment", "mark")
        )
        self.rows = []
        for enrolment in enrolments:
            name = f"mark_{enrolment.pk}"
            self.fields[name] = forms.ChoiceField(
                label=str(enrolment.user),
                choices=AttendanceMark.choices,
                widget=forms.RadioSelect,
                required=False,
                initial=current.get(enrolment.pk),
            )
            self.rows.append((enrolment, self[name]))

    def marks(self) -> dict[int, str]:
        return {
            enrolment.pk: self.cleaned_data[f"mark_{enrolment.pk}"]
            for enrolment, _field in self.rows
            if self.cleaned_data.get(f"mark_{enrolment.pk}")
        }


class CohortMessageForm(forms.Form):
    audience = forms.ChoiceField(label=_("Send to"), choices=MessageAudience.choices, widget=forms.RadioSelect)
    # CharField strips whitespace first, so a blank subject or body fails as "required": say what is missing.
    subject = forms.CharField(
        label=_("Subject"), max_length=200, error_messages={"required": _("Give the message a subject.")}
    )
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=10000,
        error_messages={"required": _("Write the message.")},
    )

    def __init__(self, *args, cohort, **kwargs):
        super().__init__(*args, **kwargs)
        confirmed = cohort.enrolments.filter(status__in=ROSTER_STATUSES).count()
        waiting = cohort.enrolments.filter(status__in=WAITING_STATUSES).count()
        self.fields["audience"].choices = [
            (MessageAudience.CONFIRMED, _("Everyone with a confirmed place (%(count)d)") % {"count": confirmed}),
            (
                MessageAudience.WAITLISTED,
                _("Everyone on the waiting list, with or without an offer (%(count)d)") % {"count": waiting},
            ),
        ]
        self.fields["audience"].initial = MessageAudience.CONFIRMED

    def clean_subject(self):
        return _required_text(self.cleaned_data["subject"], _("Give the message a subject."))

    def clean_body(self):
        return _required_text(self.cleaned_data["body"], _("Write the message."))


def _required_text(value: str, message) -> str:
    value = value.strip()
    if not value:
        raise forms.ValidationError(message)
    return value


class SignOffForm(forms.Form):
    enrolments = forms.ModelMultipleChoiceField(
        label=_("Learners"),
        queryset=Enrolment.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one learner.")},
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("completed", _("Completed")), ("did_not_complete", _("Did not complete"))],
        widget=forms.RadioSelect,
        initial="completed",
    )
    override_reason = forms.CharField(
        label=_("Reason for overriding the completion rule"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed only to sign off as completed someone who does not meet the rule. It is recorded."),
    )

    def __init__(self, *args, enrolments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enrolments"].queryset = Enrolment.objects.filter(pk__in=[e.pk for e in enrolments])


class BulkEnrolForm(forms.Form):
    employer = forms.CharField(
        label=_("Organisation"),
        max_length=200,
        help_text=_("The NHS organisation in England that the group works for. Recorded on each enrolment."),
        error_messages={"required": _("Give the organisation's name.")},
    )
    file = forms.FileField(label=_("CSV file"), help_text=_("Up to 500 rows: name, email."))

    MAX_ROWS = 500
    MAX_BYTES = 256 * 1024
    # Formula cells named one by one, up to this many; the rest are counted.
    MAX_FORMULA_ERRORS = 5

    def clean_employer(self):
        return _required_text(self.cleaned_data["employer"], _("Give the organisation's name."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        not_csv = _("The file must be a CSV file saved as UTF-8 text.")
        upload_check(
            upload,
            kinds=["csv"],
            max_bytes=self.MAX_BYTES,
            messages={
                "too_big": _("The file is too big: keep it under 256 KB."),
                "invalid_extension": _("The file must be a CSV file, with a name ending in .csv."),
                "content_mismatch": not_csv,
            },
        )
        text = upload.read().decode("utf-8-sig")
        try:
            # newline="": the reader itself ends lines at \n, \r\n or a lone \r (as older Mac spreadsheets save).
            records = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as error:
            raise forms.ValidationError(not_csv) from error
        rows, formulas = [], []
        for line, raw in enumerate(records, 1):
            formulas.extend((line, cell) for cell in raw if csv_formula_start(cell))
            cells = [cell.strip() for cell in raw]
            if not any(cells):
                continue
            if line == 1 and len(cells) >= 2 and cells[1].lower() in ("email", "email address"):
                continue
            name, email = (cells + ["", ""])[:2]
            if "@" in name and not email:
                name, email = "", name
            # The account's column lengths: longer would fail at the database (PostgreSQL), not with a message.
            for value, limit, message in [
                (name, NAME_MAX_LENGTH, _("Line %(line)d: the name must be %(max)d characters or fewer.")),
                (email, EMAIL_MAX_LENGTH, _("Line %(line)d: the email address must be %(max)d characters or fewer.")),
            ]:
                if len(value) > limit:
                    raise forms.ValidationError(message % {"line": line, "max": limit})
            rows.append(BulkRow(line=line, name=name, email=email))
        if formulas:
            raise forms.ValidationError(self._formula_errors(formulas))
        if not rows:
            raise forms.ValidationError(_("The file has no rows: give a name and an email address on each line."))
        if len(rows) > self.MAX_ROWS:
            raise forms.ValidationError(
                _("The file has %(count)d rows; upload at most %(max)d at a time.")
                % {"count": len(rows), "max": self.MAX_ROWS}
            )
        return rows

    def _formula_errors(self, formulas) -> list[forms.ValidationError]:
        # A spreadsheet would run these as formulas when the list is opened again (exported rosters, reports): refuse
        # the whole file rather than store them, and say exactly where they are.
        errors = [
            forms.ValidationError(
                _("Line %(line)d: “%(cell)s” starts with %(start)s, which a spreadsheet would run as a formula.")
                % {"line": line, "cell": _shorten(cell.strip() or cell), "start": _visible(csv_formula_start(cell))},
                code="formula",
            )
            for line, cell in formulas[: self.MAX_FORMULA_ERRORS]
        ]
        more = len(formulas) - self.MAX_FORMULA_ERRORS
        if more > 0:
            errors.append(
                forms.ValidationError(
                    ngettext(
                        "%(count)d more cell starts the same way.", "%(count)d more cells start the same way.", more
                    )
                    % {"count": more},
                    code="formula_more",
                )
            )
        errors.append(
            forms.ValidationError(
                _(
                    "Nobody has been enrolled. Remove those characters from the start of the cells and upload the file again."
                ),
                code="formula_fix",
            )
        )
        return errors

    def clean(self):
        cleaned = super().clean()
        if "file" in cleaned:
            cleaned["rows"] = cleaned["file"]
        return cleaned


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def _visible(start: str) -> str:
    """A tab or carriage return named, since neither shows on the page."""
    return {"\t": _("a tab"), "\r": _("a carriage return")}.get(start) or f"“{start}”"


class ReportFilterForm(forms.Form):
    starts_from = forms.DateField(label=_("Cohorts starting from"), required=False, widget=AdminDateInput)
    starts_to = forms.DateField(label=_("to"), required=False, widget=AdminDateInput)
    course = forms.ModelChoiceField(
        label=_("Course"), queryset=CoursePage.objects.order_by("title"), required=False, empty_label=_("All courses")
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("starts_from"), cleaned.get("starts_to")
        if start and end and end < start:
            self.add_error("starts_to", _("The end of the range must be on or after its start."))
        return cleaned
