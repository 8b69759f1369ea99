"""Bearer-token authentication: ``Authorization: Bearer yg_…``.

Tokens are made and checked by ``accounts.services`` (only their SHA-256 is stored);
this class only reads the header and turns a refusal into a 401 in the API's error
shape. A missing header is ``token_missing``; a malformed, unknown, expired or
revoked token, or one whose user is inactive, is ``token_invalid`` — the answer does
not say which, so it cannot be used to probe tokens.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from yangguang.accounts.services import authenticate_token
from yangguang.api.errors import TokenRejected


class BearerToken(HttpBearer):
    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get(self.header, "")
        if not header.strip():
            raise TokenRejected("token_missing")
        scheme, _space, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenRejected("token_invalid")
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_token(token)
        if user is None or not user.is_active:
            raise TokenRejected("token_invalid")
        # The views and the scope filter read request.user, as the pages do.
        request.user = user
        return user
