from courses.exceptions import EnrolmentError


class AttemptError(EnrolmentError):
    """A refusal about an attempt, with a message the learner can read; nothing was changed."""
