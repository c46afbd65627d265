"""The Channels tutorial's chat app: an index page, room pages and their WebSocket consumer."""
