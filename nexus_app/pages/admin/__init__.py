"""The admin area: one module per section, each behind the admin guard."""
