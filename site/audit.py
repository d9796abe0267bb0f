"""The audit trail: Wagtail's log, extended with our own actions, read in the admin's Site history report.

That report already filters by action, user, date, object type and name, and exports CSV and XLSX; each app names its
actions in a table and registers them with `log_actions_registrar`.
"""


def log_actions_registrar(table: dict):
    """A `register_log_actions` hook function for a table of action -> (label, past-tense message)."""

    def register_log_actions(actions):
        for action, (label, message) in table.items():
            actions.register_action(action, label, message)

    return register_log_actions
