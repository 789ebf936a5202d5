"""A program started with die_with_parent does not outlive the process that started it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from augur.dev.processes import alive, wait_until

PARENT = """
import sys, time
from pathlib import Path
from augur.dev.processes import start
child = start("sleeper", ["sleep", "300"], Path(sys.argv[1]), die_with_parent=True)
print(child.pid, flush=True)
time.sleep(300)
"""


def test_a_child_dies_when_its_parent_is_killed(tmp_path: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    ) as parent:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert alive(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    try:
        wait_until(lambda: not alive(child), None, "the child gone", 10)
    finally:
        if alive(child):
            os.killpg(child, signal.SIGKILL)
            time.sleep(0.1)
