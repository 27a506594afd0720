"""Interfaces: the `safeguard` CLI, the HTTP service and the scenario story runner.

They read the model and CaseStatus and never reach into the rules engine.
"""
