"""Public verification of a certificate by its code, and the holder's downloads: the PDF and the Open Badges credential."""

import re
from http import HTTPStatus

from django import forms
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views import View

from . import throttle
from .badges import certificate_credential, issuer_profile
from .models import CODE_ALPHABET, Certificate, certificate_code_normalise
from .selectors import certificate_for_holder_or_staff
from .services import certificate_pdf_ensure

CODE_PATTERN = re.compile(rf"^[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}$")
JSON_LD = "application/ld+json"


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Certificate code"),
        help_text=_("It is printed at the bottom of the certificate, like 7KQ4-9XJ2-MP3D."),
        max_length=30,
        error_messages={"required": _("Enter the certificate code")},
    )

    def clean_code(self):
        code = certificate_code_normalise(self.cleaned_data["code"])
        if not CODE_PATTERN.match(code):
            raise forms.ValidationError(
                _("Enter the code as it is printed: 12 letters and numbers, like 7KQ4-9XJ2-MP3D")
            )
        return code


def _too_many(request):
    response = render(request, "certificates/verify_throttled.html", status=HTTPStatus.TOO_MANY_REQUESTS)
    response["Retry-After"] = str(throttle.WINDOW_SECONDS)
    return response


class VerifyFormView(View):
    """Type in a code from a certificate; a good one goes to its verification page."""

    def get(self, request):
        if "code" not in request.GET:
            return render(request, "certificates/verify_form.html", {"form": VerifyForm()})
        form = VerifyForm(request.GET)
        if not form.is_valid():
            return render(request, "certificates/verify_form.html", {"form": form}, status=HTTPStatus.BAD_REQUEST)
        return redirect("certificates:verify", code=form.cleaned_data["code"])


class VerifyView(View):
    """What anyone may know about a certificate: valid or revoked, whose, which course, when, how many hours."""

    def get(self, request, code):
        if throttle.is_throttled(request):
            return _too_many(request)
        canonical = certificate_code_normalise(code)
        if canonical != code and CODE_PATTERN.match(canonical):
            return redirect("certificates:verify", code=canonical)
        certificate = None
        if CODE_PATTERN.match(code):
            certificate = Certificate.objects.filter(code=code).select_related("reissued_as").first()
        if certificate is None:
            throttle.record_miss(request)
            form = VerifyForm(initial={"code": code})
            return render(
                request, "certificates/verify_form.html", {"form": form, "unknown": code}, status=HTTPStatus.NOT_FOUND
            )
        return render(request, "certificates/verify.html", {"certificate": certificate})


class CertificatePdfView(View):
    """The PDF, for its holder and the staff who run the cohort; none for a revoked certificate."""

    def get(self, request, code):
        certificate = certificate_for_holder_or_staff(code=code, user=request.user)
        if certificate is None or certificate.is_revoked:
            raise Http404
        certificate = certificate_pdf_ensure(certificate=certificate)
        # Our own PDF (made by WeasyPrint, never uploaded), so it may open in the browser, but only ever as a PDF.
        response = FileResponse(
            certificate.pdf.open("rb"),
            as_attachment=request.GET.get("download") == "1",
            filename=f"certificate-{certificate.code}.pdf",
            content_type="application/pdf",
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


class CredentialView(View):
    """The Open Badges 3.0 credential, for its holder."""

    def get(self, request, code):
        certificate = certificate_for_holder_or_staff(code=code, user=request.user)
        if certificate is None or certificate.is_revoked or certificate.user_id != request.user.pk:
            raise Http404
        response = JsonResponse(certificate_credential(certificate=certificate), content_type=JSON_LD)
        response["Content-Disposition"] = f'attachment; filename="open-badge-{certificate.code}.json"'
        return response


class IssuerProfileView(View):
    """The issuer's public Open Badges profile, at the address each credential names as its issuer."""

    def get(self, request):
        return JsonResponse(issuer_profile(), content_type=JSON_LD)
