from django.utils.translation import gettext_lazy as _

from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting
from wagtail.fields import StreamField


class NavigationLinkBlock(blocks.StructBlock):
    page = blocks.PageChooserBlock(label=_("Page"))
    label = blocks.CharBlock(label=_("Label"), required=False, help_text=_("Defaults to the page title."))

    class Meta:
        icon = "link"
        description = _("A link in the main navigation")


class NavigationSettings(BaseSiteSetting):
    """The header's main navigation, chosen by editors (Courses, Investigation reports, News and blogs, About us)."""

    links = StreamField(
        [("link", NavigationLinkBlock())],
        verbose_name=_("main navigation"),
        blank=True,
        max_num=8,
    )

    panels = [FieldPanel("links")]

    class Meta:
        verbose_name = _("navigation")
