"""Settings models.

One `Settings` object holds every knob. It is read from, in increasing order of
precedence: defaults, an optional YAML file, and `PIXELVIEW_*` environment
variables (`PIXELVIEW_DATABASE__URL` sets `database.url`). Every model forbids
unknown keys, so a typo fails at start-up naming the key instead of being
silently ignored. Only the composition root (`pixelview/`) builds `Settings`;
everything else receives the section it needs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from core.errors import ConfigError
from core.logs import LogFormat
from core.suggest import did_you_mean

ENV_PREFIX = "PIXELVIEW_"
NESTED_DELIMITER = "__"
CONFIG_FILE_ENV = "PIXELVIEW_CONFIG"
"""Names the YAML file; read by the CLI, so it is not a setting itself."""

INSECURE_DEV_SECRET = "insecure-dev-secret-do-not-use-in-production"

Environment = Literal["dev", "test", "prod"]


class Section(BaseModel):
    """Base of every nested settings section: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(Section):
    """Where PixelView keeps its state."""

    url: str | None = None
    """SQLAlchemy URL. Unset: a SQLite file in `data_dir`. PostgreSQL: `postgresql://user@host/db`."""
    echo: bool = False
    """Log every SQL statement (noisy; for debugging)."""
    pool_size: int = Field(5, ge=1, le=200)
    """Connections kept open per process (PostgreSQL)."""
    migrate_on_start: bool = True
    """`serve` and `demo` bring the schema to head before serving."""


class ApiSettings(Section):
    """The HTTP server."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)


class WebSettings(Section):
    """The web panel served by the API (see docs/web.md)."""

    session_hours: float = Field(12.0, gt=0, le=720)
    """How long a login lasts before the panel asks for the API token again."""
    cookie_secure: bool | None = None
    """Send the session cookie over HTTPS only; unset: when the request came over HTTPS."""
    live_poll_s: float = Field(2.0, ge=0.1, le=60)
    """How often a live stream (`/api/v1/events`) looks for new and changed alerts and incidents."""
    live_stream_s: float = Field(300.0, ge=1, le=3600)
    """How long one live stream lasts before the browser reconnects (and resumes where it was)."""


class WorkerSettings(Section):
    """The job worker (in `serve`, and in each `pixelview worker` process)."""

    in_process: bool = True
    """`serve` runs a worker beside the API (the embedded mode)."""
    concurrency: int = Field(2, ge=1, le=64)
    """Jobs run at once per process (PostgreSQL; SQLite always runs one)."""
    poll_interval_s: float = Field(1.0, gt=0, le=60)
    """How long an idle worker waits before looking for due jobs again."""
    lease_s: int = Field(900, ge=5)
    """A claimed job not finished within this time is handed to another worker."""
    max_attempts: int = Field(5, ge=1, le=100)
    """Default attempts per job before it is recorded as failed."""
    backoff_base_s: float = Field(2.0, gt=0)
    """First retry delay; doubles per attempt, with jitter."""
    backoff_max_s: float = Field(600.0, gt=0)
    """Upper bound of a retry delay."""
    escalation_batch: int = Field(10, ge=1, le=1000)
    """Due escalation steps one tick runs and commits together (their pages wait for the commit)."""
    delivery_batch: int = Field(20, ge=1, le=1000)
    """`notification.deliver` jobs claimed, sent and recorded together."""
    succeeded_retention_days: float = Field(14.0, gt=0, le=3650)
    """Succeeded jobs are deleted this long after they finished."""
    failed_retention_days: float = Field(90.0, gt=0, le=3650)
    """Failed jobs are deleted this long after they failed (kept longer, to be looked into)."""


class InventorySettings(Section):
    """The inventory of the clusters PixelView watches."""

    interval_s: int = Field(300, ge=10, le=86400)
    """Each cluster is synced once per interval (one job, however many workers)."""


class TriageSettings(Section):
    """Autonomous triage: every new incident is investigated before a person opens it."""

    on_open: bool = True
    """Queue a triage run when an incident opens or reopens (off: only on request)."""


class ChatSettings(Section):
    """Conversations with PixelView: the web panel, Slack and `pixelview chat` (docs/chat.md).

    A question's model budget is `llm.budget`'s, as for any agent run.
    """

    max_steps: int = Field(8, ge=1, le=50)
    """Model calls per question (each may call tools)."""
    history_turns: int = Field(6, ge=0, le=50)
    """Earlier questions and answers of the thread a model is shown."""
    max_question_chars: int = Field(4000, ge=100, le=100_000)
    """Longest question accepted."""


class KubernetesCluster(Section):
    """How to reach one Kubernetes cluster: a kubeconfig (and context), in-cluster, or a server.

    With none of `kubeconfig`, `server` and `in_cluster`, the default kubeconfig
    (`$KUBECONFIG` or `~/.kube/config`) is read.
    """

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    """The name PixelView knows the cluster by (inventory, messages, agents' tools)."""
    kubeconfig: Path | None = None
    """A kubeconfig file."""
    context: str | None = None
    """The kubeconfig context; unset: the kubeconfig's current context."""
    in_cluster: bool = False
    """Use the pod's service account (PixelView running inside the cluster)."""
    server: str | None = None
    """The API server URL, for an explicit connection."""
    token: SecretStr | None = None
    """The bearer token of an explicit connection."""
    ca_file: Path | None = None
    """The CA bundle that signed the server's certificate (explicit connection)."""
    verify_tls: bool = True
    """Verify the server's certificate (explicit connection); turn off only for a lab."""
    timeout_s: float = Field(30.0, gt=0, le=600)
    """Per-request timeout."""

    @model_validator(mode="after")
    def _one_way_in(self) -> KubernetesCluster:
        ways = [
            w
            for w, on in (
                ("kubeconfig", self.kubeconfig),
                ("server", self.server),
                ("in_cluster", self.in_cluster),
            )
            if on
        ]
        if len(ways) > 1:
            raise ValueError(f"cluster {self.name!r}: give one of {' or '.join(ways)}, not both")
        if self.context is not None and self.server is not None:
            raise ValueError(f"cluster {self.name!r}: context applies to a kubeconfig, not server")
        return self


class KubernetesSettings(Section):
    """The Kubernetes clusters PixelView watches (inventory, agents' tools)."""

    clusters: list[KubernetesCluster] = []
    """One entry per cluster; names must be unique."""

    @model_validator(mode="after")
    def _unique_names(self) -> KubernetesSettings:
        names = [c.name for c in self.clusters]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"cluster names must be unique: {', '.join(twice)} given twice")
        return self


