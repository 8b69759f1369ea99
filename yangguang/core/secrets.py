"""Keys and secrets, generated into the var directory on first use and never committed.

Environment variables override the file, so a production deployment can keep keys in
its secret store: YANGGUANG_SECRET_KEY, YANGGUANG_ID_ENCRYPTION_KEY, YANGGUANG_ID_HASH_KEY,
YANGGUANG_AUDIT_KEY (the last three base64-encoded, 32 bytes each). A key added in a
later version is added to an existing file on first start.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from functools import cache
from pathlib import Path

FILE_NAME = "secrets.json"
KEYS = ("secret_key", "id_encryption_key", "id_hash_key", "audit_key")


def _generate() -> dict[str, str]:
    return {
        "secret_key": secrets.token_urlsafe(50),
        "id_encryption_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        "id_hash_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        # Keys the audit chain (HMAC), so that one with database access alone cannot
        # rewrite events and recompute the hashes after them.
        "audit_key": base64.b64encode(secrets.token_bytes(32)).decode(),
    }


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
            partial = path.with_suffix(".new")
            partial.write_text(json.dumps(stored, indent=2))
            partial.chmod(0o600)
            os.replace(partial, path)
    return stored


@cache
def load(var_dir: str) -> dict[str, str]:
    """Return the secrets, from the environment or from VAR_DIR/secrets.json (created if missing)."""
    env = {
        "secret_key": os.environ.get("YANGGUANG_SECRET_KEY"),
        "id_encryption_key": os.environ.get("YANGGUANG_ID_ENCRYPTION_KEY"),
        "id_hash_key": os.environ.get("YANGGUANG_ID_HASH_KEY"),
        "audit_key": os.environ.get("YANGGUANG_AUDIT_KEY"),
    }
    if all(env.values()):
        return env  # type: ignore[return-value]
    stored = _read_or_create(Path(var_dir) / FILE_NAME)
    return {key: env[key] or stored[key] for key in env}
