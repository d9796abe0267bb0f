from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .forms import ProfileForm
from .services import profile_get_or_create, user_update_details


@login_required
def profile_edit(request):
    profile = profile_get_or_create(user=request.user)
    form = ProfileForm(
        request.POST or None,
        instance=profile,
        initial={"full_name": request.user.full_name},
    )
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in ProfileForm.Meta.fields}
        user_update_details(
            user=request.user,
            full_name=form.cleaned_data["full_name"],
            profile_data=data,
        )
        messages.success(request, _("Your details have been saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile_form.html", {"form": form, "profile": profile})
