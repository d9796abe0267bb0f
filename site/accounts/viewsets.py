from django import forms
from django.utils.translation import gettext_lazy as _

from wagtail.users.forms import UserCreationForm as WagtailUserCreationForm
from wagtail.users.forms import UserEditForm as WagtailUserEditForm
from wagtail.users.views.users import UserViewSet as WagtailUserViewSet


class FullNameMixin(forms.Form):
    first_name = None
    last_name = None
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=True)


class UserCreationForm(FullNameMixin, WagtailUserCreationForm):
    class Meta(WagtailUserCreationForm.Meta):
        fields = (WagtailUserCreationForm.Meta.fields - {"first_name", "last_name"}) | {"full_name"}


class UserEditForm(FullNameMixin, WagtailUserEditForm):
    class Meta(WagtailUserEditForm.Meta):
        fields = (WagtailUserEditForm.Meta.fields - {"first_name", "last_name"}) | {"full_name"}


class UserViewSet(WagtailUserViewSet):
    def get_form_class(self, for_update=False):
        return UserEditForm if for_update else UserCreationForm
