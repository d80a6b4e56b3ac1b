"""PixelView composition root: the CLI, settings construction, the container."""

__version__ = "0.1.0"
