"""Editors write and submit; Moderators approve and publish (the groups and workflow of migration 0002)."""

from http import HTTPStatus

from django.contrib.auth.models import Group
from django.test import TestCase
from django.urls import reverse

from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    Workflow,
    WorkflowState,
)
from wagtail.test.utils.form_data import streamfield

from accounts.factories import UserFactory
from content.factories import StandardPageFactory
from tests.conftest import make_site_home
from tests.content.helpers import make_group_member, page_form

WORKFLOW_NAME = "Moderators approval"


class TestEditorialGroups(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.editors = Group.objects.get(name="Editors")
        cls.moderators = Group.objects.get(name="Moderators")
        cls.home = make_site_home()
        cls.editor = make_group_member("Editors", "editor@example.org")
        cls.moderator = make_group_member("Moderators", "moderator@example.org")

    def page_permissions(self, group):
        root = Page.get_first_root_node()
        return set(
            GroupPagePermission.objects.filter(group=group, page=root).values_list("permission__codename", flat=True)
        )

    def test_editors_can_add_and_change_pages_but_not_publish(self):
        self.assertEqual(self.page_permissions(self.editors), {"add_page", "change_page"})
        permissions = self.home.permissions_for_user(self.editor)
        self.assertTrue(permissions.can_add_subpage())
        self.assertTrue(permissions.can_edit())
        self.assertFalse(permissions.can_publish())
        self.assertFalse(permissions.can_publish_subpage())

    def test_moderators_can_publish(self):
        self.assertEqual(
            self.page_permissions(self.moderators),
            {"add_page", "change_page", "publish_page", "lock_page", "unlock_page"},
        )
        permissions = self.home.permissions_for_user(self.moderator)
        self.assertTrue(permissions.can_edit())
        self.assertTrue(permissions.can_publish())
        self.assertTrue(permissions.can_lock())

    def test_both_groups_can_open_the_admin_and_manage_topics_and_media(self):
        for user in [self.editor, self.moderator]:
            with self.subTest(user=user):
                self.assertTrue(user.has_perm("wagtailadmin.access_admin"))
                self.assertTrue(user.has_perms(["content.add_topic", "content.change_topic"]))
                self.assertFalse(user.has_perm("content.delete_topic"))
        for group in [self.editors, self.moderators]:
            with self.subTest(group=group):
                media = set(
                    GroupCollectionPermission.objects.filter(
                        group=group, collection=Collection.get_first_root_node()
                    ).values_list("permission__codename", flat=True)
                )
                self.assertEqual(
                    media,
                    {"add_image", "change_image", "choose_image", "add_document", "change_document", "choose_document"},
                )

    def test_every_page_goes_through_the_moderators_approval_workflow(self):
        workflow = Workflow.objects.get(name=WORKFLOW_NAME)
        self.assertTrue(workflow.active)
        tasks = [task.specific for task in workflow.tasks.all()]
        self.assertEqual([type(task) for task in tasks], [GroupApprovalTask])
        self.assertEqual(list(tasks[0].groups.all()), [self.moderators])
        page = StandardPageFactory(parent=self.home)
        self.assertEqual(page.get_workflow(), workflow)

    def test_staff_without_an_authenticator_are_sent_to_set_one_up(self):
        staff = UserFactory(email="new-editor@example.org")
        staff.groups.add(self.editors)
        self.client.force_login(staff)

        response = self.client.get("/admin/")

        self.assertRedirects(response, f"{reverse('mfa_activate_totp')}?next=/admin/", fetch_redirect_response=False)

    def test_staff_with_an_authenticator_reach_the_admin(self):
        for user in [self.editor, self.moderator]:
            with self.subTest(user=user):
                self.client.force_login(user)
                self.assertEqual(self.client.get("/admin/").status_code, HTTPStatus.OK)


class TestModerationWorkflow(TestCase):
    """A draft written by an editor is published only when a moderator approves it."""

    @classmethod
    def setUpTestData(cls):
        cls.home = make_site_home()
        cls.editor = make_group_member("Editors", "editor@example.org")
        cls.moderator = make_group_member("Moderators", "moderator@example.org")
        cls.draft = StandardPageFactory(parent=cls.home, title="Draft", slug="how-we-investigate", live=False)
        cls.live_page = StandardPageFactory(parent=cls.home, title="About us", slug="about-us")
        cls.live_page.save_revision(user=cls.moderator).publish()
        cls.live_page.refresh_from_db()

    def edit_url(self, page):
        return reverse("wagtailadmin_pages:edit", args=[page.pk])

    def post_edit(self, user, page, action, title):
        self.client.force_login(user)
        data = page_form(page, title=title, introduction="How we investigate.", body=streamfield([]))
        return self.client.post(self.edit_url(page), {**data, action: action})

    def submit(self, page=None, title="How we investigate"):
        page = page or self.draft
        response = self.post_edit(self.editor, page, "action-submit", title)
        self.assertRedirects(response, reverse("wagtailadmin_explore", args=[self.home.pk]))
        return WorkflowState.objects.get(base_content_type__model="page", object_id=str(page.pk))

    def workflow_action(self, user, workflow_state, action, **data):
        self.client.force_login(user)
        task_state = workflow_state.current_task_state
        url = reverse(
            "wagtailadmin_pages:workflow_action", args=[workflow_state.content_object.pk, action, task_state.pk]
        )
        return self.client.post(url, data)

    def test_the_editor_is_offered_submit_to_moderators_approval(self):
        self.client.force_login(self.editor)

        response = self.client.get(self.edit_url(self.draft))

        self.assertContains(response, f"Submit to {WORKFLOW_NAME}")
        self.assertNotContains(response, 'name="action-publish"')

    def test_submitting_starts_the_workflow_and_publishes_nothing(self):
        workflow_state = self.submit()

        self.assertEqual(workflow_state.status, WorkflowState.STATUS_IN_PROGRESS)
        self.assertEqual(workflow_state.workflow.name, WORKFLOW_NAME)
        self.assertEqual(workflow_state.requested_by, self.editor)
        self.assertEqual(workflow_state.current_task_state.task.name, WORKFLOW_NAME)
        page = Page.objects.get(pk=self.draft.pk)
        self.assertFalse(page.live)
        self.assertIsNone(page.live_revision)
        self.assertTrue(page.workflow_in_progress)
        self.assertEqual(page.get_latest_revision_as_object().title, "How we investigate")
        self.assertEqual(self.client.get("/how-we-investigate/").status_code, HTTPStatus.NOT_FOUND)

    def test_submitting_changes_to_a_live_page_leaves_the_live_version_alone(self):
        live_revision = self.live_page.live_revision

        self.submit(self.live_page, title="About the service")

        page = Page.objects.get(pk=self.live_page.pk)
        self.assertEqual((page.title, page.live_revision), ("About us", live_revision))
        self.assertTrue(page.has_unpublished_changes)
        self.client.logout()
        self.assertContains(self.client.get("/about-us/"), "<h1>About us</h1>", html=True)

    def test_a_moderator_approves_and_the_page_goes_live(self):
        workflow_state = self.submit()

        response = self.workflow_action(self.moderator, workflow_state, "approve", comment="")

        self.assertEqual(response.status_code, HTTPStatus.FOUND)
        workflow_state.refresh_from_db()
        self.assertEqual(workflow_state.status, WorkflowState.STATUS_APPROVED)
        page = Page.objects.get(pk=self.draft.pk)
        self.assertTrue(page.live)
        self.assertEqual(page.title, "How we investigate")
        self.assertEqual(page.live_revision.user, self.editor)
        self.client.logout()
        self.assertContains(self.client.get("/how-we-investigate/"), "<h1>How we investigate</h1>", html=True)

    def test_approving_through_the_task_publishes_too(self):
        workflow_state = self.submit()
        task_state = workflow_state.current_task_state

        task_state.task.specific.on_action(task_state, self.moderator, "approve")

        self.assertTrue(Page.objects.get(pk=self.draft.pk).live)

    def test_a_moderator_can_request_changes(self):
        workflow_state = self.submit()

        self.workflow_action(self.moderator, workflow_state, "reject", comment="Please add the dates.")

        workflow_state.refresh_from_db()
        self.assertEqual(workflow_state.status, WorkflowState.STATUS_NEEDS_CHANGES)
        self.assertEqual(workflow_state.current_task_state.comment, "Please add the dates.")
        self.assertFalse(Page.objects.get(pk=self.draft.pk).live)

    def test_an_editor_cannot_approve_their_own_submission(self):
        workflow_state = self.submit()

        response = self.workflow_action(self.editor, workflow_state, "approve", comment="")

        # Wagtail's admin turns PermissionDenied into a redirect home with an error message.
        self.assertRedirects(response, reverse("wagtailadmin_home"), fetch_redirect_response=False)
        self.assertContains(self.client.get(response.url), "Sorry, you do not have permission")
        workflow_state.refresh_from_db()
        self.assertEqual(workflow_state.status, WorkflowState.STATUS_IN_PROGRESS)
        self.assertFalse(Page.objects.get(pk=self.draft.pk).live)

    def test_an_editor_cannot_publish_directly(self):
        response = self.post_edit(self.editor, self.draft, "action-publish", "Published by an editor")

        self.assertEqual(response.status_code, HTTPStatus.FOUND)
        page = Page.objects.get(pk=self.draft.pk)
        self.assertFalse(page.live)
        self.assertIsNone(page.live_revision)
        # What the editor wrote is kept, as a draft for a moderator to see.
        self.assertEqual(page.get_latest_revision_as_object().title, "Published by an editor")
        self.assertEqual(self.client.get("/how-we-investigate/").status_code, HTTPStatus.NOT_FOUND)

    def test_an_editor_cannot_publish_changes_to_a_live_page(self):
        live_revision = self.live_page.live_revision

        self.post_edit(self.editor, self.live_page, "action-publish", "Changed by an editor")

        page = Page.objects.get(pk=self.live_page.pk)
        self.assertEqual((page.title, page.live_revision), ("About us", live_revision))

    def test_a_moderator_can_publish_directly(self):
        response = self.post_edit(self.moderator, self.draft, "action-publish", "Published by a moderator")

        self.assertRedirects(response, reverse("wagtailadmin_explore", args=[self.home.pk]))
        page = Page.objects.get(pk=self.draft.pk)
        self.assertEqual((page.live, page.title), (True, "Published by a moderator"))
