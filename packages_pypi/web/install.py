"""Copy-ready install and publish instructions for one package, as GitLab's docs give them."""

import dataclasses
from urllib.parse import urlsplit

from packages_pypi.models import Package
from projects.models import Group, Project

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


def install_snippets(*, base_url: str, project: Project, package: Package) -> list[Snippet]:
    """pip (project and group index), uv, requirements.txt and .netrc for `package`."""
    urls = index_urls(base_url, project, project.namespace)
    group_url = urls["group"]
    pin = f"{package.name}=={package.version}"
    host = urlsplit(base_url).hostname or "localhost"
    return [
        Snippet("pip", "pip, from this project",
                f"pip install --index-url {_with_token(urls['project'])} {pin}"),
        Snippet("pip-group", f"pip, from the group {project.namespace.full_path}",
                f"pip install --index-url {_with_token(group_url)} {pin}",
                "The group index holds the packages of every project in the group you can read."),
        Snippet("uv", "uv",
                f"uv pip install --index-url {_with_token(urls['project'])} {pin}"),
        Snippet("uv-project", "uv, in pyproject.toml",
                f'[[tool.uv.index]]\nname = "{project.path}"\nurl = "{urls["project"]}"\n'
                f'explicit = true\n\n[tool.uv.sources]\n{package.normalized_name} = '
                f'{{ index = "{project.path}" }}',
                "explicit = true pins this package to this index and nothing else to it."),
        Snippet("requirements", "requirements.txt",
                f"--index-url {_with_token(urls['project'])}\n{pin}"),
        Snippet("netrc", "~/.netrc (keeps the token out of URLs)",
                f"machine {host}\nlogin __token__\npassword {TOKEN}",
                "With this file, use the index URLs above without the __token__:… part."),
    ]


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


def group_install_snippet(*, base_url: str, group: Group) -> Snippet:
    """pip from a group's index, which merges every project below that the caller reads."""
    url = f"{base_url}/api/v4/groups/{group.pk}/-/packages/pypi/simple"
    return Snippet("pip-group", "pip, from this group",
                   f"pip install --index-url {_with_token(url)} <package>")
