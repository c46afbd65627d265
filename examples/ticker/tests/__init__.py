"""Tests of the ticker example: real servers, real clients."""
