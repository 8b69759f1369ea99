"""The project's URLs, and the baseline pages under /bench-baseline/ (see baseline.py)."""

import baseline
from django.urls import include, path

urlpatterns = [
    path("bench-baseline/persons/", baseline.search, name="bench_baseline_search"),
    path("bench-baseline/persons/<int:pk>/", baseline.person, name="bench_baseline_person"),
    path("", include("yangguang.urls")),
]
