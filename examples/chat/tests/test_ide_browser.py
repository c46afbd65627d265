"""GraphiQL, the default IDE, works with no network: every asset comes from the server.

Headless Chromium with every request to a host other than the loopback server blocked
(HTTP through Playwright's routing, DNS through the host-resolver rules, which also
covers WebSockets) opens ``/graphql``, runs a query, then a subscription over the
WebSocket endpoint, and reads the results in GraphiQL's result pane.
"""

from __future__ import annotations

import httpx
from playwright.async_api import Page, Route, async_playwright, expect

from tests.helpers import SEND, WAIT, room_name, running_server, ws_url
from tests.test_browser import CHROMIUM_ARGS

LOOPBACK = {"127.0.0.1", "localhost", "[::1]"}
OFFLINE_ARGS = [*CHROMIUM_ARGS, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


async def run_in_graphiql(page: Page, document: str, operation: str) -> None:
    """Replace the query editor's text with ``document`` and run ``operation``.

    GraphiQL picks HTTP or the WebSocket from the operation it has parsed out of the editor,
    which it does a moment after an edit (and then saves its tabs): run only once it has.
    """
    editor = page.locator(".graphiql-query-editor .CodeMirror").first
    await expect(editor).to_be_visible()
    await editor.evaluate("(element, text) => element.CodeMirror.setValue(text)", document)
    await page.wait_for_function(
        "name => (localStorage.getItem('graphiql:tabState') || '')"
        '.includes(`"operationName":"${name}"`)',
        arg=operation,
        timeout=WAIT * 1000,
    )
    await page.locator(".graphiql-execute-button").click()


async def test_graphiql_runs_a_query_and_a_subscription_offline(chromium: str) -> None:
    room = room_name("ide")
    blocked: list[str] = []

    async def only_loopback(route: Route) -> None:
        host = route.request.url.split("/")[2].rsplit(":", 1)[0]
        if host in LOOPBACK:
            await route.continue_()
        else:
            blocked.append(route.request.url)
            await route.abort("internetdisconnected")

    with running_server("daphne") as base_url:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=chromium, args=OFFLINE_ARGS, headless=True
            )
            try:
                errors: list[str] = []
                sockets: list[str] = []

                async def open_ide() -> Page:
                    # A fresh context (no stored tabs) per operation: GraphiQL picks the
                    # transport from the operation name it holds, which must not be stale.
                    context = await browser.new_context(viewport={"width": 1280, "height": 900})
                    await context.route("**/*", only_loopback)
                    page = await context.new_page()
                    page.on("pageerror", lambda error: errors.append(str(error)))
                    page.on("websocket", lambda socket: sockets.append(socket.url))
                    await page.goto(f"{base_url}/graphql")
                    return page

                page = await open_ide()
                result = page.locator(".graphiql-response .CodeMirror").first
                await run_in_graphiql(page, "query WhichProcess { processId }", "WhichProcess")
                await expect(result).to_contain_text('"processId":', timeout=WAIT * 1000)
                await page.close()

                page = await open_ide()
                result = page.locator(".graphiql-response .CodeMirror").first
                await run_in_graphiql(
                    page,
                    "subscription JoinFromTheIDE { joinChatRooms("
                    f'rooms: [{{ roomName: "{room}" }}], user: "ide") {{ roomName message }} }}',
                    "JoinFromTheIDE",
                )
                await expect(result).to_contain_text("Hello my name is ide!", timeout=WAIT * 1000)
                await expect(result).to_contain_text(f"chat_{room}")

                # The subscription stays open: a mutation sent by another client shows up.
                async with httpx.AsyncClient(base_url=base_url, timeout=WAIT) as http:
                    variables = {"room": {"roomName": room}, "message": "hello from the test"}
                    sent = await http.post("/graphql", json={"query": SEND, "variables": variables})
                    assert sent.json() == {"data": {"sendChatMessage": None}}
                await expect(result).to_contain_text("hello from the test", timeout=WAIT * 1000)
                assert not errors, errors
                assert sockets == [ws_url(base_url, "/graphql")], sockets
                assert not blocked, f"the IDE asked for the network: {blocked}"
            finally:
                await browser.close()
