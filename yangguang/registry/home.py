"""The registry's panels on the home page (contributed in ``registry.apps``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import can, scope_regions
from yangguang.registry.forms import SearchForm
from yangguang.registry.selectors import certified_count, recent_imports


def search_panel(request: HttpRequest) -> dict[str, Any]:
    return {"form": SearchForm(auto_id="home-%s"),
            "may_edit": can(request.user, Capability.EDIT_PERSON)}


def regions_panel(request: HttpRequest) -> dict[str, Any]:
    """The user's regions with their certified persons."""
    user = request.user
    return {"regions": [(region, certified_count(user, region))
                        for region in scope_regions(user, Capability.VIEW_STATISTICS)]}


def imports_panel(request: HttpRequest) -> dict[str, Any]:
    return {"imports": recent_imports(request.user)}
