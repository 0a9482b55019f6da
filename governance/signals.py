"""Receivers of lower layers' signals (connected from ``GovernanceConfig.ready``)."""


def connect() -> None:
    """Connect the receivers (none yet for curation and glossary)."""
