"""The GraphQL side of the chat: types, the joinChatRooms subscription, sendChatMessage."""
