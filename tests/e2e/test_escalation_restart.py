"""Kill a worker mid-wait (SIGKILL); a new worker sends the next page on time, once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlmodel import col

from core.clock import SystemClock
from core.crypto import SecretBox
from core.db.engine import make_engine, make_session_factory
from core.db.migrate import upgrade
from incidents.alerts.schema import AlertIn, AlertState, Severity, Source
from incidents.escalation.policies import RoutingRuleCreate, create_policy, create_rule
from incidents.escalation.policy import PolicySpec
from incidents.ingest import IngestService
from incidents.integrations import IntegrationCreate, create_integration
from incidents.models.escalation import Escalation
from incidents.models.notification import ChannelKind
from incidents.notifications.contacts import ChannelCreate, create_channel
from tests.fakes.http import FakeHttpServer, Recorded

SECRET_KEY = "restart-test-secret-key-0123456789abcdef"
PIXELVIEW = str(Path(sys.executable).parent / "pixelview")


@contextmanager
def worker(url: str, cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("PIXELVIEW_")}
    env |= {
        "PIXELVIEW_DATABASE__URL": url,
        "PIXELVIEW_SECURITY__SECRET_KEY": SECRET_KEY,
        "PIXELVIEW_WORKER__POLL_INTERVAL_S": "0.2",
        "PIXELVIEW_LOGGING__LEVEL": "WARNING",
    }
    process = subprocess.Popen([PIXELVIEW, "worker"], cwd=cwd, env=env, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def wait_for(requests: list[Recorded], count: int, timeout_s: float) -> float:
    deadline = time.monotonic() + timeout_s
    while len(requests) < count:
        assert time.monotonic() < deadline, f"only {len(requests)} of {count} pages arrived"
        time.sleep(0.05)
    return time.time()


@pytest.mark.slow
def test_next_page_goes_out_on_time_and_once_after_sigkill(
    postgres_url: str, tmp_path: Path
) -> None:
    engine = make_engine(postgres_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    clock = SystemClock()
    with FakeHttpServer() as receiver:
        with sessions() as session:
            now = clock.now()
            channel = create_channel(
                session,
                ChannelCreate(
                    name="hook",
                    kind=ChannelKind.WEBHOOK,
                    address=f"{receiver.url}/hook",
                    secret=SecretStr("s"),
                ),
                SecretBox(SECRET_KEY),
                now=now,
                actor="t",
            )
            policy = create_policy(
                session,
                PolicySpec.model_validate(
                    {
                        "name": "p",
                        "steps": [
                            {"type": "notify_channel", "channel_id": str(channel.id)},
                            {"type": "wait", "minutes": 1},
                            {"type": "notify_channel", "channel_id": str(channel.id)},
                        ],
                    }
                ),
                now=now,
                actor="t",
            )
            create_rule(
                session,
                RoutingRuleCreate(name="all", position=0, policy_id=policy.id),
                now=now,
                actor="t",
            )
            integration, _ = create_integration(
                session, IntegrationCreate(name="g", source=Source.GENERIC), now=now, actor="t"
            )
            session.commit()
        alert = AlertIn(
            source=Source.GENERIC,
            fingerprint="db",
            status=AlertState.FIRING,
            severity=Severity.CRITICAL,
            summary="db down",
        )
        incident_id = (
            IngestService(sessions, clock).ingest(integration.id, [alert]).alerts[0].incident_id
        )

        with worker(postgres_url, tmp_path) as first:
            wait_for(receiver.requests, 1, timeout_s=30)
            time.sleep(2)  # well inside the one-minute wait
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        with sessions() as session:
            due: datetime | None = session.scalars(
                select(col(Escalation.next_step_at)).where(
                    col(Escalation.incident_id) == incident_id
                )
            ).one()
        assert due is not None

        with worker(postgres_url, tmp_path):
            arrived = wait_for(receiver.requests, 2, timeout_s=90)
            time.sleep(3)  # anything duplicated would arrive now
    engine.dispose()

    lateness = arrived - due.timestamp()
    assert -0.5 < lateness < 5.0, f"second page {lateness:.2f}s from its due time"
    keys = [r.headers["x-pixelview-delivery"] for r in receiver.requests]
    assert len(keys) == 2 and len(set(keys)) == 2
    assert [r.json()["event"] for r in receiver.requests] == ["trigger", "trigger"]
