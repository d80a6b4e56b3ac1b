"""An API client on a migrated database, with an admin and helpers to create integrations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from agents.chat import ChatRunner
from api.app import create_app
from core.clock import ManualClock
from core.db.engine import SessionFactory, make_session_factory
from core.metrics import Metrics
from core.settings import Settings
from incidents.models.people import Role
from incidents.people import UserCreate, create_user
from memory.embedder import Embedder

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "alerts"
T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def fixture_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


@dataclass
class Api:
    """A test client acting as a user, with the app's clock and sessions at hand."""

    client: TestClient
    clock: ManualClock
    sessions: SessionFactory
    headers: dict[str, str]

    def user(self, role: Role, email: str) -> dict[str, str]:
        with self.sessions() as session:
            _, token = create_user(
                session, UserCreate(name=email, email=email, role=role), now=T0, actor="test"
            )
            session.commit()
        return {"Authorization": f"Bearer {token}"}

    def integration(self, source: str = "alertmanager", **spec: Any) -> tuple[str, str]:
        """Create an integration; return its id and webhook path."""
        body = {
            "name": spec.pop("name", f"{source}-{len(self.list('/api/v1/integrations'))}"),
            "source": source,
        }
        response = self.client.post("/api/v1/integrations", json=body | spec, headers=self.headers)
        assert response.status_code == 201, response.text
        created = response.json()
        return created["integration"]["id"], created["webhook_path"]

    def list(self, path: str, **params: Any) -> Any:
        response = self.client.get(path, params=params, headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        response = self.client.post(path, json=body, headers=self.headers, **kwargs)
        return response


@contextmanager
def api_on(
    engine: Engine,
    *,
    settings: Settings | None = None,
    clock: ManualClock | None = None,
    chat: ChatRunner | None = None,
    **app_args: Any,
) -> Iterator[Api]:
    """A client of an app on `engine` (with `settings`, and `chat` as its chat runner), acting
    as an admin."""
    clock = clock or ManualClock(T0)
    app = create_app(
        settings or Settings(),
        engine=engine,
        metrics=Metrics("test"),
        version="test",
        clock=clock,
        chat=chat,
        **app_args,
    )
    sessions = make_session_factory(engine)
    with sessions() as session:
        _, token = create_user(
            session,
            UserCreate(name="Admin", email="admin@example.com", role=Role.ADMIN),
            now=T0,
            actor="test",
        )
        session.commit()
    with TestClient(app) as client:
        yield Api(
            client=client,
            clock=clock,
            sessions=sessions,
            headers={"Authorization": f"Bearer {token}"},
        )


@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    with api_on(engine) as client:
        yield client


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The offline embedder, loaded once for the session."""
    loaded = Embedder()
    loaded.load()
    return loaded
