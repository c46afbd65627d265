"""The ticker example: one shared execution per symbol, however many clients watch it."""
