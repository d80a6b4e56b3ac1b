"""The web panel in Chromium against the real demo: a lab fault becomes an incident live.

One story, as an on-call responder lives it: log in with an API token, watch the alerts page
while the lab's OOM-killed deployment starts crash looping, see its alerts appear without a
reload, open the incident, read the triage report and the metrics behind it, acknowledge it.
The acknowledgement is checked where the API keeps it (the incident and the audit log, by the
responder), and every page leaves a screenshot under artifacts/screenshots/.
"""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx2
import pytest

from tests.e2e.test_cli import free_port, run, started, stop, wait_for
from tests.integration.test_runbooks_api import ETCD

if TYPE_CHECKING:
    from playwright.sync_api import Browser, FilePayload, Page

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

# The image that cannot be pulled is an incident from the start; the OOM-killed deployment's
# pods start crash looping 15 minutes before the lab's start and KubePodCrashLooping fires
# 15 minutes after that plus its `for`, about 106 s into the demo: after the page is open.
DEMO_CONFIG = """
lab:
  tick_s: 0.5
  group_wait_s: 0
  faults:
    - fault: k8s.image_pull
      at_s: -1080
    - fault: k8s.oom_kill
      target: {namespace: payments, deployment: api}
      at_s: -900
web:
  live_poll_s: 0.5
"""
LIVE_ALERT = "KubePodCrashLooping"


@dataclass
class Demo:
    """The running demo, its people and their tokens."""

    base: str
    admin_token: str
    responder_token: str
    responder_id: str
    started: float

    def get(self, path: str, **params: Any) -> Any:
        answer = httpx2.get(
            self.base + path,
            params=params,
            headers={"Authorization": f"Bearer {self.admin_token}"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def post(self, path: str, body: Any) -> Any:
        answer = httpx2.post(
            self.base + path,
            json=body,
            headers={"Authorization": f"Bearer {self.admin_token}"},
            timeout=10,
        )
        assert answer.status_code in (200, 201), answer.text
        return answer.json()


def create_user(cwd: Path, name: str, email: str, role: str) -> tuple[str, str]:
    created = run("users", "create", "--name", name, "--email", email, "--role", role, cwd=cwd)
    assert created.returncode == 0, created.stderr
    user_id = re.search(r"\(([0-9a-f-]{36})\)", created.stdout)
    assert user_id is not None, created.stdout
    return user_id.group(1), created.stdout.split("API token (shown once): ")[1].strip()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    cwd = tmp_path_factory.mktemp("demo")
    (cwd / "demo.yaml").write_text(DEMO_CONFIG)
    ada, admin_token = create_user(cwd, "Ada Lovelace", "ada@example.com", "admin")
    grace, responder_token = create_user(cwd, "Grace Hopper", "grace@example.com", "responder")
    port = free_port()
    launched = time.monotonic()
    with started(
        "--config",
        "demo.yaml",
        "demo",
        "--port",
        str(port),
        cwd=cwd,
        PIXELVIEW_LLM__PROVIDER="none",
    ) as process:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/readyz", process, timeout_s=90)
        running = Demo(base, admin_token, responder_token, grace, launched)
        midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        layer = {
            "name": "primary",
            "participants": [grace, ada],
            "start": midnight.isoformat(),
            "turn": {"kind": "daily"},
        }
        running.post(
            "/api/v1/schedules", {"name": "platform", "timezone": "UTC", "layers": [layer]}
        )
        yield running
        output = stop(process, signal.SIGINT)
        assert process.returncode == 0, output
        assert "Traceback" not in output, output


def login(page: Page, base: str, token: str) -> None:
    page.goto(base + "/alerts")
    assert "/login?next=/alerts" in page.url
    page.fill("#token", "pvu_not-a-token")
    page.click("button[type=submit]")
    assert "unknown" in page.inner_text(".error")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/alerts")


def watched_page(
    browser: Browser, *, expected: set[tuple[str, str, int]] | None = None
) -> tuple[Page, list[str]]:
    """A page, and the problems it meets: script errors, console errors, HTTP errors.

    `expected` holds the (method, path ending, status) of error answers caused on purpose.
    """
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}")
            if response.status >= 400
            and not any(
                (response.request.method, response.status) == (method, status)
                and response.url.endswith(path)
                for method, path, status in expected or ()
            )
            else None
        ),
    )
    return page, problems


