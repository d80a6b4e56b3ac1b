"""Mentions and DMs answered by the real chat runner (mode `none`, a lab cluster), in threads.

The bot keys each conversation by Slack channel and thread: replies in a thread continue the
chat thread it started, whoever asks, and each question is recorded as asked by the PixelView
user behind the Slack user (or by the Slack user, when PixelView does not know them).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from agents.chat import ChatRunner
from core.clock import ManualClock
from core.db.engine import make_session_factory
from incidents.chat import list_messages
from incidents.models.chat import ChatThread
from lab.kube.port import LabKubernetes
from tests.integration.conftest import T0
from tests.integration.slack_bot import SlackRig, slack_rig
from tests.unit.lab_tools import oom_world


@pytest.fixture
def rig(engine: Engine, database_url: str) -> Iterator[SlackRig]:
    runner = ChatRunner(
        sessions=make_session_factory(engine),
        database_url=database_url,
        clock=ManualClock(T0),
        kubernetes={"lab": LabKubernetes(oom_world().kube)},
    )
    with slack_rig(engine, runner) as made:
        yield made


def test_a_mention_gets_the_runners_answer_and_steps_in_its_thread(rig: SlackRig) -> None:
    rig.mention("U_ADA", "which pods in payments restart most?", "1700000100.000100")
    [answer] = rig.slack.wait_for("chat.postMessage", timeout_s=60)
    assert answer.args["thread_ts"] == "1700000100.000100"
    assert "restart" in answer.args["text"]
    footer = answer.args["blocks"][-1]["elements"][0]["text"]
    assert footer.startswith("mode none · Steps:\nt1 k8s_list_pods(namespace=payments) → ok:")

    rig.mention(
        "U_EVE",
        "which pods are failing in payments?",
        "1700000200.000200",
        thread_ts="1700000100.000100",
    )
    second = rig.slack.wait_for("chat.postMessage", 2, timeout_s=60)[1]
    assert second.args["thread_ts"] == "1700000100.000100"
    with rig.api.sessions() as session:
        [thread] = session.exec(select(ChatThread)).all()
        assert (thread.channel, thread.external_key) == ("slack", "C_OPS:1700000100.000100")
        assert thread.owner == "slack:U_ADA" and thread.id is not None
        messages = list_messages(session, thread.id)
    assert [(m.asked_by, m.status) for m in messages] == [
        (f"user:{rig.users['Ada']}", "answered"),
        ("slack:U_EVE", "answered"),
    ]
    assert "t2" in second.args["blocks"][-1]["elements"][0]["text"]  # call ids go on per thread
