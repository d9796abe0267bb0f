"""Forms for the learner's CPD record: an activity with its reflection and evidence, and the revalidation date.

Dates are asked for with the NHS.UK date input (day, month and year boxes) and its error messages, rather than the
browser's date picker, which the NHS.UK service manual advises against.
"""

import datetime
import posixpath
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import FileExtensionValidator
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from nhsuk_forms import NHSUKFormMixin
from uploads import kinds_for_extensions, kinds_text, size_text, upload_check

from .models import ActivityType, CPDActivity
from .record import PERIOD_YEARS

REFLECTION_MAX_LENGTH = 10_000
YES, NO = "yes", "no"


def evidence_extensions() -> list[str]:
    """The file types the model accepts, so that the form and the model never disagree."""
    for validator in CPDActivity._meta.get_field("evidence").validators:
        if isinstance(validator, FileExtensionValidator):
            return list(validator.allowed_extensions)
    return []


def evidence_kinds() -> tuple[str, ...]:
    return kinds_for_extensions(evidence_extensions())


def evidence_max_bytes() -> int:
    return settings.CERTIFICATES_EVIDENCE_MAX_UPLOAD_SIZE


def evidence_filename(activity: CPDActivity) -> str:
    """The evidence file's name without the storage folder, as the learner would recognise it."""
    return posixpath.basename(activity.evidence.name) if activity.evidence else ""


# The NHS.UK date input ----------------------------------------------------------------------------------------------


class NHSDateInput(forms.MultiWidget):
    """Day, month and year boxes in NHS.UK markup; the label of the field becomes the fieldset's legend."""

    template_name = "certificates/record/widgets/date_input.html"
    parts = (("day", _("Day"), 2), ("month", _("Month"), 2), ("year", _("Year"), 4))

    def __init__(self, attrs=None):
        widgets = {name: forms.TextInput(attrs={"inputmode": "numeric"}) for name, _label, _width in self.parts}
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if isinstance(value, datetime.date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget["has_error"] = widget["attrs"].get("aria-invalid") == "true"
        id_ = widget["attrs"].get("id")
        for subwidget, (part, label, width) in zip(widget["subwidgets"], self.parts, strict=True):
            subwidget["label"] = label
            subwidget["width"] = width
            if id_:
                subwidget["attrs"]["id"] = f"{id_}_{part}"
        return context

    def id_for_label(self, id_):
        # The error summary links to the first box, as the NHS.UK date input asks.
        return f"{id_}_day" if id_ else ""


class NHSDateField(forms.Field):
    """A date typed as day, month and year, with the NHS.UK messages naming what is wrong ("must include a month")."""

    widget = NHSDateInput

    def __init__(self, *, subject, **kwargs):
        self.subject = subject
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, datetime.date) or value in self.empty_values:
            return value or None
        if not isinstance(value, list | tuple) or len(value) != len(NHSDateInput.parts):
            raise ValidationError(_("%(subject)s must be a real date") % {"subject": self.subject}, code="invalid")
        parts = [str(part if part is not None else "").strip() for part in value]
        if not any(parts):
            return None
        missing = [
            str(label).lower()
            for part, (_name, label, _width) in zip(parts, NHSDateInput.parts, strict=True)
            if not part
        ]
        if missing:
            raise ValidationError(
                _("%(subject)s must include a %(parts)s")
                % {"subject": self.subject, "parts": str(_(" and ")).join(missing)},
                code="incomplete",
            )
        day, month, year = parts
        if not all(part.isdigit() for part in parts):
            raise ValidationError(_("%(subject)s must be a real date") % {"subject": self.subject}, code="invalid")
        if len(year) != 4:
            raise ValidationError(_("Year must include 4 numbers"), code="invalid_year")
        try:
            return datetime.date(int(year), int(month), int(day))
        except ValueError:
            raise ValidationError(
                _("%(subject)s must be a real date") % {"subject": self.subject}, code="invalid"
            ) from None


