"""CPU per request of cached simple pages, in-process: a project page (anonymous and with a
valid token), a miss, a group's index and project page, and the trivial view of
`benchmarks.ceiling` (the stack's own cost).

`python benchmarks/hot_path.py` (BENCH_REQUESTS, default 3000; BENCH_ONLY=<label> measures one
of them; BENCH_GROUP_PROJECTS, default 1000). wrk through gunicorn measures the whole stack but
moves by ±20 % on a shared 2-core machine; CPU time per request in one process, and the number
of cache and database calls each request makes, are steadier. Steadiest: BENCH_CALLGRIND=1
runs the same under `valgrind --tool=callgrind` and prints the instructions each request
executes, which do not move with the machine's load (the measured loop runs inside
`functools.reduce`, the C function callgrind collects and dumps, so the setup is left out).
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "3000"))
ONLY = os.environ.get("BENCH_ONLY", "")
GROUP_PROJECTS = int(os.environ.get("BENCH_GROUP_PROJECTS", "1000"))


def main() -> None:
    if os.environ.get("BENCH_CALLGRIND") == "1":
        return _under_callgrind()
    data = tempfile.mkdtemp(prefix="hot-path-")
    for name in [name for name in os.environ if name.startswith(("REGISTRY_", "DJANGO_"))]:
        del os.environ[name]
    os.environ |= {"REGISTRY_DATA_DIR": data, "DJANGO_SETTINGS_MODULE": "benchmarks.ceiling",
                   "DJANGO_ALLOWED_HOSTS": "testserver"}
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    url, token, group = _setup()
    token_header = {"HTTP_PRIVATE_TOKEN": token}
    cases = {
        "anonymous": (url, {}),
        "valid token": (url, token_header),
        "miss": (url.replace("hot-lib", "no-such-name"), {}),
        "group index": (f"/api/v4/groups/{group}/-/packages/pypi/simple/", {}),
        "group page": (f"/api/v4/groups/{group}/-/packages/pypi/simple/fleet-1/", {}),
        "group index, token": (f"/api/v4/groups/{group}/-/packages/pypi/simple/", token_header),
        "ceiling": ("/api/v4/-/bench/ceiling", {}),
    }
    for label, (path, headers) in cases.items():
        if ONLY and label != ONLY:
            continue
        cpu_us, cache_calls, queries = _measure(path, headers)
        print(f"{label:18} {cpu_us:7.0f} µs CPU/request, {cache_calls} cache and "
              f"{queries} database calls/request")


def _setup() -> tuple[str, str, int]:
    from django.db import transaction

    from auth_tokens.services import personal_access_token_issue
    from packages_pypi.models import Package, PackageFile
    from packages_pypi.services import packages_serial_bump
    from projects.models import ApplicationSettings
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
    settings = ApplicationSettings.load()
    settings.pypi_package_requests_forwarding = False  # a miss is a 404, as in `make bench`
    settings.save()
    fleet = make_group("fleet", visibility=Visibility.PUBLIC)
    with transaction.atomic():  # rows only, as `make bench` makes its group
        for i in range(GROUP_PROJECTS):
            p = make_project(f"p{i}", namespace=fleet, visibility=Visibility.PUBLIC)
            pkg = Package.objects.create(project=p, name=f"fleet-{i}", version="1.0",
                                         normalized_name=f"fleet-{i}", canonical_version="1")
            PackageFile.objects.create(
                package=pkg, project=p, file=f"none/{i}", file_name=f"fleet_{i}-1.0.tar.gz",
                size=1, sha256="0" * 64, md5="0" * 32, blake2_256="0" * 64, packagetype="sdist")
        packages_serial_bump([p.pk])
    return f"/api/v4/projects/{project.pk}/packages/pypi/simple/hot-lib/", token, fleet.pk


def _measure(url: str, headers: dict[str, str]) -> tuple[float, int, int]:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_ACCEPT="text/html")
    assert client.get(url, **headers).status_code in (200, 404)  # warm: now cached
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
    functools.reduce(lambda _, __: client.get(url, **headers), range(REQUESTS), None)
    elapsed = time.process_time() - started
    for name in methods:
        delattr(cache, name)
    return elapsed / REQUESTS * 1e6, one_request_calls, queries


def _under_callgrind() -> None:
    out = Path(tempfile.mkdtemp(prefix="hot-path-callgrind-"))
    env = os.environ | {"BENCH_CALLGRIND": "0", "BENCH_REQUESTS": str(REQUESTS)}
    labels = subprocess.run(
        ["valgrind", "--tool=callgrind", "--collect-atstart=no",
         "--toggle-collect=functools_reduce", "--dump-after=functools_reduce",
         f"--callgrind-out-file={out}/cg.out", sys.executable, __file__],
        env=env, capture_output=True, text=True, check=True,
    ).stdout
    names = [line.split("  ")[0].strip() for line in labels.splitlines() if "µs CPU" in line]
    dumps = sorted(out.glob("cg.out.*"), key=lambda path: int(path.suffix[1:]))
    for name, dump in zip(names, dumps, strict=True):
        total = int(re.search(r"^totals: (\d+)", dump.read_text(), re.M).group(1))
        print(f"{name:18} {total / REQUESTS / 1e6:6.3f} M instructions/request")


if __name__ == "__main__":
    main()
