"""States of the admin area: one module per section, named like its page module."""
