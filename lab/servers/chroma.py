"""A real Chroma server on loopback: `chroma run`, from the chromadb package itself.

The server is the one the scale-out mode talks to (`memory.mode: server`); here it
serves the memory store's integration tests and `bench/memory.py`. `chroma_server`
starts it on a free port of 127.0.0.1 with its data in a work folder, waits for its
heartbeat, and stops it on exit.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lab.servers.processes import free_ports, running

HEARTBEAT = "/api/v2/heartbeat"


@dataclass(frozen=True)
class ChromaServer:
    """Where the running server answers."""

    host: str
    port: int
    workdir: Path
    """Folder holding the data (`data/`) and the log (`chroma.log`)."""

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>`."""
        return f"http://{self.host}:{self.port}"


def chroma_binary() -> str:
    """The `chroma` command of this interpreter's environment (else the one on PATH).

    Raises:
        RuntimeError: chromadb is not installed.
    """
    beside = Path(sys.executable).parent / "chroma"
    if beside.is_file():
        return str(beside)
    found = shutil.which("chroma")
    if found is None:
        raise RuntimeError("no `chroma` command: chromadb is not installed (run `make env`)")
    return found


@contextmanager
def chroma_server(*, workdir: Path, ready_timeout_s: float = 60) -> Iterator[ChromaServer]:
    """Run `chroma run` on 127.0.0.1 until the block exits.

    Args:
        workdir: Folder for the data and the log (created if missing).
        ready_timeout_s: How long the server may take to answer its heartbeat.

    Yields:
        Where it answers.

    Raises:
        RuntimeError: no `chroma` command, or the server exited or was not ready in time
            (the message holds the end of its log).
    """
    binary = chroma_binary()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "chroma.log"
    [port] = free_ports(1)
    server = ChromaServer(host="127.0.0.1", port=port, workdir=workdir)
    command = [
        binary,
        "run",
        "--path",
        str(workdir / "data"),
        "--host",
        server.host,
        "--port",
        str(port),
    ]
    with running(
        "chroma run",
        command,
        ready_url=f"{server.url}{HEARTBEAT}",
        log=log,
        timeout_s=ready_timeout_s,
    ):
        yield server
