"""A real Prometheus and Alertmanager on loopback, and a metrics target tests control.

Both servers come from Debian's packages (`scripts/system-deps.sh` installs them).
`prometheus_lab` writes their configuration into a work folder, starts Alertmanager
and then Prometheus on free ports of 127.0.0.1, and stops both on exit. Alertmanager
posts its notifications to one webhook, with resolved notifications too.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

from lab.servers.processes import free_ports, running

INSTALL_HINT = "run scripts/system-deps.sh (Debian packages prometheus, prometheus-alertmanager)"


@dataclass(frozen=True)
class PrometheusLab:
    """Where the running lab answers."""

    prometheus_url: str
    """Base URL of Prometheus, `http://127.0.0.1:<port>`."""
    alertmanager_url: str
    """Base URL of Alertmanager, `http://127.0.0.1:<port>`."""
    workdir: Path
    """Folder holding the configuration, data and logs (`prometheus.log`, `alertmanager.log`)."""


def _duration(seconds: float) -> str:
    """A Prometheus duration (`1500ms`) for a number of seconds."""
    return f"{round(seconds * 1000)}ms"


def _binary(*names: str) -> str:
    for name in names:
        if path := shutil.which(name):
            return path
    raise RuntimeError(f"none of {', '.join(names)} is on PATH: {INSTALL_HINT}")


def _check(command: list[str]) -> None:
    """Run a config checker (promtool, amtool); a rejected config raises `ValueError`."""
    if shutil.which(command[0]) is None:
        return
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        raise ValueError(f"{' '.join(command)} rejected the config:\n{done.stdout}{done.stderr}")


@contextmanager
def _server(name: str, command: list[str], url: str, log: Path, timeout_s: float) -> Iterator[str]:
    """Start `command` in its own session, wait until `url/-/ready` answers, stop it on exit."""
    with running(name, command, ready_url=f"{url}/-/ready", log=log, timeout_s=timeout_s):
        yield url


_ALERTMANAGER_YML = """\
global: {{resolve_timeout: 10s}}
route:
  receiver: webhook
  group_by: [alertname]
  group_wait: {group_wait}
  group_interval: {group_interval}
  repeat_interval: {repeat_interval}
receivers:
  - name: webhook
    webhook_configs: [{{url: {webhook_url}, send_resolved: true}}]
"""
_PROMETHEUS_YML = """\
global:
  scrape_interval: {scrape_interval}
  scrape_timeout: {scrape_interval}
  evaluation_interval: {evaluation_interval}
rule_files: [rules.yml]
alerting:
  alertmanagers: [{{static_configs: [{{targets: [{alertmanager}]}}]}}]
scrape_configs:
  - job_name: lab
    static_configs: [{{targets: [{scrape_target}]}}]
