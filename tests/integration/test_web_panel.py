"""The web panel over HTTP: login sessions and CSRF, the pages, the live feed, chart data."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from api.app import create_app
from api.live import Cursor, LiveFeed
from api.sessions import COOKIE_NAME, CSRF_HEADER
from connectors.prometheus.models import MetricPoint, MetricSample, MetricSeries
from core.clock import ManualClock
from core.metrics import Metrics
from core.settings import Settings, WebSettings
from incidents.models.audit import AuditEntry
from incidents.models.people import Role, User
from incidents.triage import RunUsage, finish_run, start_run
from tests.integration.conftest import T0, Api
from tests.integration.test_incidents_api import open_incident
from tests.integration.test_triage_runs import REPORT

HTML = {"Accept": "text/html"}


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def log_in(client: TestClient, headers: dict[str, str], next_page: str = "/") -> str:
    """Log in with the bearer token of `headers`; return the CSRF token of the session."""
    answer = client.post(
        "/login", data={"token": token_of(headers), "next": next_page}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == next_page
    page = client.get("/", headers=HTML)
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    assert found is not None and found.group(1)
    return found.group(1)


def test_pages_redirect_to_the_login_which_sets_a_strict_http_only_cookie(api: Api) -> None:
    client = api.client
    away = client.get("/alerts?status=firing", follow_redirects=False)
    assert away.status_code == 303
    assert away.headers["location"] == "/login?next=/alerts%3Fstatus%3Dfiring"
    refused = client.post("/login", data={"token": "pvu_wrong", "next": "/"})
    assert refused.status_code == 401 and "unknown" in refused.text
    assert COOKIE_NAME not in client.cookies

    answer = client.post(
        "/login",
        data={"token": token_of(api.headers), "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/"  # never off-site
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=v1.")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Max-Age=43200" in cookie and "Secure" not in cookie  # plain HTTP in the test
    page = client.get("/", headers=HTML)
    assert (
        page.status_code == 200 and "Admin" in page.text and 'src="/static/app.js?v=' in page.text
    )
    assert client.get("/login", follow_redirects=False).headers["location"] == "/"
    with api.sessions() as session:
        logins = session.exec(select(AuditEntry).where(AuditEntry.action == "session.login")).all()
        assert len(logins) == 1 and logins[0].actor.startswith("user:")


def test_the_session_cookie_acts_through_the_api_only_with_its_csrf_token(api: Api) -> None:
    _, path = api.integration()
    incident = open_incident(api, path, "DiskFull")
    client = TestClient(api.client.app)
    csrf = log_in(client, api.headers)

    assert client.get(f"/api/v1/incidents/{incident}").status_code == 200  # reads need none
    refused = client.post(f"/api/v1/incidents/{incident}/acknowledge")
    assert refused.status_code == 403 and CSRF_HEADER in refused.json()["message"]
    forged = client.post(
        f"/api/v1/incidents/{incident}/acknowledge", headers={CSRF_HEADER: csrf[:-2] + "xx"}
    )
    assert forged.status_code == 403
    done = client.post(
        f"/api/v1/incidents/{incident}/acknowledge",
        headers={CSRF_HEADER: csrf, "X-Request-ID": "panel-1"},
    )
    assert done.status_code == 200 and done.json()["status"] == "acknowledged"
    with api.sessions() as session:
        admin = session.exec(select(User).where(User.email == "admin@example.com")).one()
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == "incident.acknowledge")
        ).one()
    assert (entry.actor, entry.request_id) == (f"user:{admin.id}", "panel-1")
    # A bearer token needs no CSRF token: a browser never sends one on its own.
    assert api.post(f"/api/v1/incidents/{incident}/resolve").status_code == 200


def test_expired_forged_and_disabled_sessions_are_refused(api: Api) -> None:
    client = TestClient(api.client.app)
    log_in(client, api.headers)
    cookie = client.cookies[COOKIE_NAME]
    assert client.get("/api/v1/users/me").status_code == 200

    version, user, expires, signature = cookie.split(".")
    for forged in (
        f"{version}.{user}.{int(expires) + 86400}.{signature}",  # extended
        f"{version}.{'0' * 32}.{expires}.{signature}",  # someone else
        "garbage",
    ):
        probe = TestClient(api.client.app, cookies={COOKIE_NAME: forged})
        assert probe.get("/api/v1/users/me").status_code == 401
        assert probe.get("/", follow_redirects=False).status_code == 303

    other = TestClient(api.client.app)
    log_in(other, api.user(Role.RESPONDER, "gone@example.com"))
    assert other.get("/api/v1/users/me").status_code == 200
    with api.sessions() as session:
        gone = session.exec(select(User).where(User.email == "gone@example.com")).one()
        gone.active = False
        session.add(gone)
        session.commit()
    assert other.get("/api/v1/users/me").status_code == 401

    api.clock.advance(timedelta(hours=11, minutes=59))
    assert client.get("/api/v1/users/me").status_code == 200
    api.clock.advance(timedelta(minutes=1))
    assert client.get("/api/v1/users/me").status_code == 401
    assert client.get("/", follow_redirects=False).headers["location"] == "/login?next=/"


def test_logout_needs_its_csrf_token_and_ends_the_session(api: Api) -> None:
    client = TestClient(api.client.app)
    csrf = log_in(client, api.headers)
    assert client.post("/logout", data={}).status_code == 403
    out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert COOKIE_NAME not in client.cookies
    assert client.get("/", follow_redirects=False).status_code == 303
    with api.sessions() as session:
        actions = session.exec(select(AuditEntry.action)).all()
    assert "session.logout" in actions


def test_every_page_shows_the_data_with_links_between_them(api: Api) -> None:
    _, path = api.integration()
    incident = open_incident(api, path, "PodOOM", namespace="payments", pod="api-1")
    open_incident(api, path, "NodeDown", node="worker-3", severity="critical")
    run_id = api.list(f"/api/v1/incidents/{incident}/triage")["id"]
    calls = [
        {"call_id": "call-1", "tool": "k8s_describe_pod", "arguments": {"pod": "api-1"}},
        {"call_id": "call-2", "tool": "metrics_query", "arguments": {"query": "up", "minutes": 30}},
    ]
    with api.sessions() as session:
        start_run(session, run_id, now=T0)
        finish_run(session, run_id, REPORT, now=T0, usage=RunUsage(mode="none", tool_calls=calls))
        session.commit()
    ada = api.post("/api/v1/users", {"name": "Ada", "email": "ada@example.com"}).json()["user"]
    layer = {
        "name": "main",
        "participants": [ada["id"]],
        "start": T0.isoformat(),
        "turn": {"kind": "daily"},
    }
    assert (
        api.post(
            "/api/v1/schedules", {"name": "platform", "timezone": "UTC", "layers": [layer]}
        ).status_code
        == 201
    )
    client = api.client
    log_in(client, api.headers)

    overview = client.get("/", headers=HTML).text
    assert f'href="/incidents/{incident}"' in overview
    assert f'data-live-after="{T0.isoformat()}~' in overview
    assert "platform" in overview and "Ada" in overview  # on call now
    assert "determined" in overview and "Deployment payments/api" in overview

    alerts = client.get("/alerts?group=incident", headers=HTML).text
    assert alerts.count('class="group"') == 2 and 'data-key="alert-' in alerts
    assert "/inventory?kind=Pod&namespace=payments&name=api-1" in alerts
    critical = client.get("/alerts?severity=critical&group=alertname", headers=HTML).text
    assert "NodeDown" in critical and "PodOOM" not in critical
    searched = client.get("/alerts", params={"q": "nothing-like-this"}, headers=HTML).text
    assert "No alert matches" in searched

    page = client.get(f"/incidents/{incident}", headers=HTML).text
    for text in (
        "The memory limit of payments/api was cut to 256Mi",
        'href="#call-call-1"',  # evidence cites its call...
        'id="call-call-1" class="cited"',  # ...which the tool calls list
        f'data-api="POST /api/v1/incidents/{incident}/acknowledge"',
        f'data-api="POST /api/v1/incidents/{incident}/triage"',
        f'data-api="PUT /api/v1/incidents/{incident}/assignment"',
        'data-query="up"',  # the metrics_query call is charted
        'data-query="container_memory_working_set_bytes{namespace=&#34;payments&#34;,pod=~&#34;api-.*&#34;}"',
    ):
        assert text in page, text
    assert 'data-api="POST /api/v1/incidents/1/reopen"' not in page  # not allowed now

    oncall = client.get("/oncall?days=7", headers=HTML).text
    assert oncall.count('class="shift c0') == 1 and "Ada" in oncall  # from T0 on, Ada always
    assert oncall.count("shift gap") == 1 and "Sun 22 10:00 UTC" in oncall  # before it, nobody
    inventory = client.get("/inventory?kind=Pod&unhealthy=true", headers=HTML).text
    assert "No cluster is synced yet" in inventory
    missing = client.get("/incidents/999", headers=HTML)
    assert (
        missing.status_code == 404 and "does not exist" in missing.text and "<html" in missing.text
    )
    assert client.get("/api/v1/incidents/999").json()["error"] == "not_found"  # JSON for the API


def test_a_viewer_sees_no_buttons_and_the_api_refuses_its_actions(api: Api) -> None:
    _, path = api.integration()
    incident = open_incident(api, path, "PodOOM")
    client = TestClient(api.client.app)
    csrf = log_in(client, api.user(Role.VIEWER, "viewer@example.com"))
    page = client.get(f"/incidents/{incident}", headers=HTML).text
    assert "data-api=" not in page and "Acknowledge" not in page
    refused = client.post(f"/api/v1/incidents/{incident}/acknowledge", headers={CSRF_HEADER: csrf})
    assert refused.status_code == 403 and "responder" in refused.json()["message"]


def test_the_live_feed_sends_each_change_once(api: Api) -> None:
    feed = LiveFeed(api.sessions, api.clock, poll_s=1, stream_s=10)
    start, sent = feed.start(None)
    assert feed.poll(start, sent)[0] == []

    _, path = api.integration()
    api.clock.advance(timedelta(seconds=1))
    incident = open_incident(api, path, "PodOOM")
    events, cursor = feed.poll(start, sent)
    assert [e.kind for e in events] == ["alert", "incident"]
    assert events[0].data["incident_id"] == incident
    assert events[1].data["incident"]["id"] == incident
    assert {e["kind"] for e in events[1].data["entries"]} >= {"opened", "alert_added"}
    assert feed.poll(cursor, sent)[0] == []  # read again within the overlap, not sent again

    api.clock.advance(timedelta(seconds=1))
    assert api.post(f"/api/v1/incidents/{incident}/acknowledge").status_code == 200
    events, cursor = feed.poll(cursor, sent)
    assert [(e.kind, e.data["incident"]["status"]) for e in events] == [
        ("incident", "acknowledged")
    ]

    assert Cursor.decode(cursor.encode()) == cursor
    assert Cursor.decode("nonsense") is None and Cursor.decode(None) is None


@pytest.fixture
def live_api(engine: Engine) -> Iterator[tuple[TestClient, Api]]:
    """An app whose live streams poll fast and end after a second."""
    clock = ManualClock(T0)
    settings = Settings(web=WebSettings(live_poll_s=0.1, live_stream_s=1))
    app = create_app(settings, engine=engine, metrics=Metrics("test"), version="t", clock=clock)
    with TestClient(app) as client:
        from core.db.engine import make_session_factory

        helper = Api(client=client, clock=clock, sessions=make_session_factory(engine), headers={})
        helper.headers = helper.user(Role.ADMIN, "admin@example.com")
        yield client, helper


def events_of(text: str) -> list[tuple[str, str]]:
    found = re.findall(r"id: (\S+)\nevent: (\w+)\n", text)
    return [(kind, event_id) for event_id, kind in found]


def test_the_events_stream_resumes_after_its_last_event_id(
    live_api: tuple[TestClient, Api],
) -> None:
    client, helper = live_api
    with client.stream("GET", "/api/v1/events", headers=helper.headers) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        quiet = stream.read().decode()
    assert quiet.startswith("retry: 3000") and events_of(quiet) == []
    assert client.get("/api/v1/events").status_code == 401

    before = Cursor(helper.clock.now() - timedelta(seconds=1), 0).encode()
    _, path = helper.integration()
    open_incident(helper, path, "PodOOM")
    resumed = client.get("/api/v1/events", headers=helper.headers | {"Last-Event-ID": before})
    kinds = [kind for kind, _ in events_of(resumed.text)]
    assert kinds == ["alert", "incident"]
    # A page's first stream starts at the cursor the page was rendered with.
    first = client.get("/api/v1/events", params={"after": before}, headers=helper.headers)
    assert [kind for kind, _ in events_of(first.text)] == kinds
    last = Cursor.decode(events_of(resumed.text)[-1][1])
    assert last is not None
    again = client.get("/api/v1/events", headers=helper.headers | {"Last-Event-ID": last.encode()})
    assert [kind for kind, _ in events_of(again.text)] == kinds  # the overlap, sent again
    later = Cursor(last.alerts_since + timedelta(seconds=11), last.timeline_id + 100).encode()
    silent = client.get("/api/v1/events", headers=helper.headers | {"Last-Event-ID": later})
    assert events_of(silent.text) == []


def test_the_alert_volume_counts_new_alerts_per_hour_and_severity(api: Api) -> None:
    _, path = api.integration()
    open_incident(api, path, "A", severity="critical")
    api.clock.advance(timedelta(hours=2))
    open_incident(api, path, "B", severity="warning")
    open_incident(api, path, "C", severity="warning")
    volume = api.list("/api/v1/alerts/volume", hours=6, step_minutes=60)
    assert volume["step_s"] == 3600 and len(volume["buckets"]) == 6
    counts = [b["counts"] for b in volume["buckets"]]
    assert counts[-3:] == [{"critical": 1}, {}, {"warning": 2}]
    assert datetime.fromisoformat(volume["buckets"][-1]["start"]) == T0 + timedelta(hours=2)
    assert (
        api.client.get(
            "/api/v1/alerts/volume", params={"hours": 744, "step_minutes": 1}, headers=api.headers
        ).status_code
        == 422
    )


class FakeMetrics:
    """A metrics backend with one series."""

    async def query(self, promql: str, *, at: datetime | None = None) -> list[MetricSample]:
        raise NotImplementedError

    async def query_range(
        self, promql: str, *, start: datetime, end: datetime, step: timedelta
    ) -> list[MetricSeries]:
        assert step == timedelta(seconds=15)
        points = (MetricPoint(at=start, value=1.0), MetricPoint(at=end, value=2.5))
        return [MetricSeries(labels={"__name__": promql, "pod": "api-1"}, points=points)]

    async def series(
        self, match: Sequence[str], *, start: datetime | None = None, end: datetime | None = None
    ) -> list[dict[str, str]]:
        raise NotImplementedError


def test_metric_series_come_from_the_backend_or_say_there_is_none(engine: Engine, api: Api) -> None:
    missing = api.client.get(
        "/api/v1/metrics/query_range", params={"query": "up"}, headers=api.headers
    )
    assert missing.status_code == 503 and "no metrics backend" in missing.json()["message"]
    app = create_app(
        Settings(),
        engine=engine,
        metrics=Metrics("t"),
        version="t",
        clock=api.clock,
        metrics_source=FakeMetrics(),
    )
    with TestClient(app) as client:
        answer = client.get(
            "/api/v1/metrics/query_range",
            params={"query": "up", "minutes": 30},
            headers=api.headers,
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["step_s"] == 15 and body["series"][0]["labels"]["pod"] == "api-1"
    start = (T0 - timedelta(minutes=30)).timestamp()
    assert body["series"][0]["points"] == [[start, 1.0], [T0.timestamp(), 2.5]]
