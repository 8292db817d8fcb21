"""Example apps for Erlen (importable as ``examples.*`` from the repository root)."""