class LabFault(Section):
    """A fault the demo's lab injects: a name from `pixelview lab faults`, and when."""

    fault: str = Field(min_length=1)
    """The catalog name, e.g. `k8s.oom_kill`."""
    target: dict[str, str] | None = None
    """What it hits, e.g. `{namespace: payments, deployment: api}`; unset: the fault's default."""
    params: dict[str, str | int | float | bool] = {}
    """The fault's parameters (see `pixelview lab faults`)."""
    at_s: float = Field(0.0, ge=-86400, le=86400)
    """Lab seconds from the demo's start; negative: it began before (its alerts fire sooner)."""


DEFAULT_LAB_FAULTS = (
    LabFault(fault="k8s.oom_kill", at_s=-1200),
    LabFault(fault="k8s.image_pull", at_s=-1080),
    LabFault(fault="vsphere.datastore_full", at_s=-300),
    LabFault(fault="vsphere.host_down", at_s=60),
)
"""Two incidents at once, one a few minutes in, the cascading host failure after ~16 min."""


class LabSettings(Section):
    """The simulated estate `pixelview demo` runs against (see docs/lab.md)."""

    seed: int = Field(7, ge=0)
    """World seed: the same seed gives the same names, sizes and metric noise."""
    speed: float = Field(1.0, ge=0.1, le=600)
    """Lab seconds per real second; above 1 the lab's alerts carry times ahead of the clock."""
    tick_s: float = Field(5.0, ge=0.2, le=300)
    """Real seconds between two steps of the lab (advance, inject due faults, send alerts)."""
    faults: list[LabFault] = list(DEFAULT_LAB_FAULTS)
    """The faults injected, in order of `at_s`; an empty list runs a healthy estate."""
    group_wait_s: float = Field(30.0, ge=0, le=3600)
    """The lab Alertmanager's `group_wait`."""
    group_interval_s: float = Field(300.0, gt=0, le=86400)
    """The lab Alertmanager's `group_interval`."""
    repeat_interval_s: float = Field(14400.0, gt=0, le=604800)
    """The lab Alertmanager's `repeat_interval`."""
    integration: str = Field("lab-alertmanager", min_length=1, max_length=200)
    """The Alertmanager integration the lab posts to (created, or its token rotated, at start)."""


