"""Class-based views: :class:`View` and :class:`MethodView` (``erlen.views``).

``MyView.as_view("name")`` turns a class into a view function for ``add_url_rule``. The
view's ``dispatch_request`` may be sync (it then runs in a thread) or async.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, ClassVar

from werkzeug.exceptions import MethodNotAllowed

from .globals import current_app, request
from .typing import ResponseReturnValue

#: Method names that :class:`MethodView` maps to HTTP verbs.
http_method_funcs = frozenset(("get", "post", "head", "options", "delete", "put", "trace", "patch"))


class View:
    """Subclass and implement :meth:`dispatch_request` to serve a route from a class.

    .. code-block:: python

        class Hello(View):
            methods = ["GET"]

            async def dispatch_request(self, name):
                return f"Hello {name}"

        app.add_url_rule("/hello/<name>", view_func=Hello.as_view("hello"))

    :cvar methods: the HTTP methods the view serves (``add_url_rule`` reads them).
    :cvar decorators: decorators applied, in list order, to the generated view function.
    :cvar provide_automatic_options: force automatic ``OPTIONS`` on or off.
    :cvar init_every_request: build a new instance per request (``True``) or share one
        instance, created by :meth:`as_view`, between all requests (``False``).
    """

    methods: ClassVar[Collection[str] | None] = None
    decorators: ClassVar[list[Callable[..., Any]]] = []
    provide_automatic_options: ClassVar[bool | None] = None
    init_every_request: ClassVar[bool] = True

    def dispatch_request(self, **kwargs: Any) -> ResponseReturnValue:
        """Answer the request; ``kwargs`` are the URL rule's values. Override this."""
        raise NotImplementedError()

    @classmethod
    def as_view(cls, name: str, *class_args: Any, **class_kwargs: Any) -> Callable[..., Any]:
        """A view function for this class, registered under endpoint ``name``.

        ``class_args``/``class_kwargs`` are passed to the constructor.
        """
        if cls.init_every_request:

            async def view(**kwargs: Any) -> Any:
                self = view.view_class(*class_args, **class_kwargs)  # type: ignore[attr-defined]
                return await current_app.ensure_async(self.dispatch_request)(**kwargs)

        else:
            shared = cls(*class_args, **class_kwargs)

            async def view(**kwargs: Any) -> Any:
                return await current_app.ensure_async(shared.dispatch_request)(**kwargs)

        view.__name__ = name
        view.__qualname__ = name
        view.__module__ = cls.__module__
        view.__doc__ = cls.__doc__
        decorated: Any = view
        for decorator in cls.decorators:
            decorated = decorator(decorated)
        # Set after decorating, so that decorators which do not copy attributes
        # (functools.wraps copies __dict__, but not every decorator uses it) still work.
        decorated.view_class = cls
        decorated.__name__ = name
        decorated.methods = cls.methods
        decorated.provide_automatic_options = cls.provide_automatic_options
        view.view_class = cls  # type: ignore[attr-defined]
        return decorated  # type: ignore[no-any-return]


class MethodView(View):
    """A view that calls the method named after the HTTP verb: ``get``, ``post``...

    ``methods`` is filled in from the verbs the class (and its bases) define. A ``HEAD``
    request falls back to ``get`` when there is no ``head`` method. A verb that
    ``methods`` lists but the class does not implement gets a 405 (Flask: a 500).

    .. code-block:: python

        class Counter(MethodView):
            async def get(self):
                return {"count": count}

            async def post(self):
                ...

        app.add_url_rule("/counter", view_func=Counter.as_view("counter"))
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "methods" in cls.__dict__:
            return
        methods: set[str] = set()
        for base in cls.__bases__:
            methods.update(getattr(base, "methods", None) or ())
        methods.update(verb.upper() for verb in http_method_funcs if hasattr(cls, verb))
        if methods:
            cls.methods = methods

    async def dispatch_request(self, **kwargs: Any) -> ResponseReturnValue:  # type: ignore[override]
        """Call the method for ``request.method`` with the URL values."""
        verb = request.method.lower()
        handler = getattr(self, verb, None)
        if handler is None and verb == "head":
            handler = getattr(self, "get", None)
        if handler is None:
            # The rule accepts the verb but the class has no method for it. Flask and
            # Quart fail with a 500 here; the client deserves a 405 naming what works.
            allowed = {verb.upper() for verb in http_method_funcs if hasattr(self, verb)}
            if "GET" in allowed:
                allowed.add("HEAD")
            raise MethodNotAllowed(valid_methods=sorted(allowed))
        return await current_app.ensure_async(handler)(**kwargs)  # type: ignore[no-any-return]


__all__ = ["MethodView", "View", "http_method_funcs"]
