"""The blocks an editor builds a case exercise from: stages, the evidence in them, and six kinds of question.

Every question carries its own marks and feedback. How an answer is marked lives in assessments.marking, keyed by
the block's name, so that marking an attempt needs only the stored revision's data, never these classes' current form.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageBlock

from content.blocks import MarkdownBlock, RichTextBlock

SEIPS_COMPONENTS = [
    "Person",
    "Tasks",
    "Tools and technology",
    "Organisation",
    "Internal environment",
    "External environment",
]


# --- Evidence ----------------------------------------------------------------------------------------------------------


class DocumentEvidenceBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("Document"))
    caption = blocks.CharBlock(label=_("What it is"), max_length=200)

    class Meta:
        icon = "doc-full"
        template = "assessments/blocks/document_evidence.html"
        description = _("A document the learner can open, such as a policy or a drug chart")
        preview_value = {"caption": "Trust anticoagulation policy, version 4"}


class ImageEvidenceBlock(blocks.StructBlock):
    image = ImageBlock(label=_("Image"))
    caption = blocks.CharBlock(label=_("What it shows"), max_length=200)

    class Meta:
        icon = "image"
        template = "assessments/blocks/image_evidence.html"
        description = _("A photograph or diagram, with alternative text")
        preview_value = {"caption": "The ward's handover board on the morning of the procedure"}


class TimelineEventBlock(blocks.StructBlock):
    when = blocks.CharBlock(label=_("When"), max_length=100, help_text=_("For example, 'Day 2, 08:15'."))
    what = blocks.TextBlock(label=_("What happened"))


class TimelineEvidenceBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=200)
    events = blocks.ListBlock(TimelineEventBlock(), label=_("Events"), min_num=1)

    class Meta:
        icon = "time"
        template = "assessments/blocks/timeline_evidence.html"
        description = _("A timeline of events, in order")
        preview_value = {
            "title": "The 48 hours before the procedure",
            "events": [
                {"when": "Day 1, 10:00", "what": "Pre-assessment clinic notes the patient takes apixaban."},
                {"when": "Day 2, 21:00", "what": "The evening dose is given on the ward."},
            ],
        }


class InterviewEvidenceBlock(blocks.StructBlock):
    who = blocks.CharBlock(label=_("Who"), max_length=100, help_text=_("A role, never a name: 'Staff nurse A'."))
    extract = blocks.TextBlock(label=_("Extract"))

    class Meta:
        icon = "openquote"
        template = "assessments/blocks/interview_evidence.html"
        description = _("An extract from an interview with someone involved")
        preview_value = {"who": "Staff nurse A", "extract": "The plan said 'hold', but not from which dose."}


class EvidenceBlock(blocks.StreamBlock):
    document = DocumentEvidenceBlock()
    image = ImageEvidenceBlock()
    timeline = TimelineEvidenceBlock()
    interview = InterviewEvidenceBlock()

    class Meta:
        required = False


# --- Questions ---------------------------------------------------------------------------------------------------------


class QuestionBlock(blocks.StructBlock):
    """What every question has: the question itself, its marks, and feedback shown once feedback is released."""

    prompt = blocks.TextBlock(label=_("Question"))
    marks = blocks.IntegerBlock(label=_("Marks"), min_value=0, default=1)
    feedback = blocks.TextBlock(
        label=_("Feedback"), required=False, help_text=_("Shown to every learner once feedback is released.")
    )


class ChoiceBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Answer"), max_length=300)
    correct = blocks.BooleanBlock(label=_("Correct"), required=False)
    feedback = blocks.TextBlock(label=_("Feedback on this answer"), required=False)


class BranchingChoiceBlock(ChoiceBlock):
    go_to_stage = blocks.IntegerBlock(
        label=_("Then go to stage"),
        required=False,
        min_value=1,
        help_text=_("Leave empty to go on to the next stage. A number sends the learner to that stage instead."),
    )


def _choices_must_include_a_correct_one(value, *, exactly_one=False):
    correct = sum(1 for choice in value.get("choices", []) if choice.get("correct"))
    if correct == 0 or (exactly_one and correct != 1):
        message = _("Mark exactly one answer as correct.") if exactly_one else _("Mark at least one answer correct.")
        raise StructBlockValidationError(block_errors={"choices": ValidationError(message)})


class SingleChoiceQuestionBlock(QuestionBlock):
    choices = blocks.ListBlock(BranchingChoiceBlock(), label=_("Answers"), min_num=2)

    def clean(self, value):
        value = super().clean(value)
        _choices_must_include_a_correct_one(value, exactly_one=True)
        return value

    class Meta:
        icon = "radio-full"
        template = "assessments/blocks/question.html"
        description = _("One right answer; an answer can send the learner to a chosen stage")
        preview_value = {
            "prompt": "What should the investigation look at first?",
            "marks": 1,
            "choices": [
                {"text": "The work system around the decision", "correct": True},
                {"text": "Which nurse gave the dose", "correct": False},
            ],
        }


class PartialCredit(blocks.ChoiceBlock):
    def __init__(self, **kwargs):
        super().__init__(
            choices=[
                ("all_or_nothing", _("All or nothing: full marks only for exactly the right answers")),
                (
                    "per_answer",
                    _("Partial: a share of the marks for each right answer chosen, less one for each wrong one"),
                ),
            ],
            default="per_answer",
            label=_("Partial credit"),
            **kwargs,
        )


class MultipleChoiceQuestionBlock(QuestionBlock):
    choices = blocks.ListBlock(ChoiceBlock(), label=_("Answers"), min_num=2)
    partial_credit = PartialCredit()

    def clean(self, value):
        value = super().clean(value)
        _choices_must_include_a_correct_one(value)
        return value

    class Meta:
        icon = "tasks"
        template = "assessments/blocks/question.html"
        description = _("Several right answers, with a rule for partial credit")
        preview_value = {
            "prompt": "Which of these are conditions of the work system?",
            "marks": 2,
            "partial_credit": "per_answer",
            "choices": [
                {"text": "Two versions of the policy on the intranet", "correct": True},
                {"text": "Handover at the busiest time of the shift", "correct": True},
                {"text": "The nurse was careless", "correct": False},
            ],
        }


class FreeTextQuestionBlock(QuestionBlock):
    marking_guide = blocks.TextBlock(
        label=_("Marking guide"), help_text=_("What a good answer covers. Shown to the marker, never to the learner.")
    )

    class Meta:
        icon = "edit"
        template = "assessments/blocks/question.html"
        description = _("A written answer, marked by a course lead against the marking guide")
        preview_value = {
            "prompt": "Describe the conditions that made the missed dose likely.",
            "marks": 5,
            "marking_guide": "Names at least three SEIPS components, with evidence from the case.",
        }


class RankingQuestionBlock(QuestionBlock):
    items = blocks.ListBlock(
        blocks.CharBlock(max_length=300),
        label=_("Items, in the right order"),
        min_num=2,
        help_text=_("Learners see them shuffled. Each item in its right place earns a share of the marks."),
    )

    class Meta:
        icon = "list-ol"
        template = "assessments/blocks/question.html"
        description = _("Put items in order of priority")
        preview_value = {
            "prompt": "Rank these lines of enquiry, most useful first.",
            "marks": 3,
            "items": ["How the plan was communicated", "What the policy said", "Who was on shift"],
        }


class CategoryItemBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Item"), max_length=300)
    category = blocks.CharBlock(label=_("Its category"), max_length=100, help_text=_("Exactly as named above."))


class CategoriseQuestionBlock(QuestionBlock):
    categories = blocks.ListBlock(
        blocks.CharBlock(max_length=100), label=_("Categories"), min_num=2, default=SEIPS_COMPONENTS
    )
    items = blocks.ListBlock(CategoryItemBlock(), label=_("Items to sort"), min_num=1)

    def clean(self, value):
        value = super().clean(value)
        categories = set(value.get("categories", []))
        unknown = [item["text"] for item in value.get("items", []) if item["category"] not in categories]
        if unknown:
            raise StructBlockValidationError(
                block_errors={
                    "items": ValidationError(
                        _("These items name a category that is not in the list: %(items)s")
                        % {"items": ", ".join(unknown)}
                    )
                }
            )
        return value

    class Meta:
        icon = "folder-open-inverse"
        template = "assessments/blocks/question.html"
        description = _("Sort items into categories, such as the six SEIPS components")
        preview_value = {
            "prompt": "Sort each contributory factor into its SEIPS component.",
            "marks": 2,
            "categories": SEIPS_COMPONENTS,
            "items": [
                {"text": "Two versions of the policy", "category": "Organisation"},
                {"text": "The e-prescribing system did not flag the hold", "category": "Tools and technology"},
            ],
        }


class TimelineQuestionBlock(QuestionBlock):
    events = blocks.ListBlock(
        TimelineEventBlock(),
        label=_("Events, in the order they happened"),
        min_num=2,
        help_text=_("Learners see them shuffled and without their times, which are shown with the feedback."),
    )

    class Meta:
        icon = "time"
        template = "assessments/blocks/question.html"
        description = _("Put events in the order they happened")
        preview_value = {
            "prompt": "Put these events in order.",
            "marks": 2,
            "events": [
                {"when": "Day 1, 10:00", "what": "Pre-assessment"},
                {"when": "Day 2, 21:00", "what": "Evening dose given"},
            ],
        }


QUESTION_BLOCKS = [
    ("single_choice", SingleChoiceQuestionBlock()),
    ("multiple_choice", MultipleChoiceQuestionBlock()),
    ("free_text", FreeTextQuestionBlock()),
    ("ranking", RankingQuestionBlock()),
    ("categorise", CategoriseQuestionBlock()),
    ("timeline", TimelineQuestionBlock()),
]


class QuestionsBlock(blocks.StreamBlock):
    def __init__(self, **kwargs):
        super().__init__(QUESTION_BLOCKS, **kwargs)

    class Meta:
        required = False


class NarrativeBlock(blocks.StreamBlock):
    rich_text = RichTextBlock()
    markdown = MarkdownBlock()


class StageBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=200)
    narrative = NarrativeBlock(label=_("What the learner learns at this stage"))
    evidence = EvidenceBlock(label=_("Evidence"))
    questions = QuestionsBlock(label=_("Questions"))
    locked = blocks.BooleanBlock(
        label=_("Locked until the previous stage is submitted"),
        required=False,
        default=True,
        help_text=_("So that earlier answers cannot be changed with what this stage reveals."),
    )

    class Meta:
        icon = "list-ul"
        template = "assessments/blocks/stage.html"
        description = _("One stage of the case: what is learned, the evidence, and the questions to answer")
        preview_value = {
            "title": "Stage 1: the incident is reported",
            "narrative": [("rich_text", "<p>A patient's procedure is cancelled: the anticoagulant was not held.</p>")],
            "locked": True,
        }
