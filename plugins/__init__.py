"""First-party Erlen plugins, registered through the ``erlen`` entry point group like any other."""
