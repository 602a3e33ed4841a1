"""Copy-ready install and publish instructions for one package, as GitLab's docs give them."""

import dataclasses
from urllib.parse import urlsplit

from packages_pypi.models import Package
from projects.access import Ability, can
from projects.models import Group, Project
from projects.principals import Principal

TOKEN = "<your_personal_access_token>"


@dataclasses.dataclass(frozen=True)
class Snippet:
    key: str
    title: str
    text: str
    note: str = ""


def index_urls(base_url: str, project: Project, group: Group) -> dict[str, str]:
    """The project and group simple-index URLs and the project upload URL."""
    return {
        "project": f"{base_url}/api/v4/projects/{project.pk}/packages/pypi/simple",
        "group": f"{base_url}/api/v4/groups/{group.pk}/-/packages/pypi/simple",
        "upload": f"{base_url}/api/v4/projects/{project.pk}/packages/pypi",
    }


def _with_token(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://__token__:{TOKEN}@{rest}"


def _anyone_reads(*subjects: Project | Group) -> bool:
    """Whether an anonymous client may read the packages of every subject: then no token."""
    anonymous = Principal.anonymous()
    return all(can(anonymous, Ability.READ_PACKAGE, subject) for subject in subjects)


def anyone_installs(*, project: Project) -> bool:
    """Whether installing from `project` needs no token at all."""
    return _anyone_reads(project)


def install_snippets(
    *, base_url: str, principal: Principal, project: Project, package: Package
) -> list[Snippet]:
    """pip (project and group index), uv, requirements.txt and .netrc for `package`.

    They fit the viewer: the group index only for who may read it (a member of the project
    alone gets a 403 there), and no token placeholder where anyone may install.
    """
    group = project.namespace
    urls = index_urls(base_url, project, group)
    public = _anyone_reads(project)

    def url_for(url: str, *, needs_token: bool) -> str:
        return _with_token(url) if needs_token else url

    project_url = url_for(urls["project"], needs_token=not public)
    pin = f"{package.name}=={package.version}"
    host = urlsplit(base_url).hostname or "localhost"
    snippets = [
        Snippet("pip", "pip, from this project", f"pip install --index-url {project_url} {pin}"),
    ]
    if can(principal, Ability.READ_PACKAGE, group):
        group_url = url_for(urls["group"], needs_token=not _anyone_reads(group, project))
        snippets.append(Snippet(
            "pip-group", f"pip, from the group {group.full_path}",
            f"pip install --index-url {group_url} {pin}",
            "The group index holds the packages of every project in the group you can read."))
    snippets += [
        Snippet("uv", "uv", f"uv pip install --index-url {project_url} {pin}"),
        Snippet("uv-project", "uv, in pyproject.toml",
                f'[[tool.uv.index]]\nname = "{project.path}"\nurl = "{urls["project"]}"\n'
                f'explicit = true\n\n[tool.uv.sources]\n{package.normalized_name} = '
                f'{{ index = "{project.path}" }}',
                "explicit = true pins this package to this index and nothing else to it."),
        Snippet("requirements", "requirements.txt", f"--index-url {project_url}\n{pin}"),
    ]
    if not public:
        snippets.append(Snippet(
            "netrc", "~/.netrc (keeps the token out of URLs)",
            f"machine {host}\nlogin __token__\npassword {TOKEN}",
            "With this file, use the index URLs above without the __token__:… part."))
    return snippets


def publish_snippets(*, base_url: str, project: Project) -> list[Snippet]:
    """~/.pypirc and the twine / uv commands that publish to `project`."""
    urls = index_urls(base_url, project, project.namespace)
    return [
        Snippet("pypirc", "~/.pypirc for twine",
                f"[distutils]\nindex-servers =\n    {project.path}\n\n[{project.path}]\n"
                f"repository = {urls['upload']}\nusername = __token__\npassword = {TOKEN}"),
        Snippet("twine", "Publish with twine",
                f"python -m build\npython -m twine upload --repository {project.path} dist/*"),
        Snippet("uv-publish", "Or publish with uv",
                f"uv build\nuv publish --publish-url {urls['upload']} "
                f"--username __token__ --password {TOKEN}"),
    ]


def group_install_snippet(*, base_url: str, principal: Principal, group: Group) -> Snippet | None:
    """pip from a group's index, which merges every project below that the caller reads.

    None for a viewer who sees the group only through a membership below it: the group
    index would answer 403.
    """
    if not can(principal, Ability.READ_PACKAGE, group):
        return None
    url = f"{base_url}/api/v4/groups/{group.pk}/-/packages/pypi/simple"
    if _anyone_reads(group):
        return Snippet("pip-group", "pip, from this group",
                       f"pip install --index-url {url} <package>",
                       "Without a token the index lists the packages of the public projects; "
                       f"for the others, put __token__:{TOKEN}@ before the host name.")
    return Snippet("pip-group", "pip, from this group",
                   f"pip install --index-url {_with_token(url)} <package>")
