"""A throw-away Virtuoso 7 for tests and benchmarks.

`VirtuosoServer` installs Debian's `virtuoso-opensource` with apt-get when
`/usr/bin/virtuoso-t` is missing (as root), writes a configuration from the
package's own with every port on 127.0.0.1 (free ports, never the defaults
1111/8890) and the database in a temporary directory, starts the server in the
foreground of a child process, waits until both SQL and HTTP answer, creates a
SPARQL update user, and stops it at the end.

The pytest fixtures at the bottom are imported by tests/conftest.py. Outside
CI a missing Virtuoso skips the `virtuoso` tests with the reason; with CI set
it fails them: they must never be skipped silently there.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

VIRTUOSO = Path("/usr/bin/virtuoso-t")
ISQL = Path("/usr/bin/isql-vt")
PACKAGE_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
PACKAGE_DB = "/var/lib/virtuoso-opensource-7/db"
DEFAULT_PORTS = {1111, 8890}


class VirtuosoUnavailable(RuntimeError):
    """Virtuoso could not be installed or started; the message says why."""


def ensure_installed() -> None:
    """Install Debian's virtuoso-opensource if the server binary is missing."""
    if VIRTUOSO.exists() and ISQL.exists() and PACKAGE_INI.exists():
        return
    if os.geteuid() != 0:
        raise VirtuosoUnavailable(f"{VIRTUOSO} is missing and installing it needs root (apt-get install virtuoso-opensource)")
    if shutil.which("apt-get") is None:
        raise VirtuosoUnavailable(f"{VIRTUOSO} is missing and there is no apt-get to install it")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "virtuoso-opensource"]):
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise VirtuosoUnavailable(f"{' '.join(command)} failed: {exc}") from exc
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
            raise VirtuosoUnavailable(f"{' '.join(command)} exited {done.returncode}: {' | '.join(tail)}")
    if not VIRTUOSO.exists():
        raise VirtuosoUnavailable(f"virtuoso-opensource installed but {VIRTUOSO} is still missing")


def free_port() -> int:
    """A port nothing listens on now (127.0.0.1, chosen by the kernel), never a Virtuoso default."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in DEFAULT_PORTS:
            return port


def _configure(template: str, db_dir: Path, sql_port: int, http_port: int, buffers: int) -> str:
    """The package's virtuoso.ini with our database directory, loopback ports and limits."""
    text = template.replace(PACKAGE_DB, str(db_dir))
    section = ""
    out = []
    for line in text.splitlines():
        header = re.match(r"^\[(.+)\]", line)
        if header:
            section = header.group(1)
        key = line.split("=", 1)[0].strip() if "=" in line and not line.lstrip().startswith(";") else ""
        if section == "Parameters" and key == "ServerPort":
            line = f"ServerPort = 127.0.0.1:{sql_port}"
        elif section == "HTTPServer" and key == "ServerPort":
            line = f"ServerPort = 127.0.0.1:{http_port}"
        elif section == "Parameters" and key == "NumberOfBuffers":
            line = f"NumberOfBuffers = {buffers}"
        elif section == "Parameters" and key == "MaxDirtyBuffers":
            line = f"MaxDirtyBuffers = {buffers * 3 // 4}"
        elif section == "SPARQL" and key == "ResultSetMaxRows":
            line = "ResultSetMaxRows = 10000000"  # the catalogue reads whole listings (see docs/deploy.md)
        elif section == "SPARQL" and key == "MaxQueryExecutionTime":
            line = "MaxQueryExecutionTime = 600"
        out.append(line)
    return "\n".join(out) + "\n"


