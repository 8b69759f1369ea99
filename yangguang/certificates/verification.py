"""Public verification of e-certificate tokens: the pages and the API call this.

Each client address may verify ``ECERT_VERIFY_LIMIT`` tokens a minute (guessing
tokens is hopeless against Ed25519, but the answers name real people, so bulk
lookups are slowed down). Each verification is logged with its verdict only: no
token, name, number or address.
"""

from __future__ import annotations

import logging

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yangguang.core import ratelimit
from yangguang.registry.forms import Form

from . import tokens
from .ecert import Verification, verify

logger = logging.getLogger("yangguang.certificates.verify")


def allowed(request: HttpRequest) -> bool:
    """Count one verification for the client's address (``core.ratelimit``); False once
    it is over the limit within the current minute."""
    if not ratelimit.allowed(request, "ecert-verify", settings.ECERT_VERIFY_LIMIT):
        logger.warning("e-certificate verification refused: rate limit")
        return False
    return True


def verify_token(token: str) -> Verification:
    result = verify(token, timezone.localdate())
    logger.info("e-certificate verified: %s", result.verdict.value)
    return result


class VerifyForm(Form):
    """The code printed under an e-certificate's QR code, typed or pasted by a person
    who cannot scan it. Only its characters are checked here: the signature is checked
    by the verification page the form leads to."""

    code = forms.CharField(
        label=_("核验码"), required=False, max_length=1000,
        help_text=_("电子证照二维码下方印有核验码，区分大小写，空格可输可不输；也可粘贴完整的核验地址"),
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocapitalize": "off",
                                     "autocomplete": "off", "autocorrect": "off",
                                     "class": "code-input"}),
    )
    mandatory = frozenset({"code"})

    def clean_code(self) -> str:
        token = tokens.from_typed(self.cleaned_data["code"])
        if not token:
            raise ValidationError(_("请输入核验码"), code="required")
        if not tokens.well_formed(token):
            raise ValidationError(
                _("核验码只含英文字母、数字、“-”和“_”，请对照电子证照检查后重新输入"),
                code="characters")
        return token
