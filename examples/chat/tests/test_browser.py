"""A real browser on the room page, and a GraphQL subscriber in the same room.

Headless Chromium (Debian's ``chromium`` package) driven by Python Playwright.
"""

from __future__ import annotations

from contextlib import aclosing

from gql import Client, GraphQLRequest
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.websockets import WebsocketsTransport
from playwright.async_api import async_playwright, expect

from tests.helpers import JOIN, SEND, WAIT, next_result, room_name, running_server, ws_url

expect.set_options(timeout=WAIT * 1000)  # the page may be slow on a busy machine

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


# --8<-- [start:browser]
async def test_message_posted_on_the_room_page_reaches_a_subscriber(chromium: str) -> None:
    room = room_name()
    join = GraphQLRequest(JOIN, variable_values={"rooms": [{"roomName": room}], "user": "foo"})
    send = GraphQLRequest(
        SEND, variable_values={"room": {"roomName": room}, "message": "hello from GraphQL"}
    )
    with running_server("daphne") as base_url:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=chromium, args=CHROMIUM_ARGS, headless=True
            )
            try:
                page = await browser.new_page()
                await page.goto(f"{base_url}/chat/{room}/")
                await expect(page.locator("#chat-state")).to_have_text("open")
                log = page.locator("#chat-log li")

                subscriber = Client(transport=WebsocketsTransport(url=ws_url(base_url, "/graphql")))
                sender = Client(transport=AIOHTTPTransport(url=f"{base_url}/graphql"))
                async with (
                    subscriber as subscription_session,
                    sender as http_session,
                    aclosing(subscription_session.subscribe(join)) as results,
                ):
                    welcome = (await next_result(results))["joinChatRooms"]["message"]
                    await expect(log).to_have_text([welcome])

                    await page.fill("#chat-message-input", "hello from web browser")
                    await page.click("#chat-message-submit")
                    from_page = (await next_result(results))["joinChatRooms"]
                    assert from_page["roomName"] == f"chat_{room}"
                    assert from_page["message"].endswith("-> hello from web browser")
                    await expect(log).to_have_text([welcome, from_page["message"]])
                    await expect(page.locator("#chat-message-input")).to_have_value("")

                    await http_session.execute(send)
                    assert (await next_result(results))["joinChatRooms"]["message"] == (
                        "hello from GraphQL"
                    )
                    await expect(log).to_have_text(
                        [welcome, from_page["message"], "hello from GraphQL"]
                    )
            finally:
                await browser.close()


# --8<-- [end:browser]