class NotifySettings(Section):
    """Outbound notification channels; a channel left unconfigured gives up its deliveries."""

    public_url: str = "http://127.0.0.1:8080"
    """Base URL of this PixelView, for links in notifications."""
    rate_limit_count: int = Field(5, ge=1, le=1000)
    """Pages per person and channel kind per window before the rest are summarized."""
    rate_limit_window_s: int = Field(60, ge=10, le=3600)
    slack_token: SecretStr | None = None
    """Slack bot token (`xoxb-...`); enables Slack messages."""
    slack_base_url: str = "https://slack.com/api/"
    smtp_host: str | None = None
    """SMTP server; enables e-mail."""
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_sender: str = "pixelview@localhost"
    sms_account_sid: str | None = None
    """Account of a Twilio-compatible SMS API; enables SMS (with the token and sender)."""
    sms_auth_token: SecretStr | None = None
    sms_from: str | None = None
    sms_base_url: str = "https://api.twilio.com"
    pagerduty_base_url: str = "https://events.pagerduty.com"
    """PagerDuty Events API v2 for channels of kind pagerduty (always enabled)."""
    timeout_s: float = Field(10.0, gt=0, le=120)
    """Timeout of one send, every channel."""
    send_concurrency: int = Field(8, ge=1, le=64)
    """Sends in flight at once per process (a delivery batch's sends go out in parallel)."""


SlackMode = Literal["off", "http", "socket"]


class SlackSettings(Section):
    """The Slack bot: mentions, DMs, a slash command, incident messages (docs/slack.md)."""

    mode: SlackMode = "off"
    """`http`: Slack posts to `/slack/events` (signed); `socket`: PixelView connects out."""
    bot_token: SecretStr | None = None
    """The bot's token (`xoxb-...`)."""
    signing_secret: SecretStr | None = None
    """Verifies Slack's requests in `http` mode."""
    app_token: SecretStr | None = None
    """The app-level token (`xapp-...`, scope `connections:write`) of `socket` mode."""
    base_url: str = "https://slack.com/api/"
    """Slack Web API base (tests point it at a local fake)."""
    command: str = Field("/pixelview", pattern=r"^/[a-z0-9_-]{1,31}$")
    """The slash command as configured in the Slack app."""
    timeout_s: float = Field(10.0, gt=0, le=120)
    """Timeout of one Web API call."""
    user_cache_s: int = Field(300, ge=0, le=86400)
    """How long a Slack user's e-mail address (from `users.info`) is remembered."""

    @model_validator(mode="after")
    def _tokens_for_mode(self) -> SlackSettings:
        needed = {
            "off": (),
            "http": ("bot_token", "signing_secret"),
            "socket": ("bot_token", "app_token"),
        }[self.mode]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"slack.mode {self.mode} needs slack.{' and slack.'.join(missing)}")
        return self


LlmProvider = Literal["auto", "openai", "local", "none", "scripted"]


class LlmOpenAISettings(Section):
    """An OpenAI-compatible endpoint: OpenAI, Azure OpenAI, vLLM, llama.cpp server, Ollama."""

    base_url: str | None = None
    """Endpoint base, e.g. `http://127.0.0.1:8000/v1`; unset: OpenAI's own API."""
    model: str = Field("gpt-4o-mini", min_length=1)
    """Model name as the endpoint knows it."""
    api_key: SecretStr | None = None
    """Bearer key; a server that needs none may leave it unset when `base_url` is set."""
    timeout_s: float = Field(60.0, gt=0, le=3600)
    """Timeout of one request."""
    max_retries: int = Field(2, ge=0, le=10)
    """Retries of a failed request (connection errors, 429, 5xx) with backoff."""
    temperature: float = Field(0.0, ge=0, le=2)
    input_price_per_mtok: float = Field(0.0, ge=0)
    """Price of one million input tokens, for the cost of a run; 0 counts no cost."""
    output_price_per_mtok: float = Field(0.0, ge=0)
    """Price of one million output tokens."""


