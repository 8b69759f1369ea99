"""Pages that belong to no single domain app: the home page, display preferences and
the error pages that need a view (a server error, a rejected form)."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, HttpResponseServerError
from django.shortcuts import render, resolve_url
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
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


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page in the platform's design (``handler500``).

    Django's own handler renders ``500.html`` without the request, which the page
    frame needs (menu, language, display settings). If the frame itself fails —
    say the error was the database going away and the menu needs it — a plain page
    says the same.
    """
    try:
        return render(request, "500.html", status=500)
    except Exception:
        logging.getLogger(__name__).exception("the 500 page could not be rendered")
        title = escape(_("系统出错"))
        return HttpResponseServerError(
            f'<!DOCTYPE html><html lang="{escape(get_language())}"><meta charset="utf-8">'
            f"<title>{title}</title><h1>{title}</h1>"
            f"<p>{escape(_('系统处理您的请求时出错，您的操作可能没有完成。请稍后重试。'))}</p>")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form rejected by the CSRF check (``CSRF_FAILURE_VIEW``): most often a page
    left open past the session's end, or a sign-in in another tab. ``reason`` is
    Django's technical one, kept out of the page."""
    return render(request, "403_csrf.html", status=403)
