"""Local AI: embedder, retriever, language model, grounded answers, knowledge packages."""
