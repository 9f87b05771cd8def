"""Textbooks and their knowledge packages (VKP): ingest, export, import, list.

Packages live under NEXUS_DATA_DIR/packages/<book key>/<version>/; the `books` row carries
the current version and chunk count. A new build becomes current only when complete, so
the previous version keeps serving until then.

The admin page uploads into NEXUS_DATA_DIR/tmp/uploads/<random>/ (:func:`stage_upload`);
a staged file lives only until its ingestion or import ends (the package keeps the text it
needs; a copy of the book file is kept beside the versions, <book key>/sources/, for the
source viewer, see source_view.py), and stale ones are swept after a day.
"""

from .footprint import PackageFootprint, package_footprint, removing_packages
from .library import (
    MAX_PACKAGE_BYTES,
    MAX_UPLOAD_BYTES,
    STAGE_MAX_AGE_SECONDS,
    SUPPORTED,
    BookView,
    IngestResult,
    Progress,
    embedder_name,
    export_book,
    import_book,
    ingest_book,
    list_books,
    packages_root,
    staging_root,
    temp_root,
)
from .removal import admin_delete_book, admin_delete_version
from .uploads import (
    STAGE_LABELS,
    IngestProgress,
    StagedUpload,
    UploadKind,
    discard_staged,
    ingest_staged,
    progress_percent,
    stage_upload,
    too_big_message,
)
from .versions import (
    BookAdminView,
    PackageFile,
    PackageVersionView,
    admin_export_package,
    admin_import_package,
    admin_list_books,
    admin_set_current_version,
)

__all__ = [
    "MAX_PACKAGE_BYTES",
    "MAX_UPLOAD_BYTES",
    "STAGE_LABELS",
    "STAGE_MAX_AGE_SECONDS",
    "SUPPORTED",
    "BookAdminView",
    "BookView",
    "IngestProgress",
    "IngestResult",
    "PackageFile",
    "PackageFootprint",
    "PackageVersionView",
    "Progress",
    "StagedUpload",
    "UploadKind",
    "admin_delete_book",
    "admin_delete_version",
    "admin_export_package",
    "admin_import_package",
    "admin_list_books",
    "admin_set_current_version",
    "discard_staged",
    "embedder_name",
    "export_book",
    "import_book",
    "ingest_book",
    "ingest_staged",
    "list_books",
    "package_footprint",
    "packages_root",
    "progress_percent",
    "removing_packages",
    "stage_upload",
    "staging_root",
    "temp_root",
    "too_big_message",
]
