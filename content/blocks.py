from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock

from wagtailnhsukfrontend import blocks as nhsuk_blocks

from .markdown import render_markdown

HEADING_LEVELS = [
    ("h2", _("Level 2 (section)")),
    ("h3", _("Level 3 (sub-section)")),
    ("h4", _("Level 4")),
]
RICH_TEXT_FEATURES = [
    "h2",
    "h3",
    "h4",
    "bold",
    "italic",
    "ol",
    "ul",
    "link",
    "document-link",
    "hr",
]


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Heading"), max_length=200)
    level = blocks.ChoiceBlock(
        choices=HEADING_LEVELS,
        default="h2",
        label=_("Heading level"),
        help_text=_("Screen-reader users navigate by level: use level 2 for sections, 3 inside them."),
    )

    class Meta:
        icon = "title"
        template = "content/blocks/heading.html"
        description = _("A section heading at the level you choose")
        preview_value = {"text": "What happened", "level": "h2"}


class RichTextBlock(blocks.RichTextBlock):
    def __init__(self, **kwargs):
        kwargs.setdefault("features", RICH_TEXT_FEATURES)
        super().__init__(**kwargs)

    class Meta:
        icon = "pilcrow"
        template = "content/blocks/rich_text.html"
        description = _("Paragraphs, lists and links")
        preview_value = "<p>Our investigations look at the whole system of care, never at who is to blame.</p>"


class MarkdownBlock(blocks.TextBlock):
    """Markdown, rendered and then sanitised: no scripts, styles, event handlers, frames or javascript: links."""

    def render_basic(self, value, context=None):
        return mark_safe(render_markdown(value))  # noqa: S308 - sanitised by nh3 in render_markdown

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        context["html"] = self.render_basic(value)
        return context

    class Meta:
        icon = "code"
        template = "content/blocks/markdown.html"
        description = _("Text written in Markdown, including tables and code")
        preview_value = "| Stage | Question |\n|---|---|\n| 1 | What did the team know at the time? |"


class QuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock(label=_("Quote"))
    attribution = blocks.CharBlock(label=_("Attribution"), required=False)

    class Meta:
        icon = "openquote"
        template = "content/blocks/quote.html"
        description = _("A quotation with who said it")
        preview_value = {
            "quote": "We look for learning, not for someone to blame.",
            "attribution": "Investigator",
        }


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("Document"))
    title = blocks.CharBlock(
        label=_("Link text"),
        required=False,
        help_text=_("Defaults to the document's title."),
    )

    class Meta:
        icon = "doc-full"
        template = "content/blocks/document.html"
        description = _("A link to download a document, with its type and size")


class ImageBlock(nhsuk_blocks.ImageBlock):
    class Meta:
        icon = "image"
        template = "wagtailnhsukfrontend/image.html"
        description = _("An image with alternative text and a caption")


class InsetTextBlock(nhsuk_blocks.InsetTextBlock):
    class Meta:
        icon = "warning"
        template = "wagtailnhsukfrontend/inset_text.html"
        description = _("Text set apart from the page, for a key point")
        preview_value = {"body": "<p>Our investigations do not find blame or liability.</p>"}


class ActionLinkBlock(nhsuk_blocks.ActionLinkBlock):
    class Meta:
        icon = "link"
        template = "wagtailnhsukfrontend/action_link.html"
        description = _("A prominent link to the next thing to do")
        preview_value = {
            "text": "Find a course",
            "external_url": "https://example.org/courses/",
        }


class CareCardBlock(nhsuk_blocks.CareCardBlock):
    class Meta:
        icon = "help"
        template = "wagtailnhsukfrontend/care_card.html"
        description = _("A card for advice, with its urgency")
        preview_value = {
            "type": "primary",
            "heading_level": 3,
            "title": "Speak to your patient safety team if",
            "body": [
                (
                    "richtext",
                    "<p>you are unsure whether an incident needs a review.</p>",
                )
            ],
        }


class DetailsBlock(nhsuk_blocks.DetailsBlock):
    class Meta:
        icon = "collapse-down"
        template = "wagtailnhsukfrontend/details.html"
        description = _("A summary that opens to show more detail")
        preview_value = {
            "title": "What is a learning prompt?",
            "body": [("richtext", "<p>A question to discuss.</p>")],
        }


class ExpanderBlock(nhsuk_blocks.ExpanderBlock):
    class Meta:
        icon = "plus-inverse"
        template = "wagtailnhsukfrontend/expander.html"
        description = _("A boxed section that opens to show more")
        preview_value = {
            "title": "Who the course is for",
            "body": [("richtext", "<p>All NHS staff.</p>")],
        }


class DoBlock(nhsuk_blocks.DoBlock):
    class Meta:
        icon = "tick"
        template = "wagtailnhsukfrontend/do_list.html"
        description = _("A list of things to do")
        preview_value = {
            "heading_level": 3,
            "label": "",
            "do": ["<p>describe the conditions of work</p>"],
        }


class DontBlock(nhsuk_blocks.DontBlock):
    class Meta:
        icon = "cross"
        template = "wagtailnhsukfrontend/dont_list.html"
        description = _("A list of things not to do")
        preview_value = {
            "heading_level": 3,
            "label": "",
            "dont": ["<p>look for someone to blame</p>"],
        }


class BodyBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    rich_text = RichTextBlock()
    markdown = MarkdownBlock()
    image = ImageBlock()
    document = DocumentBlock()
    quote = QuoteBlock()
    inset_text = InsetTextBlock()
    action_link = ActionLinkBlock()
    care_card = CareCardBlock()
    details = DetailsBlock()
    expander = ExpanderBlock()
    do_list = DoBlock()
    dont_list = DontBlock()

    class Meta:
        template = "content/blocks/body.html"