class LlmLocalSettings(Section):
    """A GGUF model run in-process by llama-cpp-python (the `local-llm` extra)."""

    model_path: Path | None = None
    """A GGUF file; unset: the default model, assembled at first use under `data_dir/models`."""
    n_ctx: int = Field(8192, ge=512, le=131072)
    """Context window in tokens (prompt and answer together)."""
    n_threads: int | None = Field(None, ge=1, le=512)
    """CPU threads that generate; unset: half the CPUs (llama-cpp-python's default)."""
    max_tokens: int = Field(512, ge=16, le=32768)
    """Most tokens one answer may have."""
    temperature: float = Field(0.0, ge=0, le=2)


class LlmBudgetSettings(Section):
    """Default limits of one agent run, enforced outside the model."""

    max_tool_calls: int = Field(30, ge=1, le=10000)
    max_tokens: int = Field(200_000, ge=1000)
    """Input and output tokens of every model call of the run, added up."""
    max_seconds: float = Field(300.0, gt=0, le=86400)


class LlmSettings(Section):
    """Which language model the agents use (see docs/llm.md)."""

    provider: LlmProvider = "auto"
    """`auto`: openai when configured, else local when installed, else none."""
    script_file: Path | None = None
    """The answers of the `scripted` provider (YAML: `say`, `call`, `calls`); every agent run
    plays it from its first answer. For demos, browser tests and trying the panel offline."""
    openai: LlmOpenAISettings = LlmOpenAISettings()
    local: LlmLocalSettings = LlmLocalSettings()
    budget: LlmBudgetSettings = LlmBudgetSettings()


MemoryMode = Literal["embedded", "server"]


class MemorySettings(Section):
    """The vector memory of runbooks and past incidents (see docs/memory.md)."""

    mode: MemoryMode = "embedded"
    """`embedded`: Chroma in this process, files under `path`; `server`: a `chroma run` server."""
    path: Path | None = None
    """The embedded store's folder; unset: `data_dir/chroma`."""
    host: str = Field("127.0.0.1", min_length=1)
    """The Chroma server's host (mode `server`)."""
    port: int = Field(8000, ge=1, le=65535)
    """The Chroma server's port (mode `server`)."""
    ssl: bool = False
    """Talk HTTPS to the Chroma server."""
    timeout_s: float = Field(30.0, gt=0, le=600)
    """Longest wait for one store operation before it fails as unavailable."""
    collection_prefix: str = Field(
        "pixelview", min_length=3, max_length=40, pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$"
    )
    """Names the collections (`<prefix>-runbook-chunks`...): PixelViews sharing a server differ."""
    runbooks_dir: Path | None = None
    """Folder of runbook files to load; unset: the library shipped in memory/runbooks/library."""
    threshold: float = Field(0.3, ge=-1, le=2)
    """A runbook search whose best score is below this answers "no good match"."""
    incident_threshold: float = Field(0.5, ge=-1, le=1)
    """Past incidents less similar than this are not offered."""
    embed_threads: int | None = Field(None, ge=1, le=256)
    """onnxruntime threads of the embedder; unset: one per core."""
    embed_batch: int = Field(8, ge=1, le=1024)
    """Texts the embedder runs at once."""


