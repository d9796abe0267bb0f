from courses.exceptions import EnrolmentError


class CertificateError(EnrolmentError):
    """A certificate action refused, with a message for the person who asked; nothing was changed."""