class VirtuosoServer:
    """One Virtuoso process on loopback with a throw-away database."""

    def __init__(self, root: Path | None = None, buffers: int = 100_000) -> None:
        self.root = Path(root) if root else Path(tempfile.mkdtemp(prefix="gpc-virtuoso-"))
        self.db_dir = self.root / "db"
        self.buffers = buffers
        self.sql_port = free_port()
        self.http_port = free_port()
        while self.http_port == self.sql_port:
            self.http_port = free_port()
        self.user = "gpc_test"
        self.password = secrets.token_hex(12)
        self.process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    # --- addresses ----------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def query_url(self) -> str:
        return f"{self.base}/sparql"

    @property
    def update_url(self) -> str:
        return f"{self.base}/sparql-auth"

    def settings(self) -> dict[str, object]:
        """Catalogue setting overrides that select this server."""
        return {
            "store": f"sparql+{self.query_url}",
            "store_update_url": self.update_url,
            "store_user": self.user,
            "store_password": self.password,
            "store_auth": "digest",
        }

    @property
    def log_path(self) -> Path:
        return self.root / "virtuoso.out"

    def log_tail(self, lines: int = 15) -> str:
        try:
            return " | ".join(self.log_path.read_text(errors="replace").strip().splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # --- life cycle -----------------------------------------------------------

    def start(self, timeout: float = 180.0) -> None:
        """Start (or restart on the same database) and wait until SQL and HTTP answer."""
        ensure_installed()
        first = not self.db_dir.exists()
        self.db_dir.mkdir(parents=True, exist_ok=True)
        ini = self.root / "virtuoso.ini"
        if first:
            ini.write_text(_configure(PACKAGE_INI.read_text(), self.db_dir, self.sql_port, self.http_port, self.buffers))
        self._log = self.log_path.open("ab")
        try:
            self.process = subprocess.Popen(
                [str(VIRTUOSO), "+configfile", str(ini), "+foreground"],
                cwd=self.db_dir,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        except OSError as exc:
            raise VirtuosoUnavailable(f"cannot run {VIRTUOSO}: {exc}") from exc
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise VirtuosoUnavailable(f"virtuoso-t exited with {self.process.returncode}: {self.log_tail()}")
            if self._sql_ready() and self._http_ready():
                break
            if time.monotonic() > deadline:
                self.stop()
                raise VirtuosoUnavailable(f"Virtuoso not ready after {timeout:.0f} s: {self.log_tail()}")
            time.sleep(0.5)
        if first:
            self._grant()

    def _sql_ready(self) -> bool:
        try:
            self.isql("select 1;", timeout=10)
        except (VirtuosoUnavailable, subprocess.TimeoutExpired):
            return False
        return True

    def _http_ready(self) -> bool:
        query = urllib.parse.urlencode({"query": "ASK { }"})
        try:
            with urllib.request.urlopen(f"{self.query_url}?{query}", timeout=5) as response:  # noqa: S310 - loopback
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def _grant(self) -> None:
        # A user for /sparql-auth (digest) with the right to run SPARQL Update.
        self.isql(f"DB.DBA.USER_CREATE('{self.user}', '{self.password}'); GRANT SPARQL_UPDATE TO \"{self.user}\";")

    def isql(self, sql: str, timeout: float = 120) -> str:
        done = subprocess.run(
            [str(ISQL), f"127.0.0.1:{self.sql_port}", "dba", "dba", f"exec={sql}"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        output = done.stdout + done.stderr
        if done.returncode != 0 or re.search(r"\*\*\* Error|^Error", output, re.MULTILINE):
            raise VirtuosoUnavailable(f"isql {sql[:80]!r} failed: {output.strip()[-400:]}")
        return output

    def stop(self, timeout: float = 60.0) -> None:
        """SIGTERM, then SIGKILL if it does not stop in time."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        """SIGKILL: a crash. The next start() recovers from the transaction log."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def ensure_running(self) -> None:
        """Start again if an earlier test stopped or killed the server."""
        if self.process is None or self.process.poll() is not None:
            self.start()

    def drop_graphs(self, graphs: list[str]) -> None:
        """Drop these graphs (test data outside the test base URI)."""
        if graphs:
            self.isql(" ".join(f"SPARQL DROP SILENT GRAPH <{g}>;" for g in graphs))

    def clear(self, prefix: str) -> None:
        """Drop every graph whose IRI starts with prefix (between tests)."""
        self.isql(
            "SPARQL DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } "
            f'FILTER(STRSTARTS(STR(?g), "{prefix}")) }};'
        )

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> VirtuosoServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


# --- pytest fixtures (imported by tests/conftest.py) ---------------------------

TEST_GRAPHS = "https://gpc.test/"  # the base URI of every test catalogue


@pytest.fixture(scope="session")
def virtuoso_server() -> Iterator[VirtuosoServer]:
    """One Virtuoso for the session; fails (in CI) or skips (elsewhere) with the reason."""
    server = VirtuosoServer()
    try:
        server.start()
    except VirtuosoUnavailable as exc:
        server.remove()
        message = f"Virtuoso unavailable: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    yield server
    server.remove()


@pytest.fixture
def virtuoso(virtuoso_server: VirtuosoServer) -> VirtuosoServer:
    """The session's Virtuoso, running, with no test graphs left by an earlier test."""
    virtuoso_server.ensure_running()  # an earlier test may have stopped it
    virtuoso_server.clear(TEST_GRAPHS)
    return virtuoso_server


@pytest.fixture(params=["oxigraph", pytest.param("virtuoso", marks=pytest.mark.virtuoso)])
def store_overrides(request: pytest.FixtureRequest) -> dict[str, object]:
    """Setting overrides selecting each store backend in turn (for make_catalogue)."""
    if request.param == "virtuoso":
        server: VirtuosoServer = request.getfixturevalue("virtuoso")
        return server.settings()
    return {"store": "oxigraph"}
