"""What counting costs a download, in-process: off, on (local memory), on (Redis).

`python benchmarks/downloads.py` (BENCH_REQUESTS, default 2000; BENCH_REDIS_URL, default
redis://127.0.0.1:6379/13, skipped when no Redis answers). Rounds alternate off and on so the
noise of a shared machine falls on both alike; the best round of each is reported, as wall
time per download (downloads/s for one thread) and CPU time per download.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "2000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def main() -> None:
    data = tempfile.mkdtemp(prefix="downloads-bench-")
    for name in [name for name in os.environ if name.startswith(("REGISTRY_", "DJANGO_"))]:
        del os.environ[name]
    os.environ |= {"REGISTRY_DATA_DIR": data, "DJANGO_SETTINGS_MODULE": "registry.settings",
                   "DJANGO_ALLOWED_HOSTS": "testserver"}
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    url = _setup()
    settings.REGISTRY_DOWNLOAD_FOLD_INTERVAL_SECONDS = 10**9  # folding is measured apart
    variants = [("counting off", False, None), ("counting on, local memory", True, None)]
    if _redis_answers():
        variants.append(("counting on, Redis", True, REDIS_URL))
    best: dict[str, tuple[float, float]] = {}
    for _ in range(ROUNDS):
        for label, counting, cache_url in variants:
            wall, cpu = _measure(url, counting=counting, cache_url=cache_url)
            old_wall, old_cpu = best.get(label, (wall, cpu))
            best[label] = (min(wall, old_wall), min(cpu, old_cpu))
    base_wall, base_cpu = best["counting off"]
    for label, (wall, cpu) in best.items():
        print(f"{label:26} {1 / wall:7.0f} downloads/s ({(wall / base_wall - 1) * 100:+.1f} %), "
              f"{cpu * 1e6:5.0f} µs CPU per download ({(cpu / base_cpu - 1) * 100:+.1f} %)")
    for label, _, cache_url in variants[1:]:
        wall, cpu = _count_cost(cache_url)
        print(f"{label:26} the count alone: {wall * 1e6:5.1f} µs wall, {cpu * 1e6:5.1f} µs CPU "
              f"({wall / base_wall * 100:.1f} % of a download's wall time)")
    print(f"one fold of 1,000 downloads of one file: {_fold_time() * 1e3:.1f} ms")


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL).ping())
    except redis.ConnectionError:
        return False


def _setup() -> str:
    from auth_tokens.services import personal_access_token_issue
    from projects.roles import AccessLevel, Visibility
    from tests.builders import build_wheel
    from tests.factories import add_member, make_group, make_project, make_user
    from tests.pypi_driver import Dist, Registry

    project = make_project("dl", namespace=make_group("dl"), visibility=Visibility.PUBLIC)
    user = make_user("dl")
    add_member(project, user, AccessLevel.MAINTAINER)
    _, token = personal_access_token_issue(user=user, name="dl", scopes=["api"])
    filename, content = build_wheel("dl-lib", "1.0.0")
    response = Registry().upload(project.pk, Dist(filename, content), ("dl", token),
                                 name="dl-lib", version="1.0.0")
    assert response.status_code == 201, response.content
    from packages_pypi.models import PackageFile

    package_file = PackageFile.objects.get()
    return (f"/api/v4/projects/{project.pk}/packages/pypi/files/"
            f"{package_file.sha256}/{package_file.file_name}")


def _measure(url: str, *, counting: bool, cache_url: str | None) -> tuple[float, float]:
    from django.conf import settings
    from django.test import Client, override_settings

    cache_setting = (
        {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                     "LOCATION": cache_url}}
        if cache_url else settings.CACHES
    )
    with override_settings(REGISTRY_DOWNLOAD_COUNTING=counting, CACHES=cache_setting):
        client = Client()
        _download(client, url)  # warm
        started_wall, started_cpu = time.perf_counter(), time.process_time()
        for _ in range(REQUESTS):
            _download(client, url)
        wall = (time.perf_counter() - started_wall) / REQUESTS
        cpu = (time.process_time() - started_cpu) / REQUESTS
        from packages_pypi.downloads import downloads_fold

        downloads_fold()
    return wall, cpu


def _count_cost(cache_url: str | None) -> tuple[float, float]:
    """Wall and CPU time of `download_count` alone, per call (the request path's whole cost)."""
    from django.conf import settings
    from django.test import override_settings

    from packages_pypi.downloads import download_count, downloads_fold
    from packages_pypi.models import PackageFile

    cache_setting = (
        {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                     "LOCATION": cache_url}}
        if cache_url else settings.CACHES
    )
    package_file = PackageFile.objects.get()
    calls = REQUESTS * 10
    with override_settings(REGISTRY_DOWNLOAD_COUNTING=True, CACHES=cache_setting):
        download_count(package_file)
        started_wall, started_cpu = time.perf_counter(), time.process_time()
        for _ in range(calls):
            download_count(package_file)
        wall = (time.perf_counter() - started_wall) / calls
        cpu = (time.process_time() - started_cpu) / calls
        downloads_fold()
    return wall, cpu


def _download(client: object, url: str) -> None:
    response = client.get(url)  # type: ignore[attr-defined]
    assert response.status_code == 200, response.status_code
    for _chunk in response.streaming_content:
        pass
    response.close()


def _fold_time() -> float:
    from packages_pypi.downloads import _counter, downloads_fold
    from packages_pypi.models import PackageFile

    counter = _counter()
    file_id = PackageFile.objects.get().pk
    for _ in range(1000):
        counter.add(file_id)
    started = time.perf_counter()
    downloads_fold()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
