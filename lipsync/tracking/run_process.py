"""The process behind an MLflow run: SIGTERM ends the run as KILLED, and a run left RUNNING by a
process that is gone (SIGKILL, power loss) is marked FAILED at the next start.

:class:`~lipsync.tracking.run.TrainingRun` tags every run with the ``process.pid`` and
``process.host`` that opened it, and for the run's duration turns SIGTERM into
:class:`Terminated`, so the run is closed as KILLED with an end time before the signal is
handed to the handler that was there before (the default one ends the process, as it would
have without the run). :func:`fail_orphaned_runs` closes the RUNNING runs of an experiment
whose process, on this host, no longer exists.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Iterator
from types import FrameType

from mlflow import MlflowClient

from lipsync.atomic import process_alive

log = logging.getLogger(__name__)

PID_TAG = "process.pid"
HOST_TAG = "process.host"
FAILURE_TAG = "failure"


class Terminated(BaseException):
    """SIGTERM arrived while a run was open. A BaseException, like KeyboardInterrupt, so that
    no ``except Exception`` on the way up swallows it."""


def process_tags() -> dict[str, str]:
    """``{process.pid, process.host}`` of this process: what tells later whether it is gone."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


class SigtermAsException:
    """While installed, SIGTERM in this process raises :class:`Terminated` in the main thread,
    and again at the end of every :meth:`shielded` block until :meth:`hold`. Python runs the
    handler wherever the main thread is: inside an MLflow write, a finalizer (SQLAlchemy's and
    MLflow's objects have them; an exception there is reported and dropped) or lock-holding
    library code (:func:`inside_locking_code`) the exception is not raised there but at the end
    of the next :meth:`shielded` write, since raised there it can leave a lock held that closing
    the run then waits on forever.
    :meth:`restore` puts the previous handler back; :meth:`redeliver` then hands it the signal.
    Nothing is installed off the main thread (Python only allows it there), nor where
    SIGTERM was ignored or handled outside Python."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.previous: signal.Handlers | object | None = None
        self.installed = False
        self.received = False
        self.held = False
        self._shielding = 0
        self._pid = os.getpid()

    def install(self) -> SigtermAsException:
        if threading.current_thread() is not threading.main_thread():
            return self
        previous = signal.getsignal(signal.SIGTERM)
        if previous is None or previous == signal.SIG_IGN:
            return self
        self.previous = previous
        signal.signal(signal.SIGTERM, self._handle)
        self.installed = True
        return self

    def hold(self) -> None:
        """From now on a SIGTERM is only noted (the run is being closed), for :meth:`redeliver`."""
        self.held = True

    @contextlib.contextmanager
    def shielded(self) -> Iterator[None]:
        """A SIGTERM inside the block (an MLflow write: its store holds locks and a half-done
        transaction that closing the run needs) is raised as :class:`Terminated` when it ends, and
        so is one received before whose exception a finalizer dropped."""
        self._shielding += 1
        try:
            yield
        finally:
            self._shielding -= 1
        if self.received and not self._shielding and not self.held:
            raise self._terminated()

    def restore(self) -> None:
        if self.installed:
            signal.signal(signal.SIGTERM, self.previous)
            self.installed = False

    def redeliver(self) -> None:
        """Hand the SIGTERM received to the previous handler (after :meth:`restore`)."""
        if self.received and not self.installed:
            signal.raise_signal(signal.SIGTERM)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if os.getpid() != self._pid:  # a forked worker (data loading): behave as it would have
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.raise_signal(signal.SIGTERM)
            return
        already, self.received = self.received, True
        if already or self.held:  # a second SIGTERM, or one while the run is being closed
            return
        if self._shielding or inside_locking_code(frame):  # raised at the end of the next MLflow write
            return
        raise self._terminated()

    def _terminated(self) -> Terminated:
        return Terminated(f"SIGTERM received by process {self._pid} on {socket.gethostname()} during {self.what}")


# Packages whose code holds locks or a half-done store transaction: an exception raised there by
# the handler can leave a lock held (a non-reentrant one, taken just before its ``try``), and the
# run's closing write then waits on it forever. Finalizers (``__del__``, weakref callbacks of
# these packages) run wherever the garbage collector starts, so they are found by the stack.
LOCKING_PACKAGES = frozenset({"sqlalchemy", "alembic", "mlflow", "sqlite3", "logging", "threading", "queue"})


def inside_locking_code(frame: FrameType | None) -> bool:
    """Whether the interrupted stack runs a finalizer or code of :data:`LOCKING_PACKAGES`."""
    while frame is not None:
        package = str(frame.f_globals.get("__name__", "")).partition(".")[0]
        if package in LOCKING_PACKAGES or frame.f_code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


def fail_orphaned_runs(client: MlflowClient, experiment_id: str, by: str) -> list[str]:
    """Mark FAILED the RUNNING runs of ``experiment_id`` opened on this host by a process that
    no longer exists, with a ``failure`` tag saying so (``by``: who found them, for that tag).
    Runs of other hosts, or without process tags, are left alone. Returns their run ids."""
    host = socket.gethostname()
    runs = client.search_runs([experiment_id], filter_string="attributes.status = 'RUNNING'", max_results=1000)
    closed = []
    for run in runs:
        pid = run.data.tags.get(PID_TAG, "")
        if run.data.tags.get(HOST_TAG) != host or not pid.isdigit() or process_alive(int(pid)):
            continue
        reason = f"process {pid} on {host} is gone (killed without a chance to close the run); found by {by}"
        client.set_tag(run.info.run_id, FAILURE_TAG, reason)
        client.set_terminated(run.info.run_id, "FAILED")
        log.warning("run %s (%s) was left RUNNING: %s; marked FAILED", run.info.run_name, run.info.run_id, reason)
        closed.append(run.info.run_id)
    return closed
