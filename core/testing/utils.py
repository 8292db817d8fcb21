"""``erlen.testing.utils``: the names of Quart's ``quart.testing.utils``."""

from __future__ import annotations

from erlen.testrequest import (
    make_test_body_with_headers,
    make_test_headers_path_and_query_string,
    make_test_scope,
    sentinel,
)

__all__ = [
    "make_test_body_with_headers",
    "make_test_headers_path_and_query_string",
    "make_test_scope",
    "sentinel",
]
