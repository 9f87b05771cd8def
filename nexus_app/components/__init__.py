"""Reusable UI pieces: the app shell, cards, notices."""
