"""Sans-IO protocol state machines: decoded input in, actions out."""
