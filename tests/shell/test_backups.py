"""Backups: `backup_manifest` records what a backup holds, and `check_restore` says whether a restored database and its
media are whole (docs/backups.md). Files are written to folders under tmp_path, as production keeps them on disk."""

import hashlib
import io
import json
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import F
from django.utils import timezone

from wagtail.models import Page

import pytest

from certificates import record_services
from certificates.models import Certificate, CertificateTemplate, CPDActivity
from content.factories import DocumentFactory, ImageFactory
from courses.factories import CohortFactory, CourseIndexPageFactory, CoursePageFactory, EnrolmentFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% the certificate\n"
EVIDENCE = b"Notes from the human factors workshop.\n"


@pytest.fixture
def media(settings, tmp_path, monkeypatch):
    """Public and private media in folders of their own, as STORAGES has them in production."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private", "base_url": None},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # The private file fields took their storage when the models were loaded (certificates/storage.py).
    for model, name in ((Certificate, "pdf"), (CPDActivity, "evidence")):
        monkeypatch.setattr(model._meta.get_field(name), "storage", storages["private"])
    return tmp_path


@pytest.fixture
def estate(media, home_page):
    """An image, a document, a learner's enrolment with its certificate PDF, and a CPD activity with evidence."""
    image, document = ImageFactory(), DocumentFactory()
    course = CoursePageFactory(parent=CourseIndexPageFactory(parent=home_page), title="Human factors essentials")
    enrolment = EnrolmentFactory(cohort=CohortFactory(course=course, code="HFE-01"))
    design = CertificateTemplate.objects.create(
        name="Programme certificate",
        organisation_name="National Patient Safety Investigations",
        signatory_name="Dr Helen Marsh",
        signatory_role="Director of Education",
    )
    certificate = Certificate.objects.create(
        enrolment=enrolment,
        user=enrolment.user,
        learner_name=enrolment.user.full_name,
        course_title=course.title,
        cohort_code="HFE-01",
        cohort_starts_on=enrolment.cohort.starts_on,
        cohort_ends_on=enrolment.cohort.ends_on,
        completed_on=timezone.localdate(),
        cpd_hours=6,
        template_revision=design.save_revision(),
        pdf=ContentFile(PDF, name="certificate.pdf"),
    )
    activity = record_services.cpd_activity_create(
        user=enrolment.user,
        fields={
            "title": "Human factors workshop",
            "activity_type": "course",
            "date": timezone.localdate(),
            "hours": 3,
            "evidence": SimpleUploadedFile("workshop-notes.txt", EVIDENCE),
        },
    )
    return {"image": image, "document": document, "certificate": certificate, "activity": activity}


def run(command, **options) -> str:
    out = io.StringIO()
    call_command(command, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def run_failing(command, **options) -> tuple[str, str]:
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(command, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue(), str(raised.value)


def manifest_of(tmp_path, **options) -> Path:
    path = tmp_path / "manifest.json"
    run("backup_manifest", output=str(path), **options)
    return path


def rewrite(path: Path, change) -> None:
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))


def on_disk(field_file) -> Path:
    return Path(field_file.storage.path(field_file.name))


# --- a sound restore --------------------------------------------------------------------------------------------------


def test_a_healthy_database_and_media_pass_every_check(estate):
    out = run("check_restore")

    for check in ("database", "migrations", "page tree", "files", "certificates"):
        assert f"ok      {check}:" in out
    assert "all 4 referenced files are in their storage" in out
    assert "FAILED" not in out
    assert out.strip().endswith("5 checks: all ok.")


