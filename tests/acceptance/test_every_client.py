"""Every client as a user runs it: publish a package of its own, then install it from the registry.

Each journey builds a package whose name exists nowhere else with the client's own build backend
(offline: in-process or `--no-isolation`, never a build environment fetched from an index),
publishes it with the client, installs it back from the registry and imports it. The clients run
with this machine's package config shut out and HOME/XDG/cache dirs of their own, so only the
registry can answer. pip, uv pip and twine < 6.2 are in test_publish_and_install.py.
"""

import secrets
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from auth_tokens.services import personal_access_token_issue
from packages_pypi.models import Package
from projects.roles import AccessLevel, Visibility
from tests.acceptance.client_tools import ensure_tools
from tests.acceptance.clients import (
    BIN,
    isolated_env,
    pip_install,
    run,
    uv_pip_install,
    with_credentials,
)
from tests.builders import build_sdist, build_wheel, write_distribution
from tests.factories import add_member, make_group, make_project, make_user

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def tools() -> dict[str, Path]:
    return ensure_tools()


@pytest.fixture
def world(live_server):
    group = make_group("acme", visibility=Visibility.PRIVATE)
    # A private registry's usual setting, and no internet here: `uv publish` asks the index for
    # the name before it exists, and a forwarded miss would send it to pypi.org.
    group.pypi_package_requests_forwarding = False
    group.save()
    project = make_project("tools", namespace=group, visibility=Visibility.PRIVATE)
    developer = make_user("dev")
    add_member(group, developer, AccessLevel.DEVELOPER)
    _, pat = personal_access_token_issue(user=developer, name="ci", scopes=["api"])
    upload = f"{live_server.url}/api/v4/projects/{project.pk}/packages/pypi"
    return {"pat": pat, "upload": upload, "simple": f"{upload}/simple"}


@pytest.fixture
def home(tmp_path) -> dict[str, str]:
    """HOME and the XDG dirs in the test's temp dir: no user config, keyring or cache leaks in."""
    dirs = {name: tmp_path / "home" / sub for name, sub in [
        ("HOME", ""), ("XDG_CONFIG_HOME", ".config"), ("XDG_CACHE_HOME", ".cache"),
        ("XDG_DATA_HOME", ".local/share"), ("XDG_STATE_HOME", ".local/state"),
    ]}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    # Credentials come from the command line or the environment, never from a keyring prompt.
    return {name: str(path) for name, path in dirs.items()} | {
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }


def unique_name(client: str) -> str:
    return f"acme-{client}-{secrets.token_hex(4)}"


def module_of(name: str) -> str:
    return name.replace("-", "_")


def write_project(root: Path, name: str, build_system: str, extra: str = "") -> Path:
    """A one-module project `name` 1.0.0 whose module knows its version."""
    (root / module_of(name)).mkdir(parents=True)
    (root / module_of(name) / "__init__.py").write_text(
        f'"""The {name} widgets."""\n__version__ = "1.0.0"\n'
    )
    (root / "pyproject.toml").write_text(textwrap.dedent(f"""\
        [project]
        name = "{name}"
        version = "1.0.0"
        description = "Widgets"
        requires-python = ">=3.8"

        {build_system}
        """) + textwrap.dedent(extra))
    return root


