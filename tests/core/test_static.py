"""Static folders of the app and of blueprints, and ``send_from_directory`` confinement."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from erlen import Blueprint, Erlen, request, send_from_directory, url_for


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "style.css").write_text("p {}")
    (tmp_path / "static" / "sub").mkdir()
    (tmp_path / "static" / "sub" / "app.js").write_text("run()")
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "report.csv").write_text("a,b\n1,2\n")
    return tmp_path


async def test_app_static_folder_is_served(site: Path) -> None:
    app = Erlen(__name__, root_path=str(site))

    @app.route("/link")
    async def link() -> str:
        return url_for("static", filename="sub/app.js")

    client = app.test_client()
    response = await client.get("/static/style.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert await response.get_data() == b"p {}"
    assert response.headers["Cache-Control"] == "public, max-age=43200"  # 12 h, as Quart
    assert await (await client.get("/link")).get_data() == b"/static/sub/app.js"
    assert await (await client.get("/static/sub/app.js")).get_data() == b"run()"
    assert (await client.get("/static/nope.css")).status_code == 404
    assert (await client.get("/static/sub")).status_code == 404  # a directory


async def test_static_url_path_and_folder_name(site: Path) -> None:
    (site / "public").mkdir()
    (site / "public" / "robots.txt").write_text("User-agent: *")
    app = Erlen(__name__, root_path=str(site), static_folder="public", static_url_path="/assets")
    client = app.test_client()
    assert await (await client.get("/assets/robots.txt")).get_data() == b"User-agent: *"
    assert (await client.get("/static/style.css")).status_code == 404
    root = Erlen(__name__, root_path=str(site), static_folder="public", static_url_path="")
    assert (await root.test_client().get("/robots.txt")).status_code == 200


async def test_no_static_folder_means_no_static_route(site: Path) -> None:
    app = Erlen(__name__, root_path=str(site), static_folder=None)
    assert not app.has_static_folder
    assert (await app.test_client().get("/static/style.css")).status_code == 404


@pytest.mark.parametrize(
    ("max_age", "cache_control"),
    [
        (60, "public, max-age=60"),
        (timedelta(minutes=5), "public, max-age=300"),
        (None, "no-cache"),
        (0, "no-cache, max-age=0"),
    ],
)
async def test_send_file_max_age_default(site: Path, max_age: object, cache_control: str) -> None:
    app = Erlen(__name__, root_path=str(site))
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = max_age
    response = await app.test_client().get("/static/style.css")
    assert response.headers["Cache-Control"] == cache_control


async def test_blueprint_static_folder_next_to_the_app_one(site: Path) -> None:
    (site / "bp_static").mkdir()
    (site / "bp_static" / "widget.js").write_text("widget()")
    app = Erlen(__name__, root_path=str(site))
    bp = Blueprint(
        "widgets", __name__, root_path=str(site), static_folder="bp_static", url_prefix="/w"
    )

    @bp.route("/")
    async def index() -> str:
        return url_for(".static", filename="widget.js")

    app.register_blueprint(bp)
    client = app.test_client()
    assert await (await client.get("/w/")).get_data() == b"/w/bp_static/widget.js"
    assert await (await client.get("/w/bp_static/widget.js")).get_data() == b"widget()"
    assert await (await client.get("/static/style.css")).get_data() == b"p {}"
    assert (await client.get("/w/bp_static/../../secret.txt")).status_code == 404


TRAVERSALS = [
    "/static/../secret.txt",
    "/static/%2e%2e/secret.txt",
    "/static/..%2fsecret.txt",
    "/static/..%5csecret.txt",
    "/static/sub/..%2f..%2fsecret.txt",
    "/static/%2fetc%2fpasswd",
    "/static/style.css%00.js",
    "/static/%00",
]


@pytest.mark.parametrize("path", TRAVERSALS)
async def test_static_route_never_escapes_its_folder(site: Path, path: str) -> None:
    app = Erlen(__name__, root_path=str(site))
    response = await app.test_client().get(path, follow_redirects=True)
    assert response.status_code == 404
    body = await response.get_data()
    assert b"SECRET" not in body
    assert b"root:" not in body


BAD_NAMES = [
    "../secret.txt",
    "..",
    "../files/../secret.txt",
    "report.csv/../../secret.txt",
    "/etc/passwd",
    str(Path("/") / "etc" / "hosts"),
    "..\\secret.txt",
    "sub\\..\\..\\secret.txt",
    "report.csv\x00.png",
    "",
    ".",
    "C:\\Windows\\win.ini",
]


@pytest.mark.parametrize("name", BAD_NAMES)
async def test_send_from_directory_rejects_names_leaving_the_folder(site: Path, name: str) -> None:
    app = Erlen(__name__, root_path=str(site), static_folder=None)

    @app.route("/download")
    async def download() -> object:
        return await send_from_directory(site / "files", request.args["name"])

    response = await app.test_client().get("/download", query_string={"name": name})
    assert response.status_code == 404
    assert b"SECRET" not in await response.get_data()


async def test_send_from_directory_serves_names_inside_and_accepts_flask_spelling(
    site: Path,
) -> None:
    app = Erlen(__name__, root_path=str(site), static_folder=None)

    @app.route("/files/<path:name>")
    async def files(name: str) -> object:
        return await send_from_directory("files", path=name, as_attachment=True)

    response = await app.test_client().get("/files/report.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == "attachment; filename=report.csv"
    assert await response.get_data() == b"a,b\n1,2\n"
