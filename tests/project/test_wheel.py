"""The built wheel works outside the checkout: package list, package data and entry point.

Builds the wheel, installs it with its dependencies into a fresh virtualenv (no system site
packages, no editable install, run from a temporary folder so the checkout is not importable)
and runs `safeguard check`, `status`, `draw procedure` and `pack` from it.

Kept fast and offline after the first run: the wheels of the build requirements and of every
dependency are kept in a wheelhouse beside the running virtualenv (`.venv/wheelhouse/`) and
installed with `--no-index`. The first run fills it with `pip wheel`, which takes durable-rules
from pip's cache of the wheel `make setup` built, and the rest from PyPI. About 15 s once the
wheelhouse exists.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WHEELHOUSE = Path(sys.prefix) / "wheelhouse"
BUILD_REQUIREMENTS = ("setuptools>=77", "wheel")


def pip(*args: str, offline: bool = True, python: Path | None = None) -> None:
    command = [sys.executable, "-m", "pip", *(["--python", str(python)] if python else []),
               *args, "--quiet", "--disable-pip-version-check"]
    env = dict(os.environ)
    if offline:  # the isolated build environment inherits these too
        env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(WHEELHOUSE))
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)}\n{done.stdout}\n{done.stderr}")


def offline_or_fill(action, *requirements: str) -> None:
    """Try offline; if the wheelhouse lacks something, fill it from pip (once) and retry."""
    try:
        action()
    except RuntimeError:
        pip("wheel", "--wheel-dir", str(WHEELHOUSE), *requirements, offline=False)
        for own in WHEELHOUSE.glob("safeguarding_engine-*"):  # only dependencies are kept
            own.unlink()
        action()


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    WHEELHOUSE.mkdir(exist_ok=True)
    dist = work / "dist"
    offline_or_fill(lambda: pip("wheel", "--no-deps", "--wheel-dir", str(dist), str(ROOT)),
                    *BUILD_REQUIREMENTS)
    wheel = next(dist.glob("safeguarding_engine-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = venv / "bin" / "python"
    offline_or_fill(lambda: pip("install", str(wheel), python=python), str(wheel))
    return venv / "bin"


def run(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bin_dir / "safeguard"), *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def test_the_installed_package_is_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    done = subprocess.run([str(installed / "python"), "-c",
                           "import engine, visualise; print(engine.__file__, visualise.__file__)"],
                          capture_output=True, text=True, cwd=tmp_path, check=True)
    assert str(ROOT) not in done.stdout and "site-packages" in done.stdout


def test_check_status_draw_and_pack_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    check = run(installed, "check", cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert "0 error(s)" in check.stderr

    case = str(ROOT / "examples/cases/icpc-jubilee.json")
    status = run(installed, "status", case, "--as-of", "2022-06-21", "--format", "json",
                 cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    here = run(Path(sys.executable).parent, "status", case, "--as-of", "2022-06-21", "--format",
               "json", cwd=ROOT)
    assert '"stage": "section_47"' in status.stdout and status.stdout == here.stdout

    draw = run(installed, "draw", "procedure", "-o", "map.dot", cwd=tmp_path)
    assert draw.returncode == 0, draw.stderr
    assert (tmp_path / "map.dot").read_text().startswith("digraph procedure {")

    if shutil.which("dot") is None:
        pytest.skip("Graphviz 'dot' is needed for the pack: install it with 'make test' or "
                    "apt-get install graphviz")
    pack = run(installed, "pack", "-o", "pack.html", cwd=tmp_path)
    assert pack.returncode == 0, pack.stderr
    html = (tmp_path / "pack.html").read_text()
    assert "Worked example: case" in html and 'id="pack-data"' in html  # the templates
