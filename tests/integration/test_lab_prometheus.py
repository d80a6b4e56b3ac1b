"""The Prometheus lab end to end: a real rule fires and resolves through a real webhook."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2
import pytest

from lab.servers.prometheus import GaugeTarget, prometheus_lab

RULES = """\
groups:
  - name: lab
    rules:
      - alert: LabFaultActive
        expr: lab_fault_active > 0
        for: 0s
        labels:
          severity: critical
        annotations:
          summary: "fault injected into {{ $labels.service }}"
"""

Payload = dict[str, Any]


class WebhookSink:
    """Collects the JSON bodies POSTed to it, in order of arrival."""

    def __init__(self) -> None:
        self.payloads: list[Payload] = []
        self._arrived = threading.Condition()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with sink._arrived:
                    sink.payloads.append(json.loads(body))
                    sink._arrived.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/alertmanager"

    def __enter__(self) -> WebhookSink:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, match: Callable[[Payload], bool], timeout_s: float) -> Payload:
        """The first payload (already arrived or arriving within `timeout_s`) that matches."""
        deadline = time.monotonic() + timeout_s
        with self._arrived:
            while True:
                found = next((p for p in self.payloads if match(p)), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"no matching webhook within {timeout_s}s; got {self.payloads}")
                self._arrived.wait(left)


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    with WebhookSink() as sink:
        yield sink


def shop_alert(status: str) -> Callable[[Payload], bool]:
    """Matches a payload reporting LabFaultActive for service=shop with `status`."""

    def match(payload: Payload) -> bool:
        return any(
            alert["status"] == status
            and alert["labels"].get("alertname") == "LabFaultActive"
            and alert["labels"].get("service") == "shop"
            for alert in payload["alerts"]
        )

    return match


@pytest.mark.slow
def test_alert_fires_then_resolves_through_the_webhook(
    tmp_path: Path, sink: WebhookSink, capsys: pytest.CaptureFixture[str]
) -> None:
    with GaugeTarget() as target:
        target.set("lab_fault_active", 1, labels={"service": "shop"})
        t0 = time.monotonic()
        with prometheus_lab(
            workdir=tmp_path,
            webhook_url=sink.url,
            scrape_target=target.address,
            rules=RULES,
            # Faster than the defaults: ~1.5 s off the firing and ~0.5 s off the resolved
            # webhook. Prometheus' service discovery still delays the first scrape and the
            # first alert sent to Alertmanager by 5 s, whatever these are.
            scrape_interval_s=0.5,
            evaluation_interval_s=0.5,
            group_wait_s=0.2,
            group_interval_s=0.5,
        ) as lab:
            started = time.monotonic()
            firing = sink.wait_for(shop_alert("firing"), timeout_s=60)
            fired = time.monotonic()

            assert firing["version"] == "4"
            assert firing["status"] == "firing"
            assert firing["receiver"] == "webhook"
            [alert] = firing["alerts"]
            assert alert["labels"]["severity"] == "critical"
            assert alert["annotations"]["summary"] == "fault injected into shop"
            assert lab.prometheus_url.startswith("http://127.0.0.1:")

            target.set("lab_fault_active", 0, labels={"service": "shop"})
            cleared = time.monotonic()
            resolved = sink.wait_for(shop_alert("resolved"), timeout_s=60)
            done = time.monotonic()

        assert resolved["version"] == "4"
        assert resolved["groupLabels"] == {"alertname": "LabFaultActive"}
        for url in (lab.prometheus_url, lab.alertmanager_url):
            with pytest.raises(httpx2.ConnectError):
                httpx2.get(f"{url}/-/ready")
    with capsys.disabled():
        print(
            f"\nprometheus lab: servers ready {started - t0:.1f}s, first firing webhook "
            f"{fired - started:.1f}s after ready ({fired - t0:.1f}s after start), "
            f"resolved webhook {done - cleared:.1f}s after the gauge went to 0, "
            f"stopped in {time.monotonic() - done:.1f}s"
        )


def test_gauge_target_serves_the_text_format() -> None:
    with GaugeTarget() as target:
        target.set("lab_fault_active", 1, labels={"service": "shop", "zone": 'a"b'})
        target.set("lab_queue_depth", 2.5)
        response = httpx2.get(f"http://{target.address}/metrics")
        missing = httpx2.get(f"http://{target.address}/other")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert response.text == (
        "# TYPE lab_fault_active gauge\n"
        'lab_fault_active{service="shop",zone="a\\"b"} 1.0\n'
        "# TYPE lab_queue_depth gauge\n"
        "lab_queue_depth 2.5\n"
    )
    assert missing.status_code == 404


def test_invalid_rules_are_rejected_before_anything_starts(tmp_path: Path) -> None:
    bad_rules = "groups:\n  - name: lab\n    rules:\n      - alert: Broken\n        expr: 'rate('\n"
    with (
        pytest.raises(ValueError, match="promtool check config"),
        prometheus_lab(
            workdir=tmp_path,
            webhook_url="http://127.0.0.1:9/hook",
            scrape_target="127.0.0.1:9",
            rules=bad_rules,
        ),
    ):
        pytest.fail("the lab started with invalid rules")
    assert not (tmp_path / "prometheus.log").exists()
