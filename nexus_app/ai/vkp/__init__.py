"""Knowledge packages (VKP): one folder per book version, swapped in atomically.

Layout under a root folder (the app uses ``NEXUS_DATA_DIR/vkp``)::

    <root>/<book_key>/
        current.json            {"version": "1.1.0"}   (replaced atomically with os.replace)
        1.0.0/                  previous version, still complete and loadable
        1.1.0/
            manifest.json       see :class:`Manifest`
            chunks.jsonl        one passage per line: id, text, page, page_end, heading,
                                heading_path
            embeddings.npy      float32 (chunk_count, dim), L2-normalised
            index.hnsw          hnswlib index, cosine space, labels = chunk ids
            bm25/               bm25s index over :func:`nexus_app.ai.chunking.tokenize` tokens
        .lock                   serialises builds and imports of this book

Versioning (semantic): the first build is ``1.0.0``. A build whose source checksum differs
from the current version's is a content change: minor bump (``1.0.0`` → ``1.1.0``). Same
content but a different embedder, chunking or format: patch bump (re-index). Same content and
settings: nothing is built and the current version is returned (``created=False``).

Atomic swap: a build is written into ``<book_key>/.build-*``, fsynced, renamed to its version
folder, and only then ``current.json`` is replaced. Readers that resolve ``current.json`` see
either the old complete version or the new complete version, never a half-written one.

Export/import: :func:`export_package` writes one ``.vkp`` file (a gzip tar of the version
folder). :func:`import_package` checks every member name, the manifest and each file's sha256
against the manifest before anything becomes visible; a bad or forged file raises
:class:`CorruptPackage` and leaves the root as it was. Checksums give integrity, not
authenticity: anyone can write a valid package, so only admins may import. The derived
indexes of an imported package (``index.hnsw``, ``bm25/``) are never extracted or loaded:
hnswlib's loader is native code that trusts its input, so both are rebuilt here from the
package's checked embeddings and chunks (the manifest then lists the rebuilt files).
"""

from .build import build_package, prune_versions
from .manifest import (
    BM25_DIR,
    CHUNKS,
    CURRENT,
    EMBEDDINGS,
    EXPORT_SUFFIX,
    FORMAT_VERSION,
    HNSW_FILE,
    MANIFEST,
    BuildResult,
    CorruptPackage,
    HnswParams,
    ImportResult,
    Manifest,
    Package,
    PackageError,
    PackageNotFound,
    ProgressCallback,
)
from .store import (
    book_dir,
    current_version,
    list_books,
    list_versions,
    load_current,
    load_package,
    make_book_key,
    set_current,
)
from .transfer import export_package, import_package, read_manifest

__all__ = [
    "BM25_DIR",
    "CHUNKS",
    "CURRENT",
    "EMBEDDINGS",
    "EXPORT_SUFFIX",
    "FORMAT_VERSION",
    "HNSW_FILE",
    "MANIFEST",
    "BuildResult",
    "CorruptPackage",
    "HnswParams",
    "ImportResult",
    "Manifest",
    "Package",
    "PackageError",
    "PackageNotFound",
    "ProgressCallback",
    "book_dir",
    "build_package",
    "current_version",
    "export_package",
    "import_package",
    "list_books",
    "list_versions",
    "load_current",
    "load_package",
    "make_book_key",
    "prune_versions",
    "read_manifest",
    "set_current",
]
