"""The HTML list and its forms: POST, redirect, flash message."""

from __future__ import annotations


async def _add(client, title: str):
    return await client.post("/todos", form={"title": title}, follow_redirects=True)


async def test_empty_list(client, page) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    body = await page(response)
    assert "<title>All todos - Todos</title>" in body
    assert "Nothing to do." in body
    assert 'href="/export.csv"' in body


async def test_adding_needs_a_login(client, page) -> None:
    response = await client.post("/todos", form={"title": "Sneaky"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/todos"
    login_page = await page(await client.get(response.headers["Location"]))
    assert "Please log in first." in login_page
    assert "Sneaky" not in await page(await client.get("/"))


async def test_add_redirects_and_flashes(logged_in, page) -> None:
    response = await logged_in.post("/todos", form={"title": "Buy milk"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    body = await page(await logged_in.get("/"))
    assert '<span class="title">Buy milk</span>' in body
    assert '<p class="flash info">Added “Buy milk”.</p>' in body
    # A flash message is shown once.
    assert "Added “Buy milk”." not in await page(await logged_in.get("/"))


async def test_titles_are_escaped(logged_in, page) -> None:
    body = await page(await _add(logged_in, "<script>alert(1)</script>"))
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


async def test_empty_title_is_refused_with_a_message(logged_in, page) -> None:
    body = await page(await _add(logged_in, "   "))
    assert '<p class="flash error">A todo needs a title.</p>' in body
    assert "Nothing to do." in body


async def test_too_long_title_is_refused(logged_in, page) -> None:
    body = await page(await _add(logged_in, "x" * 201))
    assert "That title is too long." in body
    assert "Nothing to do." in body


async def test_toggle_marks_done_and_back(logged_in, page) -> None:
    await _add(logged_in, "Water plants")
    body = await page(await logged_in.post("/todos/1/toggle", follow_redirects=True))
    assert "Marked “Water plants” as done." in body
    assert '<li class="done">' in body
    body = await page(await logged_in.post("/todos/1/toggle", follow_redirects=True))
    assert "Marked “Water plants” as not done." in body
    assert '<li class="open">' in body


async def test_delete(logged_in, page) -> None:
    await _add(logged_in, "Old task")
    body = await page(await logged_in.post("/todos/1/delete", follow_redirects=True))
    assert "Deleted “Old task”." in body
    assert "Nothing to do." in body


async def test_missing_todo_is_404(logged_in) -> None:
    assert (await logged_in.post("/todos/99/toggle")).status_code == 404
    assert (await logged_in.post("/todos/99/delete")).status_code == 404


async def test_forms_use_the_url_map(logged_in, page) -> None:
    await _add(logged_in, "Check forms")
    body = await page(await logged_in.get("/"))
    assert 'action="/todos/1/toggle"' in body
    assert 'action="/todos/1/delete"' in body
    assert 'action="/todos/1/attachment"' in body
    assert 'action="/logout"' in body
    assert 'data-live="ws://localhost/live"' in body


async def test_get_on_a_post_only_form_is_405(client) -> None:
    response = await client.get("/todos")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


async def test_unknown_page_is_the_html_404_page(client, page) -> None:
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    body = await page(response)
    assert "<title>Not found - Todos</title>" in body
    assert "There is nothing at /no/such/page." in body


async def test_navigation_counts_open_todos(logged_in, page) -> None:
    assert '<span class="open-count">0 open todos</span>' in await page(await logged_in.get("/"))
    await logged_in.post("/todos", form={"title": "One"})
    assert '<span class="open-count">1 open todo</span>' in await page(await logged_in.get("/"))
    await logged_in.post("/todos", form={"title": "Two"})
    await logged_in.post("/todos/1/toggle")
    assert '<span class="open-count">1 open todo</span>' in await page(await logged_in.get("/"))


async def test_show_filter(logged_in, page) -> None:
    await logged_in.post("/todos", form={"title": "Finished"})
    await logged_in.post("/todos", form={"title": "Pending"})
    await logged_in.post("/todos/1/toggle")
    body = await page(await logged_in.get("/", query_string={"show": "done"}))
    assert '<span class="title">Finished</span>' in body
    assert '<span class="title">Pending</span>' not in body
    assert '<a href="/?show=done" class="current">done</a>' in body
    body = await page(await logged_in.get("/?show=open"))
    assert '<span class="title">Pending</span>' in body
    assert '<span class="title">Finished</span>' not in body


async def test_theme_cookie(client, page) -> None:
    assert '<html lang="en" class="light">' in await page(await client.get("/"))
    response = await client.get("/theme/dark")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("theme=dark;")
    assert "Max-Age=31536000" in cookie
    assert "SameSite=Lax" in cookie
    assert '<html lang="en" class="dark">' in await page(await client.get("/"))
    assert (await client.get("/theme/purple")).status_code == 404


async def test_stylesheet_is_linked_and_served(client, page) -> None:
    body = await page(await client.get("/"))
    assert '<link rel="stylesheet" href="/static/style.css">' in body
    response = await client.get("/static/style.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert "li.done .title" in await response.get_data(as_text=True)
