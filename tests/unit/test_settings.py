from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import INSECURE_DEV_SECRET, Settings, load_settings

STRONG = "k" * 40


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("PIXELVIEW_"):
            monkeypatch.delenv(name)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pixelview.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_the_embedded_mode() -> None:
    settings = load_settings()
    assert settings.env == "dev"
    assert settings.database_url() == "sqlite:///.pixelview/pixelview.db"
    assert settings.api.port == 8080
    assert settings.security.secret_key.get_secret_value() == INSECURE_DEV_SECRET


def test_environment_sets_nested_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIXELVIEW_DATABASE__URL", "postgresql://pv@db/pixelview")
    monkeypatch.setenv("PIXELVIEW_WORKER__CONCURRENCY", "8")
    settings = load_settings()
    assert settings.database_url() == "postgresql://pv@db/pixelview"
    assert settings.worker.concurrency == 8


def test_environment_overrides_yaml_which_overrides_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(tmp_path, "api:\n  port: 9000\n  host: 0.0.0.0\nworker:\n  concurrency: 3\n")
    monkeypatch.setenv("PIXELVIEW_API__PORT", "9100")
    settings = load_settings(config)
    assert settings.api.port == 9100  # environment wins
    assert settings.api.host == "0.0.0.0"  # from the file
    assert settings.worker.concurrency == 3
    assert settings.worker.poll_interval_s == 1.0  # default


def test_mistyped_top_level_variable_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIXELVIEW_DATABSE__URL", "x")
    with pytest.raises(ConfigError) as excinfo:
        load_settings()
    assert "PIXELVIEW_DATABSE__URL" in excinfo.value.message
    assert "did you mean 'database'" in excinfo.value.message


def test_mistyped_nested_variable_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIXELVIEW_WORKER__CONCURENCY", "4")
    with pytest.raises(ConfigError) as excinfo:
        load_settings()
    assert "PIXELVIEW_WORKER__CONCURENCY" in excinfo.value.message
    assert "'concurrency'" in excinfo.value.message


def test_mistyped_yaml_key_names_the_key(tmp_path: Path) -> None:
    config = write(tmp_path, "database:\n  urll: sqlite:///x.db\n")
    with pytest.raises(ConfigError) as excinfo:
        load_settings(config)
    assert "database.urll" in excinfo.value.message
    assert "unknown setting" in excinfo.value.message


def test_invalid_value_names_key_and_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIXELVIEW_API__PORT", "99999")
    with pytest.raises(ConfigError) as excinfo:
        load_settings()
    assert "api.port (PIXELVIEW_API__PORT)" in excinfo.value.message
    assert "65535" in excinfo.value.message


@pytest.mark.parametrize("env", ["test", "prod"])
def test_insecure_default_secret_refused_outside_dev(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIXELVIEW_ENV", env)
    with pytest.raises(ConfigError, match="PIXELVIEW_SECURITY__SECRET_KEY"):
        load_settings()
    monkeypatch.setenv("PIXELVIEW_SECURITY__SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="at least 32"):
        load_settings()
    monkeypatch.setenv("PIXELVIEW_SECURITY__SECRET_KEY", STRONG)
    assert load_settings().env == env


def test_missing_or_malformed_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(write(tmp_path, "api: [unclosed\n"))
    with pytest.raises(ConfigError, match="mapping"):
        load_settings(write(tmp_path, "- a\n- b\n"))


def test_settings_are_immutable() -> None:
    settings = Settings()
    with pytest.raises(ValueError):
        settings.env = "prod"  # type: ignore[misc]


def test_kubernetes_clusters_come_from_yaml_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "pixelview.yaml"
    config.write_text(
        "kubernetes:\n  clusters:\n"
        "    - {name: prod, kubeconfig: /etc/pv/kubeconfig, context: prod}\n"
        "    - {name: edge, server: 'https://10.0.0.10:6443', token: s3cret}\n"
    )
    prod, edge = load_settings(config).kubernetes.clusters
    assert (prod.name, prod.kubeconfig, prod.context) == (
        "prod",
        Path("/etc/pv/kubeconfig"),
        "prod",
    )
    assert edge.token is not None and edge.token.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(edge)
    monkeypatch.setenv(
        "PIXELVIEW_KUBERNETES__CLUSTERS", '[{"name": "incluster", "in_cluster": true}]'
    )
    [only] = load_settings(config).kubernetes.clusters
    assert only.name == "incluster" and only.in_cluster


@pytest.mark.parametrize(
    ("clusters", "message"),
    [
        ('[{"name": "a"}, {"name": "a"}]', "cluster names must be unique: a given twice"),
        (
            '[{"name": "a", "kubeconfig": "/k", "server": "https://x"}]',
            "cluster 'a': give one of kubeconfig or server, not both",
        ),
        ('[{"name": "a b"}]', "kubernetes.clusters.0.name"),
        ('[{"name": "a", "sever": "https://x"}]', "kubernetes.clusters.0.sever"),
    ],
)
def test_wrong_cluster_entries_are_refused_naming_them(
    monkeypatch: pytest.MonkeyPatch, clusters: str, message: str
) -> None:
    monkeypatch.setenv("PIXELVIEW_KUBERNETES__CLUSTERS", clusters)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings()


def test_lab_faults_are_validated_as_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIXELVIEW_LAB__FAULTS", '[{"fault": "k8s.oom_kill", "at_s": -90000}]')
    with pytest.raises(ConfigError, match=r"lab\.faults\.0\.at_s"):
        load_settings()
    monkeypatch.setenv("PIXELVIEW_LAB__FAULTS", "[]")
    assert load_settings().lab.faults == []


def test_the_slack_bot_needs_the_tokens_of_its_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().slack.mode == "off"
    monkeypatch.setenv("PIXELVIEW_SLACK__MODE", "http")
    monkeypatch.setenv("PIXELVIEW_SLACK__BOT_TOKEN", "xoxb-1")
    with pytest.raises(ConfigError, match=r"slack\.mode http needs slack\.signing_secret"):
        load_settings()
    monkeypatch.setenv("PIXELVIEW_SLACK__SIGNING_SECRET", "s3cr3t-signing")
    settings = load_settings()
    assert settings.slack.signing_secret is not None
    assert "s3cr3t-signing" not in repr(settings) and "xoxb-1" not in repr(settings)
    monkeypatch.setenv("PIXELVIEW_SLACK__MODE", "socket")
    with pytest.raises(ConfigError, match=r"slack\.mode socket needs slack\.app_token"):
        load_settings()
    monkeypatch.setenv("PIXELVIEW_SLACK__APP_TOKEN", "xapp-1")
    assert load_settings().slack.mode == "socket"
    monkeypatch.setenv("PIXELVIEW_SLACK__COMMAND", "pixelview")
    with pytest.raises(ConfigError, match=r"slack\.command"):
        load_settings()
