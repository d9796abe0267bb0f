"""The hooks through which other apps extend a cohort's dashboard, roster and completion rule.

`courses` imports neither `assessments` nor `certificates`; they register functions with these Wagtail hooks instead:

- ``register_cohort_dashboard_panels``: ``fn(request, cohort)`` returns components (anything with
  ``render_html(parent_context)``, such as ``wagtail.admin.ui.components.Component``) shown on the cohort dashboard.
- ``register_cohort_roster_columns``: ``fn(request, cohort, enrolments)`` returns ``wagtail.admin.ui.tables.Column``
  objects added to the roster. ``enrolments`` are the rows of the page shown (the roster is paginated), so a column
  reads its data for those learners only; each row carries ``attendance_summary``, its entry of
  ``courses.selectors.attendance_summary``. Each cell shows ``column.get_value(enrolment)`` as text, autoescaped (pass a
  ``format_html`` result for a link): a plain value per cell, because rendering a component per cell was most of a
  200-learner dashboard's time. The roster page is kept between requests (courses.dashboard_cache), so a column
  shows only what follows from the cohort's rows, nothing of the request or of who is asking; an app whose column
  reads rows of its own calls ``dashboard_cache.track(model, cohorts_of)`` for them in its AppConfig.ready().
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


def cohort_memo(cohort, name: str, build):
    """`build()`, once per cohort object: the dashboard hands one cohort object to every hook, so its panels, roster
    columns and the completion rule share each read instead of repeating it. Views fetch their cohort afresh on every
    request, so nothing outlives the request."""
    memo = cohort.__dict__.setdefault("_extension_memo", {})
    if name not in memo:
        memo[name] = build()
    return memo[name]


def cohort_memo_get(cohort, name: str, default=None):
    """What `cohort_memo` holds under `name` for this cohort object, without building it."""
    return cohort.__dict__.get("_extension_memo", {}).get(name, default)


def dashboard_panels(*, request, cohort) -> list:
    return [panel for fn in hooks.get_hooks(DASHBOARD_PANELS_HOOK) for panel in fn(request, cohort) or []]


def roster_columns(*, request, cohort, enrolments) -> list:
    return [column for fn in hooks.get_hooks(ROSTER_COLUMNS_HOOK) for column in fn(request, cohort, enrolments) or []]


def extra_completion_checks(*, cohort, enrolments) -> dict[int, list[CompletionCheck]]:
    checks: dict[int, list[CompletionCheck]] = {}
    for fn in hooks.get_hooks(COMPLETION_CHECKS_HOOK):
        for pk, found in (fn(cohort, enrolments) or {}).items():
            checks.setdefault(pk, []).extend([found] if isinstance(found, CompletionCheck) else found)
    return checks