class LoggingSettings(Section):
    """Log level and line format."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: LogFormat = "console"


class SecuritySettings(Section):
    """Secrets used to sign and encrypt."""

    secret_key: SecretStr = SecretStr(INSECURE_DEV_SECRET)
    """Key for signing sessions and encrypting stored credentials. Must be set outside dev."""


class Settings(BaseSettings):
    """Every setting of PixelView."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=NESTED_DELIMITER,
        extra="forbid",
        frozen=True,
    )

    env: Environment = "dev"
    """`dev` allows insecure defaults; `test` and `prod` refuse them."""
    data_dir: Path = Path(".pixelview")
    """Folder for the embedded mode's files (SQLite database, vector store)."""
    database: DatabaseSettings = DatabaseSettings()
    api: ApiSettings = ApiSettings()
    web: WebSettings = WebSettings()
    worker: WorkerSettings = WorkerSettings()
    inventory: InventorySettings = InventorySettings()
    kubernetes: KubernetesSettings = KubernetesSettings()
    triage: TriageSettings = TriageSettings()
    chat: ChatSettings = ChatSettings()
    lab: LabSettings = LabSettings()
    notify: NotifySettings = NotifySettings()
    slack: SlackSettings = SlackSettings()
    llm: LlmSettings = LlmSettings()
    memory: MemorySettings = MemorySettings()
    logging: LoggingSettings = LoggingSettings()
    security: SecuritySettings = SecuritySettings()

    yaml_file_path: ClassVar[Path | None] = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,  # noqa: ARG003 - no .env files
        file_secret_settings: PydanticBaseSettingsSource,  # noqa: ARG003 - no secret dirs
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Precedence: explicit arguments, then environment, then the YAML file."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if cls.yaml_file_path is not None:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=cls.yaml_file_path))
        return tuple(sources)

    @model_validator(mode="after")
    def _refuse_insecure_defaults(self) -> Settings:
        if self.env != "dev":
            secret = self.security.secret_key.get_secret_value()
            if secret == INSECURE_DEV_SECRET or len(secret) < 32:
                raise ValueError(
                    f"security.secret_key must be set to a random value of at least 32 "
                    f"characters when env is {self.env!r} "
                    f"(set {ENV_PREFIX}SECURITY{NESTED_DELIMITER}SECRET_KEY)"
                )
        return self

    def memory_path(self) -> Path:
        """The embedded vector store's folder: `memory.path`, or `chroma` under `data_dir`."""
        return self.memory.path if self.memory.path is not None else self.data_dir / "chroma"

    def database_url(self) -> str:
        """The configured database URL, or the embedded SQLite file under `data_dir`."""
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.data_dir / 'pixelview.db').as_posix()}"


def load_settings(config_file: Path | None = None) -> Settings:
    """Read settings from the environment and an optional YAML file.

    Raises:
        ConfigError: naming the unknown or invalid key and where it came from.
    """
    unknown = unknown_env_keys(Settings, os.environ)
    if unknown:
        raise ConfigError("; ".join(unknown))
    cls: type[Settings] = Settings
    if config_file is not None:
        _check_yaml_file(config_file)
        cls = type("Settings", (Settings,), {"yaml_file_path": config_file})
    try:
        return cls()
    except ValidationError as e:
        source = f" (environment or {config_file})" if config_file else " (environment)"
        raise ConfigError(format_validation_error(e) + source) from e


def _check_yaml_file(path: Path) -> None:
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ConfigError(f"config file {path} is not valid YAML: {e}") from e
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping of settings at the top")


def format_validation_error(error: ValidationError) -> str:
    """One line per problem: the dotted key, its environment name, and what is wrong."""
    lines = []
    for problem in error.errors():
        loc = [str(part) for part in problem["loc"]]
        key = ".".join(loc) if loc else "settings"
        env_name = ENV_PREFIX + NESTED_DELIMITER.join(loc).upper() if loc else ""
        message = problem["msg"]
        if problem["type"] == "extra_forbidden":
            message = "unknown setting"
        where = f" ({env_name})" if env_name else ""
        lines.append(f"{key}{where}: {message}")
    return "invalid settings: " + "; ".join(lines)


def unknown_env_keys(model: type[BaseModel], environ: Mapping[str, str]) -> list[str]:
    """Describe every `PIXELVIEW_*` variable that names no setting.

    pydantic-settings ignores environment variables it has no field for, so a
    mistyped `PIXELVIEW_DATABSE__URL` would silently do nothing. This walks the
    model instead and reports each such variable with the nearest valid name.
    """
    problems = []
    for name in sorted(environ):
        if not name.upper().startswith(ENV_PREFIX) or name.upper() == CONFIG_FILE_ENV:
            continue
        path = name[len(ENV_PREFIX) :].lower().split(NESTED_DELIMITER)
        bad = _first_unknown_segment(model, path)
        if bad is not None:
            segment, known = bad
            suggestion = did_you_mean(segment, known)
            problems.append(
                f"unknown setting {name}: {segment!r} is not one of "
                f"{', '.join(sorted(known))}{suggestion}"
            )
    return problems


def _first_unknown_segment(model: type[BaseModel], path: list[str]) -> tuple[str, list[str]] | None:
    current: type[BaseModel] | None = model
    for segment in path:
        if current is None:
            return None  # below a free-form field (a mapping): any key is allowed
        fields: dict[str, Any] = dict(current.model_fields)
        if segment not in fields:
            return segment, list(fields)
        annotation = fields[segment].annotation
        is_model = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        current = annotation if is_model else None
    return None
