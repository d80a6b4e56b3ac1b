"""Settings for a CLI command: the root command's `--config`, then the environment."""

from __future__ import annotations

import typer

from core.logs import configure_logging
from core.settings import Settings, load_settings


def cli_settings(ctx: typer.Context) -> Settings:
    """Load the settings (`ctx.obj` is the `--config` file) and configure logging from them."""
    settings = load_settings(ctx.obj)
    configure_logging(level=settings.logging.level, fmt=settings.logging.format)
    return settings
