"""Editors create, edit and submit pages; Moderators approve and publish them, through one workflow on the whole tree."""

from django.db import migrations

EDITORIAL_PAGE_PERMISSIONS = {
    "Editors": ["add_page", "change_page"],
    "Moderators": ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
}
MEDIA_PERMISSIONS = [
    ("wagtailimages", "image", ["add_image", "change_image", "choose_image"]),
    ("wagtaildocs", "document", ["add_document", "change_document", "choose_document"]),
]
WORKFLOW_NAME = "Moderators approval"


def ensure_permission(apps, app_label, model, codename):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": codename.replace("_", " ").capitalize()}
    )
    return permission


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Page = apps.get_model("wagtailcore", "Page")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    ContentType = apps.get_model("contenttypes", "ContentType")

    root_page = Page.objects.filter(depth=1).first()
    root_collection = Collection.objects.filter(depth=1).first()
    access_admin = ensure_permission(apps, "wagtailadmin", "admin", "access_admin")
    topic_permissions = [ensure_permission(apps, "content", "topic", f"{action}_topic") for action in ("add", "change")]

    groups = {}
    for name, page_codenames in EDITORIAL_PAGE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        groups[name] = group
        group.permissions.add(access_admin, *topic_permissions)
        if root_page:
            for codename in page_codenames:
                GroupPagePermission.objects.get_or_create(
                    group=group, page=root_page, permission=ensure_permission(apps, "wagtailcore", "page", codename)
                )
        if root_collection:
            for app_label, model, codenames in MEDIA_PERMISSIONS:
                for codename in codenames:
                    GroupCollectionPermission.objects.get_or_create(
                        group=group,
                        collection=root_collection,
                        permission=ensure_permission(apps, app_label, model, codename),
                    )
    # Editors must never publish directly: everything they write goes through a moderator.
    GroupPagePermission.objects.filter(group=groups["Editors"], permission__codename="publish_page").delete()

    task_content_type, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="groupapprovaltask")
    task = GroupApprovalTask.objects.filter(name="Moderators approval", active=True).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name="Moderators approval", content_type=task_content_type, active=True)
    task.groups.set([groups["Moderators"]])
    workflow_content_type, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="workflow")
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    if not WorkflowTask.objects.filter(workflow=workflow, task=task).exists():
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=WorkflowTask.objects.filter(workflow=workflow).count())
    if root_page:
        WorkflowPage.objects.update_or_create(page=root_page, defaults={"workflow": workflow})


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("wagtailadmin", "0006_formstate"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
