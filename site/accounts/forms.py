from django import forms
from django.utils.translation import gettext_lazy as _

from nhsuk_forms import NHSUKFormMixin

from .models import Profile
from .services import profile_get_or_create


class SignupForm(forms.Form):
    """Extra fields on allauth's sign-up form (ACCOUNT_SIGNUP_FORM_CLASS)."""

    full_name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        help_text=_("As it should appear on your certificates."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    field_order = ["full_name", "email", "password1", "password2"]

    def signup(self, request, user):
        user.full_name = self.cleaned_data["full_name"].strip()
        user.save(update_fields=["full_name"])
        profile_get_or_create(user=user)


class ProfileForm(NHSUKFormMixin, forms.ModelForm):
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        help_text=_("As it should appear on your certificates."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    class Meta:
        model = Profile
        fields = [
            "job_role",
            "organisation",
            "professional_body",
            "professional_body_other",
            "registration_number",
        ]
        help_texts = {
            "organisation": _("For example, the NHS trust, integrated care board or company you work for."),
            "registration_number": _("Your PIN, GMC number or HCPC registration number, if you have one."),
        }

    field_order = ["full_name", *Meta.fields]

    def clean(self):
        cleaned = super().clean()
        body = cleaned.get("professional_body")
        if body == Profile.ProfessionalBody.OTHER and not cleaned.get("professional_body_other", "").strip():
            self.add_error(
                "professional_body_other",
                _("Enter the name of your professional body."),
            )
        if body and body != Profile.ProfessionalBody.OTHER:
            cleaned["professional_body_other"] = ""
        if cleaned.get("registration_number") and not body:
            self.add_error(
                "professional_body",
                _("Choose the professional body that registered you."),
            )
        return cleaned


class AccountCloseForm(NHSUKFormMixin, forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that closing my account cannot be undone"),
        error_messages={"required": _("Confirm that you understand closing your account cannot be undone")},
    )
