from django.urls import path

from mqlab.interview import views

app_name = "interview"

urlpatterns = [
    path("", views.index, name="index"),
    path("questions/<slug:slug>/", views.question, name="question"),
    path("questions/<slug:slug>/run/", views.question_run, name="question-run"),
    path("compare/", views.comparison, name="compare"),
    path("drills/", views.drill_deck, name="drills"),
    path("drills/<slug:slug>/run/", views.drill_run, name="drill-run"),
]
