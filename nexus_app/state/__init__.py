"""Reflex states: thin, they check the user on every private event and call services."""
