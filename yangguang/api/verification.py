"""/verify/{token}: public verification of an e-certificate's token (no API token
needed: the QR code is scanned by anyone). Rate-limited per client address like the
page; the answer is the certificate's current state."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.errors import HttpError

from yangguang.api.schemas import Error, Verification
from yangguang.certificates import verification

router = Router(tags=["verification"])


@router.get("/verify/{token}", auth=None, response={200: Verification, 422: Error, 429: Error},
            summary="核验电子证照（公开，按客户端地址限速）")
def verify(request: HttpRequest, token: str) -> dict[str, Any]:
    """``state``: valid 有效 / invalid 无效 / cancelled 已注销 / expired 已过期. For a
    token that names a certificate, the masked number, the holder's name and the
    validity; never the ID number."""
    if not verification.allowed(request):
        raise HttpError(429, "throttled")
    return verification.verify_token(token).as_dict()