def test_the_manifest_records_migrations_row_counts_and_each_file(estate, tmp_path):
    manifest = json.loads(manifest_of(tmp_path, checksums=True).read_text())

    assert ["certificates", "0001_initial"] in manifest["migrations"]
    counts = manifest["row_counts"]
    assert counts["certificates.Certificate"] == 1
    assert counts["certificates.CPDActivity"] == 1
    assert counts["courses.Enrolment"] == 1
    assert counts["wagtailimages.Image"] == 1
    assert counts["wagtaildocs.Document"] == 1
    assert counts["wagtailcore.Page"] == Page.objects.count()
    assert counts["accounts.User"] == 1
    files = {(entry["model"], entry["field"]): entry for entry in manifest["files"]}
    pdf = files[("certificates.Certificate", "pdf")]
    assert pdf["name"] == estate["certificate"].pdf.name
    assert pdf["storage"] == "private"
    assert pdf["size"] == len(PDF)
    assert pdf["sha256"] == hashlib.sha256(PDF).hexdigest()
    evidence = files[("certificates.CPDActivity", "evidence")]
    assert evidence["sha256"] == hashlib.sha256(EVIDENCE).hexdigest()
    assert files[("wagtailimages.Image", "file")]["storage"] == "default"
    assert set(files) == {
        ("certificates.Certificate", "pdf"),
        ("certificates.CPDActivity", "evidence"),
        ("wagtailimages.Image", "file"),
        ("wagtaildocs.Document", "file"),
    }


def test_without_checksums_the_manifest_records_sizes_only(estate, tmp_path):
    manifest = json.loads(manifest_of(tmp_path).read_text())

    assert manifest["checksums"] is False
    assert all("sha256" not in entry and entry["size"] > 0 for entry in manifest["files"])


def test_the_manifest_can_go_to_standard_output(estate):
    out, err = io.StringIO(), io.StringIO()
    call_command("backup_manifest", stdout=out, stderr=err)

    manifest = json.loads(out.getvalue())
    assert manifest["row_counts"]["certificates.Certificate"] == 1
    assert "Manifest written to standard output" in err.getvalue()
    assert "4 files" in err.getvalue()


def test_a_manifest_from_the_same_data_passes(estate, tmp_path):
    path = manifest_of(tmp_path, checksums=True)

    out = run("check_restore", manifest=str(path))

    assert "ok      row counts:" in out
    assert "ok      manifest migrations:" in out
    assert "ok      manifest files: all 4 files in the manifest are here with the same size and SHA-256" in out
    assert out.strip().endswith("8 checks: all ok.")


def test_rows_added_since_the_manifest_still_pass(estate, tmp_path):
    path = manifest_of(tmp_path)
    ImageFactory()

    assert run("check_restore", manifest=str(path)).strip().endswith("8 checks: all ok.")


# --- what a broken restore looks like ---------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["image", "certificate"])
def test_a_missing_media_file_fails_with_its_name(estate, which):
    field_file = estate["image"].file if which == "image" else estate["certificate"].pdf
    name = field_file.name
    field_file.storage.delete(name)

    out, error = run_failing("check_restore")

    assert "FAILED  files: 1 of 4 referenced files are missing" in out
    assert name in out
    assert "ok      database:" in out, "the other checks still run"
    assert "5 checks: 4 ok, 1 FAILED (files)." in out
    assert error == "The restore check failed: files."


def test_a_manifest_with_more_rows_than_present_fails(estate, tmp_path):
    path = manifest_of(tmp_path)
    rewrite(path, lambda manifest: manifest["row_counts"].update({"certificates.Certificate": 2}))

    out, error = run_failing("check_restore", manifest=str(path))

    assert "FAILED  row counts: 1 tables have fewer rows than the manifest" in out
    assert "certificates.Certificate: 1 rows, fewer than the manifest's 2" in out
    assert "row counts" in error


def test_rows_lost_since_the_manifest_fail(estate, tmp_path):
    path = manifest_of(tmp_path)
    record_services.cpd_activity_delete(activity=estate["activity"])

    out, _error = run_failing("check_restore", manifest=str(path))

    assert "certificates.CPDActivity: 0 rows, fewer than the manifest's 1" in out


def test_a_file_of_another_size_fails(estate, tmp_path):
    path = manifest_of(tmp_path)
    evidence = estate["activity"].evidence
    on_disk(evidence).write_bytes(EVIDENCE + b"and more\n")

    out, error = run_failing("check_restore", manifest=str(path))

    assert (
        f"FAILED  manifest files: 1 of 4 files in the manifest are missing or changed: "
        f"certificates.CPDActivity.evidence: {evidence.name} ({len(EVIDENCE) + 9} bytes, the manifest says {len(EVIDENCE)})"
    ) in out
    assert "ok      files:" in out, "the file is there, only changed"
    assert error == "The restore check failed: manifest files."