def test_a_lab_fault_appears_live_is_triaged_and_acknowledged(
    browser: Browser, demo: Demo, screenshots: Path
) -> None:
    page, problems = watched_page(
        browser,
        expected={  # all on purpose below
            ("POST", "/login", 401),
            ("POST", "/resolve", 403),
            ("DELETE", "/api/v1/runbooks/k8s-oom-killed", 409),
        },
    )

    page.goto(demo.base + "/")
    page.screenshot(path=screenshots / "login.png")
    login(page, demo.base, demo.responder_token)

    # The alerts page, open before the fault's alerts fire; nothing reloads it.
    page.wait_for_selector("#live-state:has-text('live')")
    rows = page.locator(f"tr.alert-row:has-text('{LIVE_ALERT}')")
    assert rows.count() == 0, (
        f"{LIVE_ALERT} was there before the page opened: the demo took "
        f"{time.monotonic() - demo.started:.0f} s to start"
    )
    page.evaluate("window.__stillTheSamePage = true")
    rows.first.wait_for(timeout=180_000)
    assert page.evaluate("window.__stillTheSamePage") is True
    assert page.locator(f"tr.alert-row.fresh:has-text('{LIVE_ALERT}')").count() >= 1
    page.screenshot(path=screenshots / "alerts-live.png", full_page=True)

    # Its incident: the triage report with its evidence and the calls it cites.
    rows.first.locator("a.incident-link").click()
    page.wait_for_url(re.compile(r"/incidents/\d+$"))
    incident_id = int(page.url.rsplit("/", 1)[1])
    page.wait_for_selector("#triage .verdict-determined", timeout=90_000)
    triage = page.inner_text("#triage")
    assert "resource.memory" in triage and "Deployment payments/api" in triage
    assert "OOMKilled" in triage
    cite = page.locator("#triage a.cite").first
    assert re.fullmatch(r"k8s_analyze · t\d+", cite.inner_text().strip())
    assert page.locator(str(cite.get_attribute("href"))).count() == 1  # #call-t1, the call
    page.wait_for_selector(".chart canvas", timeout=30_000)  # the metrics behind the finding

    # A request without the CSRF header is refused, even with the session cookie.
    refused = page.evaluate(
        f"fetch('/api/v1/incidents/{incident_id}/resolve', {{method: 'POST'}}).then(r => r.status)"
    )
    assert refused == 403

    page.get_by_role("button", name="Acknowledge", exact=True).click()
    page.wait_for_selector(".incident-head .status-acknowledged")
    timeline = page.inner_text("[data-live=timeline]")
    assert "triggered → acknowledged" in timeline and "Grace Hopper" in timeline
    page.screenshot(path=screenshots / "incident.png", full_page=True)
    for cited in page.locator("#triage a.runbook-link").all():  # the report's runbooks
        assert re.fullmatch(r"/runbooks/[a-z0-9-]+#[a-z0-9-]*", str(cited.get_attribute("href")))

    # What the panel did, the API did: the incident and the audit log say who.
    incident = demo.get(f"/api/v1/incidents/{incident_id}")
    assert incident["status"] == "acknowledged"
    assert incident["acknowledged_by"] == f"user:{demo.responder_id}"
    audit = demo.get("/api/v1/audit", target_type="incident", target_id=str(incident_id))
    assert [(a["action"], a["actor"]) for a in audit if a["action"] == "incident.acknowledge"] == [
        ("incident.acknowledge", f"user:{demo.responder_id}")
    ]
    logins = demo.get("/api/v1/audit", target_type="user", target_id=demo.responder_id)
    assert "session.login" in [a["action"] for a in logins]

    # Every other page, with a screenshot.
    page.goto(demo.base + "/")
    page.wait_for_selector("[data-chart=volume] canvas")
    assert "Grace Hopper" in page.inner_text("[data-live=oncall]")
    assert page.locator("[data-live=incidents] tr").count() >= 3  # header, two incidents
    page.screenshot(path=screenshots / "overview.png", full_page=True)

    page.goto(demo.base + "/alerts?group=incident")
    assert page.locator("tr.group").count() >= 2
    page.screenshot(path=screenshots / "alerts.png", full_page=True)

    page.goto(demo.base + "/oncall")
    assert "platform" in page.inner_text("main")
    assert page.locator(".strip .shift:not(.gap)").count() >= 7
    page.screenshot(path=screenshots / "oncall.png", full_page=True)

    page.goto(demo.base + "/inventory")
    page.wait_for_selector("text=lab")
    page.goto(demo.base + "/inventory?unhealthy=true&namespace=shop")
    assert "ImagePullBackOff" in page.inner_text("table.objects")
    page.screenshot(path=screenshots / "inventory.png", full_page=True)

    ask_in_the_chat(page, demo.base, screenshots)
    read_and_upload_runbooks(page, demo.base, screenshots)

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login$"))
    page.goto(demo.base + "/")
    assert "/login" in page.url
    assert problems == []


