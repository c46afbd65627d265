"""A small schema for the playground page to query."""

from __future__ import annotations

import strawberry


@strawberry.type
class Book:
    title: str
    author: str


BOOKS = [
    Book(title="The Left Hand of Darkness", author="Ursula K. Le Guin"),
    Book(title="Kindred", author="Octavia E. Butler"),
]


@strawberry.type
class Query:
    @strawberry.field
    def books(self) -> list[Book]:
        return BOOKS


schema = strawberry.Schema(query=Query)
