from django import forms
from django.utils.translation import gettext_lazy as _

from nhsuk_forms import NHSUKFormMixin

from .models import PaymentMethod

YES, NO = "yes", "no"
INVOICE_FIELDS = ["organisation", "billing_contact", "billing_email", "purchase_order"]


class DeclarationForm(NHSUKFormMixin, forms.Form):
    """Step 1 of enrolment: the learner's declaration, which (with a verified NHS email) decides the fee band."""

    works_for_nhs_england = forms.ChoiceField(
        label=_("Do you work for an NHS organisation in England?"),
        choices=[(YES, _("Yes")), (NO, _("No"))],
        widget=forms.RadioSelect,
        help_text=_("For example an NHS trust, an integrated care board or NHS England itself."),
        error_messages={"required": _("Select yes if you work for an NHS organisation in England")},
    )
    employer = forms.CharField(
        label=_("Your employer"),
        max_length=200,
        required=False,
        help_text=_("The name of the organisation you work for. Required if you answered yes."),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )

    def clean(self):
        cleaned = super().clean()
        cleaned["employer"] = cleaned.get("employer", "").strip()
        if cleaned.get("works_for_nhs_england") == YES and not cleaned["employer"]:
            self.add_error("employer", _("Enter the name of the NHS organisation you work for"))
        return cleaned

    @property
    def declared(self) -> bool:
        return self.cleaned_data["works_for_nhs_england"] == YES


class PaymentForm(NHSUKFormMixin, forms.Form):
    """How an external learner pays: by card (only when the provider is configured) or by invoice."""

    payment_method = forms.ChoiceField(
        label=_("How will you pay?"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Select how you will pay")},
    )
    organisation = forms.CharField(
        label=_("Organisation to invoice"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    billing_contact = forms.CharField(
        label=_("Billing contact"),
        max_length=200,
        required=False,
        help_text=_("The person in your organisation who pays invoices."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    billing_email = forms.EmailField(
        label=_("Billing email address"),
        required=False,
        # The column's length: the address format alone allows up to 320 characters.
        max_length=254,
        error_messages={
            "invalid": _("Enter the billing email address in the right format, like name@example.org"),
            "max_length": _("Billing email address must be 254 characters or fewer"),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    purchase_order = forms.CharField(
        label=_("Purchase-order number"),
        max_length=100,
        required=False,
        help_text=_("Your organisation gives you this before we can invoice it."),
    )

    missing = {
        "organisation": _("Enter the name of the organisation to invoice"),
        "billing_contact": _("Enter the name of the billing contact"),
        "billing_email": _("Enter the billing email address"),
        "purchase_order": _("Enter the purchase-order number"),
    }

    def __init__(self, *args, card_available: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.card_available = card_available
        choices = [(PaymentMethod.INVOICE, _("Invoice my organisation"))]
        if card_available:
            choices.insert(0, (PaymentMethod.CARD, _("Pay now by debit or credit card")))
        else:
            # Only one way to pay: no question to answer (the card option is hidden, never faked).
            self.fields["payment_method"].widget = forms.HiddenInput()
            self.fields["payment_method"].initial = PaymentMethod.INVOICE
        self.fields["payment_method"].choices = choices
        if card_available:
            for name in INVOICE_FIELDS:
                hint = self.fields[name].help_text
                self.fields[name].help_text = (
                    f"{hint} {_('Only if you choose an invoice.')}" if hint else _("Only if you choose an invoice.")
                )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("payment_method") == PaymentMethod.INVOICE:
            for name in INVOICE_FIELDS:
                value = cleaned.get(name, "")
                cleaned[name] = value.strip() if isinstance(value, str) else value
                if not cleaned[name] and name not in self.errors:
                    self.add_error(name, self.missing[name])
        return cleaned

    def invoice(self) -> dict | None:
        if self.cleaned_data["payment_method"] != PaymentMethod.INVOICE:
            return None
        return {name: self.cleaned_data[name] for name in INVOICE_FIELDS}


class TransferForm(NHSUKFormMixin, forms.Form):
    cohort = forms.ModelChoiceField(
        label=_("Move to"),
        queryset=None,
        empty_label=None,
        error_messages={"invalid_choice": _("Choose a cohort of this course that has places")},
    )

    def __init__(self, *args, cohorts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = cohorts
