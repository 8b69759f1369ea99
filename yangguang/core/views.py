"""Pages that belong to no single domain app: the home page and display preferences."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from yangguang.core import display as display_preferences
from yangguang.core.contributions import home_for, optional_url


@never_cache
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """What the platform is; for a signed-in user, the start of their work: the to-do
    counts and panels that the apps contribute for the user's roles
    (``core.contributions``)."""
    if not request.user.is_authenticated:
        return render(request, "home.html", {"login_url": optional_url("accounts:login")})
    return render(request, "home.html", home_for(request))


@require_POST
def display(request: HttpRequest) -> HttpResponse:
    """Turn large text and high contrast on or off (a cookie), then go back."""
    chosen = {key for key in display_preferences.CHOICES if request.POST.get(key) == "on"}
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = resolve_url("home")
    response = HttpResponseRedirect(target)
    display_preferences.remember(response, request, chosen)
    return response
