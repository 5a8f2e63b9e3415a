"""The instance config: telemetry off and the writers' pool of size 1, so a second run's writing
step waits for the first one's; an older dagster.yaml gets the pool added."""

import os
import subprocess
import sys
import time

import dagster as dg
import yaml

from assets import WRITER_POOL
from pipelines.instance import DAGSTER_YAML, free_finished_slots, prepare_home
from tests.builders import ROOT

# One writing asset in the pool, materialized by a process of its own on the shared instance
# (DAGSTER_HOME), as `make run`, the sensors' runs and a retraining are. The "first" writer
# holds its step until the test writes `release`, so the second one is sure to arrive meanwhile.
WRITER = """
import pathlib, sys, time
import dagster as dg
from assets import WRITER_POOL

flags, role = pathlib.Path(sys.argv[1]), sys.argv[2]

@dg.asset(pool=WRITER_POOL)
def writer() -> None:
    (flags / f"{role}.started").write_text(repr(time.time()))
    deadline = time.time() + 600
    while role == "first" and not (flags / "release").exists() and time.time() < deadline:
        time.sleep(0.1)
    (flags / f"{role}.ended").write_text(repr(time.time()))

sys.exit(0 if dg.materialize([writer], instance=dg.DagsterInstance.get(), tags={"role": role}).success else 1)
"""


def wait_for(condition, what: str, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_the_pool_keeps_a_second_writer_waiting(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", "")  # prepare_home sets it: restored after the test
    home, flags = prepare_home(tmp_path / "home"), tmp_path / "flags"
    flags.mkdir()
    assert yaml.safe_load((home / "dagster.yaml").read_text()) == yaml.safe_load(DAGSTER_YAML)
    env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(ROOT)}

    def writer(role: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", WRITER, str(flags), role], cwd=tmp_path, env=env)

    first, second = writer("first"), None
    try:
        wait_for((flags / "first.started").exists, "the first writer's step")
        second = writer("second")
        with dg.DagsterInstance.get() as instance:  # the home prepare_home pointed DAGSTER_HOME at
            storage = instance.event_log_storage
            assert storage.supports_global_concurrency_limits
            pool = lambda: storage.get_concurrency_info(WRITER_POOL)  # noqa: E731
            wait_for(lambda: pool().pending_step_count == 1, "the second writer's step to queue on the pool")
            info = pool()
            assert info.limit == 1 and len(info.claimed_slots) == 1 and info.pending_run_ids.isdisjoint(
                info.active_run_ids)  # fmt: skip
            time.sleep(2.0)  # queued, not running: without the pool its step would have started by now
            assert not (flags / "second.started").exists()
            (flags / "release").write_text("")
            assert first.wait(timeout=600) == 0 and second.wait(timeout=600) == 0
            first_ended = float((flags / "first.ended").read_text())
            assert float((flags / "second.started").read_text()) >= first_ended
            assert pool().claimed_slots == [] and free_finished_slots(instance, WRITER_POOL) == []
    finally:
        (flags / "release").write_text("")
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()


def test_an_older_dagster_yaml_gets_the_pool(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", "")
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\nrun_monitoring:\n  enabled: true\n")
    prepare_home(home)
    settings = yaml.safe_load((home / "dagster.yaml").read_text())
    assert settings["concurrency"]["pools"]["default_limit"] == 1 and settings["run_monitoring"]["enabled"]
    assert os.environ["DAGSTER_HOME"] == str(home)
