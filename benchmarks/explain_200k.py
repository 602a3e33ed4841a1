"""Query plans at 200,000 projects and 2 million files, on PostgreSQL.

`python benchmarks/explain_200k.py` makes the database `registry_explain` on
BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432), migrates it, fills it straight with
SQL (generate_series: 2,000 groups, 200,000 projects, 1,000,000 package versions, 2,000,000
files, BENCH_EXPLAIN_PROJECTS to change the size), then sends the index, miss, upload and
download requests in-process (Django's test client, caches emptied before each, so every
query runs), anonymously and with a member's token, records every query they run and its
`EXPLAIN (ANALYZE, BUFFERS)`, writes the plans between the markers in docs/performance.md and
drops the database. A write is explained inside a transaction that is rolled back.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DATABASE = "registry_explain"
PROJECTS = int(os.environ.get("BENCH_EXPLAIN_PROJECTS", "200000"))
GROUPS = max(PROJECTS // 100, 1)  # half top-level, half their subgroups; 100 projects each
VERSIONS = 5  # x 2 files: 10 files a project
DOC = REPO / "docs" / "performance.md"
START, END = "<!-- plans:start -->", "<!-- plans:end -->"
BIG_TABLES = ("projects_project", "packages_pypi_package", "packages_pypi_packagefile")

# Numbers only go into the text below: nothing from outside.
FILL = f"""
INSERT INTO projects_group (id, name, path, full_path, description, visibility,
    created_at, parent_id, packages_serial)
