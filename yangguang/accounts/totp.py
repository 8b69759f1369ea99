"""One-time codes (TOTP, RFC 6238) for the second sign-in step.

The shared secret is stored sealed with AES-256-GCM (``core.crypto.Sealer``) under a
key derived (HKDF) from the identity-number encryption key, so a copy of the database
alone does not give anyone a user's codes, and there is no further key to keep.
"""

from __future__ import annotations

import base64
import hmac
import time
import unicodedata

import pyotp
import segno

from yangguang.core.crypto import Sealer

ISSUER = "Yangguang"  # what authenticator apps show; ASCII so every app displays it
STEP_SECONDS = 30
DIGITS = 6
_SECRETS = Sealer(b"yangguang:totp_secret", purpose=b"yangguang totp secret")


def new_secret() -> str:
    """A fresh base32 secret of 160 bits (the size RFC 4226 recommends)."""
    return pyotp.random_base32()


def seal(secret: str) -> str:
    """The secret encrypted for storage (in the user row or the session)."""
    return base64.urlsafe_b64encode(_SECRETS.seal(secret.encode("ascii"))).decode("ascii")


def unseal(sealed: str) -> str:
    return _SECRETS.open(base64.urlsafe_b64decode(sealed.encode("ascii"))).decode("ascii")


def provisioning_uri(secret: str, username: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=username, issuer_name=ISSUER)


def qr_svg(uri: str, title: str) -> str:
    """The QR code of ``uri`` as an inline ``<svg>`` (no styles, no scripts), named ``title``."""
    return segno.make(uri, error="m").svg_inline(
        scale=5, dark="#000", light="#fff", title=title, svgclass="qr-code", lineclass=None)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def normalize_code(code: str) -> str:
    """Full-width digits and spaces are forgiven: ``１２３ ４５６`` → ``123456``."""
    return "".join(unicodedata.normalize("NFKC", code).split())


def matching_step(secret: str, code: str, *, now: float | None = None) -> int | None:
    """The time step whose code is ``code`` — the current one or one either side, for
    clocks that drift — or None."""
    code = normalize_code(code)
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None
