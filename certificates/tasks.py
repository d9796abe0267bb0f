"""Slow or fallible certificate work, through Django's task API: immediate in development and tests, a worker in
production."""

import logging

from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def certificate_issue_automatically(*, enrolment_id: int):
    """Issue on sign-off when the completion rule holds; a learner who does not meet it is left for the lead to see."""
    from courses.models import Enrolment

    from . import services
    from .exceptions import CertificateError

    enrolment = Enrolment.objects.select_related("cohort__course", "user").get(pk=enrolment_id)
    try:
        certificate = services.certificate_issue(enrolment=enrolment, by_user=None)
    except CertificateError as error:
        logger.info("No certificate for enrolment %s: %s", enrolment_id, error.message)
        return
    certificate_pdf_render.enqueue(certificate_id=certificate.pk)


@task()
def certificate_pdf_render(*, certificate_id: int):
    from . import services
    from .models import Certificate

    services.certificate_pdf_ensure(certificate=Certificate.objects.get(pk=certificate_id))
