"""``python -m pipeline`` runs the survey-deck command line."""

from pipeline.cli import main

main()
