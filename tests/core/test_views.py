"""Class-based views: ``erlen.views.View`` and ``MethodView``."""

from __future__ import annotations

import functools
import threading
from typing import Any

from erlen import Blueprint, Erlen, request
from erlen.views import MethodView, View


def make_app() -> Erlen:
    return Erlen(__name__, static_folder=None)


async def test_view_with_constructor_arguments_and_url_values() -> None:
    app = make_app()

    class Greeter(View):
        methods = ["GET", "POST"]

        def __init__(self, greeting: str) -> None:
            self.greeting = greeting

        async def dispatch_request(self, name: str) -> str:
            return f"{self.greeting} {name} ({request.method})"

    app.add_url_rule("/hi/<name>", view_func=Greeter.as_view("greet", "Hello"))
    client = app.test_client()
    assert await (await client.get("/hi/ada")).get_data() == b"Hello ada (GET)"
    assert await (await client.post("/hi/ada")).get_data() == b"Hello ada (POST)"
    rejected = await client.put("/hi/ada")
    assert rejected.status_code == 405
    assert set(rejected.headers["Allow"].split(", ")) == {"GET", "POST", "HEAD", "OPTIONS"}


async def test_sync_dispatch_request_runs_in_a_thread() -> None:
    app = make_app()

    class Sync(View):
        def dispatch_request(self) -> str:
            return f"{threading.current_thread() is threading.main_thread()} {request.path}"

    app.add_url_rule("/sync", view_func=Sync.as_view("sync"))
    assert await (await app.test_client().get("/sync")).get_data() == b"False /sync"


async def test_decorators_apply_in_order_and_view_class_is_kept() -> None:
    app = make_app()
    order: list[str] = []

    def tag(label: str) -> Any:
        def decorator(func: Any) -> Any:
            @functools.wraps(func)
            async def wrapper(**kwargs: Any) -> Any:
                order.append(label)
                response = await func(**kwargs)
                return f"{label}({response})"

            return wrapper

        return decorator

    class Tagged(View):
        decorators = [tag("inner"), tag("outer")]

        async def dispatch_request(self) -> str:
            return "view"

    view_func = Tagged.as_view("tagged")
    app.add_url_rule("/tagged", view_func=view_func)
    assert view_func.view_class is Tagged
    assert view_func.__name__ == "tagged"
    assert await (await app.test_client().get("/tagged")).get_data() == b"outer(inner(view))"
    assert order == ["outer", "inner"]


async def test_init_every_request_controls_instances() -> None:
    app = make_app()
    created: list[object] = []

    class PerRequest(View):
        def __init__(self) -> None:
            created.append(self)

        async def dispatch_request(self) -> str:
            return "ok"

    class Shared(PerRequest):
        init_every_request = False

    app.add_url_rule("/per", view_func=PerRequest.as_view("per"))
    app.add_url_rule("/shared", view_func=Shared.as_view("shared"))
    client = app.test_client()
    assert len(created) == 1  # Shared's instance, made by as_view
    for _ in range(2):
        await client.get("/per")
        await client.get("/shared")
    assert len(created) == 3


async def test_method_view_dispatches_by_verb() -> None:
    app = make_app()

    class Item(MethodView):
        async def get(self, item_id: int) -> dict[str, Any]:
            return {"id": item_id}

        def post(self, item_id: int) -> tuple[str, int]:
            return f"created {item_id}", 201

        async def delete(self, item_id: int) -> tuple[str, int]:
            return "", 204

    assert Item.methods == {"GET", "POST", "DELETE"}
    app.add_url_rule("/items/<int:item_id>", view_func=Item.as_view("item"))
    client = app.test_client()
    assert await (await client.get("/items/3")).get_json() == {"id": 3}
    created = await client.post("/items/4")
    assert (created.status_code, await created.get_data()) == (201, b"created 4")
    assert (await client.delete("/items/5")).status_code == 204
    head = await client.head("/items/3")  # the GET view's answer, body kept as in Quart
    assert head.status_code == 200
    assert await head.get_json() == {"id": 3}
    missing = await client.put("/items/3")
    assert missing.status_code == 405
    assert "PUT" not in missing.headers["Allow"]
    options = await client.options("/items/3")
    assert options.status_code == 200
    assert set(options.headers["Allow"].split(", ")) == {
        "GET",
        "HEAD",
        "POST",
        "DELETE",
        "OPTIONS",
    }


async def test_method_view_subclass_inherits_and_extends_methods() -> None:
    app = make_app()

    class ReadOnly(MethodView):
        async def get(self) -> str:
            return "read"

    class ReadWrite(ReadOnly):
        async def put(self) -> str:
            return "written"

    assert ReadOnly.methods == {"GET"}
    assert ReadWrite.methods == {"GET", "PUT"}
    app.add_url_rule("/ro", view_func=ReadOnly.as_view("ro"))
    app.add_url_rule("/rw", view_func=ReadWrite.as_view("rw"))
    client = app.test_client()
    assert (await client.put("/ro")).status_code == 405
    assert await (await client.put("/rw")).get_data() == b"written"
    assert await (await client.get("/rw")).get_data() == b"read"


async def test_explicit_methods_wider_than_the_handlers_answer_405() -> None:
    app = make_app()

    class OnlyGet(MethodView):
        methods = ["GET", "PATCH"]

        async def get(self) -> str:
            return "got"

    app.add_url_rule("/only", view_func=OnlyGet.as_view("only"))
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    assert await (await client.get("/only")).get_data() == b"got"
    response = await client.patch("/only")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD"}


async def test_class_based_view_in_a_blueprint() -> None:
    app = make_app()
    bp = Blueprint("api", __name__, url_prefix="/api")

    class Ping(MethodView):
        async def get(self) -> str:
            return request.endpoint or ""

    bp.add_url_rule("/ping", view_func=Ping.as_view("ping"))
    app.register_blueprint(bp)
    assert await (await app.test_client().get("/api/ping")).get_data() == b"api.ping"


async def test_method_view_handlers_sync_in_a_thread_async_in_the_loop() -> None:
    app = make_app()

    class Mixed(MethodView):
        def get(self) -> str:
            return f"get in main thread: {threading.current_thread() is threading.main_thread()}"

        async def post(self) -> str:
            return f"post in main thread: {threading.current_thread() is threading.main_thread()}"

    app.add_url_rule("/mixed", view_func=Mixed.as_view("mixed"))
    client = app.test_client()
    assert await (await client.get("/mixed")).get_data() == b"get in main thread: False"
    assert await (await client.post("/mixed")).get_data() == b"post in main thread: True"
