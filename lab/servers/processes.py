"""Running a server for a test: free loopback ports, start, wait until ready, stop.

The recipes beside this file (`prometheus.py`, `chroma.py`) start real server
binaries with these: each in its own session, its output in a log file whose end
goes into any error, readiness probed over HTTP without the environment's proxy,
and the whole process group stopped on exit.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from subprocess import DEVNULL, STDOUT

# Bypass any http_proxy of the environment: these servers are on loopback.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_ports(count: int) -> list[int]:
    """Distinct free ports on 127.0.0.1 (all held open together until chosen)."""
    with ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def tail(log: Path, lines: int = 30) -> str:
    """The last lines of a log file (empty when it does not exist)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def stop(proc: subprocess.Popen[bytes], grace_s: float = 5) -> None:
    """SIGTERM the process group, SIGKILL it after `grace_s`."""
    if proc.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def answers(url: str) -> bool:
    """Whether GET `url` answers 200 now (a refusal or an error status is a no)."""
    try:
        with OPENER.open(url, timeout=1) as response:
            status: int = response.status
            return status == 200
    except urllib.error.HTTPError as e:  # 503 while starting
        e.close()
    except OSError:  # refused or reset while starting
        pass
    return False


@contextmanager
def running(
    name: str, command: list[str], *, ready_url: str, log: Path, timeout_s: float
) -> Iterator[None]:
    """Start `command` in its own session, wait until `ready_url` answers, stop it on exit.

    Raises:
        RuntimeError: it exited, or did not answer within `timeout_s` (with its log's end).
    """
    with log.open("ab") as out:
        proc = subprocess.Popen(
            command, stdin=DEVNULL, stdout=out, stderr=STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + timeout_s
        while not answers(ready_url):
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail(log)}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{name} not ready at {ready_url} after {timeout_s}s:\n{tail(log)}"
                )
            time.sleep(0.05)
        yield
    finally:
        stop(proc)
