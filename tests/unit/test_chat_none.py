"""Chat without a model: the documented questions, answered through the tools, step by step."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from agents.chat import AnswerStep, IncidentLink, ResourceLink, RunbookLink, ToolResultStep
from agents.chat.deterministic import CAN_ANSWER, NOT_UNDERSTOOD
from incidents.models.people import User
from incidents.models.triage import TriageRun
from incidents.reader import OnCall
from incidents.triage_report import Evidence, RecommendedAction, ResourceRef, TriageReport
from lab.kube.port import LabKubernetes
from tests.fakes.incidents import StaticIncidents, alert, incident
from tests.unit.chat_lab import answer, calls, chat_on, kinds, of
from tests.unit.lab_tools import oom_world
from tests.unit.supervisor_lab import faulty_world
from tests.unit.test_memory_tools import oom_memory

API = ResourceRef(cloud="kubernetes", kind="Deployment", namespace="payments", name="api")


def pod_links(step: AnswerStep | ToolResultStep) -> list[str]:
    links = [link for link in step.links if isinstance(link, ResourceLink)]
    return [f"{link.namespace}/{link.name}@{link.cluster}" for link in links]


def test_which_pods_restart_most_lists_them_with_their_restarts_links_and_call() -> None:
    steps = chat_on(oom_world()).ask("Which pods in payments restart most?")

    assert kinds(steps) == ["tool_call", "tool_result", "answer"]
    assert calls(steps) == [("t1", "k8s_list_pods", {"namespace": "payments"})]
    [result] = of(steps, ToolResultStep)
    assert (result.call_id, result.ok, result.summary) == ("t1", True, "7 of 7 pods")
    assert len(result.links) == 7  # every pod listed is a link
    said = answer(steps)
    assert said.mode == "none" and said.citations == ["t1"] and said.flags == []
    assert said.text.startswith("The pods that restart most in namespace payments [t1]:")
    assert said.text.count("7 restarts") == 3 and "OOMKilled, exit 137" in said.text
    assert "ledger" not in said.text  # pods that never restarted are not listed
    assert pod_links(said) == [
        f"payments/{line.split(':')[0].split('/')[1]}@lab" for line in said.text.splitlines()[1:]
    ]


def test_a_follow_up_refers_back_and_its_call_ids_go_on() -> None:
    chat = chat_on(oom_world())
    chat.ask("which pods in payments restart most?")
    steps = chat.ask("and which pods are failing there?")

    assert calls(steps) == [
        ("t2", "k8s_list_pods", {"namespace": "payments", "status": "unhealthy"}),
        ("t3", "k8s_analyze", {"namespace": "payments"}),
    ]
    said = answer(steps)
    assert "3 pods in namespace payments are not running or not ready [t2]:" in said.text
    assert "Likely cause (resource.memory): Deployment payments/api" in said.text
    assert said.citations == ["t2", "t3"]
    assert ResourceLink(**API.model_dump(), cluster="lab") in said.links
    state = chat.state()
    assert state["calls"] == 3 and state["focus"]["namespace"] == "payments"
    assert [t["question"] for t in state["turns"]] == [
        "which pods in payments restart most?",
        "and which pods are failing there?",
    ]


def test_nodes_not_ready_names_the_node_and_its_condition() -> None:
    world = faulty_world("k8s.node_not_ready", {"node": "k8s-worker-02"})
    steps = chat_on(world).ask("which nodes are not ready?")

    assert calls(steps) == [("t1", "k8s_list_nodes", {"problems_only": True})]
    said = answer(steps)
    assert said.text.splitlines()[0] == "1 node(s) not Ready [t1]:"
    assert "- k8s-worker-02: NotReady (" in said.text and "Kubelet stopped posting" in said.text
    assert said.links == [
        ResourceLink(cloud="kubernetes", kind="Node", name="k8s-worker-02", cluster="lab")
    ]
    healthy = answer(chat_on(faulty_world(None)).ask("any nodes down?"))
    assert healthy.text == "Every node is Ready. [t1]" and healthy.links == []


def test_a_question_across_clusters_reads_each_and_says_which() -> None:
    sick, healthy = oom_world(), faulty_world(None)
    clusters = {"east": LabKubernetes(sick.kube), "west": LabKubernetes(healthy.kube)}
    chat = chat_on(sick, clusters=clusters)
    steps = chat.ask("which pods restart most in payments?")

    assert calls(steps) == [
        ("t1", "k8s_list_pods", {"namespace": "payments", "cluster": "east"}),
        ("t2", "k8s_list_pods", {"namespace": "payments", "cluster": "west"}),
    ]
    said = answer(steps)
    assert said.text.startswith("The pods that restart most in namespace payments of clusters")
    assert "(cluster east): 7 restarts" in said.text and "(cluster west)" not in said.text
    assert {link.cluster for link in said.links if isinstance(link, ResourceLink)} == {"east"}
    one = chat.ask("what is wrong in payments in cluster west?")
    assert calls(one) == [("t3", "k8s_analyze", {"namespace": "payments", "cluster": "west"})]
    assert answer(one).text == (
        "PixelView's checks found no problem in namespace payments of cluster west. [t3]"
    )


def test_what_is_wrong_in_a_namespace_runs_the_checks() -> None:
    steps = chat_on(oom_world()).ask("What is wrong in payments?")
    assert calls(steps) == [("t1", "k8s_analyze", {"namespace": "payments"})]
    said = answer(steps)
    assert "- resource.memory: Deployment payments/api: container api is OOMKilled" in said.text
    assert "Proposed: kubernetes.set_memory_limit." in said.text
    assert said.links == [ResourceLink(**API.model_dump(), cluster="lab")]


def triaged_incidents() -> tuple[StaticIncidents, int]:
    world = oom_world()
    now = world.clock.now()
    first = incident(42, title="KubePodCrashLooping payments/api", at=now, service="payments")
    first.labels = {"alertname": "KubePodCrashLooping", "namespace": "payments"}
    first.status = "triggered"
    other = incident(43, title="DiskFull", at=now - timedelta(minutes=5))
    other.severity, other.status = "warning", "acknowledged"
    report = TriageReport(
        status="determined",
        summary="payments/api is OOMKilled at its 256Mi memory limit.",
        root_cause=API,
        category="resource.memory",
        confidence=0.95,
        evidence=[Evidence(summary="OOMKilled", tool="k8s_analyze", call_id="t1", excerpt="x")],
        recommended_actions=[
            RecommendedAction(
                action="kubernetes.set_memory_limit",
                params={"namespace": "payments", "deployment": "api", "memory_limit": "512Mi"},
            )
        ],
        mode="none",
    )
    run = TriageRun(
        id=7,
        incident_id=42,
        status="succeeded",
        trigger="opened",
        requested_by="system",
        mode="none",
        report=report.model_dump(mode="json"),
        created_at=now,
        finished_at=now,
    )
    alice = User(
        name="Alice", email="alice@example.com", role="responder", token_hash="a", created_at=now
    )
    reader = StaticIncidents(
        [first, other],
        [alert(1, first, summary="api pods crash looping"), alert(2, other, summary="disk 97%")],
        triage=[run],
        on_call=[OnCall(schedule="primary", people=[alice]), OnCall(schedule="db", people=[])],
    )
    return reader, 42


def test_what_is_wrong_with_an_incident_tells_its_state_and_triage_report() -> None:
    reader, number = triaged_incidents()
    steps = chat_on(oom_world(), incidents=reader).ask(f"What is wrong with incident {number}?")

    assert calls(steps) == [
        ("t1", "incident_get", {"incident_id": 42}),
        ("t2", "incident_triage", {"incident_id": 42}),
    ]
    said = answer(steps)
    lines = said.text.splitlines()
    assert lines[0].startswith("Incident 42: KubePodCrashLooping payments/api (critical, triggered")
    assert lines[1].startswith(
        "Triage (none, 2026-11-16T10:00:00Z (0s ago)): root cause Deployment payments/api "
        "(resource.memory), confidence 0.95. [t2]"
    )
    assert lines[2] == "payments/api is OOMKilled at its 256Mi memory limit."
    assert "kubernetes.set_memory_limit" in lines[3] and "not run" in lines[3]
    assert said.links == [IncidentLink(incident_id=42), ResourceLink(**API.model_dump())]
    assert said.citations == ["t1", "t2"]


def test_an_incident_never_triaged_shows_its_alerts_and_an_unknown_one_says_so() -> None:
    reader, _ = triaged_incidents()
    chat = chat_on(oom_world(), incidents=reader)
    steps = chat.ask("summarize incident #43")
    assert [c[1] for c in calls(steps)] == ["incident_get", "incident_triage", "incident_alerts"]
    text = answer(steps).text
    assert "It has not been triaged yet." in text and "- disk 97% (firing, warning)" in text
    missing = answer(chat.ask("what is wrong with incident 99?"))
    assert missing.text == "I could not read incident 99: incident 99 not found [t4]"
    assert missing.links == []


def test_open_incidents_most_severe_first_and_by_severity() -> None:
    reader, _ = triaged_incidents()
    chat = chat_on(oom_world(), incidents=reader)
    said = answer(chat.ask("which incidents are open?"))
    assert said.text.splitlines()[1:] == [
        "- incident 42 (critical, triggered, service payments): KubePodCrashLooping payments/api; "
        "opened 2026-11-16T10:00:00Z (0s ago)",
        "- incident 43 (warning, acknowledged): DiskFull; opened 2026-11-16T09:55:00Z (5m ago)",
    ]
    assert said.links == [IncidentLink(incident_id=42), IncidentLink(incident_id=43)]
    steps = chat.ask("list the open warning incidents")
    assert calls(steps)[0][2] == {"severity": ["warning"]}
    assert answer(steps).links == [IncidentLink(incident_id=43)]
    assert answer(chat.ask("any critical info incidents?")).text.count("incident 4") == 1


def test_who_is_on_call_per_schedule() -> None:
    reader, _ = triaged_incidents()
    said = answer(chat_on(oom_world(), incidents=reader).ask("Who is on call?"))
    assert said.text == (
        "On call now [t1]:\n- primary: Alice <alice@example.com>\n"
        "- db: nobody (a gap in the schedule)"
    )
    nobody = answer(chat_on(oom_world()).ask("who's on-call right now?"))
    assert nobody.text == "No on-call schedule is set up. [t1]"


def test_an_unrecognised_question_says_what_can_be_asked_and_calls_nothing() -> None:
    steps = chat_on(oom_world()).ask("Write me a poem about Kubernetes")
    assert kinds(steps) == ["answer"]
    assert answer(steps).text == NOT_UNDERSTOOD + CAN_ANSWER
    assert answer(chat_on(oom_world()).ask("help")).text == CAN_ANSWER


def test_without_a_cluster_the_answer_says_why() -> None:
    steps = chat_on(oom_world(), clusters={}).ask("which pods are failing in payments?")
    [result] = of(steps, ToolResultStep)
    assert (result.ok, result.status) == (False, "error")
    assert result.summary == "unavailable: no Kubernetes cluster is configured for this run"
    assert answer(steps).text == (
        "I could not read the pods of the cluster: no Kubernetes cluster is configured for "
        "this run [t1]"
    )


def test_runbooks_and_similar_incidents_come_from_the_memory(tmp_path: Path) -> None:
    store = oom_memory(tmp_path)
    reader, _ = triaged_incidents()
    chat = chat_on(oom_world(), incidents=reader, memory=store)

    found = chat.ask("Find a runbook for pods OOMKilled, exit code 137")
    assert calls(found) == [
        ("t1", "runbook_search", {"query": "pods OOMKilled, exit code 137", "k": 8})
    ]
    said = answer(found)
    assert said.text.splitlines()[1].startswith(
        "- Pods OOMKilled after a memory limit that is too low (k8s-oom-killed): section"
    )
    assert isinstance(said.links[0], RunbookLink) and said.links[0].runbook_id == "k8s-oom-killed"

    similar = chat.ask("similar past incidents to incident 42?")
    assert calls(similar) == [
        ("t2", "incident_get", {"incident_id": 42}),
        ("t3", "similar_incidents", {"query": "KubePodCrashLooping payments/api", "k": 4}),
    ]
    past = answer(similar)
    assert past.text.splitlines()[1].startswith("- incident 17 (similarity ")
    assert "fixed by: raised the memory limit to 512Mi; resolved in 25 min" in past.text
    assert past.links == [IncidentLink(incident_id=17)]

    again = chat.ask("is there a runbook for it?")  # "it": the incident of the last answer
    assert [(c[1], c[2]) for c in calls(again)] == [
        ("incident_get", {"incident_id": 42}),
        ("runbook_search", {"query": "KubePodCrashLooping payments/api", "k": 8}),
    ]
    assert "(k8s-oom-killed)" in answer(again).text
