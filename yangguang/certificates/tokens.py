"""The signed token an electronic certificate's QR code carries.

A token names the certificate (its row and its holder's row: never a number or a
name, as it travels in URLs and images) and the day it was made, signed with Ed25519
(``settings.ECERT_SIGNING_KEY``). It says nothing about the certificate's state:
verification reads the current state, so a certificate cancelled or expired after
its token was made shows as such. After a key rotation the retired public keys
(``settings.ECERT_RETIRED_PUBLIC_KEYS``) still verify the tokens they signed.

Layout, base64url without padding: version (1 byte) · key id (4: SHA-256 of the
public key) · certificate id (8) · person id (8) · day made (4: days since 1970) ·
signature (64) over everything before it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
import struct
from dataclasses import dataclass
from functools import cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

VERSION = 1
_BODY = struct.Struct(">B4sQQI")
_SIGNATURE_LENGTH = 64
_EPOCH = dt.date(1970, 1, 1)
#: Characters per group when the token is printed for a person to type.
GROUP = 4
_TOKEN_CHARACTERS = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class TokenClaims:
    certificate_id: int
    person_id: int
    made_on: dt.date


def _key_id(public: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(public.public_bytes_raw()).digest()[:4]


@cache
def _signing_key(encoded: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(encoded))


def _verifying_keys() -> dict[bytes, Ed25519PublicKey]:
    keys = [_signing_key(settings.ECERT_SIGNING_KEY).public_key()]
    keys += [Ed25519PublicKey.from_public_bytes(base64.b64decode(k))
             for k in settings.ECERT_RETIRED_PUBLIC_KEYS]
    return {_key_id(key): key for key in keys}


def make_token(certificate_id: int, person_id: int, made_on: dt.date) -> str:
    key = _signing_key(settings.ECERT_SIGNING_KEY)
    body = _BODY.pack(VERSION, _key_id(key.public_key()), certificate_id, person_id,
                      (made_on - _EPOCH).days)
    return base64.urlsafe_b64encode(body + key.sign(body)).rstrip(b"=").decode()


def read_token(token: str) -> TokenClaims | None:
    """The token's claims if it is one we signed, unaltered; None otherwise."""
    if not token.isascii() or len(token) > 200:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    # Base64 may carry unused bits in its last character: only the one spelling of
    # the bytes is accepted, so that a token altered in any character is refused.
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != token:
        return None
    if len(raw) != _BODY.size + _SIGNATURE_LENGTH:
        return None
    body, signature = raw[:_BODY.size], raw[_BODY.size:]
    version, key_id, certificate_id, person_id, days = _BODY.unpack(body)
    key = _verifying_keys().get(key_id)
    if version != VERSION or key is None:
        return None
    try:
        key.verify(signature, body)
    except InvalidSignature:
        return None
    return TokenClaims(certificate_id, person_id, _EPOCH + dt.timedelta(days=days))


def grouped(token: str) -> str:
    """The token as printed under the QR code: groups of four characters with spaces
    between them, for a person to read out or type."""
    return " ".join(token[i:i + GROUP] for i in range(0, len(token), GROUP))


def from_typed(code: str) -> str:
    """The token in what a person typed or pasted: the printed code with its spaces and
    line breaks, or the whole verification address (the part after ``/verify/``)."""
    code = code.strip()
    if "/verify/" in code:
        code = code.rsplit("/verify/", 1)[1].split("?", 1)[0].split("#", 1)[0]
    return "".join(code.split())


def well_formed(token: str) -> bool:
    """Whether ``token`` is made only of the characters a token has (a typing check,
    before the signature is verified)."""
    return _TOKEN_CHARACTERS.fullmatch(token) is not None
