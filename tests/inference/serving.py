"""``lipsync serve`` as a user starts it, for the server and browser tests: a process on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.builders import ROOT, make_project

START_SECONDS = 120


@dataclass(frozen=True)
class Server:
    url: str
    face: str
    log: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(folder: Path, face: Path, checkpoint: Path) -> Iterator[Server]:
    """``lipsync serve --face FACE --model CHECKPOINT`` in a new project under ``folder``; stopped with Ctrl-C."""
    project = make_project(folder / "proj")
    port, log = free_port(), folder / "serve.log"
    command = [sys.executable, "-m", "lipsync.cli", "--root", str(project.root), "serve", "--face", str(face),
               "--model", str(checkpoint), "--port", str(port)]  # fmt: skip
    with log.open("w") as stream:
        process = subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=stream, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"lipsync serve exited with {process.returncode}:\n{log.read_text()}")
            try:
                urllib.request.urlopen(f"{url}/faces", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"lipsync serve did not answer in {START_SECONDS} s:\n{log.read_text()}"
                    ) from None
                time.sleep(0.5)
        yield Server(url, face.name, log)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
