"""Groups for the learning side's staff. Their permissions arrive with the course apps; here they may open the admin."""

from django.db import migrations

STAFF_GROUPS = ["Course leads", "Course administrators"]


def create_groups(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="wagtailadmin", model="admin")
    access_admin, _ = Permission.objects.get_or_create(
        content_type=content_type, codename="access_admin", defaults={"name": "Can access Wagtail admin"}
    )
    for name in STAFF_GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(access_admin)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("wagtailadmin", "0006_formstate"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
