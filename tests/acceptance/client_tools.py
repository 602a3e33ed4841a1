"""The clients whose dependencies clash with the project's, each in a venv of its own.

poetry and pdm pin many packages (keyring, virtualenv, httpx, ...) and the newest twine cannot sit
next to the pinned one, so each tool gets a venv made once under the suite's venv
(`.venv/clients/<tool>-<hash of its requirements>`), installed with plain pip from whatever index
this machine's pip reaches: a fresh clone's `make test` builds them on first use, later runs
reuse them. A changed range gives a new hash, so a new venv.
"""

import fcntl
import hashlib
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# Each range: the versions the journeys were written against, and why the bounds.
TOOLS: dict[str, list[str]] = {
    # 2.x reads PEP 621 `[project]` tables and `package-mode = false`; 3.x may change the CLI.
    "poetry": ["poetry>=2.0,<3"],
    # 2.x: `publish -r <url>`, `build --no-isolation`, `[tool.pdm] distribution = false`.
    # [locked]: the dependency versions pdm was released with (pdm 2.29 broke on hishel 2.0);
    # pdm-backend for the no-isolation build (there is no index to fetch it from while building).
    "pdm": ["pdm[locked]>=2.12,<3", "pdm-backend>=2.3,<3"],
    # 1.x: `publish -r <url> -u -a`; its hatchling builds in-process, no build environment.
    "hatch": ["hatch>=1.10,<2"],
    # 3.x-4.x: FLIT_INDEX_URL/FLIT_USERNAME/FLIT_PASSWORD; flit_core builds in-process.
    "flit": ["flit>=3.9,<5"],
    # The newest twine, next to the pinned < 6.2 in the dev dependencies: 6.2 started refusing
    # --skip-existing for every index but PyPI, and the README tells users what to do instead.
    "twine": ["twine>=6.2"],
}

ROOT = Path(sys.prefix) / "clients"


def _venv_dir(tool: str) -> Path:
    digest = hashlib.sha256("\n".join(TOOLS[tool]).encode()).hexdigest()[:12]
    return ROOT / f"{tool}-{digest}"


def _build(tool: str) -> None:
    venv = _venv_dir(tool)
    ready = venv / ".ready"
    if ready.exists():
        return
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=120)
    # Plain pip with this machine's config: here the install *should* reach the package index.
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", *TOOLS[tool]],
        capture_output=True, text=True, timeout=600, check=False,
    )
    if installed.returncode != 0:
        raise RuntimeError(f"installing {tool} failed:\n{installed.stdout}{installed.stderr}")
    ready.touch()


def ensure_tools() -> dict[str, Path]:
    """Every tool's bin directory, building the missing venvs side by side (about a minute)."""
    ROOT.mkdir(parents=True, exist_ok=True)
    # xdist workers share the directory: one builds, the others wait on the lock.
    with open(ROOT / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        wanted = {_venv_dir(tool) for tool in TOOLS}
        for stale in (path for path in ROOT.iterdir() if path.is_dir() and path not in wanted):
            shutil.rmtree(stale)  # a venv of a range that changed since
        with ThreadPoolExecutor(max_workers=len(TOOLS)) as pool:
            list(pool.map(_build, TOOLS))
    return {tool: _venv_dir(tool) / "bin" for tool in TOOLS}
