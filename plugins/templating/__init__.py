"""The ``templating`` plugin (in progress)."""
