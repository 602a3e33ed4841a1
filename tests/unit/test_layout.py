"""The layout's rules (README "How the pieces fit"): apps depend downward, surfaces sit on top.

Read from the source with `ast`, so a new import that breaks a rule fails here, before it
becomes an import circle at run time.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ["registry", "projects", "auth_tokens", "packages_pypi"]  # lowest first
SURFACES = {"protocol", "api", "web"}
# The composition roots: they wire every app together by design.
ROOTS = {"registry.urls", "registry.settings", "registry.wsgi", "registry.asgi"}


def _modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """Project modules imported at run time (TYPE_CHECKING blocks do not run)."""
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name in MODULES}


GRAPH = {module: _imports(path) for module, path in MODULES.items()}


def _app(module: str) -> str:
    return module.split(".")[0]


def _is_surface(module: str) -> bool:
    parts = module.split(".")
    return len(parts) > 1 and parts[1] in SURFACES


@pytest.mark.parametrize("module", sorted(set(MODULES) - ROOTS))
def test_apps_depend_downward_only(module):
    rank = APPS.index(_app(module))
    upward = [name for name in GRAPH[module] if APPS.index(_app(name)) > rank]
    assert upward == [], f"{module} imports a higher app"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not _is_surface(m)) )
def test_domain_modules_do_not_import_a_surface(module):
    if module in ROOTS or _app(module) == "registry":
        return
    surfaces = [name for name in GRAPH[module] if _is_surface(name)]
    assert surfaces == [], f"{module} imports a surface"


def test_there_is_no_import_circle():
    done: set[str] = set()

    def visit(module: str, stack: list[str]) -> None:
        if module in stack:
            raise AssertionError(" -> ".join([*stack[stack.index(module):], module]))
        if module in done:
            return
        for name in sorted(GRAPH[module]):
            if name != module and not module.startswith(name + "."):
                visit(name, [*stack, module])
        done.add(module)

    for module in sorted(MODULES):
        visit(module, [])
