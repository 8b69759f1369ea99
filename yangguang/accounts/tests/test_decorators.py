"""``require_capability`` and ``CapabilityRequiredMixin``: login for strangers, 404 for the rest."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.views import View

from yangguang.accounts.decorators import CapabilityRequiredMixin, require_capability
from yangguang.accounts.models import User
from yangguang.accounts.permissions import Capability

pytestmark = pytest.mark.django_db


@require_capability(Capability.VIEW_PERSON)
def person_page(request, pk):
    return HttpResponse(f"person {pk}")


class PersonPage(CapabilityRequiredMixin, View):
    capability = Capability.VIEW_PERSON

    def get(self, request, pk):
        return HttpResponse(f"person {pk}")


@pytest.fixture(params=["function", "class"])
def view(request):
    return person_page if request.param == "function" else PersonPage.as_view()


def _get(user, view):
    request = RequestFactory().get("/registry/persons/7/?tab=certificates")
    request.user = user
    return view(request, pk=7)


def test_anonymous_visitor_is_sent_to_login(view):
    response = _get(AnonymousUser(), view)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/registry/persons/7/%3Ftab%3Dcertificates"


def test_user_without_the_capability_finds_nothing(staff, view):
    with pytest.raises(Http404):
        _get(staff("analyst", ("analyst", "630000")), view)
    with pytest.raises(Http404):
        _get(staff("nobody"), view)


def test_user_with_the_capability_anywhere_gets_in(staff, view):
    assert _get(staff("clerk", ("registrar", "140922")), view).content == b"person 7"


def test_inactive_user_finds_nothing(staff, view):
    user = staff("gone", ("registrar", "140922"))
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.refresh_from_db()
    with pytest.raises(Http404):
        _get(user, view)
