"""The learner's email when their marks are released, sent through the task API in the site's voice."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from django_tasks import task


@task()
def marks_released_send(*, attempt_id: int):
    from .models import Attempt

    attempt = Attempt.objects.select_related("user", "exercise", "enrolment__cohort__course").get(pk=attempt_id)
    base_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    exercise = attempt.exercise
    subject = f"Your marks are ready: {exercise.title}"
    context = {
        "user": attempt.user,
        "attempt": attempt,
        "exercise": exercise,
        "subject": subject,
        "attempt_url": base_url + exercise.url + exercise.reverse_subpage("attempt", args=[attempt.pk]),
        "my_learning_url": f"{base_url}/my-learning/",
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("assessments/emails/marks_released.txt", context),
        to=[attempt.user.email],
    )
    message.attach_alternative(render_to_string("assessments/emails/marks_released.html", context), "text/html")
    message.send()
