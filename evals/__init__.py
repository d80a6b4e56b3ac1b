"""The evaluation harness: scenario loader, runner, scorers and reports."""
