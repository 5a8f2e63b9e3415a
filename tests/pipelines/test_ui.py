"""`make ui`: the Dagster UI serves on 127.0.0.1 and stops on SIGINT (Ctrl-C), even when its
parent ignored SIGINT (as a background job does)."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.builders import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_ui_serves_on_loopback_and_stops_on_sigint():
    port = free_port()
    ignore_sigint = lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)  # noqa: E731  like `cmd &` in a script
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.ui", "--port", str(port)],
        cwd=ROOT,
        start_new_session=True,
        preexec_fn=ignore_sigint,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline, status = time.monotonic() + 120, None
        while time.monotonic() < deadline and status is None:
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2).status
            except OSError:
                time.sleep(1)
        assert status == 200, "the UI did not answer within 120 s"
        os.killpg(proc.pid, signal.SIGINT)
        returncode = proc.wait(timeout=60)
        assert returncode == 0, f"the UI exited with {returncode} on SIGINT (expected a clean exit, 0)"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    deadline = time.monotonic() + 30  # its code server and daemon shut down after it
    while left := subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True).stdout.split():
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"processes of the UI still running 30 s after SIGINT: {left}")
        time.sleep(1)
