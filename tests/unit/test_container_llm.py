"""The container gives triage a model investigator exactly when `llm` configures a model."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from agents.supervisor import ModelInvestigator
from core.settings import Settings
from pixelview.container import Container


def investigator_of(tmp_path: Path, llm: Mapping[str, object]) -> object:
    settings = Settings.model_validate(
        {"database": {"url": f"sqlite:///{tmp_path / 'pv.db'}"}, "data_dir": tmp_path, "llm": llm}
    )
    container = Container.build(settings)
    try:
        return container.investigators()()
    finally:
        container.close()


def test_no_model_means_the_none_mode(tmp_path: Path) -> None:
    assert investigator_of(tmp_path, {"provider": "none"}) is None


def test_an_openai_compatible_endpoint_gives_a_supervisor_per_run(tmp_path: Path) -> None:
    llm = {"provider": "openai", "openai": {"base_url": "http://127.0.0.1:9/v1", "model": "qwen"}}
    first = investigator_of(tmp_path, llm)
    assert isinstance(first, ModelInvestigator) and first.mode == "openai:qwen"
    assert first.spent().llm_calls == 0  # nothing was called to build it
