from django import forms
from django.utils.translation import gettext_lazy as _

from wagtail.users.forms import UserCreationForm as WagtailUserCreationForm
from wagtail.users.forms import UserEditForm as WagtailUserEditForm
from wagtail.users.views.users import UserViewSet as WagtailUserViewSet

from allauth.account.models import EmailAddress


class FullNameMixin(forms.Form):
    first_name = None
    last_name = None
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=True)

    def clean_email(self):
        # Sign-up and the user manager store addresses in lower case; without this, "Alex@X.org" could be a second account.
        return self.cleaned_data["email"].lower()


class UserCreationForm(FullNameMixin, WagtailUserCreationForm):
    class Meta(WagtailUserCreationForm.Meta):
        fields = (WagtailUserCreationForm.Meta.fields - {"first_name", "last_name"}) | {"full_name"}


class UserEditForm(FullNameMixin, WagtailUserEditForm):
    class Meta(WagtailUserEditForm.Meta):
        fields = (WagtailUserEditForm.Meta.fields - {"first_name", "last_name"}) | {"full_name"}

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit and "email" in self.changed_data:
            # allauth signs people in by its EmailAddress records too: the old address must stop working. The person
            # confirms the new one when they next sign in.
            EmailAddress.objects.filter(user=user).exclude(email__iexact=user.email).delete()
        return user


class UserViewSet(WagtailUserViewSet):
    def get_form_class(self, for_update=False):
        return UserEditForm if for_update else UserCreationForm
