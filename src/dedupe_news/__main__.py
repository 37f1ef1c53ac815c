"""``python -m dedupe_news`` runs the command-line interface."""

from .cli import main

main()
