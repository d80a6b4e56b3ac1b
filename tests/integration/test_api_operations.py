"""Health, readiness, metrics, docs and the error mapping of the API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import Engine

from api.app import create_app
from core.db.engine import make_engine
from core.errors import Conflict, Forbidden, InvalidRequest, NotFound, PixelViewError, Unavailable
from core.metrics import Metrics
from core.settings import Settings


def app_on(engine: Engine) -> FastAPI:
    return create_app(Settings(), engine=engine, metrics=Metrics("9.9.9"), version="9.9.9")


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(app_on(engine)) as client:
        yield client


def test_healthz_answers_with_the_version(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": "9.9.9"}


def test_readyz_is_ready_at_head(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready" and body["migrations"] == "at_head"
    assert body["current_revision"] == body["head_revision"] is not None


def test_readyz_refuses_a_database_behind_head(empty_engine: Engine) -> None:
    with TestClient(app_on(empty_engine)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["migrations"] == "behind" and body["current_revision"] is None
    assert "pixelview db upgrade" in body["message"]
    assert client.get("/healthz").status_code == 200  # liveness does not depend on the database


def test_readyz_refuses_an_unreachable_database() -> None:
    engine = make_engine("postgresql://nobody@127.0.0.1:1/none")
    try:
        with TestClient(app_on(engine)) as client:
            response = client.get("/readyz")
    finally:
        engine.dispose()
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_metrics_are_prometheus_text_with_route_templates(client: TestClient) -> None:
    client.get("/healthz")
    client.get("/no/such/page")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'pixelview_build_info{version="9.9.9"} 1.0' in text
    assert 'pixelview_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
    assert 'route="unmatched",status="404"' in text
    assert 'pixelview_jobs{status="queued"} 0.0' in text


def test_openapi_docs_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "PixelView"
    assert {"/healthz", "/readyz"} <= set(spec["paths"])


class Thing(BaseModel):
    name: str
    size: int


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (NotFound("incident 42 does not exist"), 404, "not_found"),
        (Conflict("incident 42 is already resolved"), 409, "conflict"),
        (Forbidden("viewers cannot acknowledge"), 403, "forbidden"),
        (
            InvalidRequest("severity must be one of critical, error, warning, info"),
            422,
            "invalid_request",
        ),
        (Unavailable("OpenStack identity endpoint timed out"), 503, "unavailable"),
    ],
)
def test_domain_errors_map_to_http_in_one_place(
    engine: Engine, error: PixelViewError, status: int, code: str
) -> None:
    app = app_on(engine)

    @app.get("/boom")
    def boom() -> None:
        raise error

    with TestClient(app) as client:
        response = client.get("/boom")
    assert response.status_code == status
    assert response.json() == {"error": code, "message": error.message}


def test_validation_errors_name_the_field(engine: Engine) -> None:
    app = app_on(engine)

    @app.post("/things")
    def create(thing: Thing) -> Thing:
        return thing

    with TestClient(app) as client:
        response = client.post("/things", json={"name": "x", "size": "big"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request"
    assert body["message"].startswith("body.size:")
    assert body["details"][0]["loc"] == ["body", "size"]


def test_unexpected_errors_are_500_without_internals(engine: Engine) -> None:
    app = app_on(engine)

    @app.get("/bug")
    def bug() -> None:
        raise KeyError("secret internal detail")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/bug")
    assert response.status_code == 500
    assert response.json()["error"] == "internal"
    assert "secret internal detail" not in response.text


def test_request_id_is_echoed_or_created(client: TestClient) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc123"}).headers["X-Request-ID"]
        == "abc123"
    )
    assert len(client.get("/healthz").headers["X-Request-ID"]) == 32
