"""``FileStorage``: an uploaded file, as in Quart (``await file.save(path)``).

Uploads arrive as werkzeug ``FileStorage`` objects whose ``save``/``load`` are coroutines
here, as in Quart: the copy runs in the thread pool so a big upload does not stall the
event loop.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from typing import IO

from werkzeug.datastructures import FileStorage as _WerkzeugFileStorage


class FileStorage(_WerkzeugFileStorage):
    """An uploaded file: ``filename``, ``content_type``, ``stream``, ``await save(dst)``."""

    async def save(  # type: ignore[override]
        self, destination: str | os.PathLike[str] | IO[bytes], buffer_size: int = 16384
    ) -> None:
        """Copy the upload to ``destination`` (a path or a binary file object)."""
        await asyncio.to_thread(super().save, destination, buffer_size)

    async def load(self, source: str | os.PathLike[str], buffer_size: int = 16384) -> None:
        """Fill this object's stream from the file at ``source`` (Quart's ``load``)."""
        self.filename = os.path.basename(os.fspath(source))

        def copy() -> None:
            with open(source, "rb") as src:
                shutil.copyfileobj(src, self.stream, buffer_size)

        await asyncio.to_thread(copy)


__all__ = ["FileStorage"]
