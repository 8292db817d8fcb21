"""A small async file for ``app.open_resource`` and ``app.open_instance_resource``.

Quart returns an aiofiles opener there, used as ``async with await
app.open_resource(path) as f: data = await f.read()``. :class:`AsyncFileOpener` gives the
same shape without the dependency: the blocking calls run in the default thread pool.
:class:`ResourceOpener`, what those methods return, also takes Flask's spelling, ``with
app.open_resource(path) as f: data = f.read()`` (a plain file), so Flask code such as
its tutorial's ``init_db`` runs unchanged.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Generator
from types import TracebackType
from typing import IO, Any


class AsyncFile:
    """A file whose blocking methods are awaitables run in a thread."""

    def __init__(self, file: IO[Any]) -> None:
        self.file = file

    @property
    def name(self) -> Any:
        """The path of the file."""
        return self.file.name

    @property
    def mode(self) -> str:
        """The mode the file was opened with."""
        return self.file.mode

    @property
    def closed(self) -> bool:
        """Whether the file is closed."""
        return self.file.closed

    async def read(self, size: int = -1) -> Any:
        """Read ``size`` bytes or characters (everything by default)."""
        return await asyncio.to_thread(self.file.read, size)

    async def readline(self, size: int = -1) -> Any:
        """Read one line."""
        return await asyncio.to_thread(self.file.readline, size)

    async def readlines(self) -> list[Any]:
        """Read all remaining lines."""
        return await asyncio.to_thread(self.file.readlines)

    async def write(self, data: Any) -> int:
        """Write ``data``; returns how much was written."""
        return await asyncio.to_thread(self.file.write, data)

    async def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Move to ``offset``."""
        return await asyncio.to_thread(self.file.seek, offset, whence)

    async def tell(self) -> int:
        """The current position."""
        return await asyncio.to_thread(self.file.tell)

    async def flush(self) -> None:
        """Flush written data."""
        await asyncio.to_thread(self.file.flush)

    async def close(self) -> None:
        """Close the file."""
        await asyncio.to_thread(self.file.close)

    async def __aiter__(self) -> AsyncIterator[Any]:
        while True:
            line = await self.readline()
            if not line:
                return
            yield line

    async def __aenter__(self) -> AsyncFile:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class AsyncFileOpener:
    """Opens a file in a thread: ``await opener`` gives an :class:`AsyncFile`;
    ``async with opener as f`` also closes it at the end."""

    def __init__(self, path: str | os.PathLike[str], mode: str = "r") -> None:
        self.path = path
        self.mode = mode
        self._file: AsyncFile | None = None

    async def _open(self) -> AsyncFile:
        return AsyncFile(await asyncio.to_thread(open, self.path, self.mode))

    def __await__(self) -> Generator[Any, None, AsyncFile]:
        return self._open().__await__()

    async def __aenter__(self) -> AsyncFile:
        self._file = await self._open()
        return self._file

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._file is not None:
            await self._file.close()


class ResourceOpener(AsyncFileOpener):
    """What ``open_resource`` and ``open_instance_resource`` return: Quart's and Flask's
    spellings both work.

    - ``await opener`` gives an :class:`AsyncFileOpener`, as Quart's coroutine does:
      ``async with await app.open_resource(path) as f: data = await f.read()``;
    - ``async with opener as f`` opens an :class:`AsyncFile` (no ``await`` needed);
    - ``with opener as f`` opens the plain file, as Flask's ``open_resource`` returns it:
      ``with app.open_resource("schema.sql") as f: db.executescript(f.read())``. The
      open and the reads block the thread, as in Flask: fine in a command or at start-up;
      in a view, prefer one of the async spellings.
    """

    def __init__(self, path: str | os.PathLike[str], mode: str = "rb") -> None:
        super().__init__(path, mode)
        self._plain: IO[Any] | None = None

    def __await__(self) -> Generator[Any, None, AsyncFileOpener]:  # type: ignore[override]
        return self._opener().__await__()

    async def _opener(self) -> AsyncFileOpener:
        return AsyncFileOpener(self.path, self.mode)

    def __enter__(self) -> IO[Any]:
        self._plain = open(self.path, self.mode)  # closed in __exit__
        return self._plain

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        plain, self._plain = self._plain, None
        if plain is not None:
            plain.close()
