"""The hooks through which other apps extend a cohort's dashboard, roster and completion rule.

`courses` imports neither `assessments` nor `certificates`; they register functions with these Wagtail hooks instead:

- ``register_cohort_dashboard_panels``: ``fn(request, cohort)`` returns components (anything with
  ``render_html(parent_context)``, such as ``wagtail.admin.ui.components.Component``) shown on the cohort dashboard.
- ``register_cohort_roster_columns``: ``fn(request, cohort)`` returns ``wagtail.admin.ui.tables.Column`` objects added to
  the roster; the rows are ``Enrolment`` objects of the cohort.
- ``register_completion_checks``: ``fn(cohort, enrolments)`` returns ``{enrolment.pk: CompletionCheck}`` (or a list of
  them) for the learners it has a rule for. A learner completes when every check is met (or a course lead overrides, with a reason).
"""

from dataclasses import dataclass

from wagtail import hooks

DASHBOARD_PANELS_HOOK = "register_cohort_dashboard_panels"
ROSTER_COLUMNS_HOOK = "register_cohort_roster_columns"
COMPLETION_CHECKS_HOOK = "register_completion_checks"


@dataclass(frozen=True)
class CompletionCheck:
    """One part of the completion rule for one learner: what it asks, whether it holds, and how it stands."""

    label: str
    met: bool
    detail: str = ""


def dashboard_panels(*, request, cohort) -> list:
    return [panel for fn in hooks.get_hooks(DASHBOARD_PANELS_HOOK) for panel in fn(request, cohort) or []]


def roster_columns(*, request, cohort) -> list:
    return [column for fn in hooks.get_hooks(ROSTER_COLUMNS_HOOK) for column in fn(request, cohort) or []]


def extra_completion_checks(*, cohort, enrolments) -> dict[int, list[CompletionCheck]]:
    checks: dict[int, list[CompletionCheck]] = {}
    for fn in hooks.get_hooks(COMPLETION_CHECKS_HOOK):
        for pk, found in (fn(cohort, enrolments) or {}).items():
            checks.setdefault(pk, []).extend([found] if isinstance(found, CompletionCheck) else found)
    return checks
