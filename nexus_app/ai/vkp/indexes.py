"""The derived search indexes (BM25 and HNSW), built from chunks and embeddings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nexus_app.ai.chunking import (
    TOKENIZER_VERSION,
    Chunk,
    tokenize,
)

from .manifest import HnswParams

# --- building ------------------------------------------------------------------------------


def _bm25_params() -> dict[str, Any]:
    return {"tokenizer": TOKENIZER_VERSION, "k1": 1.2, "b": 0.75, "method": "lucene"}


def _build_bm25(chunks: Sequence[Chunk], params: dict[str, Any]) -> Any:
    import bm25s

    bm25 = bm25s.BM25(
        k1=float(params.get("k1", 1.2)),
        b=float(params.get("b", 0.75)),
        method=str(params.get("method", "lucene")),
    )
    corpus = [tokenize(c.index_text()) or [""] for c in chunks]
    bm25.index(corpus, show_progress=False)
    return bm25


def _build_hnsw(embeddings: np.ndarray, params: HnswParams) -> Any:
    import hnswlib

    n, dim = embeddings.shape
    index = hnswlib.Index(space="cosine", dim=dim)
    # Fixed seed: the same content gives the same graph (reproducible builds).
    index.init_index(
        max_elements=n, ef_construction=params.ef_construction, M=params.M, random_seed=42
    )
    index.set_num_threads(1)
    index.add_items(embeddings, np.arange(n))
    index.set_ef(params.ef_search)
    return index
