"""`python -m pixelview` runs the CLI."""

from pixelview.cli import main

main()
