"""Unit tests for nexus_app.ai (no database, no Reflex)."""