"""


@contextmanager
def prometheus_lab(
    *,
    workdir: Path,
    webhook_url: str,
    scrape_target: str,
    rules: str,
    group_wait_s: float = 1,
    group_interval_s: float = 1,
    repeat_interval: str = "1h",
    evaluation_interval_s: float = 1,
    scrape_interval_s: float = 1,
    ready_timeout_s: float = 30,
) -> Iterator[PrometheusLab]:
    """Run Alertmanager and Prometheus on loopback until the block exits.

    Args:
        workdir: Folder for the configuration, the data and the logs (created if missing).
        webhook_url: Where Alertmanager posts its notifications (webhook format version 4).
        scrape_target: `host:port` that Prometheus scrapes at `/metrics`.
        rules: YAML text of a Prometheus rule file (`groups: [...]`).
        group_wait_s: Alertmanager's wait before the first notification of a group.
        group_interval_s: Alertmanager's wait before notifying changes (resolved) of a group.
        repeat_interval: Alertmanager's wait before repeating an unchanged notification.
        evaluation_interval_s: How often Prometheus evaluates the rules.
        scrape_interval_s: How often Prometheus scrapes `scrape_target`.
        ready_timeout_s: How long each server may take to answer `/-/ready`.

    Yields:
        The URLs of the two servers.

    Raises:
        RuntimeError: A binary is missing, or a server exited or was not ready in time
            (the message holds the end of its log).
        ValueError: promtool or amtool rejected the generated configuration.
    """
    prometheus = _binary("prometheus")
    alertmanager = _binary("prometheus-alertmanager", "alertmanager")
    workdir.mkdir(parents=True, exist_ok=True)
    am_port, prom_port = free_ports(2)
    am_url, prom_url = f"http://127.0.0.1:{am_port}", f"http://127.0.0.1:{prom_port}"
    (workdir / "rules.yml").write_text(rules)
    am_config, prom_config = workdir / "alertmanager.yml", workdir / "prometheus.yml"
    # Strings go in as JSON, which YAML reads as quoted scalars.
    am_config.write_text(
        _ALERTMANAGER_YML.format(
            group_wait=_duration(group_wait_s),
            group_interval=_duration(group_interval_s),
            repeat_interval=json.dumps(repeat_interval),
            webhook_url=json.dumps(webhook_url),
        )
    )
    prom_config.write_text(
        _PROMETHEUS_YML.format(
            scrape_interval=_duration(scrape_interval_s),
            evaluation_interval=_duration(evaluation_interval_s),
            alertmanager=json.dumps(f"127.0.0.1:{am_port}"),
            scrape_target=json.dumps(scrape_target),
        )
    )
    _check(["promtool", "check", "config", str(prom_config)])
    _check(["amtool", "check-config", str(am_config)])

    am_command = [
        alertmanager,
        f"--config.file={am_config}",
        f"--storage.path={workdir / 'alertmanager-data'}",
        f"--web.listen-address=127.0.0.1:{am_port}",
        "--cluster.listen-address=",  # no gossip: a single instance, no extra port
    ]
    prom_command = [
        prometheus,
        f"--config.file={prom_config}",
        f"--storage.tsdb.path={workdir / 'prometheus-data'}",
        f"--web.listen-address=127.0.0.1:{prom_port}",
        # Alerts sent before the notifier has discovered Alertmanager are dropped and
        # sent again only after this delay (1m by default).
        "--rules.alert.resend-delay=1s",
        "--web.enable-lifecycle",  # POST /-/reload after a test rewrites rules.yml
    ]
    # Alertmanager first, ready before Prometheus sends it anything; stopped last.
    with (
        _server("alertmanager", am_command, am_url, workdir / "alertmanager.log", ready_timeout_s),
        _server("prometheus", prom_command, prom_url, workdir / "prometheus.log", ready_timeout_s),
    ):
        yield PrometheusLab(prometheus_url=prom_url, alertmanager_url=am_url, workdir=workdir)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class GaugeTarget:
    """A `/metrics` endpoint on 127.0.0.1 serving gauges whose values the test sets.

    Example:
        with GaugeTarget() as target:
            target.set("lab_fault_active", 1, labels={"service": "shop"})
            ...  # scrape target.address
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._gauges: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] != "/metrics":
                    self.send_error(404)
                    return
                body = target.render().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Keep scrapes out of the test output."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        """`127.0.0.1:<port>`, the scrape target."""
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def set(self, name: str, value: float, *, labels: Mapping[str, str] | None = None) -> None:
        """Set the gauge `name{labels}` to `value`."""
        key = tuple(sorted((labels or {}).items()))
        with self._lock:
            self._gauges.setdefault(name, {})[key] = float(value)

    def render(self) -> str:
        """The gauges in Prometheus' text exposition format."""
        lines: list[str] = []
        with self._lock:
            for name, series in sorted(self._gauges.items()):
                lines.append(f"# TYPE {name} gauge")
                for key, value in series.items():
                    labels = ",".join(f'{k}="{_escape(v)}"' for k, v in key)
                    lines.append(f"{name}{{{labels}}} {value!r}" if labels else f"{name} {value!r}")
        return "\n".join(lines) + "\n"

    def start(self) -> Self:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
