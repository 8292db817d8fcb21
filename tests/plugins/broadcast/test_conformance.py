"""The backend conformance suite against ``memory://`` and a real redis-server."""

from __future__ import annotations

import pytest
from erlen.plugins.broadcast.testing import BackendConformance


class TestMemoryBackend(BackendConformance):
    @pytest.fixture
    def broadcast_url(self) -> str:
        return "memory://"


class TestRedisBackend(BackendConformance):
    @pytest.fixture
    def broadcast_url(self, redis_url: str) -> str:
        return redis_url
