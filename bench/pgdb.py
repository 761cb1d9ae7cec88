"""A throwaway PostgreSQL database on the server `DATABASE_URL` points at, dropped afterwards.

`make bench` with `DATABASE_URL=postgres://…/mydb` set must not fill `mydb` (a development or test
database) with demo data. It borrows only the *server* and the credentials: it connects to the
server's maintenance database (`postgres`, else `template1`, else the named one, only to issue
the two statements), runs `CREATE DATABASE bec_bench_<pid>`, hands the benchmark a URL to that new
database, and `DROP DATABASE` it on the way out (also on errors, Ctrl-C and `kill`). Nothing is
ever run in the database named in `DATABASE_URL`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote, urlsplit, urlunsplit

POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql", "postgis"}
MAINTENANCE_DATABASES = ("postgres", "template1")


class ThrowawayDatabaseError(RuntimeError):
    pass


def is_postgres_url(url: str | None) -> bool:
    return bool(url) and urlsplit(url).scheme in POSTGRES_SCHEMES


def describe(url: str) -> str:
    """`database NAME on HOST:PORT`, without the user name or password."""
    parts = urlsplit(url)
    host = parts.hostname or "local socket"
    port = f":{parts.port}" if parts.port else ""
    return f"database {unquote(parts.path.lstrip('/')) or '(default)'} on {host}{port}"


def with_database(url: str, name: str) -> str:
    """The same server URL (credentials, query options such as sslmode) for database `name`."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _libpq_url(url: str) -> str:
    """libpq only knows postgres:// and postgresql:// (dj-database-url also reads pgsql://, postgis://)."""
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, parts.fragment))


def _connect_to_server(server_url: str):
    import psycopg

    errors = []
    named = unquote(urlsplit(server_url).path.lstrip("/"))
    for dbname in dict.fromkeys([*MAINTENANCE_DATABASES, named or "postgres"]):
        try:
            return psycopg.connect(
                _libpq_url(with_database(server_url, dbname)), autocommit=True, connect_timeout=10
            )
        except psycopg.OperationalError as exc:
            errors.append(f"{dbname}: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc}")
    raise ThrowawayDatabaseError("cannot connect to the PostgreSQL server:\n  " + "\n  ".join(errors))


@contextmanager
def throwaway_database(server_url: str, name: str | None = None) -> Iterator[str]:
    """`with throwaway_database(os.environ["DATABASE_URL"]) as url:` a fresh, empty database.

    Yields its URL; drops it on exit. Refuses to reuse a database that already exists (it may be
    someone's), and never drops one it did not create.
    """
    from psycopg import errors, sql

    name = name or f"bec_bench_{os.getpid()}"
    named = unquote(urlsplit(server_url).path.lstrip("/"))
    if name == named:
        raise ThrowawayDatabaseError(f"refusing to use {name!r}: it is the database DATABASE_URL names")
    with _connect_to_server(server_url) as conn:
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except errors.DuplicateDatabase:
            raise ThrowawayDatabaseError(
                f"database {name!r} already exists (left over from a killed run?); drop it yourself "
                "if it is a benchmark's"
            ) from None
        except errors.InsufficientPrivilege as exc:
            raise ThrowawayDatabaseError(f"cannot create database {name!r}: {exc}") from None
    try:
        yield with_database(server_url, name)
    finally:
        with _connect_to_server(server_url) as conn:
            force = " WITH (FORCE)" if conn.info.server_version >= 130000 else ""
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}" + force).format(sql.Identifier(name)))
