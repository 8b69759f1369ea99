"""Security headers on every response, templates the CSP can serve, production settings."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import yangguang

PACKAGE = Path(yangguang.__file__).parent
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/audit/", "/no-such-page/"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)

    assert response["Content-Security-Policy"] == CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response  # plain HTTP in development and tests


def _templates() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.html") if "site-packages" not in p.parts)


def test_templates_need_no_inline_script_or_style():
    """The CSP blocks inline code and styles, so none may be written into a template."""
    inline = re.compile(r"<style|\sstyle=|\son[a-z]+=|<script(?![^>]*\ssrc=)|javascript:", re.I)
    offenders = [f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}"
                 for path in _templates()
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if inline.search(line)]
    assert _templates() and offenders == []


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # A clean environment: other tests' settings (e.g. DJANGO_ALLOW_ASYNC_UNSAFE for the
    # browser tests) are not a deployment's.
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith(("YANGGUANG_", "DJANGO_")) and k != "DATABASE_URL"}
    environ.update(YANGGUANG_VAR_DIR=str(tmp_path), PYTHONPATH=str(PACKAGE.parent), **env)
    return subprocess.run([sys.executable, "-m", "yangguang", *args], env=environ,
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)


def test_check_deploy_is_clean_in_production_mode(tmp_path):
    result = _run(["check", "--deploy", "--fail-level", "WARNING"], tmp_path, YANGGUANG_HTTPS="1")

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stderr


def test_check_deploy_warns_without_https(tmp_path):
    """The clean result above comes from the production settings, not from silenced checks."""
    result = _run(["check", "--deploy", "--fail-level", "WARNING"], tmp_path)

    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr


_SHOW = ("from django.conf import settings as s; import json; print(json.dumps({k: getattr(s, k) "
         "for k in ['DEBUG', 'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
         "'SECURE_HSTS_SECONDS', 'SESSION_EXPIRE_AT_BROWSER_CLOSE']}))")


def _settings(tmp_path: Path, **env: str) -> dict:
    result = _run(["shell", "--no-imports", "-c", _SHOW], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_https_settings_follow_the_mode(tmp_path):
    production = _settings(tmp_path, YANGGUANG_HTTPS="1")
    assert production == {"DEBUG": False, "SECURE_SSL_REDIRECT": True, "SESSION_COOKIE_SECURE": True,
                          "CSRF_COOKIE_SECURE": True, "SECURE_HSTS_SECONDS": 31536000,
                          "SESSION_EXPIRE_AT_BROWSER_CLOSE": True}
    # Development (`YANGGUANG_DEBUG=1 make run` on http://127.0.0.1:8000) must not be sent to https.
    development = _settings(tmp_path, YANGGUANG_HTTPS="1", YANGGUANG_DEBUG="1")
    assert development["DEBUG"] is True and development["SECURE_SSL_REDIRECT"] is False
    assert development["SESSION_COOKIE_SECURE"] is False and development["SECURE_HSTS_SECONDS"] == 0


def test_the_var_directory_and_the_sqlite_file_are_the_service_users_only(tmp_path):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    (var / "yangguang.sqlite3").touch(mode=0o644)  # left by an older installation
    (var / "media").mkdir(mode=0o755)
    env = {**os.environ, "YANGGUANG_VAR_DIR": str(var), "DATABASE_URL": ""}
    script = ("import django, os; django.setup(); from django.db import connection; "
              "connection.ensure_connection(); open(os.path.join(os.environ['YANGGUANG_VAR_DIR'], "
              "'media', 'upload.xlsx'), 'w').close()")
    subprocess.run([sys.executable, "-c", script], env={**env, "DJANGO_SETTINGS_MODULE":
                   "yangguang.settings"}, check=True, timeout=120)
    (var / "yangguang.sqlite3").unlink()
    subprocess.run([sys.executable, "-c", script], env={**env, "DJANGO_SETTINGS_MODULE":
                   "yangguang.settings"}, check=True, timeout=120)

    def mode(path: Path) -> int:
        return path.stat().st_mode & 0o777

    assert mode(var) == 0o700 and mode(var / "media") == 0o700
    assert mode(var / "secrets.json") == 0o600
    assert mode(var / "yangguang.sqlite3") == 0o600  # created by SQLite, private from the start
    assert mode(var / "media" / "upload.xlsx") == 0o600


def test_an_older_secrets_file_gains_the_audit_key_and_keeps_its_keys(tmp_path, monkeypatch):
    from yangguang.core import secrets

    for key in secrets.KEYS:
        monkeypatch.delenv(f"YANGGUANG_{key.upper()}", raising=False)
    older = {"secret_key": "s", "id_encryption_key": "e", "id_hash_key": "h"}
    (tmp_path / "secrets.json").write_text(json.dumps(older))

    loaded = secrets.load(str(tmp_path))

    assert {k: loaded[k] for k in older} == older and len(loaded["audit_key"]) == 44
    assert json.loads((tmp_path / "secrets.json").read_text()) == loaded  # kept for next time
    assert (tmp_path / "secrets.json").stat().st_mode & 0o077 == 0
