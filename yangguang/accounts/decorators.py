"""Access checks for views.

``@require_capability(Capability.VIEW_PERSON)`` sends an anonymous visitor to the
login page and answers 404 to a signed-in user without the capability anywhere: a
page the user may not use does not exist for them (as a person outside their scope
does not). Whether the user may act on one particular region or person is the
view's question, answered with ``accounts.selectors.can`` or ``scope_q``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

from yangguang.accounts.selectors import can

View = Callable[..., HttpResponse]


def require_capability(capability: str) -> Callable[[View], View]:
    """Let the view run only for a signed-in, active user holding ``capability`` somewhere."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not can(user, capability):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class CapabilityRequiredMixin:
    """The same check for class-based views: set ``capability`` on the view class."""

    capability: str = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not self.capability or not can(user, self.capability):
            raise Http404
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
