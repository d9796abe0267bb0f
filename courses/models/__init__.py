from .cohorts import Cohort, CohortSession
from .eligibility import EligibilitySettings
from .emails import EmailDelivery, EmailStatus
from .enrolments import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    SEAT_STATUSES,
    CourseInterest,
    Enrolment,
    EnrolmentStatus,
    FeeBand,
    PaymentMethod,
)
from .leading import (
    ATTENDED_MARKS,
    Attendance,
    AttendanceMark,
    CohortMessage,
    CohortMessageRecipient,
    MessageAudience,
)
from .pages import CourseFormat, CourseIndexPage, CoursePage, VatStatus
from .payments import Payment, PaymentEvent, PaymentStatus

__all__ = [
    "ACTIVE_STATUSES",
    "ATTENDED_MARKS",
    "Attendance",
    "AttendanceMark",
    "CohortMessage",
    "CohortMessageRecipient",
    "MessageAudience",
    "OPEN_STATUSES",
    "SEAT_STATUSES",
    "Cohort",
    "CohortSession",
    "CourseFormat",
    "CourseIndexPage",
    "CourseInterest",
    "CoursePage",
    "EligibilitySettings",
    "EmailDelivery",
    "EmailStatus",
    "Enrolment",
    "EnrolmentStatus",
    "FeeBand",
    "Payment",
    "PaymentEvent",
    "PaymentMethod",
    "PaymentStatus",
    "VatStatus",
]
