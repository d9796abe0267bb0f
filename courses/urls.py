from django.urls import path

from . import views

app_name = "courses"

urlpatterns = [
    path("courses/cohorts/<str:code>/enrol/", views.enrol_start, name="enrol"),
    path("courses/cohorts/<str:code>/enrol/check/", views.enrol_check, name="enrol_check"),
    path("courses/register-interest/<int:course_id>/", views.interest_register, name="register_interest"),
    path("my-learning/", views.my_learning, name="my_learning"),
    path("my-learning/enrolments/<int:enrolment_id>/pay/", views.enrolment_pay, name="pay"),
    path("my-learning/enrolments/<int:enrolment_id>/accept/", views.offer_accept, name="offer_accept"),
    path("my-learning/enrolments/<int:enrolment_id>/decline/", views.offer_decline, name="offer_decline"),
    path("my-learning/enrolments/<int:enrolment_id>/withdraw/", views.enrolment_withdraw, name="withdraw"),
    path("my-learning/enrolments/<int:enrolment_id>/transfer/", views.enrolment_transfer, name="transfer"),
    path("my-learning/enrolments/<int:enrolment_id>/calendar.ics", views.enrolment_calendar, name="calendar"),
    path("my-learning/receipts/<int:payment_id>/", views.receipt, name="receipt"),
]
