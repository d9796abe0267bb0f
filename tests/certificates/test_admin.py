"""Staff and certificates: revoke and reissue (administrators, with a reason and their name), and the cohort dashboard's
panel, bulk issue and download (whoever runs the cohort; 404 for other course leads)."""

import io
import zipfile
from http import HTTPStatus

from django.urls import reverse

import pytest

from certificates.models import Certificate, CertificateTemplate
from tests.certificates.conftest import attend, enrol
from tests.content.helpers import make_group_member, make_superuser, soup
from tests.courses.roster import roster_by_heading

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(db):
    return make_group_member("Course administrators", "course.admin@example.org")


def revoke_url(certificate):
    return reverse("certificates_issued:revoke", args=[certificate.pk])


def reissue_url(certificate):
    return reverse("certificates_issued:reissue", args=[certificate.pk])


def dashboard_url(cohort):
    return reverse("courses_cohort_dashboards:dashboard", args=[cohort.pk])


def panel(response):
    return soup(response).find("section", id="certificates")


def test_an_administrator_revokes_with_a_reason_recorded_against_them(client, administrator, certificate):
    client.force_login(administrator)
    refused = client.post(revoke_url(certificate), {"reason": "  "})
    assert refused.status_code == HTTPStatus.OK
    assert not Certificate.objects.get(pk=certificate.pk).is_revoked

    response = client.post(revoke_url(certificate), {"reason": "Signed off on the wrong learner."})
    assert response.status_code == HTTPStatus.FOUND
    certificate.refresh_from_db()
    assert certificate.is_revoked
    assert (certificate.revoked_by, certificate.revoke_reason) == (administrator, "Signed off on the wrong learner.")
    assert not certificate.pdf, "the stored PDF is no longer kept"
    inspect = client.get(reverse("certificates_issued:inspect", args=[certificate.pk]))
    assert "Signed off on the wrong learner." in inspect.content.decode()


def test_reissuing_revokes_the_old_one_and_issues_a_fresh_snapshot(
    client, administrator, certificate, django_capture_on_commit_callbacks
):
    certificate.user.full_name = "Priya Shah-Jones"
    certificate.user.save()
    client.force_login(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reissue_url(certificate), {"reason": "Name changed on marriage."})
    assert response.status_code == HTTPStatus.FOUND
    old = Certificate.objects.get(pk=certificate.pk)
    new = old.reissued_as
    assert old.is_revoked and old.revoke_reason == "Reissued: Name changed on marriage."
    assert (new.learner_name, new.reissue_reason, new.issued_by) == (
        "Priya Shah-Jones",
        "Name changed on marriage.",
        administrator,
    )
    assert new.code != old.code and not new.is_revoked
    assert new.pdf.storage.exists(new.pdf.name)
    assert client.get(reverse("certificates:verify", args=[old.code])).context["certificate"].is_revoked
    # A certificate is reissued once: the new one is the one to reissue next time.
    again = client.post(reissue_url(old), {"reason": "Twice."})
    assert "already been reissued" in again.content.decode()
    assert Certificate.objects.count() == 2


def test_course_leads_cannot_revoke_or_reissue(client, course_lead, certificate):
    client.force_login(course_lead)
    for url in (revoke_url(certificate), reissue_url(certificate)):
        response = client.post(url, {"reason": "Because."})
        assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN)
        assert not response.get("Location", "").startswith(
            reverse("certificates_issued:inspect", args=[certificate.pk])
        )
    assert not Certificate.objects.get(pk=certificate.pk).is_revoked


def test_the_dashboard_panel_shows_who_meets_the_rule_and_who_has_a_certificate(
    client, course_lead, completed, finished_cohort
):
    attending = enrol(finished_cohort, "Ben Brook")
    attend(attending, 3, course_lead)
    client.force_login(course_lead)
    response = client.get(dashboard_url(finished_cohort))
    rows = roster_by_heading(response)
    assert [rows["Priya Shah"][h] for h in ("Completion rule", "Certificate")] == [
        "Met",
        completed.certificates.get().code,
    ]
    assert [rows["Ben Brook"][h] for h in ("Completion rule", "Certificate")] == [
        "Not met: Signed off by a course lead",
        "-",
    ]
    link = (
        soup(response)
        .find("section", attrs={"aria-labelledby": "roster-heading"})
        .find("a", string=completed.certificates.get().code)
    )
    assert link["href"] == reverse("certificates:pdf", args=[completed.certificates.get().code])
    assert "1 learner meets the completion rule" in panel(response).get_text(" ")