def _years_after(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# An activity --------------------------------------------------------------------------------------------------------


class EvidenceInput(forms.FileInput):
    """A file input with the NHS.UK class, which the shared field include cannot add to a file input."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["class"] = "nhsuk-file-upload__input"
        return context


class NHSRadioSelect(forms.RadioSelect):
    def id_for_label(self, id_, index=None):
        # The question's error in the error summary links to its first radio (Django gives no id for the whole group).
        return super().id_for_label(id_, "0" if index is None else index)


def _reflection_field(label, help_text=""):
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        max_length=REFLECTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"max_length": _("Your answer must be 10,000 characters or fewer")},
    )


class CPDActivityForm(NHSUKFormMixin, forms.ModelForm):
    """An activity the learner logs. The reflection is optional (it can be written later), but only an activity with all
    four answers counts as one of the five written reflective accounts."""

    title = forms.CharField(
        label=_("Title of the activity"),
        max_length=200,
        help_text=_("For example, Human factors in medication safety (webinar)."),
        error_messages={
            "required": _("Enter the title of the activity"),
            "max_length": _("Title must be 200 characters or fewer"),
        },
    )
    provider = forms.CharField(
        label=_("Provider (optional)"),
        max_length=200,
        required=False,
        help_text=_("The organisation that ran it, if there was one."),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
        error_messages={"max_length": _("Provider must be 200 characters or fewer")},
    )
    activity_type = forms.ChoiceField(
        label=_("Type of activity"),
        choices=ActivityType.choices,
        widget=NHSRadioSelect,
        error_messages={
            "required": _("Select the type of activity"),
            "invalid_choice": _("Select the type of activity"),
        },
    )
    date = NHSDateField(
        subject=_("Date of the activity"),
        label=_("Date of the activity"),
        help_text=_("If it ran over more than one day, the day it ended. For example, 15 3 2026."),
        error_messages={"required": _("Enter the date of the activity")},
    )
    hours = forms.DecimalField(
        label=_("Hours"),
        help_text=_("How long it took, in hours. For example, 1.5 for an hour and a half."),
        min_value=Decimal("0.5"),
        max_value=Decimal("200"),
        decimal_places=1,
        localize=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false"}),
        error_messages={
            "required": _("Enter the hours the activity took"),
            "invalid": _("Hours must be a number, like 1.5"),
            "min_value": _("Hours must be 0.5 or more"),
            "max_value": _("Hours must be 200 or fewer"),
            "max_decimal_places": _("Hours must have no more than 1 decimal place, like 1.5"),
        },
    )
    participatory = forms.TypedChoiceField(
        label=_("Was it participatory?"),
        help_text=_(
            "Participatory means you learned with other people, in person or online: a course, workshop, conference "
            "or discussion group. Reading or e-learning on your own is not participatory."
        ),
        choices=[(YES, _("Yes")), (NO, _("No"))],
        coerce=lambda value: value == YES,
        widget=NHSRadioSelect,
        error_messages={"required": _("Select yes if the activity was participatory")},
    )
    reflection_what = _reflection_field(_("What was the nature of the CPD activity?"))
    reflection_learned = _reflection_field(_("What did you learn from the CPD activity?"))
    reflection_practice = _reflection_field(_("How did you change or improve your practice as a result?"))
    reflection_code = _reflection_field(
        _("How is this relevant to the Code?"),
        help_text=_(
            "Name one or more of its themes: prioritise people, practise effectively, preserve safety, promote "
            "professionalism and trust."
        ),
    )
    evidence = forms.FileField(
        label=_("Evidence (optional)"),
        required=False,
        widget=EvidenceInput,
        error_messages={
            "empty": _("The selected file is empty"),
            "invalid": _("Choose a file to upload as evidence"),
            "max_length": _("The file name must be 100 characters or fewer"),
        },
    )
    remove_evidence = forms.BooleanField(label=_("Remove the evidence file"), required=False)

    reflection_fields = ["reflection_what", "reflection_learned", "reflection_practice", "reflection_code"]

    class Meta:
        model = CPDActivity
        fields = [
            "title",
            "provider",
            "activity_type",
            "date",
            "hours",
            "participatory",
            "reflection_what",
            "reflection_learned",
            "reflection_practice",
            "reflection_code",
            "evidence",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        hint = _("For example, a certificate of attendance or your notes. A %(kinds)s, smaller than %(size)s.") % {
            "kinds": kinds_text(evidence_kinds()),
            "size": size_text(evidence_max_bytes()),
        }
        current = self.instance.evidence.name if self.instance.pk else ""
        if current:
            self.fields["evidence"].label = _("Replace the evidence file (optional)")
            self.fields["evidence"].help_text = format_html(
                "{} <strong>{}</strong>. {} {}",
                _("You have uploaded"),
                evidence_filename(self.instance),
                _("Choose a new file only to replace it."),
                hint,
            )
        else:
            self.fields["evidence"].help_text = hint
            del self.fields["remove_evidence"]
        if self.instance.pk:
            self.initial["participatory"] = YES if self.instance.participatory else NO
        else:
            # Radios start unanswered (NHS.UK): the model's default of "no" would otherwise be chosen for them.
            self.initial.pop("participatory", None)

    def full_clean(self):
        super().full_clean()
        if self.errors and self.files.get("evidence") and "evidence" not in self.errors:
            # Browsers never refill a file input: say so, rather than let the file be lost without a word.
            bound = self["evidence"]  # made (with its hint) while cleaning: the hint is changed on it
            bound.help_text = format_html("<strong>{}</strong> {}", _("Choose your file again."), bound.help_text)

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date and date > timezone.localdate():
            raise ValidationError(_("Date of the activity must be today or in the past"), code="future")
        return date

    def clean_evidence(self):
        evidence = self.cleaned_data.get("evidence")
        # Only a new upload is checked: with nothing chosen the field gives back the file already stored.
        if isinstance(evidence, UploadedFile):
            upload_check(evidence, kinds=evidence_kinds(), max_bytes=evidence_max_bytes())
        return evidence

    @property
    def activity_fields(self) -> dict:
        """What the services store: every model field of the form, and nothing else."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    @property
    def reflection(self):
        return [self[name] for name in self.reflection_fields]


# The revalidation date ----------------------------------------------------------------------------------------------


class RevalidationDateForm(NHSUKFormMixin, forms.Form):
    revalidation_due = NHSDateField(
        subject=_("Revalidation date"),
        label=_("When is your next revalidation due?"),
        required=False,
        help_text=_(
            "It is on your NMC Online account. For example, 31 3 2027. Leave it empty to count the three years up to "
            "today instead."
        ),
    )

    def clean_revalidation_due(self):
        due = self.cleaned_data["revalidation_due"]
        if due is None:
            return None
        today = timezone.localdate()
        if due < today:
            raise ValidationError(_("Revalidation date must be today or in the future"), code="past")
        if due > _years_after(today, PERIOD_YEARS):
            raise ValidationError(
                _("Revalidation date must be within the next %(years)s years") % {"years": PERIOD_YEARS},
                code="too_far",
            )
        return due
