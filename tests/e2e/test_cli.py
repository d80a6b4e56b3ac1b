"""The `pixelview` command as a user runs it: a real process, real signals, real HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest

from core.clock import SystemClock
from core.db.engine import make_engine, make_session_factory
from core.db.migrate import head_revision
from core.jobs.models import JobStatus
from core.jobs.queue import enqueue, get_job
from pixelview import __version__

PIXELVIEW = str(Path(sys.executable).parent / "pixelview")


def environment(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("PIXELVIEW_")}
    env.update(settings)
    return env


def run(*args: str, cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PIXELVIEW, *args],
        cwd=cwd,
        env=environment(**settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def create_user(cwd: Path, name: str, email: str, role: str, **settings: str) -> str:
    """`pixelview users create`; the new user's API token."""
    created = run(
        "users", "create", "--name", name, "--email", email, "--role", role, cwd=cwd, **settings
    )
    assert created.returncode == 0, created.stderr
    return created.stdout.split("API token (shown once): ")[1].strip()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def started(*args: str, cwd: Path, **settings: str) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [PIXELVIEW, *args],
        cwd=cwd,
        env=environment(**settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def wait_for(url: str, process: subprocess.Popen[str], timeout_s: float = 60) -> httpx2.Response:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, (
            f"process exited early:\n{process.stdout.read() if process.stdout else ''}"
        )
        try:
            response = httpx2.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except httpx2.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer 200 within {timeout_s}s")


def stop(process: subprocess.Popen[str], sig: signal.Signals) -> str:
    process.send_signal(sig)
    output, _ = process.communicate(timeout=30)
    return output


def test_version(tmp_path: Path) -> None:
    result = run("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"pixelview {__version__}"


def test_mistyped_setting_fails_naming_the_key(tmp_path: Path) -> None:
    result = run("serve", cwd=tmp_path, PIXELVIEW_DATABSE__URL="x")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: unknown setting PIXELVIEW_DATABSE__URL")
    assert "Traceback" not in result.stderr


def test_a_model_that_cannot_run_stops_start_up_naming_the_setting(tmp_path: Path) -> None:
    result = run("serve", cwd=tmp_path, PIXELVIEW_LLM__PROVIDER="scripted")
    assert result.returncode == 2  # a configuration error
    assert result.stderr.strip().splitlines() == [
        "error: llm.provider scripted needs llm.script_file (a YAML file of the model's answers)"
    ]


def test_worker_refuses_sqlite(tmp_path: Path) -> None:
    result = run("worker", cwd=tmp_path)
    assert result.returncode != 0
    assert "needs PostgreSQL" in result.stderr and "Traceback" not in result.stderr


def test_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    result = run(
        "db", "upgrade", cwd=tmp_path, PIXELVIEW_DATABASE__URL="postgresql://nobody@127.0.0.1:1/x"
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        "error: cannot reach the database at postgresql+psycopg://nobody@127.0.0.1:1/x"
    )
    assert "Traceback" not in result.stderr


def test_db_upgrade_current_and_downgrade_on_the_embedded_default(tmp_path: Path) -> None:
    behind = run("db", "current", cwd=tmp_path)
    assert behind.returncode == 1 and "current: (empty database)" in behind.stdout
    upgraded = run("db", "upgrade", cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / ".pixelview" / "pixelview.db").is_file()
    current = run("db", "current", cwd=tmp_path)
    head = head_revision()
    assert current.returncode == 0 and f"current: {head}  head: {head}" in current.stdout
    down = run("db", "downgrade", "base", cwd=tmp_path)
    assert down.returncode == 0 and "(empty)" in down.stdout


DEMO_CONFIG = """
lab:
  tick_s: 0.5
  group_wait_s: 0
  faults:
    - fault: k8s.oom_kill
      target: {namespace: payments, deployment: api}
      at_s: -1200
"""


def poll_json(url: str, token: str, ready: Callable[[Any], bool], timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        answer = httpx2.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert answer.status_code == 200, answer.text
        if ready(answer.json()) or time.monotonic() > deadline:
            return answer.json()
        time.sleep(0.5)


@pytest.mark.slow
def test_demo_runs_the_lab_whose_alerts_open_incidents_until_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "demo.yaml").write_text(DEMO_CONFIG)
    token = create_user(tmp_path, "Ada", "ada@example.com", "admin")
    with started("--config", "demo.yaml", "demo", "--port", str(port), cwd=tmp_path) as process:
        base = f"http://127.0.0.1:{port}"
        ready = wait_for(f"{base}/readyz", process)
        assert ready.json()["status"] == "ready"
        incidents = poll_json(f"{base}/api/v1/incidents", token, lambda page: page["items"])
        assert [i["title"] for i in incidents["items"]], incidents
        first = incidents["items"][0]["id"]
        runs = poll_json(
            f"{base}/api/v1/incidents/{first}/triage/runs",
            token,
            lambda runs: runs and runs[0]["status"] in ("succeeded", "failed"),
        )
        report = runs[0]["report"]
        assert runs[0]["status"] == "succeeded" and report is not None, runs
        assert (report["root_cause"]["kind"], report["root_cause"]["name"]) == ("Deployment", "api")
        assert report["category"] == "resource.memory"
        clusters = poll_json(f"{base}/api/v1/inventory/kubernetes/clusters", token, bool)
        assert [c["name"] for c in clusters] == ["lab"]
        output = stop(process, signal.SIGINT)
        assert process.returncode == 0, output
    assert "lab: k8s.oom_kill on namespace=payments, deployment=api" in output
    assert "lab.alerts_sent" in output
    assert "worker.stopped" in output and "pixelview.stopped" in output
    assert "Traceback" not in output


@pytest.mark.slow
def test_serve_and_worker_share_postgresql_and_stop_on_sigterm(
    tmp_path: Path, postgres_url: str
) -> None:
    port = free_port()
    settings = {"PIXELVIEW_DATABASE__URL": postgres_url, "PIXELVIEW_WORKER__POLL_INTERVAL_S": "0.1"}
    with started(
        "serve", "--port", str(port), cwd=tmp_path, PIXELVIEW_WORKER__IN_PROCESS="false", **settings
    ) as api:
        wait_for(f"http://127.0.0.1:{port}/readyz", api)
        engine = make_engine(postgres_url)
        sessions = make_session_factory(engine)
        with sessions() as session:
            job = enqueue(session, kind="not-registered", now=SystemClock().now())
            session.commit()
        with started("worker", "--concurrency", "2", cwd=tmp_path, **settings) as worker:
            deadline = time.monotonic() + 30
            status = None
            while time.monotonic() < deadline and status != JobStatus.FAILED:
                with sessions() as session:
                    found = get_job(session, job.id)
                    status = found.status if found else None
                time.sleep(0.1)
            output = stop(worker, signal.SIGTERM)
            assert worker.returncode == 0, output
            assert "worker.stopped" in output
        with sessions() as session:
            found = get_job(session, job.id)
            assert found is not None and found.status == JobStatus.FAILED
            assert "no handler registered" in (found.last_error or "")
        engine.dispose()
        api_output = stop(api, signal.SIGTERM)
        assert api.returncode == 0, api_output


ISSUE_FAULTS = (
    "k8s.oom_kill k8s.crashloop_bad_config k8s.image_pull k8s.node_not_ready "
    "k8s.pending_insufficient_cpu k8s.dns_failure openstack.instance_error "
    "openstack.quota_exhausted openstack.hypervisor_down openstack.volume_stuck_attaching "
    "vsphere.host_disconnected vsphere.datastore_full vsphere.vm_cpu_contention vsphere.host_down"
).split()


def test_lab_faults_lists_the_catalog_with_descriptions_and_shows_one(tmp_path: Path) -> None:
    listed = run("lab", "faults", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[0]: line for line in listed.stdout.splitlines() if line.strip()}
    for name in ISSUE_FAULTS:
        assert name in lines and len(lines[name].split()) > 4, name  # with its description
    one = run("lab", "faults", "k8s.oom_kill", cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    assert "memory_limit" in one.stdout and "alerts: KubePodCrashLooping" in one.stdout
    assert "default target (seed 7): namespace=" in one.stdout
    unknown = run("lab", "faults", "k8s.nope", cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown fault 'k8s.nope'" in unknown.stderr
