"""Glue for CI systems: ``python -m keyscan.ci.github`` is the logic of the GitHub Action (action.yml)."""
