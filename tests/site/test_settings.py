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


#: The documented production variables (README, .ci/run), as `check --deploy` is run with them.
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "bec_site.settings.production",
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "bec.example.org",
    "EMAIL_URL": "smtp+tls://bec:secret@mail.example.org:587",
    "WAGTAILADMIN_BASE_URL": "https://bec.example.org",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def _without(*names: str, **changes: str) -> dict[str, str]:
    return {**{k: v for k, v in PRODUCTION.items() if k not in names}, **changes}


def test_production_settings_pass_check_deploy():
    result = _run("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout


def _import_production(env: dict[str, str]) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    for name in PRODUCTION:
        environment.pop(name, None)  # a variable of the caller's shell must not fill a gap
    environment.update(env)
    return subprocess.run([sys.executable, "-c", "import bec_site.settings.production"], cwd=ROOT,
                          env=environment, capture_output=True, text=True, timeout=120)


def test_production_settings_import_with_the_documented_variables():
    result = _import_production(PRODUCTION)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("env, variable", [
    (_without("SECRET_KEY"), "SECRET_KEY"),
    (_without(SECRET_KEY=""), "SECRET_KEY"),
    (_without(SECRET_KEY="x" * 49), "SECRET_KEY"),
    (_without("EMAIL_URL"), "EMAIL_URL"),
    (_without(EMAIL_URL="  "), "EMAIL_URL"),
    (_without("WAGTAILADMIN_BASE_URL"), "WAGTAILADMIN_BASE_URL"),
    (_without(WAGTAILADMIN_BASE_URL="bec.example.org"), "WAGTAILADMIN_BASE_URL"),
], ids=["no-key", "empty-key", "short-key", "no-email", "blank-email", "no-base-url", "base-url-not-a-url"])
def test_production_refuses_to_start_without_a_required_setting(env, variable):
    result = _import_production(env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{variable} must be set" in result.stderr


def test_check_deploy_warns_without_a_shared_cache():
    result = _run("check", "--deploy", "--fail-level", "WARNING", **_without("REDIS_URL"))

    assert result.returncode != 0
    assert "bec_site.W001" in result.stderr + result.stdout
    assert "REDIS_URL" in result.stderr + result.stdout


@pytest.mark.parametrize("backend, warned", [
    ("django.core.cache.backends.locmem.LocMemCache", True),
    ("django.core.cache.backends.dummy.DummyCache", True),
    ("django.core.cache.backends.redis.RedisCache", False),
    ("django.core.cache.backends.db.DatabaseCache", False),
])
def test_shared_cache_check(settings, backend, warned):
    from bec_site.checks import shared_cache_check

    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": "x"}}

    assert [m.id for m in shared_cache_check()] == (["bec_site.W001"] if warned else [])


def test_shared_cache_check_runs_only_with_deploy():
    from django.core.checks import registry

    assert "bec_site.W001" not in {m.id for m in registry.run_checks(include_deployment_checks=False)}
    assert "bec_site.W001" in {m.id for m in registry.run_checks(include_deployment_checks=True)}


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


def test_postgresql_connections_run_without_jit():
    """JIT compiling took longer than the analysis aggregates it compiled (docs/architecture.md, Speed);
    options already in DATABASE_URL are kept."""
    code = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS']['options'])"
    result = _run("shell", "-c", code, DJANGO_SETTINGS_MODULE="bec_site.settings.dev",
                  DATABASE_URL="postgres://postgres@127.0.0.1:5432/x")
    assert result.stdout.strip().endswith("-c jit=off"), result.stderr
    result = _run("shell", "-c", code, DJANGO_SETTINGS_MODULE="bec_site.settings.dev",
                  DATABASE_URL="postgres://postgres@127.0.0.1:5432/x?options=-c%20work_mem%3D8MB")
    assert result.stdout.strip().endswith("-c work_mem=8MB -c jit=off"), result.stderr


def test_migrations_are_complete():
    result = _run("makemigrations", "--check", "--dry-run", DJANGO_SETTINGS_MODULE="bec_site.settings.dev")
    assert result.returncode == 0, result.stdout


@pytest.mark.django_db
def test_a_signed_in_request_reads_its_session_from_the_cache(client, people):
    """Issue 15, « signed in costs little »: sessions are cached (`cached_db`), so once warm a signed-in
    page costs no session query; the session is still written to the database (a restart keeps it)."""
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(people["member"])
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    assert not [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]]
    assert Session.objects.filter(session_key=client.session.session_key).exists()
