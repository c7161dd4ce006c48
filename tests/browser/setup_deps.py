"""What the browser tests need beyond Python packages, installed on demand:
Debian's Chromium (apt-get; never a browser download by a test tool) and
axe-core from the npm registry (`npm ci` into tests/browser/node_modules).

The session fixtures call these; `make browser-deps` (or running this file)
installs them ahead of time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHROMIUM = Path(os.environ.get("GPC_CHROMIUM", "/usr/bin/chromium"))
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"

# What Chromium needs on this kind of machine: no sandbox as root in a
# container, no GPU, and none of its background connections (the network is
# closed; without these flags it keeps trying Google's hosts).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-default-apps",
    "--disable-extensions",
    "--metrics-recording-only",
    "--no-default-browser-check",
]


class MissingDependency(RuntimeError):
    """A browser-test dependency is missing and could not be installed."""


def ensure_chromium() -> Path:
    """Debian's Chromium, installed with apt-get when missing (needs root)."""
    if CHROMIUM.exists():
        return CHROMIUM
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise MissingDependency(f"{CHROMIUM} is missing; install Debian's chromium (apt-get install chromium) as root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in ([apt, "update", "-qq"], [apt, "install", "-y", "-qq", "--no-install-recommends", "chromium", "fonts-liberation"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800, check=False)
        if done.returncode != 0:
            raise MissingDependency(f"{' '.join(command)} failed: {done.stderr.strip()[-2000:]}")
    if not CHROMIUM.exists():
        raise MissingDependency(f"apt-get installed chromium but {CHROMIUM} is still missing")
    return CHROMIUM


def ensure_axe() -> Path:
    """axe-core's browser build, from the npm registry at the version package-lock.json pins."""
    if AXE.is_file():
        return AXE
    npm = shutil.which("npm")
    if npm is None:
        raise MissingDependency("npm is missing: it installs axe-core for the accessibility checks")
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=HERE, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip
    if done.returncode != 0 or not AXE.is_file():
        raise MissingDependency(f"npm ci (axe-core) failed: {done.stderr.strip()[-2000:]}")
    return AXE


if __name__ == "__main__":
    try:
        print(ensure_chromium())
        print(ensure_axe())
    except MissingDependency as exc:
        sys.exit(f"error: {exc}")
