from wagtailnhsukfrontend.forms.renderers import NHSUKFrontendRenderer


class NHSUKFormMixin:
    """Public-site forms render their widgets (radios, checkboxes) in NHS.UK markup.

    Per form rather than project-wide (FORM_RENDERER), so that the Wagtail admin keeps its own widget templates.
    """

    default_renderer = NHSUKFrontendRenderer()
