"""The case exercise page type: where it goes, that it renders and that editors can edit and publish it."""

from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from assessments.factories import CaseExercisePageFactory, categorise, free_text, single_choice, stage, timeline
from assessments.models import CaseExercisePage
from content.models import HomePage
from courses.factories import CourseIndexPageFactory, CoursePageFactory
from courses.models import CourseIndexPage, CoursePage
from tests.conftest import make_site_home
from tests.content.helpers import make_superuser


class TestCaseExercisePage(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.course = CoursePageFactory(parent=CourseIndexPageFactory(parent=make_site_home()))
        cls.page = CaseExercisePageFactory(
            parent=cls.course,
            stages=[
                stage("One", [single_choice(choices=(("Yes", True, 2), ("No", False, None))), free_text()]),
                stage("Two", [categorise(), timeline()], locked=False),
            ],
        )
        cls.page.save_revision().publish()
        cls.superuser = make_superuser()

    def test_it_goes_under_a_course_only(self):
        self.assertCanCreateAt(CoursePage, CaseExercisePage)
        self.assertCanNotCreateAt(CourseIndexPage, CaseExercisePage)
        self.assertCanNotCreateAt(HomePage, CaseExercisePage)
        self.assertAllowedSubpageTypes(CaseExercisePage, {})

    def test_it_renders(self):
        self.assertPageIsRenderable(self.page)

    def test_it_is_editable_and_publishes_a_stage_with_questions(self):
        post_data = nested_form_data(
            {
                "title": "Anticoagulation withheld",
                "slug": self.page.slug,
                "introduction": rich_text("<p>Work the case stage by stage.</p>"),
                "pass_mark_percent": "60",
                "attempts_allowed": "2",
                "counts_towards_completion": "on",
                "feedback_release": "on_submission",
                "stages": streamfield(
                    [
                        (
                            "stage",
                            {
                                "title": "The incident is reported",
                                "narrative": streamfield(
                                    [("rich_text", rich_text("<p>A dose was not restarted.</p>"))]
                                ),
                                "evidence": streamfield(
                                    [("interview", {"who": "Staff nurse A", "extract": "The chart said withheld."})]
                                ),
                                "questions": streamfield(
                                    [
                                        (
                                            "single_choice",
                                            {
                                                "prompt": "Where do you start?",
                                                "marks": "1",
                                                "feedback": "",
                                                "choices": listblock(
                                                    [
                                                        {"text": "The work system", "correct": "on", "feedback": ""},
                                                        {
                                                            "text": "Who gave the dose",
                                                            "feedback": "",
                                                            "go_to_stage": "",
                                                        },
                                                    ]
                                                ),
                                            },
                                        ),
                                        (
                                            "free_text",
                                            {
                                                "prompt": "Describe it.",
                                                "marks": "5",
                                                "feedback": "",
                                                "marking_guide": "SEIPS.",
                                            },
                                        ),
                                    ]
                                ),
                                "locked": "on",
                            },
                        )
                    ]
                ),
                "action-publish": "action-publish",
            }
        )
        self.assertPageIsEditable(self.page, post_data, user=self.superuser)
        self.client.force_login(self.superuser)
        response = self.client.post(f"/admin/pages/{self.page.pk}/edit/", post_data)
        self.assertEqual(response.status_code, 302, response.content[:2000])
        page = CaseExercisePage.objects.get(pk=self.page.pk)
        self.assertEqual(page.stages[0].value["title"], "The incident is reported")
        self.assertEqual([q.block_type for q in page.stages[0].value["questions"]], ["single_choice", "free_text"])

    def test_a_single_choice_question_needs_exactly_one_right_answer(self):
        from assessments.blocks import SingleChoiceQuestionBlock

        block = SingleChoiceQuestionBlock()
        value = block.to_python(
            {"prompt": "?", "marks": 1, "choices": [{"text": "A", "correct": False}, {"text": "B", "correct": False}]}
        )
        with self.assertRaises(Exception) as caught:
            block.clean(value)
        self.assertIn("Mark exactly one answer as correct.", str(caught.exception.block_errors["choices"]))


def listblock(items):
    """A ListBlock's form data, as the admin's editor posts it."""
    return {
        "count": len(items),
        **{str(i): {"value": item, "deleted": "", "order": str(i), "id": ""} for i, item in enumerate(items)},
    }
