"""`kefu run --workers N`: N `kefu run` processes on one PostgreSQL, behind one port.

Each worker is a full `kefu run` (webhooks, outbox sender); the database elects the one
that polls and does housekeeping (bot/serve/leader.py). Webhook ports are shared: every
worker listens on the same port with SO_REUSEPORT and the kernel spreads connections.
This supervisor only starts the workers, restarts one that dies (with back-off), and
passes Ctrl-C / SIGTERM on to all of them.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from typing import Sequence

log = logging.getLogger(__name__)

RESTART_DELAYS = (1, 2, 5, 10, 30)


class WorkersNeedPostgres(Exception):
    """Several workers coordinate through PostgreSQL; SQLite serves one."""


def check_url(url: str, workers: int) -> None:
    if workers > 1 and not url.startswith(("postgresql", "postgres:")):
        raise WorkersNeedPostgres(
            f"--workers {workers} needs PostgreSQL (KEFU_DATABASE_URL=postgresql://…, pip install 'kefu[postgres]'); "
            "the embedded SQLite database serves one worker"
        )


def supervise(arguments: Sequence[str], workers: int) -> int:
    """Run `kefu run ARGUMENTS` `workers` times over; returns when stopped."""
    command = [sys.executable, "-c", "from bot.cli import main; main()", "run", *arguments]
    environ = {**os.environ, "KEFU_SHARE_PORT": "1"}
    children: dict[int, subprocess.Popen] = {}
    failures: dict[int, int] = {}
    stopping = False

    def start(number: int) -> None:
        children[number] = subprocess.Popen(command, env={**environ, "KEFU_WORKER": str(number)})
        log.info("worker %d started (pid %d)", number, children[number].pid)

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM if signum == signal.SIGTERM else signal.SIGINT)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for number in range(workers):
        start(number)
    while not stopping:
        time.sleep(0.5)
        for number, child in list(children.items()):
            code = child.poll()
            if code is None or stopping:
                continue
            failures[number] = failures.get(number, 0) + 1
            delay = RESTART_DELAYS[min(failures[number], len(RESTART_DELAYS)) - 1]
            log.error("worker %d exited with %s; restarting in %d s", number, code, delay)
            time.sleep(delay)
            start(number)
    for child in children.values():
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
    return 0
