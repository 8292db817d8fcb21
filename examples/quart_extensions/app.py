"""Notes: a Quart app with four Quart extensions, run by Erlen.

It is written for Quart; the only change is the first import, ``erlen.quart_patch``,
which makes ``quart`` (here and inside the extensions) resolve to Erlen. Delete that
line and it runs on Quart (``quart --app examples.quart_extensions.app:app run``).

- quart-schema: request and response bodies validated against dataclasses, a websocket
  that receives and sends them, the OpenAPI document at ``/openapi.json``;
- quart-auth: ``POST /login`` and ``POST /logout`` with its signed cookie, and
  ``@login_required`` views;
- quart-cors: the API answers cross-origin requests from ``NOTES_ORIGIN``, cookies
  included;
- quart-rate-limiter: ``POST /login`` takes 5 attempts a minute per client.
"""

import erlen.quart_patch  # noqa: F401, I001  (first: `quart` is Erlen from here on)

import os
from dataclasses import dataclass
from datetime import timedelta

from quart import Quart, ResponseReturnValue, websocket
from quart_auth import AuthUser, QuartAuth, Unauthorized, current_user, login_required
from quart_auth import login_user, logout_user
from quart_cors import cors, websocket_cors
from quart_rate_limiter import RateLimiter, rate_limit
from quart_schema import QuartSchema, RequestSchemaValidationError
from quart_schema import validate_request, validate_response
from werkzeug.security import check_password_hash, generate_password_hash

#: The origin of the web page allowed to call this API (with its cookies).
ORIGIN = os.environ.get("NOTES_ORIGIN", "http://localhost:8000")

app = Quart(__name__)
app.secret_key = os.environ.get("NOTES_SECRET_KEY", "dev only: set NOTES_SECRET_KEY")
# Served over plain http in development: a Secure cookie would never come back.
app.config["QUART_AUTH_COOKIE_SECURE"] = os.environ.get("NOTES_SECURE_COOKIES") == "1"
app = cors(app, allow_origin=ORIGIN, allow_credentials=True)
QuartAuth(app)
RateLimiter(app)
QuartSchema(app, info={"title": "Notes", "version": "1.0.0"})

USERS = {"alice": generate_password_hash("wonderland")}
NOTES: list["Note"] = []


@dataclass
class Credentials:
    username: str
    password: str


@dataclass
class User:
    username: str


@dataclass
class NewNote:
    text: str


@dataclass
class Note:
    id: int
    text: str
    author: str


@dataclass
class Error:
    error: str


@app.post("/login")
@rate_limit(5, timedelta(minutes=1))
@validate_request(Credentials)
@validate_response(User, 200)
@validate_response(Error, 401)
async def login(data: Credentials) -> ResponseReturnValue:
    """Log in: sets quart-auth's cookie."""
    password_hash = USERS.get(data.username)
    if password_hash is None or not check_password_hash(password_hash, data.password):
        return Error("wrong username or password"), 401
    login_user(AuthUser(data.username))
    return User(data.username)


@app.post("/logout")
@login_required
async def logout() -> ResponseReturnValue:
    """Log out: deletes the cookie."""
    logout_user()
    return {"logged_out": True}


@app.get("/me")
@login_required
@validate_response(User)
async def me() -> User:
    """The logged-in user."""
    return User(current_user.auth_id)


@app.get("/notes")
@validate_response(list[Note])
async def list_notes() -> list[Note]:
    """Every note (public)."""
    return NOTES


@app.post("/notes")
@login_required
@validate_request(NewNote)
@validate_response(Note, 201)
async def add_note(data: NewNote) -> tuple[Note, int]:
    """Add a note as the logged-in user."""
    note = Note(id=len(NOTES) + 1, text=data.text, author=current_user.auth_id)
    NOTES.append(note)
    return note, 201


@app.websocket("/ws/preview")
@websocket_cors(allow_origin=ORIGIN)
async def preview() -> None:
    """Preview notes as they are typed: each message is a NewNote, each answer a Note."""
    while True:
        draft = await websocket.receive_as(NewNote)
        await websocket.send_as(Note(id=0, text=draft.text.strip(), author="preview"), Note)


@app.errorhandler(Unauthorized)
async def unauthorized(error: Unauthorized) -> ResponseReturnValue:
    return {"error": "log in first"}, 401


@app.errorhandler(RequestSchemaValidationError)
async def invalid_body(error: RequestSchemaValidationError) -> ResponseReturnValue:
    return {"error": "invalid body", "detail": str(error.validation_error)}, 400
