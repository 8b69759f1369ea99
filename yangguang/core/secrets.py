"""Keys and secrets, generated into the var directory on first use and never committed.

Environment variables override the file, so a production deployment can keep keys in
its secret store: YANGGUANG_SECRET_KEY, YANGGUANG_ID_ENCRYPTION_KEY, YANGGUANG_ID_HASH_KEY,
YANGGUANG_AUDIT_KEY (the last three base64-encoded, 32 bytes each),
YANGGUANG_ECERT_SIGNING_KEY (the Ed25519 private key that signs electronic
certificates, 32 bytes base64-encoded) with YANGGUANG_ECERT_RETIRED_PUBLIC_KEYS (the
public keys of the signing keys it replaced, comma-separated, so that certificates
signed before a rotation still verify). A key added in a later version is added to an
existing file on first start.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from functools import cache
from pathlib import Path

FILE_NAME = "secrets.json"
KEYS = ("secret_key", "id_encryption_key", "id_hash_key", "audit_key", "ecert_signing_key",
        "ecert_retired_public_keys")


def _generate() -> dict[str, str]:
    return {
        "secret_key": secrets.token_urlsafe(50),
        "id_encryption_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        "id_hash_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        # Keys the audit chain (HMAC), so that one with database access alone cannot
        # rewrite events and recompute the hashes after them.
        "audit_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        **_new_ecert_key(),
    }


def _new_ecert_key() -> dict[str, str]:
    # An Ed25519 private key is any 32 random bytes (RFC 8032 §5.1.5).
    return {"ecert_signing_key": base64.b64encode(secrets.token_bytes(32)).decode(),
            "ecert_retired_public_keys": ""}


def _read_or_create(path: Path) -> dict[str, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        data = json.dumps(_generate(), indent=2).encode()
        try:
            # O_EXCL: when several processes start at once, exactly one writes the file.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
    for _ in range(50):
        text = path.read_text()
        if text:
            stored = json.loads(text)
            return stored if set(KEYS) <= set(stored) else _add_missing(path)
        # Another process created the file and is still writing it.
        import time

        time.sleep(0.05)
    raise RuntimeError(f"{path} is empty")


def make_private(var_dir: Path) -> None:
    """Keep the var directory (database, keys, uploads, reports) to the service user.

    Sets the process umask to 077, so that every file and directory created from now on
    (the SQLite database and its journals, uploads, error reports, audit checkpoints) is
    the owner's only; creates the directory as 0700; and tightens what an older
    installation left readable: the directory 0700, the files and directories directly
    in it 0600 and 0700 (their contents are out of reach behind them)."""
    os.umask(0o077)
    var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    var_dir.chmod(0o700)
    for entry in var_dir.iterdir():
        if entry.is_symlink():
            continue
        entry.chmod(0o700 if entry.is_dir() else 0o600)


def _add_missing(path: Path) -> dict[str, str]:
    """Add the keys a file written by an earlier version lacks, under a lock, so that
    processes starting at once agree on one new key; the keys present never change."""
    import fcntl

    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stored = json.loads(path.read_text())
        missing = {k: v for k, v in _generate().items() if k not in stored}
        if missing:
            stored |= missing
            _replace(path, stored)
    return stored


def _replace(path: Path, stored: dict[str, str]) -> None:
    partial = path.with_suffix(".new")
    partial.write_text(json.dumps(stored, indent=2))
    partial.chmod(0o600)
    os.replace(partial, path)


def rotate_ecert_key(var_dir: str) -> str:
    """Replace the e-certificate signing key in VAR_DIR/secrets.json by a new one; the
    old key's public key joins the retired ones, so tokens it signed still verify.
    Returns the new public key (base64). Running processes read keys at start: restart
    them. A key from the environment is rotated in the secret store, not here."""
    import fcntl

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if os.environ.get("YANGGUANG_ECERT_SIGNING_KEY"):
        raise RuntimeError("YANGGUANG_ECERT_SIGNING_KEY is set: rotate it in the secret store")
    path = Path(var_dir) / FILE_NAME
    _read_or_create(path)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stored = json.loads(path.read_text())
        old = Ed25519PrivateKey.from_private_bytes(base64.b64decode(stored["ecert_signing_key"]))
        retired = [k for k in stored["ecert_retired_public_keys"].split(",") if k]
        retired.append(base64.b64encode(old.public_key().public_bytes_raw()).decode())
        stored |= _new_ecert_key() | {"ecert_retired_public_keys": ",".join(retired)}
        _replace(path, stored)
    load.cache_clear()
    new = Ed25519PrivateKey.from_private_bytes(base64.b64decode(stored["ecert_signing_key"]))
    return base64.b64encode(new.public_key().public_bytes_raw()).decode()


@cache
def load(var_dir: str) -> dict[str, str]:
    """Return the secrets, from the environment or from VAR_DIR/secrets.json (created if missing)."""
    env = {key: os.environ.get("YANGGUANG_" + key.upper()) for key in KEYS}
    if all(env[key] for key in KEYS if key != "ecert_retired_public_keys"):
        return {key: value or "" for key, value in env.items()}
    stored = _read_or_create(Path(var_dir) / FILE_NAME)
    if env["ecert_signing_key"]:  # the retired keys come with the key they went before
        stored = stored | {"ecert_retired_public_keys": ""}
    return {key: env[key] or stored[key] for key in env}
