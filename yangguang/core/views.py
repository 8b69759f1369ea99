"""Pages that belong to no single domain app: the home page and display preferences."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import can, scope_regions
from yangguang.core import display as display_preferences
from yangguang.core.templatetags.yg_ui import optional_url
from yangguang.registry.forms import SearchForm
from yangguang.registry.selectors import certified_count, recent_imports


@never_cache
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """What the platform is, and for a signed-in user the start of their work by role:
    search and their regions' counts (registrars, reviewers), recent imports
    (registrars), the region drill-down (analysts), the audit log (auditors), user
    management (administrators)."""
    user = request.user
    if not user.is_authenticated:
        return render(request, "home.html", {"login_url": optional_url("accounts:login")})
    may = {name: can(user, capability) for name, capability in (
        ("view", Capability.VIEW_PERSON), ("edit", Capability.EDIT_PERSON),
        ("statistics", Capability.VIEW_STATISTICS), ("audit", Capability.VIEW_AUDIT),
        ("users", Capability.MANAGE_USERS),
    )}
    context = {"may": may, "has_role": any(may.values())}
    if may["view"]:
        context["search_form"] = SearchForm(auto_id="home-%s")
        context["regions"] = [(region, certified_count(user, region, Capability.VIEW_PERSON))
                              for region in scope_regions(user, Capability.VIEW_PERSON)]
    elif may["statistics"]:
        context["regions"] = [(region, certified_count(user, region))
                              for region in scope_regions(user, Capability.VIEW_STATISTICS)]
    if may["edit"]:
        context["imports"] = recent_imports(user)
    context["audit_url"] = optional_url("audit:events") if may["audit"] else None
    context["users_url"] = optional_url("accounts:users") if may["users"] else None
    return render(request, "home.html", context)


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
