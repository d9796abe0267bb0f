class EnrolmentError(Exception):
    """A refusal with a message the learner can read; nothing was changed."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.message = message
        self.code = code
