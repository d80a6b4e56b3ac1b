"""docs/configuration.md lists every setting by its environment variable."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from core.settings import ENV_PREFIX, NESTED_DELIMITER, Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def env_names(model: type[BaseModel], prefix: str = ENV_PREFIX) -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names += env_names(annotation, f"{prefix}{name.upper()}{NESTED_DELIMITER}")
        else:
            names.append(f"{prefix}{name.upper()}")
    return names


def test_every_setting_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    names = env_names(Settings)
    assert len(names) > 10
    missing = [name for name in names if f"`{name}`" not in text]
    assert missing == []
