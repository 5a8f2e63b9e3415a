"""The browser check: the tiny main job's Dagster instance and MLflow store, served by the
Dagster webserver and the MLflow UI on 127.0.0.1, opened in the system Chromium.

Nothing is downloaded: Python ``playwright`` (a dev dependency) drives Debian's ``chromium``
(``make install`` installs it when /usr/bin/chromium is missing). A missing browser fails
the tests; they never skip. Each test's screenshot is saved under ``logs/browser/``.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lipsync.project import Project
from tests.builders import ROOT, TINY, discard_unless_failed, make_project

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
]
SCREENSHOTS = ROOT / "logs" / "browser"
SERVER_START_SECONDS = 180
PAGE_TIMEOUT_MS = 60_000
EXPECT_TIMEOUT_MS = 30_000
QUIET = {"DAGSTER_DISABLE_TELEMETRY": "true", "MLFLOW_DISABLE_TELEMETRY": "true", "DVC_NO_ANALYTICS": "1"}


@dataclass(frozen=True)
class Served:
    """The tiny project after ``make run``'s job, and where its two UIs answer."""

    project: Project
    summary: dict
    dagster_url: str
    mlflow_url: str


@pytest.fixture(scope="package")
def served(tmp_path_factory, request) -> Iterator[Served]:
    """Run the tiny main job into a temporary Dagster home and MLflow store, then serve both."""
    import dagster as dg

    from pipelines.instance import DAGSTER_YAML
    from pipelines.main_run import run_main_job

    root = tmp_path_factory.mktemp("browser")
    project = make_project(root / "proj", TINY)
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(DAGSTER_YAML)
    with dg.DagsterInstance.local_temp(str(home)) as instance:
        summary = run_main_job(project, instance=instance)
    assert summary["success"], f"the tiny main job failed: {summary}"
    env = {**os.environ, **QUIET, "DAGSTER_HOME": str(home), "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    bin_dir = Path(sys.executable).parent
    dagster_port, mlflow_port = _free_port(), _free_port()
    mlruns = project.layout.mlruns
    servers = [
        _start(
            [str(bin_dir / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(dagster_port), "-w", "workspace.yaml"],
            env,
            root / "dagster-webserver.log",
        ),
        _start(
            [
                str(bin_dir / "mlflow"),
                "ui",
                "--backend-store-uri",
                f"sqlite:///{mlruns / 'mlflow.db'}",
                "--default-artifact-root",
                str(mlruns / "artifacts"),
                "--host",
                "127.0.0.1",
                "--port",
                str(mlflow_port),
                "--workers",
                "1",
            ],
            env,
            root / "mlflow-ui.log",
        ),
    ]
    try:
        dagster_url, mlflow_url = f"http://127.0.0.1:{dagster_port}", f"http://127.0.0.1:{mlflow_port}"
        _wait_until_up(f"{dagster_url}/server_info", servers[0], root / "dagster-webserver.log")
        _wait_until_up(f"{mlflow_url}/health", servers[1], root / "mlflow-ui.log")
        yield Served(project, summary, dagster_url, mlflow_url)
    finally:
        for server in servers:
            _stop(server)
        discard_unless_failed(request, root)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """The system Chromium, headless, driven by Python playwright."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make install` installs Debian's chromium as root "
            "(otherwise: sudo apt-get install chromium)"
        )
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        pytest.fail("Python playwright is missing: `make install` installs the dev dependencies")
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)  # the UIs answer slowly on a busy 2-core machine
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request) -> Iterator[object]:
    """A page in a fresh browser profile (as a new user sees the UIs); its screenshot is saved
    as ``logs/browser/<test name>.png`` when the test ends, passed or failed."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(500)  # let dialogs finish fading in
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', request.node.name)}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    context.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    """Start a server in its own process group (so stopping it stops its children too)."""
    with log.open("w") as stream:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=stream, stderr=subprocess.STDOUT, start_new_session=True
        )


def _wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"{server.args[0]} exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if urllib.request.urlopen(url, timeout=2).status == 200:
                return
        except OSError:
            time.sleep(1)
    pytest.fail(f"{url} did not answer within {SERVER_START_SECONDS} s:\n{log.read_text()[-3000:]}")


def _stop(server: subprocess.Popen) -> None:
    """SIGINT to the server's process group (what Ctrl-C sends), then SIGKILL if it lingers."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(server.pid, signal.SIGKILL)  # children (code server, job workers) left behind
    except ProcessLookupError:
        pass
    server.wait(timeout=30)