SELECT g, 'G' || g, 'g' || g,
       CASE WHEN g <= {GROUPS // 2} THEN 'g' || g ELSE 'g' || (g - {GROUPS // 2}) || '/g' || g END,
       '', 20, now(), CASE WHEN g <= {GROUPS // 2} THEN NULL ELSE g - {GROUPS // 2} END, 0
FROM generate_series(1, {GROUPS}) g;
-- One project in 10 private, the rest public; 100 a group.
INSERT INTO projects_project (id, name, path, full_path, description, visibility,
    package_registry_access_level, created_at, namespace_id, packages_serial)
SELECT p, 'P' || p, 'p' || p, grp.full_path || '/p' || p, '',
       CASE WHEN p % 10 = 0 THEN 0 ELSE 20 END, 20, now(), grp.id, 0
FROM generate_series(1, {PROJECTS}) p JOIN projects_group grp ON grp.id = 1 + (p - 1) % {GROUPS};
INSERT INTO packages_pypi_package (id, name, normalized_name, version, canonical_version,
    status, requires_python, summary, description, description_content_type, keywords, author,
    author_email, license, home_page, metadata_version, created_at, updated_at, project_id)
SELECT (p - 1) * {VERSIONS} + v, 'lib-' || p, 'lib-' || p, '1.' || v, '1.' || v, 0, '', '',
       '', '', '', '', '', '', '', '2.1', now(), now(), p
FROM generate_series(1, {PROJECTS}) p, generate_series(1, {VERSIONS}) v;
INSERT INTO packages_pypi_packagefile (id, file, file_name, size, sha256, md5, blake2_256,
    packagetype, python_version, requires_python, core_metadata, core_metadata_sha256, status,
    created_at, package_id, project_id)
SELECT k.id * 2 - kind, 'blobs/' || k.id || '-' || kind,
       'lib_' || k.project_id || '-' || k.version
           || CASE WHEN kind = 0 THEN '-py3-none-any.whl' ELSE '.tar.gz' END,
       1000, encode(sha256(((k.id * 2 - kind)::text)::bytea), 'hex'), repeat('0', 32),
       repeat('0', 64), CASE WHEN kind = 0 THEN 'bdist_wheel' ELSE 'sdist' END, 'py3', '',
       NULL, '', 0, now(), k.id, k.project_id
FROM packages_pypi_package k, generate_series(0, 1) kind;
"""  # noqa: S608


def psql(sql: str, database: str = "postgres") -> str:
    return subprocess.run(["psql", f"{PG_URL}/{database}", "-q", "-v", "ON_ERROR_STOP=1",
                           "-At", "-c", sql], check=True, capture_output=True, text=True).stdout


def main() -> None:
    psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    psql(f"CREATE DATABASE {DATABASE}")
    try:
        data = tempfile.mkdtemp(prefix="explain-")
        for name in [name for name in os.environ if name.startswith(("REGISTRY_", "DJANGO_"))]:
            del os.environ[name]
        os.environ |= {"REGISTRY_DATA_DIR": data, "DJANGO_SETTINGS_MODULE": "registry.settings",
                       "DJANGO_ALLOWED_HOSTS": "testserver",
                       "DATABASE_URL": f"{PG_URL}/{DATABASE}"}
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        began = time.perf_counter()
        for statement in [*FILL.split(";\n"), _setvals()]:
            if statement.strip():
                psql(statement, DATABASE)
        psql("VACUUM ANALYZE", DATABASE)
        filled = time.perf_counter() - began
        counts = psql("SELECT (SELECT count(*) FROM projects_project), "
                      "(SELECT count(*) FROM packages_pypi_package), "
                      "(SELECT count(*) FROM packages_pypi_packagefile)", DATABASE).strip()
        print(f"filled in {filled:.0f}s: projects|packages|files = {counts}", flush=True)
        section = _explain_requests(counts, filled)
    finally:
        from django.db import connections

        connections.close_all()
        psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    text = DOC.read_text()
    if START in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END):]
    else:
        text += "\n" + section
    DOC.write_text(text)
    print(section)


def _setvals() -> str:
    return "; ".join(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
        f"(SELECT max(id) FROM {table}))"
        for table in ("projects_group", "projects_project", "packages_pypi_package",
                      "packages_pypi_packagefile"))


def _explain_requests(counts: str, filled: float) -> str:
    from django.core.cache import caches
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from auth_tokens.services import personal_access_token_issue
    from packages_pypi.models import PackageFile
    from projects.models import ApplicationSettings, Group, Project
    from projects.roles import AccessLevel
    from projects.services import member_add, user_create
    from tests.builders import build_wheel
    from tests.conftest import basic_auth
    from tests.pypi_driver import Dist, twine_form

    settings = ApplicationSettings.load()
    settings.pypi_package_requests_forwarding = False
    settings.save()
    middle = PROJECTS // 2 + 1  # a public project (p % 10 != 0) half-way through the table
    project = Project.objects.get(pk=middle)
    group = Group.objects.get(pk=project.namespace_id)
    user = user_create(username="dev", email="dev@example.com")
    member_add(subject=group, user=user, access_level=AccessLevel.DEVELOPER)
    _, token = personal_access_token_issue(user=user, name="explain", scopes=["api"])
    file_row = PackageFile.objects.filter(project=project).order_by("id").first()
    assert file_row is not None
    api = f"/api/v4/projects/{project.pk}/packages/pypi"
    group_api = f"/api/v4/groups/{group.pk}/-/packages/pypi"
    filename, content = build_wheel(f"lib-{middle}", "9.0")
    def upload() -> object:
        form = twine_form(Dist(filename, content), f"lib-{middle}", "9.0")
        return client.post(api, data=form, HTTP_AUTHORIZATION=basic_auth("dev", token))

    client = Client(HTTP_ACCEPT="text/html")
    token_header = {"HTTP_PRIVATE_TOKEN": token}
    requests = [
        ("project page, anonymous", lambda: client.get(f"{api}/simple/lib-{middle}/")),
        ("project page, token", lambda: client.get(f"{api}/simple/lib-{middle}/",
                                                   **token_header)),
        ("project index, anonymous", lambda: client.get(f"{api}/simple/")),
        ("miss (404), anonymous", lambda: client.get(f"{api}/simple/no-such-name/")),
        ("miss (404), token", lambda: client.get(f"{api}/simple/no-such-name/",
                                                 **token_header)),
        ("group index, token", lambda: client.get(f"{group_api}/simple/", **token_header)),
        ("group page, token", lambda: client.get(f"{group_api}/simple/lib-{middle}/",
                                                 **token_header)),
        ("download, anonymous", lambda: client.get(
            f"{api}/files/{file_row.sha256}/{file_row.file_name}")),
        ("group download, token", lambda: client.get(
            f"{group_api}/files/{file_row.sha256}/{file_row.file_name}", **token_header)),
        ("upload, token", upload),
    ]
    rows = []
    for label, call in requests:
        caches["default"].clear()
        caches["generations"].clear()
        # Inside a transaction rolled back, so that a write can be explained (run) again.
        with CaptureQueriesContext(connection) as captured:
            try:
                with transaction.atomic():
                    status = getattr(call(), "status_code", "?")
                    raise _RollBack()
            except _RollBack:
                pass
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith(("SELECT", "UPDATE", "INSERT", "DELETE")):
                continue
            plan = _explain(connection, transaction, sql)
            rows.append((label, status, sql, plan))
    return _render(rows, counts, filled)


def _render(rows: list[tuple[str, object, str, str]], counts: str, filled: float) -> str:
    plans = []
    lines = [START, "", f"### Query plans at {PROJECTS:,} projects (made by "
             "`benchmarks/explain_200k.py`)", "",
             f"PostgreSQL, filled straight with SQL in {filled:.0f} s: projects, package "
             f"versions and files = {counts.replace('|', ', ')}; 1 project in 10 private. "
             "Every query each request runs with its caches empty, `EXPLAIN (ANALYZE, "
             "BUFFERS)`; a write inside a transaction rolled back.", "",
             "| request | status | query | scans | rows read | ms | buffers |",
             "|---|---|---|---|---|---|---|"]
    for label, status, sql, plan in rows:
        scans = sorted(set(re.findall(r"((?:Parallel )?(?:Seq|Index Only|Index|Bitmap Heap|"
                                      r"Bitmap Index) Scan)(?: using \w+)? on (\w+)", plan)))
        scan_text = ", ".join(f"{kind} {table}" for kind, table in scans) or "none"
        read = sum(int(n) for n in re.findall(r"actual time=[\d.]+\.\.[\d.]+ rows=(\d+)", plan))
        took = re.search(r"Execution Time: ([\d.]+) ms", plan)
        buffers = re.search(r"Buffers: (shared [^\n]+)", plan)
        flag = " **seq scan of a big table**" if any(
            kind.endswith("Seq Scan") and table in BIG_TABLES for kind, table in scans) else ""
        lines.append(
            f"| {label} | {status} | `{_short(sql)}` | {scan_text}{flag} | {read} | "
            f"{took.group(1) if took else '?'} | {buffers.group(1) if buffers else '—'} |")
        plans.append(f"**{label}**: `{_short(sql, 200)}`\n\n```\n{plan}\n```\n")
    lines += ["", "<details><summary>The plans</summary>", "", *plans, "</details>", "", END]
    return "\n".join(lines) + "\n"


def _explain(connection: object, transaction: object, sql: str) -> str:
    try:
        with transaction.atomic():  # type: ignore[attr-defined]
            with connection.cursor() as cursor:  # type: ignore[attr-defined]
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
            raise _RollBack(plan)
    except _RollBack as done:
        return str(done)


class _RollBack(Exception):
    pass


def _short(sql: str, length: int = 90) -> str:
    text = re.sub(r"\s+", " ", sql).replace("|", "/").replace('"', "")
    return text if len(text) <= length else text[: length - 1] + "…"


if __name__ == "__main__":
    main()
