"""The package as a user installs it: the sdist and wheel the release workflow builds carry
every file digestif reads at run time, and the wheel, installed in a fresh virtual environment
with its dependencies from the package index, builds the example site and a new site with the
commands of the workflow `digestif init` writes.

This is what CI checks before a release can publish anything (.github/workflows/release.yml
runs this file). About 20-30 s, most of it pip; the dependencies come from pip's cache after
the first run.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import lxml.html
import pytest
import yaml

from conftest import REPO
from digestif import __version__

PACKAGE_DIR = REPO / "src" / "digestif"
# What a source checkout has that the build needs; nothing else goes into the sdist.
BUILD_INPUTS = ("pyproject.toml", "README.md", "LICENSE", "src")
PAGES_URL = "https://user.github.io/repo"  # what actions/configure-pages answers


def data_files() -> set[str]:
    """Every file of the package that is not Python source: theme, translations, scaffold."""
    return {path.relative_to(PACKAGE_DIR.parent).as_posix()
            for path in PACKAGE_DIR.rglob("*") if path.is_file()
            and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts}


def clean_env(venv: Path) -> dict[str, str]:
    """The environment of a fresh shell with the venv activated: no PYTHONPATH pointing at the
    checkout, so only the installed wheel can answer."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    return env


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, f"{shlex.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """``python -m build``, as the release workflow runs it, on a copy of the build inputs:
    the sdist, then the wheel built from the unpacked sdist."""
    source = tmp_path_factory.mktemp("source")
    for name in BUILD_INPUTS:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns(
                "__pycache__", "*.egg-info"))
        else:
            shutil.copy2(path, source / name)
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", str(out), str(source)], source)
    return out


@pytest.fixture(scope="module")
def venv(dist, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel and its declared dependencies only."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    run([sys.executable, "-m", "venv", str(venv)], venv.parent)
    [wheel] = dist.glob("*.whl")
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", str(wheel)], venv.parent, clean_env(venv))
    return venv


def test_wheel_carries_every_template_static_file_translation_and_scaffold_file(dist):
    [wheel] = dist.glob(f"digestif-{__version__}-py3-none-any.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = data_files() - names
    assert not missing, f"add them to [tool.setuptools.package-data]: {sorted(missing)}"
    assert {"digestif/theme/templates/base.html", "digestif/scaffold/pages.yml"} <= names


def test_sdist_carries_the_sources_data_files_and_licence(dist):
    [sdist] = dist.glob(f"digestif-{__version__}.tar.gz")
    with tarfile.open(sdist) as archive:
        root = f"digestif-{__version__}/"
        names = {name.removeprefix(root) for name in archive.getnames()}
    assert {f"src/{name}" for name in data_files()} <= names
    assert {"LICENSE", "pyproject.toml", "README.md"} <= names


def test_metadata_declares_an_spdx_licence_and_the_version_of_the_code(dist):
    [wheel] = dist.glob("*.whl")
    archive = zipfile.ZipFile(wheel)
    info = f"digestif-{__version__}.dist-info/"
    meta = Parser().parsestr(archive.read(info + "METADATA").decode())
    assert meta["Version"] == __version__
    assert meta["License-Expression"] == "MIT"
    assert info + "licenses/LICENSE" in archive.namelist()
    assert "python-frontmatter" not in " ".join(meta.get_all("Requires-Dist"))


def test_the_installed_wheel_is_what_runs(venv, tmp_path):
    env = clean_env(venv)
    where = run(["python", "-c", "import digestif; print(digestif.__file__)"], tmp_path, env)
    assert Path(where.strip()).is_relative_to(venv)
    assert run(["digestif", "--version"], tmp_path, env).split() == ["digestif", __version__]


def test_installed_wheel_builds_the_example_site_strictly(venv, tmp_path):
    site = tmp_path / "example"
    site.mkdir()
    shutil.copy2(REPO / "site.toml", site)
    shutil.copytree(REPO / "content", site / "content")
    run(["digestif", "build", "--strict", "-q"], site, clean_env(venv))
    home = lxml.html.parse(str(site / "_site/index.html")).getroot()
    assert home.findtext(".//h1") == "Paper Bites"
    assert (site / "_site/assets/style.css").stat().st_size > 1000  # theme static files
    assert (site / "_site/pagefind/pagefind.js").is_file()  # Pagefind came as a dependency


def test_new_site_publishes_with_the_commands_of_its_own_workflow(venv, tmp_path):
    """What the generated workflow runs on GitHub, run here from the wheel: its pip install
    line pins this version, and its build and check steps succeed."""
    env = clean_env(venv)
    run(["digestif", "init", "my-papers", "--title", "Paper Bites", "-q"], tmp_path, env)
    site = tmp_path / "my-papers"
    workflow = yaml.safe_load((site / ".github/workflows/pages.yml").read_text("utf-8"))
    steps = workflow["jobs"]["build"]["steps"]
    [install] = [s["run"] for s in steps if s.get("name") == "Install digestif"]
    assert shlex.split(install) == ["pip", "install", f"digestif=={__version__}"]
    commands = [s["run"] for s in steps if s.get("run", "").startswith("digestif ")]
    assert [c.split()[1] for c in commands] == ["build", "check"]
    for command in commands:
        command = command.replace("${{ steps.pages.outputs.base_url }}", PAGES_URL)
        run(shlex.split(command), site, env)
    [upload] = [s for s in steps if s.get("uses", "").startswith("actions/upload-pages")]
    note = site / upload["with"]["path"] / "papers/attention-is-all-you-need/index.html"
    page = lxml.html.parse(str(note)).getroot()
    assert page.find(".//link[@rel='canonical']").get("href").startswith(PAGES_URL + "/")


def test_release_workflow_tests_builds_then_publishes_a_tag_with_trusted_publishing():
    workflow = yaml.safe_load((REPO / ".github/workflows/release.yml").read_text("utf-8"))
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads `on` as true
    assert workflow["on"]["push"]["tags"] == ["v*"]
    assert workflow["permissions"] == {"contents": "read"}
    build_runs = " ".join(s.get("run", "") for s in workflow["jobs"]["build"]["steps"])
    assert "tests/test_packaging.py" in build_runs and "python -m build" in build_runs
    publish = workflow["jobs"]["publish"]
    assert publish["needs"] == "build"
    # Trusted publishing: an OIDC token for this job only, and no password or API token.
    assert publish["permissions"] == {"id-token": "write"}
    [upload] = [s for s in publish["steps"] if s.get("uses", "").startswith("pypa/")]
    assert upload["uses"].startswith("pypa/gh-action-pypi-publish@") and "with" not in upload
    assert publish["environment"]["name"] == "pypi"