def test_a_file_changed_within_its_size_fails_on_its_checksum(estate, tmp_path):
    with_checksums = manifest_of(tmp_path, checksums=True)
    sizes_only = tmp_path / "sizes.json"
    run("backup_manifest", output=str(sizes_only))
    pdf = estate["certificate"].pdf
    on_disk(pdf).write_bytes(PDF.replace(b"certificate", b"CERTIFICATE"))

    out, _error = run_failing("check_restore", manifest=str(with_checksums))
    assert f"certificates.Certificate.pdf: {pdf.name} (same size, different SHA-256)" in out

    assert "ok      manifest files: all 4 files in the manifest are here with the same size" in run(
        "check_restore", manifest=str(sizes_only)
    ), "without checksums only the size is compared"


def test_a_file_missing_at_backup_time_is_recorded_and_not_blamed_on_the_restore(estate, tmp_path):
    document = estate["document"].file
    document.storage.delete(document.name)
    path = tmp_path / "manifest.json"
    err = io.StringIO()
    call_command("backup_manifest", output=str(path), stdout=io.StringIO(), stderr=err)

    assert f"Missing already: wagtaildocs.Document.file #{estate['document'].pk}: {document.name}" in err.getvalue()
    entry = next(e for e in json.loads(path.read_text())["files"] if e["model"] == "wagtaildocs.Document")
    assert entry["missing"] is True
    out, _error = run_failing("check_restore", manifest=str(path))
    assert "ok      manifest files: all 3 files in the manifest are here with the same size; 1 missing already" in out
    assert "FAILED  files: 1 of 4 referenced files are missing: wagtaildocs.Document.file" in out


def test_an_unapplied_migration_is_reported(estate, tmp_path):
    path = manifest_of(tmp_path)
    app, name = MigrationLoader(connection).graph.leaf_nodes("certificates")[0]
    MigrationRecorder.Migration.objects.filter(app=app, name=name).delete()

    out, error = run_failing("check_restore", manifest=str(path))

    assert "FAILED  migrations: 1 of" in out
    assert f"migrations on disk are not applied: certificates.{name}" in out
    assert (
        f"FAILED  manifest migrations: 1 migrations applied when the manifest was taken are not applied here: "
        f"certificates.{name}"
    ) in out
    assert error == "The restore check failed: migrations, manifest migrations."


def test_a_broken_page_tree_fails(estate, home_page):
    Page.objects.filter(pk=home_page.pk).update(numchild=F("numchild") + 3)

    out, _error = run_failing("check_restore")

    assert f"FAILED  page tree: 1 pages with the wrong number of children (ids {home_page.pk})" in out


def test_a_certificate_whose_enrolment_is_gone_fails(estate):
    certificate = estate["certificate"]
    # Foreign keys are checked at commit; the row is put back before the test's transaction ends.
    Certificate.objects.filter(pk=certificate.pk).update(enrolment_id=999_999)
    try:
        out, _error = run_failing("check_restore")
    finally:
        Certificate.objects.filter(pk=certificate.pk).update(enrolment_id=certificate.enrolment_id)

    assert (
        f"FAILED  certificates: 1 certificates whose enrolment is missing: {certificate.code} (enrolment 999999)" in out
    )


# --- bad input --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "There is no manifest at"),
        ("{not json", "is not JSON"),
        ('{"row_counts": {}}', "is not a manifest written by backup_manifest"),
        (
            '{"format": "safety-learning-backup-manifest/1", "migrations": [], "row_counts": {"x.Y": -1}, "files": []}',
            "'row_counts' must map each model to a whole number",
        ),
        (
            '{"format": "safety-learning-backup-manifest/1", "migrations": [], "row_counts": {}, "files": [{"name": 1}]}',
            "each entry of 'files' needs a model, field, name and size",
        ),
    ],
)
def test_a_bad_manifest_is_refused_before_any_check(estate, tmp_path, content, message):
    path = tmp_path / "manifest.json"
    if content is not None:
        path.write_text(content)

    out, error = run_failing("check_restore", manifest=str(path))

    assert message in error
    assert out == "", "no check runs against a manifest it cannot read"


def test_the_manifest_needs_a_folder_that_exists(estate, tmp_path):
    target = tmp_path / "no-such-folder" / "manifest.json"

    _out, error = run_failing("backup_manifest", output=str(target))

    assert f"There is no folder {target.parent}" in error
    assert not target.parent.exists()
