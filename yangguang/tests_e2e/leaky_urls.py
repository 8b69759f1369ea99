"""The project's URLs plus routes that break the rules on purpose, for test_walker.py:
the walker must catch each of them."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import include, path

from yangguang.registry.models import Person


@login_required
def person_name(request, person_id: int) -> HttpResponse:
    """Shows any person, whatever the user's scope."""
    return HttpResponse(get_object_or_404(Person, pk=person_id).name)


@login_required
def everyone(request) -> HttpResponse:
    """Lists every person's name."""
    return HttpResponse(", ".join(Person.objects.values_list("name", flat=True)))


def gadget(request, gadget_id: int) -> HttpResponse:
    return HttpResponse("")


urlpatterns = [
    path("", include("yangguang.urls")),
    path("leaky/persons/<int:person_id>/", person_name, name="leaky_person"),
    path("leaky/everyone/", everyone, name="leaky_everyone"),
    path("gadgets/<int:gadget_id>/", gadget, name="gadget"),
]
