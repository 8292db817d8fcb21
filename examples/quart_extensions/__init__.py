"""A Quart app using quart-schema, quart-auth, quart-cors and quart-rate-limiter, served
by Erlen through ``erlen.quart_patch`` with only its import lines changed.

Serve it from the repository root with
``kernel --app examples.quart_extensions.app:app run`` (see its README).
"""
