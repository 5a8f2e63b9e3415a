"""``make ui``: the Dagster UI on 127.0.0.1 with the project's persistent instance.

Restores the default SIGINT handler before handing over to ``dagster dev``: started from a
script or in the background, a process inherits an *ignored* SIGINT and ``dagster dev``
would then never stop on Ctrl-C or a signal to its process group.
"""

import argparse
import os
import signal
import sys

from assets.resources import PROJECT_ROOT
from lipsync.project import open_project
from pipelines.instance import prepare_home


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback only)")
    parser.add_argument("--port", default="3000")
    args = parser.parse_args(argv)
    project = open_project(PROJECT_ROOT)
    prepare_home(project.layout.dagster_home)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.chdir(PROJECT_ROOT)
    dagster = os.path.join(os.path.dirname(sys.executable), "dagster")
    os.execv(dagster, [dagster, "dev", "-h", args.host, "-p", args.port, "-w", "workspace.yaml"])


if __name__ == "__main__":
    main()