def call(
    args: list[str | Path], cwd: Path, env: dict[str, str], without: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    """Run a client that must succeed; `without` drops some of the isolation's own variables."""
    environment = {k: v for k, v in isolated_env(**env).items() if k not in without}
    done = subprocess.run(
        list(map(str, args)), cwd=cwd, capture_output=True, text=True, timeout=300, check=False,
        env=environment,
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done


def new_venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path / "bin" / "python"


def imported_version(python: Path, name: str) -> str:
    done = subprocess.run(
        [str(python), "-c", f"import {module_of(name)} as m; print(m.__version__)"],
        capture_output=True, text=True, check=False, env=isolated_env(),
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_poetry_publishes_adds_with_source_and_installs_again_on_a_warm_cache(
    world, tools, home, tmp_path
):
    name = unique_name("poetry")
    poetry = tools["poetry"] / "poetry"
    cache = tmp_path / "poetry-cache"
    env = home | {
        # Poetry's cache stays on (the warm-cache install is the point), in the test's dir.
        "POETRY_CACHE_DIR": str(cache), "POETRY_CONFIG_DIR": str(tmp_path / "poetry-config"),
        "POETRY_DATA_DIR": str(tmp_path / "poetry-data"), "POETRY_NO_INTERACTION": "1",
        "POETRY_VIRTUALENVS_IN_PROJECT": "true",
        # One name for the upload repository and the source, so one set of credentials.
        "POETRY_REPOSITORIES_ACME_URL": world["upload"],
        "POETRY_HTTP_BASIC_ACME_USERNAME": "dev",
        "POETRY_HTTP_BASIC_ACME_PASSWORD": world["pat"],
    }
    library = write_project(tmp_path / "lib", name, """\
        [build-system]
        requires = ["poetry-core>=2.0"]
        build-backend = "poetry.core.masonry.api"
        """)
    app = tmp_path / "app"
    app.mkdir()
    (app / "pyproject.toml").write_text(textwrap.dedent("""\
        [project]
        name = "app"
        version = "0.1.0"
        requires-python = ">=3.11"
        dependencies = []

        [tool.poetry]
        package-mode = false
        """))
    python = new_venv(app / ".venv")

    # `poetry build` runs its own poetry-core in-process: nothing to fetch.
    call([poetry, "publish", "--build", "-r", "acme"], library, env)
    call([poetry, "source", "add", "--priority", "explicit", "acme", world["simple"]], app, env)
    call([poetry, "add", "--source", "acme", name], app, env)
    first = imported_version(python, name)
    # A second install into a fresh venv: poetry revalidates its cached index pages (If-None-Match
    # -> 304) and must keep reading them as the JSON they were.
    shutil.rmtree(app / ".venv")
    python = new_venv(app / ".venv")
    again = call([poetry, "install"], app, env)

    assert first == "1.0.0"
    assert imported_version(python, name) == "1.0.0", again.stdout
    assert any((cache / "cache" / "repositories" / "acme").rglob("*")), "poetry's cache was unused"
    assert 'source = "acme"' in (app / "pyproject.toml").read_text()
    assert sorted(Package.objects.get(normalized_name=name).files.values_list(
        "packagetype", flat=True)) == ["bdist_wheel", "sdist"]


def test_pdm_publishes_to_a_url_and_adds_from_a_pdm_source(world, tools, home, tmp_path):
    name = unique_name("pdm")
    pdm = tools["pdm"] / "pdm"
    env = home | {
        "PDM_CHECK_UPDATE": "false", "PDM_NON_INTERACTIVE": "1",
        # Only the `[[tool.pdm.source]]` below: pdm's built-in PyPI is not reachable here.
        "PDM_IGNORE_STORED_INDEX": "1",
        "ACME_USER": "dev", "ACME_TOKEN": world["pat"],
    }
    library = write_project(tmp_path / "lib", name, """\
        [build-system]
        requires = ["pdm-backend"]
        build-backend = "pdm.backend"
        """)
    app = tmp_path / "app"
    app.mkdir()
    simple = world["simple"].replace("http://", "http://${ACME_USER}:${ACME_TOKEN}@")
    (app / "pyproject.toml").write_text(textwrap.dedent(f"""\
        [project]
        name = "app"
        version = "0.1.0"
        requires-python = ">=3.11"
        dependencies = []

        [tool.pdm]
        distribution = false

        [[tool.pdm.source]]
        name = "acme"
        # pdm expands ${{VARS}}: the token stays out of the file.
        url = "{simple}"
        verify_ssl = false
        """))
    python = new_venv(app / ".venv")

    # --no-isolation builds in the project's interpreter: pdm's own, where pdm-backend is.
    call([pdm, "use", "-f", tools["pdm"] / "python"], library, env)
    call([pdm, "build", "--no-isolation"], library, env)
    call([pdm, "publish", "--no-build", "-r", world["upload"], "-u", "dev", "-P", world["pat"]],
         library, env)
    call([pdm, "use", "-f", python], app, env)
    call([pdm, "add", name], app, env)

    assert imported_version(python, name) == "1.0.0"
    assert name in (app / "pdm.lock").read_text()


def test_hatch_publishes_what_hatchling_built_and_pip_installs_it(world, tools, home, tmp_path):
    name = unique_name("hatch")
    library = write_project(tmp_path / "lib", name, """\
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"
        """)

    # `hatch build` would first install hatchling into a build environment, from an index this
    # machine has not got; hatchling's own command is the same build, in-process.
    call([tools["hatch"] / "hatchling", "build"], library, home)
    artifacts = sorted((library / "dist").iterdir())
    call([tools["hatch"] / "hatch", "publish", "-n", "-r", world["upload"], "-u", "dev",
          "-a", world["pat"], *artifacts], library, home)
    installed = pip_install(with_credentials(world["simple"], "dev", world["pat"]),
                            tmp_path / "site", f"{name}==1.0.0")

    assert len(artifacts) == 2
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (tmp_path / "site" / module_of(name) / "__init__.py").exists()


@pytest.mark.parametrize("configured_by", ["environment", "pypirc"])
def test_flit_publishes_and_uv_installs_it(world, tools, home, tmp_path, configured_by):
    name = unique_name("flit")
    library = write_project(tmp_path / "lib", name, """\
        [build-system]
        requires = ["flit_core>=3.9,<5"]
        build-backend = "flit_core.buildapi"
        """)
    if configured_by == "environment":
        env = home | {"FLIT_INDEX_URL": world["upload"], "FLIT_USERNAME": "dev",
                      "FLIT_PASSWORD": world["pat"]}
        args = []
    else:
        pypirc = tmp_path / "pypirc"
        pypirc.write_text(textwrap.dedent(f"""\
            [distutils]
            index-servers = acme

            [acme]
            repository = {world['upload']}
            username = dev
            password = {world['pat']}
            """))
        env, args = home, ["--pypirc", str(pypirc), "--repository", "acme"]

    call([tools["flit"] / "flit", "publish", *args], library, env)
    installed = uv_pip_install(with_credentials(world["simple"], "dev", world["pat"]),
                               tmp_path / "site", name)

    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (tmp_path / "site" / module_of(name) / "__init__.py").exists()
    assert Package.objects.get(normalized_name=name).files.count() == 2


def test_uv_publishes_to_an_index_publish_url_then_adds_and_syncs_from_it(
    world, home, tmp_path
):
    name = unique_name("uv")
    files = [write_distribution(tmp_path, *build(name, "1.0.0"))
             for build in (build_wheel, build_sdist)]
    app = tmp_path / "app"
    app.mkdir()
    (app / "pyproject.toml").write_text(textwrap.dedent(f"""\
        [project]
        name = "app"
        version = "0.1.0"
        requires-python = ">=3.11"
        dependencies = []

        [tool.uv]
        package = false

        [[tool.uv.index]]
        name = "acme"
        url = "{world['simple']}"
        publish-url = "{world['upload']}"
        default = true
        """))
    env = home | {
        # The index's credentials by its name, as uv documents; nothing else of UV_* is set.
        "UV_INDEX_ACME_USERNAME": "dev", "UV_INDEX_ACME_PASSWORD": world["pat"],
        "UV_PYTHON": sys.executable, "UV_PYTHON_DOWNLOADS": "never",
        # The project's `[tool.uv]` must be read (so no UV_NO_CONFIG), a system uv.toml must not.
        "XDG_CONFIG_DIRS": home["XDG_CONFIG_HOME"],
    }
    keep_config = ("UV_NO_CONFIG",)
    uv = BIN / "uv"

    # --index: upload to its publish-url, and check its url for files it already has. Without
    # CLI credentials uv first probes `https://<host>/_/oidc/audience` for trusted publishing,
    # retrying for seconds: `never` skips that.
    publish = [uv, "publish", "--trusted-publishing", "never", "--index", "acme", *files]
    published = call(publish, app, env, keep_config)
    again = call(publish, app, env, keep_config)
    call([uv, "add", name], app, env, keep_config)
    shutil.rmtree(app / ".venv")
    call([uv, "sync", "--locked"], app, env, keep_config)

    assert "Uploading" in published.stderr
    assert "already exists" in again.stderr, again.stderr
    assert imported_version(app / ".venv" / "bin" / "python", name) == "1.0.0"
    assert f'name = "{name}"' in (app / "uv.lock").read_text()


def test_the_newest_twine_refuses_skip_existing_here_and_uploads_without_it(
    world, tools, home, tmp_path
):
    name = unique_name("twine")
    files = [str(write_distribution(tmp_path, *build(name, "1.0.0")))
             for build in (build_wheel, build_sdist)]
    twine = [tools["twine"] / "twine", "upload", "--non-interactive", "--disable-progress-bar",
             "--repository-url", world["upload"], "-u", "dev", "-p", world["pat"]]

    version = call([tools["twine"] / "twine", "--version"], tmp_path, home)
    refused = run([*map(str, twine), "--skip-existing", *files], **home)
    uploaded = call([*twine, *files], tmp_path, home)
    installed = pip_install(with_credentials(world["simple"], "dev", world["pat"]),
                            tmp_path / "site", name)

    major, minor = map(int, version.stdout.split()[2].split(".")[:2])
    assert (major, minor) >= (6, 2)
    assert refused.returncode != 0
    # twine wraps its output at the terminal width: compare with the line breaks undone.
    message = " ".join((refused.stdout + refused.stderr).split())
    assert "UnsupportedConfiguration" in message, message
    assert "does not have support for the following features: --skip-existing" in message
    assert "Uploading" in uploaded.stdout + uploaded.stderr
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert Package.objects.get(normalized_name=name).files.count() == 2
