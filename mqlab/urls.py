from django.urls import path

from mqlab import views

urlpatterns = [
    path("", views.home, name="home"),
]
