"""The payment provider's webhook, outside the Wagtail page tree and the learner pages."""

from django.urls import path

from . import webhooks

app_name = "payments"

urlpatterns = [
    path("stripe/webhook/", webhooks.stripe_webhook, name="stripe_webhook"),
]
