"""Reading scenarios: every `scenario.yaml` under a folder, checked, with errors that name where.

Every problem is a `ScenarioError` naming the file and the key: an unknown key (with the
nearest known one), a missing or malformed value, an unknown fault (with the catalog's
nearest name), a payload file that is not there or not JSON/YAML, two scenarios with one id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from core.errors import InvalidRequest
from core.suggest import did_you_mean
from evals.scenario import Scenario
from lab.faults.catalog import FAULTS

SCENARIO_FILE = "scenario.yaml"


class ScenarioError(InvalidRequest):
    """A scenario cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class LoadedScenario:
    """A scenario, the file it came from, and its alert payload read from the file if any."""

    scenario: Scenario
    path: Path
    payload: Any = None
    """The alert's body: `alert.payload`, or the parsed `alert.payload_file`; None: from the lab."""


def load_scenarios(folder: Path) -> list[LoadedScenario]:
    """Every scenario under `folder` (any depth), by id.

    Raises:
        ScenarioError: the folder is missing or holds no scenario, a scenario is invalid,
            or two share an id.
    """
    if not folder.is_dir():
        raise ScenarioError(f"{folder}: no such folder of scenarios")
    files = sorted(folder.rglob(SCENARIO_FILE))
    if not files:
        raise ScenarioError(f"{folder}: no {SCENARIO_FILE} under it")
    loaded = [load_scenario(path) for path in files]
    seen: dict[str, Path] = {}
    for item in loaded:
        first = seen.setdefault(item.scenario.id, item.path)
        if first != item.path:
            raise ScenarioError(f"{item.path}: id: {item.scenario.id!r} is also the id of {first}")
    return sorted(loaded, key=lambda item: item.scenario.id)


def load_scenario(path: Path) -> LoadedScenario:
    """One `scenario.yaml`, checked.

    Raises:
        ScenarioError: the file is missing, not YAML, or not a valid scenario.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ScenarioError(f"{path}: no such file") from e
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise ScenarioError(f"{path}: not readable YAML: {e}") from e
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: must hold a mapping (id, title, kind, ...)")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(f"{path}: {_first_problem(e)}") from e
    for index, step in enumerate(scenario.lab.faults):
        if step.fault not in FAULTS:
            near = did_you_mean(step.fault, FAULTS)
            raise ScenarioError(
                f"{path}: lab.faults[{index}].fault: unknown fault {step.fault!r} "
                f"(`pixelview lab faults` lists them){near}"
            )
    return LoadedScenario(scenario=scenario, path=path, payload=_payload(scenario, path))


def _payload(scenario: Scenario, path: Path) -> Any:
    alert = scenario.alert
    if alert is None or alert.from_lab:
        return None
    if alert.payload_file is None:
        return alert.payload
    file = (path.parent / alert.payload_file).resolve()
    if not file.is_relative_to(path.parent.resolve()):
        raise ScenarioError(
            f"{path}: alert.payload_file: {alert.payload_file!r} leaves the scenario's folder"
        )
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise ScenarioError(
            f"{path}: alert.payload_file: no file {alert.payload_file!r} beside it"
        ) from e
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError(f"{path}: alert.payload_file: {alert.payload_file!r}: {e}") from e
    try:
        return json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as e:
        raise ScenarioError(
            f"{path}: alert.payload_file: {alert.payload_file!r} is not valid JSON/YAML: {e}"
        ) from e


def _first_problem(error: ValidationError) -> str:
    """The first problem as `key.path: what is wrong`, with the nearest key for an unknown one."""
    problems = error.errors()
    # A misspelt key is also a missing one: name the misspelling, it is the cause.
    problem = next((p for p in problems if p["type"] == "extra_forbidden"), problems[0])
    loc = [str(part) for part in problem["loc"]]
    key = ".".join(loc) or "scenario"
    if problem["type"] == "extra_forbidden":
        known = _known_keys(loc[:-1])
        near = did_you_mean(loc[-1], known)
        return f"{key}: unknown key (known: {', '.join(known)}){near}"
    if problem["type"] == "missing":
        return f"{key}: required"
    message = problem["msg"].removeprefix("Value error, ")
    return f"{key}: {message}"


def _known_keys(parent: list[str]) -> list[str]:
    """The keys allowed under `parent` (a key path, list indexes included)."""
    model: type[BaseModel] = Scenario
    for part in parent:
        if part.isdigit():
            continue
        field = model.model_fields.get(part)
        inner = _model_of(field.annotation) if field is not None else None
        if inner is None:
            return []
        model = inner
    return list(model.model_fields)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None
