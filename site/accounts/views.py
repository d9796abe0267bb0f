import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from allauth.account.decorators import reauthentication_required

from .forms import AccountCloseForm, ProfileForm
from .personal_data import AccountCloseError, account_close, personal_data_collect, personal_data_json
from .services import profile_get_or_create, user_is_staff, user_update_details


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


def _download_name(extension: str) -> str:
    return f"your-data-{timezone.localdate():%Y-%m-%d}.{extension}"


@never_cache
@require_GET
@login_required
def your_data(request):
    """Everything held about the signed-in person, readable on the page or downloaded as a web page to keep."""
    context = {"sections": personal_data_collect(user=request.user), "generated_at": timezone.now()}
    if request.GET.get("download") == "html":
        response = HttpResponse(render_to_string("accounts/your_data_download.html", context, request=request))
        response["Content-Disposition"] = f'attachment; filename="{_download_name("html")}"'
        return response
    return render(request, "accounts/your_data.html", context)


@never_cache
@require_GET
@login_required
def your_data_json(request):
    """The same data, machine-readable (UK GDPR data portability)."""
    body = json.dumps(personal_data_json(user=request.user), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_download_name("json")}"'
    return response


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
@reauthentication_required(allow_get=True)
def close_account(request):
    """Close the account after the password is asked again; a confirmation box guards against a slip of the hand."""
    form = AccountCloseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            account_close(user=request.user)
        except AccountCloseError as error:
            form.add_error(None, str(error))
        else:
            logout(request)
            messages.success(
                request, _("Your account is closed. We have kept only what the privacy notice says we must.")
            )
            return redirect("/")
    return render(request, "accounts/close_account.html", {"form": form, "staff": user_is_staff(user=request.user)})
