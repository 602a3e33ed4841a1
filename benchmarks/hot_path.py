"""CPU per request of a cached simple page, anonymous and with a valid token, in-process.

`python benchmarks/hot_path.py` (BENCH_REQUESTS, default 3000). wrk through gunicorn measures
the whole stack but moves by ±20 % on a shared 2-core machine; CPU time per request in one
process, and the number of cache and database calls each request makes, are steadier for
telling whether a change costs the hot path anything.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "3000"))


def main() -> None:
    data = tempfile.mkdtemp(prefix="hot-path-")
    for name in [name for name in os.environ if name.startswith(("REGISTRY_", "DJANGO_"))]:
        del os.environ[name]
    os.environ |= {"REGISTRY_DATA_DIR": data, "DJANGO_SETTINGS_MODULE": "registry.settings",
                   "DJANGO_ALLOWED_HOSTS": "testserver"}
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    url, token = _setup()
    for label, headers in (("anonymous", {}), ("valid token", {"HTTP_PRIVATE_TOKEN": token})):
        cpu_us, cache_calls, queries = _measure(url, headers)
        print(f"{label:12} {cpu_us:7.0f} µs CPU/request, {cache_calls} cache and "
              f"{queries} database calls/request")


def _setup() -> tuple[str, str]:
    from auth_tokens.services import personal_access_token_issue
    from projects.roles import AccessLevel, Visibility
    from tests.builders import build_wheel
    from tests.factories import add_member, make_group, make_project, make_user
    from tests.pypi_driver import Dist, Registry

    project = make_project("hot", namespace=make_group("hot"), visibility=Visibility.PUBLIC)
    user = make_user("hot")
    add_member(project, user, AccessLevel.MAINTAINER)
    _, token = personal_access_token_issue(user=user, name="hot", scopes=["api"])
    filename, content = build_wheel("hot-lib", "1.0.0")
    response = Registry().upload(project.pk, Dist(filename, content), ("hot", token),
                                 name="hot-lib", version="1.0.0")
    assert response.status_code == 201, response.content
    return f"/api/v4/projects/{project.pk}/packages/pypi/simple/hot-lib/", token


def _measure(url: str, headers: dict[str, str]) -> tuple[float, int, int]:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_ACCEPT="text/html")
    assert client.get(url, **headers).status_code == 200  # warm: the page is now cached
    calls = 0
    methods = ("get", "get_many", "set", "add", "incr", "delete")
    originals = {name: getattr(cache, name) for name in methods}

    def counting(original: object) -> object:
        def call(*args: object, **kwargs: object) -> object:
            nonlocal calls
            calls += 1
            return original(*args, **kwargs)
        return call

    for name, original in originals.items():
        setattr(cache, name, counting(original))
    queries = 0

    def count_query(execute: object, *args: object) -> object:
        nonlocal queries
        queries += 1
        return execute(*args)

    with connection.execute_wrapper(count_query):
        client.get(url, **headers)
    one_request_calls = calls
    started = time.process_time()
    for _ in range(REQUESTS):
        client.get(url, **headers)
    elapsed = time.process_time() - started
    for name in methods:
        delattr(cache, name)
    return elapsed / REQUESTS * 1e6, one_request_calls, queries


if __name__ == "__main__":
    main()
