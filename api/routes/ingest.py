"""Webhook endpoints where monitoring systems deliver alerts.

`POST /api/v1/integrations/{token}/{source}` takes Alertmanager, Zabbix,
Nagios, PagerDuty Events v2 and generic JSON. `POST /v2/enqueue` is the
PagerDuty Events API v2 endpoint itself (the routing key is the integration
token), so a sender configured for PagerDuty only needs a new base URL.
The answer (202) comes only after the alerts are committed; a refused request
is answered 4xx naming the problem and its body is kept for inspection.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from core.clock import Clock
from core.db.engine import SessionFactory
from core.errors import InvalidRequest, NotFound
from core.metrics import Metrics
from incidents.alerts.errors import PayloadError
from incidents.alerts.schema import AlertIn, Source
from incidents.alerts.sources.generic import generic_json_schema
from incidents.alerts.sources.pagerduty import pagerduty_dedup_key
from incidents.alerts.sources.registry import normalize
from incidents.ingest import IngestResult, IngestService
from incidents.integrations import authenticate, record_rejection
from incidents.models.integration import Integration

MAX_BODY = 5 * 1024 * 1024
"""Largest accepted delivery; Alertmanager groups of thousands of alerts fit."""

router = APIRouter(tags=["ingestion"])


class Refused(Exception):
    """A delivery we answer 4xx: status, public body, and the reason we keep."""

    def __init__(self, status: int, body: dict[str, Any], reason: str) -> None:
        super().__init__(reason)
        self.status, self.body, self.reason = status, body, reason


@router.post(
    "/api/v1/integrations/{token}/{source}",
    status_code=202,
    summary="Deliver alerts from a monitoring system",
    responses={400: {"description": "invalid event (PagerDuty format)"}, 404: {}, 413: {}, 422: {}},
)
async def deliver(token: str, source: str, request: Request) -> JSONResponse:
    """Ingest a delivery in the sender's own format; 202 once it is committed."""
    try:
        kind = Source(source)
    except ValueError as e:
        sources = ", ".join(s.value for s in Source)
        raise NotFound(f"unknown source {source!r}; use one of {sources}") from e
    body = await request.body()
    return await run_in_threadpool(_deliver, request, token, kind, body)


@router.post("/v2/enqueue", status_code=202, summary="PagerDuty Events API v2 compatible endpoint")
async def pagerduty_enqueue(request: Request) -> JSONResponse:
    """Accept a PagerDuty Events v2 event whose `routing_key` is an integration token."""
    body = await request.body()
    try:
        parsed = json.loads(body)
        token = parsed.get("routing_key") if isinstance(parsed, dict) else None
    except ValueError:
        token = None
    if not isinstance(token, str) or not token:
        return JSONResponse(_pd_invalid(["'routing_key' is missing or blank"]), status_code=400)
    return await run_in_threadpool(_deliver, request, token, Source.PAGERDUTY, body)


@router.get("/api/v1/schemas/generic-alert", summary="JSON Schema of the generic alert format")
def generic_alert_schema() -> dict[str, Any]:
    """The JSON Schema that `POST /api/v1/integrations/{token}/generic` bodies follow."""
    return generic_json_schema()


def _deliver(request: Request, token: str, source: Source, body: bytes) -> JSONResponse:
    """Authenticate, parse and ingest in one transaction; 202 only once it has committed."""
    state = request.app.state
    sessions: SessionFactory = state.sessions
    clock: Clock = state.clock
    metrics: Metrics = state.metrics
    content_type = request.headers.get("content-type", "")
    with sessions() as session:
        integration = authenticate(session, token)
        try:
            alerts = _parse(integration, source, body, content_type)
        except Refused as refused:
            record_rejection(
                session,
                integration_id=integration.id,
                now=clock.now(),
                source=source.value,
                status_code=refused.status,
                reason=refused.reason,
                content_type=content_type,
                body=body,
            )
            session.commit()
            metrics.alert_rejections.labels(source=source.value).inc()
            return JSONResponse(refused.body, status_code=refused.status)
        service = IngestService(
            sessions,
            clock,
            triage=state.settings.triage.on_open,
            slack=state.settings.slack.mode != "off",
        )
        result = service.ingest_in(session, integration, alerts)
        session.commit()
    for item in result.alerts:
        metrics.alerts_ingested.labels(source=source.value, outcome=item.outcome.value).inc()
    if source == Source.PAGERDUTY:
        content = {
            "status": "success",
            "message": "Event processed",
            "dedup_key": pagerduty_dedup_key(alerts),
        }
        return JSONResponse(content, status_code=202)
    return JSONResponse(_accepted(result), status_code=202)


def _parse(
    integration: Integration, source: Source, body: bytes, content_type: str
) -> list[AlertIn]:
    pagerduty = source == Source.PAGERDUTY
    if integration.source != source.value:
        message = (
            f"integration {integration.name!r} accepts {integration.source} payloads, "
            f"not {source.value}"
        )
        raise Refused(422, {"error": "invalid_request", "message": message}, message)
    if len(body) > MAX_BODY:
        message = f"body of {len(body)} bytes exceeds the limit of {MAX_BODY}"
        raise Refused(413, {"error": "too_large", "message": message}, message)
    try:
        decoded = _decode(body, content_type, source)
        return normalize(source, decoded)
    except PayloadError as e:
        if pagerduty:
            raise Refused(400, _pd_invalid(e.errors), e.message) from e
        raise Refused(
            422, {"error": e.code, "message": e.message, "errors": e.errors}, e.message
        ) from e
    except InvalidRequest as e:
        status = 400
        if pagerduty:
            raise Refused(status, _pd_invalid([e.message]), e.message) from e
        raise Refused(status, {"error": "invalid_request", "message": e.message}, e.message) from e


def _decode(body: bytes, content_type: str, source: Source) -> Any:
    """JSON bodies; Nagios and Zabbix may also post form fields."""
    if "application/x-www-form-urlencoded" in content_type and source in (
        Source.NAGIOS,
        Source.ZABBIX,
    ):
        try:
            return dict(
                parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
            )
        except (UnicodeDecodeError, ValueError) as e:
            raise InvalidRequest(f"body is not valid form data: {e}") from e
    if not body.strip():
        raise InvalidRequest("body is empty; expected a JSON object")
    try:
        return json.loads(body)
    except UnicodeDecodeError as e:
        raise InvalidRequest(f"body is not UTF-8: {e}") from e
    except json.JSONDecodeError as e:
        raise InvalidRequest(
            f"body is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}"
        ) from e


def _pd_invalid(errors: list[str]) -> dict[str, Any]:
    return {"status": "invalid event", "message": "Event object is invalid", "errors": errors}


def _accepted(result: IngestResult) -> dict[str, Any]:
    return {
        "status": "accepted",
        "alerts": [
            {
                "alert_id": a.alert_id,
                "fingerprint": a.fingerprint,
                "outcome": a.outcome.value,
                "incident_id": a.incident_id,
                "incident_opened": a.incident_opened,
            }
            for a in result.alerts
        ],
    }