def test_bulk_issue_issues_to_everyone_who_meets_the_rule_once(
    client, course_lead, finished_cohort, design, django_capture_on_commit_callbacks
):
    from courses.models import EnrolmentStatus

    learners = [enrol(finished_cohort, name) for name in ("Ann Able", "Ben Brook", "Cat Cole")]
    for enrolment in learners[:2]:
        attend(enrolment, 3, course_lead)
    # Signed off before certificates existed (or while issuing failed): the panel offers to issue.
    type(learners[0]).objects.filter(pk__in=[e.pk for e in learners[:2]]).update(status=EnrolmentStatus.COMPLETED)
    client.force_login(course_lead)
    assert "Issue 2 certificates" in panel(client.get(dashboard_url(finished_cohort))).get_text(" ")

    issue = reverse("certificates_cohorts:issue", args=[finished_cohort.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(issue, follow=True)
    assert "2 certificates issued." in response.content.decode()
    client.post(issue)
    assert sorted(Certificate.objects.values_list("learner_name", flat=True)) == ["Ann Able", "Ben Brook"]
    assert all(c.issued_by == course_lead for c in Certificate.objects.all())


def test_download_all_is_a_zip_of_the_cohorts_valid_certificates(client, course_lead, certificate, finished_cohort):
    client.force_login(course_lead)
    response = client.get(reverse("certificates_cohorts:download", args=[finished_cohort.pk]))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist() == [f"Priya Shah - {certificate.code}.pdf"]
    assert archive.read(archive.namelist()[0])[:5] == b"%PDF-"


def test_another_course_lead_reaches_none_of_it(client, certificate, finished_cohort):
    other = make_group_member("Course leads", "other.lead@example.org")
    client.force_login(other)
    for url in (
        reverse("certificates_cohorts:download", args=[finished_cohort.pk]),
        reverse("certificates:pdf", args=[certificate.code]),
    ):
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert client.post(reverse("certificates_cohorts:issue", args=[finished_cohort.pk])).status_code == (
        HTTPStatus.NOT_FOUND
    )


def test_administrators_find_certificates_and_edit_the_design_with_a_revision(
    client, administrator, certificate, design
):
    client.force_login(administrator)
    listing = client.get(reverse("certificates_issued:index"), {"q": "Priya"})
    assert listing.status_code == HTTPStatus.OK
    assert certificate.code in listing.content.decode()
    inspect = client.get(reverse("certificates_issued:inspect", args=[certificate.pk]))
    assert f"http://testserver/certificates/verify/{certificate.code}/" in inspect.content.decode()

    edit_url = reverse("wagtailsnippets_certificates_certificatetemplate:edit", args=[design.pk])
    assert client.get(edit_url).status_code == HTTPStatus.OK
    revisions = design.revisions.count()
    response = client.post(
        edit_url,
        {
            "name": design.name,
            "course": "",
            "organisation_name": design.organisation_name,
            "heading": design.heading,
            "statement": design.statement,
            "signatory_name": "Prof Ada Lane",
            "signatory_role": "Director of Education",
        },
    )
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    assert design.revisions.count() == revisions + 1
    certificate.refresh_from_db()
    assert certificate.template_revision.as_object().signatory_name == "Dr Helen Marsh"


def test_the_certificate_listing_exports_csv(client, administrator, certificate):
    client.force_login(administrator)
    response = client.get(reverse("certificates_issued:index"), {"export": "csv"})
    assert response.status_code == HTTPStatus.OK
    body = b"".join(response.streaming_content).decode()
    assert certificate.code in body and "Priya Shah" in body


def test_a_design_certificates_were_issued_with_cannot_be_deleted(client, certificate, design):
    client.force_login(make_superuser())

    response = client.post(
        reverse("wagtailsnippets_certificates_certificatetemplate:delete", args=[design.pk]), follow=True
    )

    assert response.status_code == HTTPStatus.OK
    assert "certificates were issued with it, and they must be kept" in response.content.decode()
    assert CertificateTemplate.objects.filter(pk=design.pk).exists()
