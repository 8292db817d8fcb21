"""The tagged JSON serializer of session cookies (Flask's format).

JSON that round-trips tuples, bytes, Markup, UUIDs and datetimes, so a cookie written by
Flask or Quart with the same key and salt opens here and the other way round. The
serializer and its tags are the kernel's :mod:`erlen.json.tag` (Quart's ``quart.json.tag``);
register a tag of your own on ``app.session_interface.serializer``.
"""

from __future__ import annotations

from erlen.json.tag import TaggedJSONSerializer

__all__ = ["TaggedJSONSerializer", "session_json_serializer"]

session_json_serializer = TaggedJSONSerializer()
