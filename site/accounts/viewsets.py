from django import forms
from django.db import transaction
from django.db.models import ProtectedError
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from wagtail.admin import messages
from wagtail.users.forms import UserCreationForm as WagtailUserCreationForm
from wagtail.users.forms import UserEditForm as WagtailUserEditForm
from wagtail.users.views.users import DeleteView as WagtailUserDeleteView
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


class RefuseProtectedDeleteMixin:
    """For an admin DeleteView: deleting what kept records depend on is refused with a message, not a server error.

    Wagtail's usage count does not see our models (they are not in its reference index), so the PROTECT foreign key
    is what stops the delete; nothing is deleted before Django finds it.
    """

    protected_message = _("'%(object)s' cannot be deleted: records that must be kept depend on it.")

    def form_valid(self, form):
        try:
            with transaction.atomic():
                return super().form_valid(form)
        except ProtectedError:
            messages.error(self.request, self.protected_message % {"object": self.object})
            return redirect(self.get_success_url())


class UserDeleteView(RefuseProtectedDeleteMixin, WagtailUserDeleteView):
    protected_message = _(
        "'%(object)s' cannot be deleted: their enrolments, payments or certificates must be kept. Deactivate the "
        "account instead, or ask them to close it, which erases their personal data."
    )


class UserViewSet(WagtailUserViewSet):
    delete_view_class = UserDeleteView

    def get_form_class(self, for_update=False):
        return UserEditForm if for_update else UserCreationForm