CHAT_QUESTION = "which pods in payments restart most?"
ORDER = """
window.__chatOrder = [];
new MutationObserver((records) => {
  for (const record of records) for (const node of record.addedNodes) {
    if (node.classList?.contains("chat-step")) window.__chatOrder.push("tool_call");
    else if (node.classList?.contains("step-result")) window.__chatOrder.push("tool_result");
    else if (node.classList?.contains("chat-answer")) window.__chatOrder.push("answer");
  }
}).observe(document.getElementById("conversation"), {childList: true, subtree: true});
"""


def ask_in_the_chat(page: Page, base: str, screenshots: Path) -> None:
    """Mode `none` answers through the same tools and the same stream as a model would."""
    page.goto(base + "/chat")
    page.evaluate(ORDER)
    page.fill("#question", CHAT_QUESTION)
    page.get_by_role("button", name="Ask", exact=True).click()
    page.wait_for_selector(".chat-answer", timeout=60_000)
    page.wait_for_url(re.compile(r"/chat/\d+$"))  # the first question started a thread
    assert page.evaluate("window.__chatOrder") == ["tool_call", "tool_result", "answer"]
    step = page.inner_text(".chat-step")
    assert "k8s_list_pods" in step and 'namespace="payments"' in step and "ok" in step
    answer = page.inner_text(".chat-answer")
    assert "The pods that restart most in namespace payments [t1]" in answer
    assert "OOMKilled" in answer and "mode none" in answer
    pod = page.locator(".chat-answer a.link-resource").first
    assert str(pod.get_attribute("href")).startswith("/inventory?")
    assert page.locator(f"#threads a:has-text('{CHAT_QUESTION}')").count() == 1
    page.screenshot(path=screenshots / "chat.png", full_page=True)

    page.reload()  # the stored thread, read back from the API
    page.wait_for_selector("#conversation[data-loaded=true] .chat-answer")
    assert page.inner_text(".chat-answer") == answer
    assert "k8s_list_pods" in page.inner_text(".chat-step")
    pod.click()
    page.wait_for_url(re.compile(r"/inventory\?.*kind=Pod"))
    assert "payments" in page.inner_text("table.objects")


# The scripted model's answers (`llm.script_file`): one tool call, then an answer that cites it.
CHAT_SCRIPT = """\
- call: runbook_search
  args: {query: pods OOMKilled exit code 137}
- say: Raise the memory limit once you know it needs more, as runbook k8s-oom-killed says [t1].
"""
SCRIPTED_QUESTION = "how do I fix pods that are OOMKilled?"


