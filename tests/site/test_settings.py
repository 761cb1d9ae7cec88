"""Configuration comes from the environment; production passes `check --deploy` with no warning."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_production_settings_pass_check_deploy():
    result = _run("check", "--deploy", "--fail-level", "WARNING",
                  DJANGO_SETTINGS_MODULE="bec_site.settings.production",
                  SECRET_KEY="a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
                  ALLOWED_HOSTS="bec.example.org")
    assert result.returncode == 0, result.stderr + result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _run("check", DJANGO_SETTINGS_MODULE="bec_site.settings.production", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("url, expected", [
    ("console://", {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
    ("smtp+tls://user:p%40ss@mail.example.org:587",
     {"EMAIL_HOST": "mail.example.org", "EMAIL_PORT": 587, "EMAIL_HOST_USER": "user",
      "EMAIL_HOST_PASSWORD": "p@ss", "EMAIL_USE_TLS": True}),
    ("smtps://mail.example.org", {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True}),
])
def test_email_url(url, expected):
    from bec_site.settings.base import _email_settings

    settings = _email_settings(url)
    assert {key: settings[key] for key in expected} == expected


def test_unknown_email_scheme_is_an_error():
    from bec_site.settings.base import _email_settings

    with pytest.raises(ValueError):
        _email_settings("carrier-pigeon://coop")


def test_redis_url_selects_the_redis_cache():
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    result = _run("shell", "-c", code, DJANGO_SETTINGS_MODULE="bec_site.settings.dev",
                  REDIS_URL="redis://127.0.0.1:6379/3")
    assert result.stdout.strip().endswith("django.core.cache.backends.redis.RedisCache"), result.stderr


def test_database_url_is_honoured():
    code = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    result = _run("shell", "-c", code, DJANGO_SETTINGS_MODULE="bec_site.settings.dev",
                  DATABASE_URL="postgres://postgres@127.0.0.1:5432/x")
    assert result.stdout.strip().endswith("django.db.backends.postgresql"), result.stderr


def test_migrations_are_complete():
    result = _run("makemigrations", "--check", "--dry-run", DJANGO_SETTINGS_MODULE="bec_site.settings.dev")
    assert result.returncode == 0, result.stdout
