"""``erlen.testing.utils``: the names of Quart's ``quart.testing.utils`` (lazy, from the
``testing`` plugin)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import lazy_names

if TYPE_CHECKING:
    from erlen.plugins.testing.testrequest import (
        make_test_body_with_headers as make_test_body_with_headers,
    )
    from erlen.plugins.testing.testrequest import (
        make_test_headers_path_and_query_string as make_test_headers_path_and_query_string,
    )
    from erlen.plugins.testing.testrequest import make_test_scope as make_test_scope
    from erlen.plugins.testing.testrequest import no_op_push as no_op_push
    from erlen.plugins.testing.testrequest import sentinel as sentinel

__all__ = [
    "make_test_body_with_headers",
    "make_test_headers_path_and_query_string",
    "make_test_scope",
    "no_op_push",
    "sentinel",
]

__getattr__ = lazy_names(__name__, __all__, "erlen.plugins.testing.testrequest")
