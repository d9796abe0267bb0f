from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile_edit, name="profile"),
    path("your-data/", views.your_data, name="your_data"),
    path("your-data.json", views.your_data_json, name="your_data_json"),
    path("close/", views.close_account, name="close"),
]
