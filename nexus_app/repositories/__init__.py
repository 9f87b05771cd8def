"""Data access: one module per aggregate; every function takes the session by keyword."""