@pytest.fixture(scope="module")
def scripted_panel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`pixelview serve` whose model is `scripted` (no triage on open: the script is the chat's)."""
    cwd = tmp_path_factory.mktemp("scripted")
    (cwd / "answers.yaml").write_text(CHAT_SCRIPT)
    (cwd / "pixelview.yaml").write_text(
        f"llm:\n  provider: scripted\n  script_file: {cwd / 'answers.yaml'}\n"
        "triage:\n  on_open: false\n"
    )
    _, token = create_user(cwd, "Grace Hopper", "grace@example.com", "responder")
    port = free_port()
    with started("--config", "pixelview.yaml", "serve", "--port", str(port), cwd=cwd) as process:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/readyz", process, timeout_s=90)
        yield base, token
        output = stop(process, signal.SIGINT)
        assert process.returncode == 0, output
        assert "Traceback" not in output, output


def test_a_scripted_models_chat_streams_its_tool_step_and_answer(
    browser: Browser, scripted_panel: tuple[str, str], screenshots: Path
) -> None:
    base, token = scripted_panel
    page, problems = watched_page(browser)
    page.goto(base + "/login?next=/chat")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/chat")
    page.evaluate(ORDER)
    page.fill("#question", SCRIPTED_QUESTION)
    page.get_by_role("button", name="Ask", exact=True).click()
    page.wait_for_selector(".chat-answer", timeout=60_000)
    page.wait_for_url(re.compile(r"/chat/\d+$"))
    assert page.evaluate("window.__chatOrder") == ["tool_call", "tool_result", "answer"]
    step = page.inner_text(".chat-step")
    assert "runbook_search" in step and 'query="pods OOMKilled exit code 137"' in step
    assert "ok" in step
    assert page.locator(".chat-step a.link-runbook").count() >= 1  # the sections it found
    answer = page.inner_text(".chat-answer")
    assert "as runbook k8s-oom-killed says [t1]" in answer and "mode scripted" in answer
    assert page.locator(".chat-answer a.cite").count() == 1  # [t1], the call it cites
    runbook = page.locator(".chat-answer a.link-runbook").first
    assert str(runbook.get_attribute("href")).startswith("/runbooks/k8s-oom-killed")
    page.screenshot(path=screenshots / "chat-scripted.png", full_page=True)
    runbook.click()
    page.wait_for_url(re.compile(r"/runbooks/k8s-oom-killed"))
    page.wait_for_selector("section#remediation h2")
    assert problems == []


# An upload whose markdown holds HTML: the page shows it as text.
RUNBOOK = ETCD.replace("dedicated SSD.", "dedicated SSD <b>not bold</b>.")


def read_and_upload_runbooks(page: Page, base: str, screenshots: Path) -> None:
    page.goto(base + "/runbooks")
    assert page.locator("table.runbooks a:has-text('k8s-oom-killed')").count() == 1
    page.fill("input[name=q]", "pods OOMKilled")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_selector("#search-results a[href^='/runbooks/k8s-oom-killed#']")
    page.screenshot(path=screenshots / "runbooks.png", full_page=True)

    page.locator("#search-results a[href^='/runbooks/k8s-oom-killed#']").first.click()
    page.wait_for_selector("section#remediation h2")
    page.screenshot(path=screenshots / "runbook.png", full_page=True)
    page.get_by_role("button", name="Delete", exact=True).click()  # a folder runbook: 409
    page.wait_for_selector("#toast.error")
    assert "reload" in page.inner_text("#toast")

    page.goto(base + "/runbooks")
    upload: FilePayload = {
        "name": "etcd-disk.md",
        "mimeType": "text/markdown",
        "buffer": RUNBOOK.encode(),
    }
    page.set_input_files("#upload input[type=file]", files=[upload])
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_selector("table.runbooks a:has-text('etcd-disk')")
    page.goto(base + "/runbooks/etcd-disk")
    assert "<b>not bold</b>" in page.inner_text("section#remediation")  # text, never HTML
    page.get_by_role("button", name="Delete", exact=True).click()
    page.wait_for_url(base + "/runbooks")
    assert page.locator("table.runbooks a:has-text('etcd-disk')").count() == 0
