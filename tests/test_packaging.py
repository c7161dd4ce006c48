"""A plain (non-editable) install carries the templates, vocabularies and demo
data, and works from any directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT)],
        check=True,
    )
    [built] = out.glob("good_practice_catalogue-*.whl")
    return built


def test_wheel_holds_site_vocab_and_demo(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "catalogue/_site/templates/base.html",
        "catalogue/_site/static/style.css",
        "catalogue/_site/static/search.js",
        "catalogue/locale/fr/LC_MESSAGES/messages.po",
        "catalogue/locale/de/LC_MESSAGES/messages.po",
        "catalogue/demo/sources.toml",
        "catalogue/demo/practices.csv",
        "vocab/shapes.ttl",
        "vocab/themes.ttl",
        "vocab/regions.ttl",
        "harvesters/dcat.py",
    ):
        assert expected in names, expected
    assert not any(n.startswith(("tests/", "site/")) for n in names)


@pytest.mark.slow
def test_installed_wheel_runs_the_demo_from_anywhere(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "installed"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)], check=True
    )
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CATALOGUE_")}
    env["PYTHONPATH"] = str(target)  # ahead of the editable checkout
    run = [sys.executable, "-m", "catalogue.cli"]
    where = subprocess.run(
        [sys.executable, "-c", "import catalogue; print(catalogue.__file__)"], env=env, cwd=workdir, capture_output=True, text=True
    )
    assert where.stdout.startswith(str(target))
    subprocess.run([*run, "demo", "--json"], env=env, cwd=workdir, capture_output=True, text=True)
    answer = subprocess.run(
        [*run, "serve", "--get", "/api/v1/search?q=participation"], env=env, cwd=workdir, capture_output=True, text=True
    )
    assert json.loads(answer.stdout)["total"] > 0
    page = subprocess.run([*run, "serve", "--get", "/"], env=env, cwd=workdir, capture_output=True, text=True)
    assert "/static/style.css" in page.stdout
    # the translations ship in the wheel and compile at run time (issue 6)
    french = subprocess.run([*run, "serve", "--get", "/?lang=fr"], env=env, cwd=workdir, capture_output=True, text=True)
    assert "Rechercher des pratiques" in french.stdout
    built = subprocess.run([*run, "build-site", "out", "--languages", "en,fr", "--json"], env=env, cwd=workdir,
                           capture_output=True, text=True)  # fmt: skip
    assert json.loads(built.stdout)["pages"] > 0 and (workdir / "out" / "fr" / "index.html").is_file()
