"""`pixelview serve` with the Slack bot on: an alert's incident reaches Slack, a click acts on it.

The whole path in one real process: the Alertmanager webhook opens the incident, the
in-process worker posts it to the integration's channel (a fake Slack Web API on loopback), a
signed button click acknowledges it as the Slack user's PixelView user and updates the message,
and a mention is answered in its thread by the chat runner.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from urllib.parse import urlencode

import httpx2

from tests.e2e.test_cli import create_user, free_port, started, stop, wait_for
from tests.fakes.slack import TEAM, FakeSlack, sign
from tests.integration.test_ingest_api import am_alert, am_group

SECRET = "e2e-signing-secret"


def test_an_incident_is_posted_to_slack_and_a_click_acknowledges_it(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    (tmp_path / "runbooks").mkdir()  # no runbooks to embed at start: a faster start
    with FakeSlack(emails={"U_ADA": "ada@example.com"}) as slack:
        settings = {
            "PIXELVIEW_DATA_DIR": str(tmp_path / "data"),
            "PIXELVIEW_WORKER__POLL_INTERVAL_S": "0.1",
            "PIXELVIEW_LLM__PROVIDER": "none",
            "PIXELVIEW_MEMORY__RUNBOOKS_DIR": str(tmp_path / "runbooks"),
            "PIXELVIEW_SLACK__MODE": "http",
            "PIXELVIEW_SLACK__BOT_TOKEN": "xoxb-e2e",
            "PIXELVIEW_SLACK__SIGNING_SECRET": SECRET,
            "PIXELVIEW_SLACK__BASE_URL": slack.base_url,
        }
        with started("serve", "--port", str(port), cwd=tmp_path, **settings) as api:
            wait_for(f"{base}/readyz", api)
            create_user(tmp_path, "Ada", "ada@example.com", "responder", **settings)
            token = create_user(tmp_path, "Root", "root@example.com", "admin", **settings)
            auth = {"Authorization": f"Bearer {token}"}
            spec = {"name": "am", "source": "alertmanager", "slack_channel": "C_OPS"}
            integration = httpx2.post(f"{base}/api/v1/integrations", json=spec, headers=auth)
            assert integration.status_code == 201, integration.text
            alert = am_group(am_alert("DiskFull", severity="critical", instance="db-1"))
            accepted = httpx2.post(base + integration.json()["webhook_path"], json=alert)
            incident = accepted.json()["alerts"][0]["incident_id"]

            [card] = slack.wait_for("chat.postMessage", timeout_s=30)  # by the worker
            assert card.token == "xoxb-e2e" and card.args["channel"] == "C_OPS"
            ts = "1700000000.000001"
            payload = {
                "type": "block_actions",
                "team": {"id": TEAM},
                "user": {"id": "U_ADA"},
                "channel": {"id": "C_OPS"},
                "container": {"type": "message", "channel_id": "C_OPS", "message_ts": ts},
                "message": {"ts": ts},
                "actions": [{"action_id": "pixelview.acknowledge", "value": str(incident)}],
            }
            body = urlencode({"payload": json.dumps(payload)}).encode()
            headers = sign(SECRET, body) | {"Content-Type": "application/x-www-form-urlencoded"}
            clicked = httpx2.post(f"{base}/slack/events", content=body, headers=headers)
            assert clicked.status_code == 200
            [update] = slack.wait_for("chat.update", timeout_s=30)
            assert update.args["ts"] == ts and update.args["text"].endswith("(acknowledged)")
            state = httpx2.get(f"{base}/api/v1/incidents/{incident}", headers=auth).json()
            assert state["status"] == "acknowledged"

            event = {
                "type": "event_callback",
                "team_id": TEAM,
                "event": {
                    "type": "app_mention",
                    "user": "U_ADA",
                    "text": "<@UBOT> which incidents are open?",
                    "ts": "1700000500.000500",
                    "channel": "C_OPS",
                },
            }
            body = json.dumps(event).encode()
            headers = sign(SECRET, body) | {"Content-Type": "application/json"}
            assert httpx2.post(f"{base}/slack/events", content=body, headers=headers).is_success
            [answer] = slack.wait_for(
                "chat.postMessage",
                timeout_s=60,
                where=lambda c: c.args.get("thread_ts") == "1700000500.000500",
            )
            assert f"incident {incident} (critical, acknowledged)" in answer.args["text"]

            output = stop(api, signal.SIGTERM)
            assert api.returncode == 0, output
            assert "xoxb-e2e" not in output and SECRET not in output
