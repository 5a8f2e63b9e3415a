"""A run's process: SIGTERM ends the run as KILLED (in a real process that then dies of the
signal), the previous SIGTERM handler comes back, and runs left RUNNING by a process that is
gone are marked FAILED at the next start."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import types
from pathlib import Path

import pytest
from mlflow import MlflowClient

from lipsync.tracking import TrainingRun, ensure_experiment, fail_orphaned_runs, open_tracking, tracking_uri
from lipsync.tracking.run_process import HOST_TAG, PID_TAG, Terminated
from tests.builders import dead_pid

ROOT = Path(__file__).resolve().parents[2]
TAGS = {"data_version": "sha256:feedbeef", "git_commit": None, "model_kind": "syncnet"}

TRAINING = """
import signal, sys, time
from pathlib import Path
from lipsync.tracking import TrainingRun, ensure_experiment, open_tracking

# A child inherits an ignored SIGTERM (a run then rightly leaves it ignored): start from the
# default disposition, whatever the test runner's process left.
signal.signal(signal.SIGTERM, signal.SIG_DFL)
mlruns = Path(sys.argv[1])
client = open_tracking(mlruns)
experiment = ensure_experiment(client, "runs", mlruns)
tags = {"data_version": "sha256:feedbeef", "git_commit": None, "model_kind": "syncnet"}
with TrainingRun(client, experiment, "terminated", {}, tags) as run:
    hooks = run.hooks()
    for step in range(1, 100000):
        hooks.on_metrics(step, {"loss": 1.0 / step})
        if step == 3:
            print(run.run_id, flush=True)
        time.sleep(0.02)
"""


@pytest.fixture
def client(tmp_path, monkeypatch):
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        monkeypatch.delenv(name, raising=False)
    return MlflowClient(tracking_uri(tmp_path / "mlruns"), tracking_uri(tmp_path / "mlruns"))


@pytest.fixture
def in_process(tmp_path, monkeypatch):
    """(client, experiment id) of a fresh store, for runs opened in this process."""
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        monkeypatch.delenv(name, raising=False)
    mlruns = tmp_path / "mlruns"
    client = open_tracking(mlruns)
    experiment = ensure_experiment(client, "runs", mlruns)
    return client, experiment


def test_sigterm_ends_the_run_as_killed_and_the_process_as_the_signal_would(tmp_path, client):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING")} | {"PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", TRAINING, str(tmp_path / "mlruns")], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        run_id = process.stdout.readline().strip()
        assert run_id, process.stderr.read()
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == -signal.SIGTERM, errors  # died of the signal, as without the run
    run = client.get_run(run_id)
    assert run.info.status == "KILLED" and run.info.end_time is not None
    assert run.data.tags["failure"].startswith(f"Terminated: SIGTERM received by process {process.pid} on ")
    assert run.data.tags[PID_TAG] == str(process.pid) and run.data.tags[HOST_TAG] == socket.gethostname()
    assert len(client.get_metric_history(run_id, "train/loss")) >= 3


def test_sigterm_in_process_reaches_the_previous_handler_after_the_run_is_closed(in_process):
    client, experiment = in_process
    seen = []

    def previous(signum, frame):
        seen.append(client.get_run(run.run_id).info.status)  # the run is closed before it is called

    original = signal.signal(signal.SIGTERM, previous)
    try:
        with pytest.raises(Terminated), TrainingRun(client, experiment, "in-process", {}, TAGS) as run:
            assert signal.getsignal(signal.SIGTERM) is not previous
            signal.raise_signal(signal.SIGTERM)
        assert signal.getsignal(signal.SIGTERM) is previous and seen == ["KILLED"]
        with TrainingRun(client, experiment, "finished", {}, TAGS):
            pass
        assert signal.getsignal(signal.SIGTERM) is previous  # restored on a normal end too
    finally:
        signal.signal(signal.SIGTERM, original)


def test_running_runs_whose_process_is_gone_are_marked_failed(tmp_path, client):
    experiment = client.create_experiment("runs", artifact_location=str(tmp_path / "artifacts"))
    host, gone = socket.gethostname(), dead_pid()

    def running(name, **tags):
        return client.create_run(experiment, run_name=name, tags=tags).info.run_id

    orphan = running("orphan", **{PID_TAG: str(gone), HOST_TAG: host})
    alive = running("alive", **{PID_TAG: str(os.getpid()), HOST_TAG: host})
    elsewhere = running("elsewhere", **{PID_TAG: str(gone), HOST_TAG: f"not-{host}"})
    untagged = running("untagged")
    assert fail_orphaned_runs(client, experiment, "the test") == [orphan]
    failed = client.get_run(orphan)
    assert failed.info.status == "FAILED" and failed.info.end_time is not None
    assert (
        failed.data.tags["failure"]
        == f"process {gone} on {host} is gone (killed without a chance to close the run); found by the test"
    )
    assert {client.get_run(r).info.status for r in (alive, elsewhere, untagged)} == {"RUNNING"}


def test_sigterm_while_the_run_is_being_closed_waits_until_it_is(in_process, monkeypatch):
    client, experiment = in_process
    seen = []
    original = signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(client.get_run(run.run_id).info.status))
    try:
        with TrainingRun(client, experiment, "closing", {}, TAGS) as run:
            monkeypatch.setattr(run, "_log_latest_images", lambda: signal.raise_signal(signal.SIGTERM))
        assert seen == ["FINISHED"]  # the finished training is closed as such, then the signal goes on
    finally:
        signal.signal(signal.SIGTERM, original)


class _Finalised:  # Python runs a signal handler wherever the main thread is, a finalizer too,
    def __del__(self):  # and an exception raised in a finalizer is reported and dropped
        signal.raise_signal(signal.SIGTERM)


# A function of the store's library (its module named so): there the handler's exception could
# leave a lock held (taken just before a ``try``) that closing the run then waits on forever.
_IN_SQLALCHEMY = types.FunctionType(
    compile("def pool_return():\n    raise_signal(SIGTERM)\n    return 'returned'\n", "pool.py", "exec").co_consts[0],
    {"__name__": "sqlalchemy.pool.base", "raise_signal": signal.raise_signal, "SIGTERM": signal.SIGTERM},
)


@pytest.mark.parametrize("where", ["finalizer", "library"])
def test_a_sigterm_in_a_finalizer_or_library_code_is_raised_at_the_next_write(in_process, monkeypatch, where):
    client, experiment = in_process
    swallowed = []
    monkeypatch.setattr(sys, "unraisablehook", lambda report: swallowed.append(report.exc_type))
    original = signal.signal(signal.SIGTERM, lambda signum, frame: None)
    try:
        with pytest.raises(Terminated), TrainingRun(client, experiment, where, {}, TAGS) as run:
            if where == "finalizer":
                _Finalised()  # collected at once
            else:
                try:
                    _IN_SQLALCHEMY()
                except Terminated:
                    pytest.fail("Terminated was raised inside the library's code")
            assert swallowed == []  # nor inside the finalizer, where it would be dropped
            run.log_metrics(1, {"loss": 1.0})  # the next MLflow write raises it
            pytest.fail("the run went on after SIGTERM")
        assert client.get_run(run.run_id).info.status == "KILLED"
    finally:
        signal.signal(signal.SIGTERM, original)
