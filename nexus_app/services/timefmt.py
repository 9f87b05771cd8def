"""Times as a person reads them: moved to `nexus_app.formatting` (WIB, zone stated).

Kept as an alias while state modules still import it from here; new code imports
`nexus_app.formatting`.
"""

from __future__ import annotations

from nexus_app.formatting import (
    LOCAL_ZONE,
    ZONE_NAME,
    format_date,
    format_datetime,
    local_date,
    to_local,
)

__all__ = ["LOCAL_ZONE", "ZONE_NAME", "format_date", "format_datetime", "local_date", "to_local"]
