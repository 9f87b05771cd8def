"""The local chat model (llama.cpp through llama-cpp-python): streaming, queued, cancellable.

- :class:`LocalLLM` loads a GGUF (the joined packaged model by default, or the path the app
  passes from ``NEXUS_LLM_MODEL``) with ``n_threads=2``. The chat template comes from the GGUF
  (``create_chat_completion``). A missing file raises :class:`ModelUnavailable`.
- One generation at a time per process: every model shares :data:`GENERATION_QUEUE`, a FIFO
  lock whose :meth:`FifoLock.position` tells the UI "you are number N in line". The line can be
  bounded (``generate(max_waiting=N)`` raises :class:`QueueFull` at once when N already wait),
  and the lock keeps a running median of recent generation times for a wait estimate
  (:meth:`Generation.estimated_wait`). llama.cpp keeps the previous prompt's KV cache, so
  prompts should start with what repeats (the constant system prompt) — a follow-up then skips
  re-reading it.
- :meth:`LocalLLM.generate` returns a :class:`Generation`: iterate it for text pieces as they
  are produced; a time limit and a cancel event are checked between tokens; ``.stats`` holds
  token counts and timings afterwards. :meth:`Generation.wait` waits for the slot while
  reporting the queue position. Use it as a context manager (or call ``close``) so the queue
  slot is released even if the consumer stops early.
- :class:`ScriptedChatModel` is a stand-in with the same queue/limit/cancel behaviour that
  "generates" fixed text: for tests of code that uses a model.
- :func:`aiter_generation` bridges a generation into ``async for`` (Reflex background events)
  by running it in a worker thread; leaving the loop cancels the generation.
"""

from nexus_app.ai.models import ModelUnavailable

from .generation import ChatModel, Generation, GenerationStats, aiter_generation
from .local import LocalLLM, ScriptedChatModel
from .queue import (
    DEFAULT_N_CTX,
    DEFAULT_THREADS,
    DURATION_HISTORY,
    GENERATION_QUEUE,
    ChatMessage,
    FifoLock,
    QueueFull,
    QueueTimeout,
    StopReason,
)

__all__ = [
    "DEFAULT_N_CTX",
    "DEFAULT_THREADS",
    "DURATION_HISTORY",
    "GENERATION_QUEUE",
    "ChatMessage",
    "ChatModel",
    "FifoLock",
    "Generation",
    "GenerationStats",
    "LocalLLM",
    "ModelUnavailable",
    "QueueFull",
    "QueueTimeout",
    "ScriptedChatModel",
    "StopReason",
    "aiter_generation",
]
