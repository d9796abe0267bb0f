"""Forms for the course administrators' screens in the Wagtail admin."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wagtail.admin.forms import WagtailAdminModelForm

from .models import Cohort, Enrolment, FeeBand
from .selectors import cohort_seats_taken, cohorts_with_places

COURSE_LEADS_GROUP = "Course leads"


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
