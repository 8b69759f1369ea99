"""ID encryption: nonces are never reused, also across a fork; the bulk forms agree
with the one-by-one ones."""

from __future__ import annotations

import os

import pytest

from yangguang.core import crypto


def test_a_forked_child_never_reuses_the_parents_nonces():
    crypto.encrypt_id("110101199003074578")  # the parent's buffer is filled
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next nonces, to the parent
        try:
            os.write(write, b"".join(crypto._nonces.take() for _ in range(8)))  # noqa: SLF001
        finally:
            os._exit(0)
    os.close(write)
    child = b""
    while chunk := os.read(read, 1024):
        child += chunk
    os.close(read)
    os.waitpid(pid, 0)
    parent = b"".join(crypto._nonces.take() for _ in range(8))  # noqa: SLF001
    assert len(child) == len(parent) == 96
    assert {child[i:i + 12] for i in range(0, 96, 12)}.isdisjoint(
        parent[i:i + 12] for i in range(0, 96, 12))


def test_encryption_round_trips_and_differs_each_time():
    number = "110101199003074578"
    first, second = crypto.encrypt_id(number), crypto.encrypt_id(number)
    assert first != second
    assert crypto.decrypt_id(first) == crypto.decrypt_id(second) == number


@pytest.mark.parametrize("key_length", [0, 1, 32, 63, 64, 65, 200])
def test_bulk_hmac_equals_the_standard_library(key_length):
    import hmac
    import random

    rng = random.Random(key_length)
    key = bytes(rng.randrange(256) for _ in range(key_length))
    messages = ["", "X", *("".join(rng.choice("0123456789X") for _ in range(rng.randrange(1, 90)))
                           for _ in range(50))]
    assert crypto.hmac_sha256_hex(key, messages) == [
        hmac.digest(key, m.encode("ascii"), "sha256").hex() for m in messages]


def test_bulk_hashing_and_encryption_agree_with_one_by_one():
    numbers = ["110101199003074578", "62292719800101123X", "630102200512310016"]
    assert crypto.hash_ids(numbers) == [crypto.hash_id(n) for n in numbers]
    encrypted = crypto.encrypt_ids(numbers)
    assert [crypto.decrypt_id(blob) for blob in encrypted] == numbers
    # Fresh nonces each (bytes 1–12 of each value), never the same twice.
    assert len({blob[1:13] for blob in encrypted + crypto.encrypt_ids(numbers)}) == 6
    assert crypto.hash_ids([]) == crypto.encrypt_ids([]) == []


def _sealed_by_hand(key: bytes, aad: bytes, plaintext: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    return b"\x01" + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def test_values_sealed_before_the_shared_sealer_still_open(settings):
    """Stored ID numbers and TOTP secrets keep their format: AES-GCM under the ID key
    (for TOTP secrets a key derived from it by HKDF), version 1, nonce, ciphertext."""
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    from yangguang.accounts import totp

    key = base64.b64decode(settings.ID_ENCRYPTION_KEY)
    stored_id = _sealed_by_hand(key, b"yangguang:id_number", b"110101199003074578")
    assert crypto.decrypt_id(stored_id) == "110101199003074578"
    totp_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                    info=b"yangguang totp secret").derive(key)
    stored_secret = _sealed_by_hand(totp_key, b"yangguang:totp_secret", b"JBSWY3DPEHPK3PXP")
    assert totp.unseal(base64.urlsafe_b64encode(stored_secret).decode()) == "JBSWY3DPEHPK3PXP"


def test_a_value_sealed_as_one_kind_does_not_open_as_another():
    from cryptography.exceptions import InvalidTag

    numbers = crypto.Sealer(b"test:numbers")
    derived = crypto.Sealer(b"test:numbers", purpose=b"test")
    sealed = numbers.seal(b"secret")
    assert numbers.open(sealed) == b"secret"
    with pytest.raises(InvalidTag):
        crypto.Sealer(b"test:other").open(sealed)
    with pytest.raises(InvalidTag):
        derived.open(sealed)  # another key
    with pytest.raises(ValueError, match="unknown encryption version"):
        numbers.open(b"\x02" + sealed[1:])
