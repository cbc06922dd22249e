"""Running the command line as a user does: in a subprocess, through a pipe, or at a terminal
that sends Ctrl-C."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "explorer.cli", *args]


def run_closed_stdout(*args: str) -> tuple[int, str]:
    """Run with a stdout whose reader has already gone (``cmd | head`` once head exits):
    exit code and stderr."""
    p = subprocess.Popen(command(*args), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()
    err = p.stderr.read().decode()
    p.stderr.close()
    return p.wait(timeout=120), err


def interrupt_at_terminal(args, started: str, timeout: float = 120.0) -> tuple[int, str]:
    """Run at a pseudo-terminal (so the live progress shows), wait until the output matches
    ``started`` (a regex: the run is under way), then press Ctrl-C: SIGINT to the whole process
    group, as a terminal does. The exit code and everything printed (ANSI codes removed)."""
    import pty

    master, slave = pty.openpty()
    env = dict(os.environ, TERM="xterm", COLUMNS="160")
    # a terminal's Ctrl-C works even where pytest itself was started with SIGINT ignored (a
    # shell's background job inherits that, and Python then never raises KeyboardInterrupt)
    p = subprocess.Popen(command(*args), cwd=ROOT, stdin=slave, stdout=slave, stderr=slave,
                         start_new_session=True, env=env,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    os.close(slave)
    output, sent, deadline = b"", False, time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the terminal closed: the process is gone
                    chunk = b""
                if not chunk:
                    break
                output += chunk
            if not sent and re.search(started.encode(), ANSI.sub("", output.decode(errors="replace")).encode()):
                os.killpg(p.pid, signal.SIGINT)
                sent = True
            if p.poll() is not None and not ready:
                break
        assert sent, f"the run never showed {started!r}: {ANSI.sub('', output.decode(errors='replace'))[-500:]}"
        return p.wait(timeout=timeout), ANSI.sub("", output.decode(errors="replace"))
    finally:
        if p.poll() is None:
            p.kill()
        os.close(master)
