"""Documents that cost far more than their size, from the issue and past advisories."""

from __future__ import annotations


def doubling_fragments(levels: int = 30) -> str:
    """Each fragment spreads the previous one twice: 2**levels fields."""
    lines = [f"query Bomb {{ ...F{levels - 1} }}", "fragment F0 on Query { hello }"]
    lines += [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels)]
    return "\n".join(lines)


def fragment_cycle() -> str:
    """Fragments that spread each other (validation refuses it, but a walker must not loop)."""
    first = "query { ...A } fragment A on Query { hello ...B }"
    return first + " fragment B on Query { node { name } ...A }"


def aliases(count: int) -> str:
    return "{ " + " ".join(f"a{i}: hello" for i in range(count)) + " }"


def aliases_in_fragment(spreads: int, per_fragment: int) -> str:
    """Few aliases written, many once the fragment is expanded."""
    body = " ".join(f"a{i}: hello" for i in range(per_fragment))
    fields = " ".join(f"n{i}: node {{ ...Many }}" for i in range(spreads))
    return f"{{ {fields} }} fragment Many on Node {{ {body.replace('hello', 'name')} }}"


def deep(depth: int) -> str:
    """``{ node { child { child ... { name } } } }`` with ``depth`` levels of fields."""
    return "{ node " + "{ child " * (depth - 2) + "{ name }" + " }" * (depth - 2) + " }"


def deep_through_fragments(depth: int) -> str:
    """The same depth written as a chain of fragments, one level each."""
    lines = [f"{{ node {{ ...D{depth - 2} }} }}", "fragment D0 on Node { name }"]
    lines += [f"fragment D{i} on Node {{ child {{ ...D{i - 1} }} }}" for i in range(1, depth - 1)]
    return "\n".join(lines)


def repeated_fields(size: int) -> str:
    """About ``size`` bytes of ``hello`` repeated."""
    return "{ " + "hello " * (size // 6) + "}"


def doubling_aliased_fragments(levels: int = 18) -> str:
    """Each fragment selects two aliased children spreading the previous one:
    ``2**levels`` leaves at execution, a kilobyte of text."""
    lines = [f"query Bomb {{ node {{ ...F{levels} }} }}", "fragment F0 on Node { name }"]
    lines += [
        f"fragment F{i} on Node {{ a: child {{ ...F{i - 1} }} b: child {{ ...F{i - 1} }} }}"
        for i in range(1, levels + 1)
    ]
    return "\n".join(lines)
