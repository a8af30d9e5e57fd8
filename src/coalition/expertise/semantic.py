"""Semantic search of expertise, the optional ``semantic`` extra: profiles and queries are
embedded by WordLlama's ``l2_supercat`` model (256 dimensions), whose weights and tokenizer
ship inside the ``wordllama`` wheel. They are read from the installed package, never
downloaded. Without the extra the node searches by full text only (``available()`` is
False) and nothing here is imported.

An embedding finds profiles that share no word with the query ("air-breathing propulsion"
near "scramjet combustor"); it complements the full-text ranking, it does not replace it."""

from __future__ import annotations

import importlib.util
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

MODEL = "wordllama-l2_supercat-256"
DIMENSIONS = 256
#: Below this cosine similarity a profile is not counted as a result.
MIN_SIMILARITY = 0.1


def available() -> bool:
    return importlib.util.find_spec("wordllama") is not None


@cache
def _model() -> Any:
    # Loaded from the files inside the package: WordLlama.load() would look for the
    # tokenizer elsewhere and try the network, which a node may not reach.
    from safetensors import safe_open
    from tokenizers import Tokenizer
    from wordllama.inference import WordLlamaInference

    root = resources.files("wordllama")
    tokenizer = Tokenizer.from_file(str(root / "tokenizers" / "l2_supercat_tokenizer_config.json"))
    with safe_open(str(root / "weights" / "l2_supercat_256.safetensors"), "np") as weights:
        embedding = weights.get_tensor("embedding.weight")
    return WordLlamaInference(embedding, tokenizer)


def embed(texts: list[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
    """Unit vectors, one row per text."""
    vectors = np.asarray(_model().embed(texts, norm=True), dtype=np.float32)
    return vectors.reshape(len(texts), DIMENSIONS)


def to_bytes(vector: np.ndarray[Any, np.dtype[np.float32]]) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes) -> np.ndarray[Any, np.dtype[np.float32]]:
    return np.frombuffer(data, dtype="<f4")
