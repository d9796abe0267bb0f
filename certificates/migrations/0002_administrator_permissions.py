"""Course administrators see every certificate and may revoke and reissue them, and edit the certificate designs."""

from django.db import migrations

GROUP = "Course administrators"
PERMISSIONS = {"certificate": ["view", "change"], "certificatetemplate": ["add", "change", "view"]}


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for model, actions in PERMISSIONS.items():
        content_type, _ = ContentType.objects.get_or_create(app_label="certificates", model=model)
        for action in actions:
            # Django creates model permissions after all migrations; make them here so the grant cannot miss.
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type, codename=f"{action}_{model}", defaults={"name": f"Can {action} {model}"}
            )
            group.permissions.add(permission)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=GROUP).first()
    if group is None:
        return
    codenames = [f"{action}_{model}" for model, actions in PERMISSIONS.items() for action in actions]
    group.permissions.remove(*Permission.objects.filter(content_type__app_label="certificates", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0001_initial"),
        ("courses", "0002_course_administrator_permissions"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
