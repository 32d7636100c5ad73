"""Whisper weights from the CTranslate2 folder faster-whisper runs to transformers, and back.

``read_ct2`` parses ``model.bin`` itself (the inverse of ``ModelSpec._serialize`` in
ctranslate2), so no private ctranslate2 API is needed. The name mapping is the inverse of
ctranslate2's ``WhisperLoader``: CT2 fuses self-attention q/k/v into one ``linear_0`` and
cross-attention k/v into ``linear_1``; both are split back here. Whisper's k projections
have no bias (CT2 stores zeros there), and a key bias only shifts every score of a query by
the same amount, which softmax ignores, so dropping it is exact. The way back saves with
``save_pretrained`` and runs ctranslate2's own converter.
"""

from __future__ import annotations

import json
import logging
import os
import re
import struct
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ModelError

if TYPE_CHECKING:
    from transformers import WhisperForConditionalGeneration, WhisperProcessor

log = logging.getLogger(__name__)

BINARY_VERSION = 6
"""The ``model.bin`` layout read here (ctranslate2 ``CURRENT_BINARY_VERSION``)."""
DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
"""CTranslate2's type ids, in order (``include/ctranslate2/types.h``)."""
SPECIAL = {
    "eot": "<|endoftext|>",
    "sot": "<|startoftranscript|>",
    "translate": "<|translate|>",
    "transcribe": "<|transcribe|>",
    "prev": "<|startofprev|>",
    "no_timestamps": "<|notimestamps|>",
}
"""The special tokens every Whisper tokenizer has, by the role generation gives them."""
NOT_LANGUAGES = {*SPECIAL.values(), "<|startoflm|>", "<|nocaptions|>"}
COPY_FILES = ["tokenizer.json", "preprocessor_config.json"]
"""Files the converter copies beside ``model.bin`` (faster-whisper reads both)."""


class _Reader:
    """Little-endian fields from a byte buffer; running past its end is a ModelError."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data = memoryview(data)
        self.pos = 0
        self.path = path

    def take(self, size: int) -> memoryview:
        if self.pos + size > len(self.data):
            raise ModelError(f"{self.path} is truncated or not a CTranslate2 model.bin")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def unpack(self, fmt: str) -> int:
        return int(struct.unpack("<" + fmt, self.take(struct.calcsize(fmt)))[0])

    def string(self) -> str:
        raw = bytes(self.take(self.unpack("H")))
        if not raw.endswith(b"\0"):
            raise ModelError(f"{self.path} is not a CTranslate2 model.bin (bad string field)")
        return raw[:-1].decode("utf-8", errors="strict")


def _array(raw: memoryview, dtype: str, shape: list[int]) -> np.ndarray:
    if dtype == "bfloat16":  # numpy has no bfloat16: widen the 16 bits into float32's top half
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32).reshape(shape)
    return np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)


def _parse(path: Path) -> tuple[str, dict[str, np.ndarray]]:
    """The spec name and the variables of ``path``, aliases resolved, dtypes as stored."""
    try:
        reader = _Reader(path.read_bytes(), path)
    except OSError as err:
        raise ModelError(f"cannot read {path} ({err.strerror or err})") from None
    try:
        version = reader.unpack("I")
        if version != BINARY_VERSION:
            raise ModelError(
                f"{path} is not a CTranslate2 model.bin of binary version {BINARY_VERSION} "
                f"(read {version}); convert the model again with ctranslate2"
            )
        spec, _revision = reader.string(), reader.unpack("I")
        variables: dict[str, np.ndarray] = {}
        for _ in range(reader.unpack("I")):
            name = reader.string()
            shape = [reader.unpack("I") for _ in range(reader.unpack("B"))]
            type_id = reader.unpack("B")
            if type_id >= len(DTYPES):
                raise ModelError(f"{path}: variable {name} has unknown type id {type_id}")
            variables[name] = _array(reader.take(reader.unpack("I")), DTYPES[type_id], shape)
        for _ in range(reader.unpack("I")):
            alias, target = reader.string(), reader.string()
            variables[alias] = variables[target]
    except (UnicodeDecodeError, ValueError, KeyError) as err:
        raise ModelError(f"{path} is not a CTranslate2 model.bin ({err})") from None
    return spec, variables


def read_ct2(model_dir: str | Path) -> dict[str, np.ndarray]:
    """Every variable of a CTranslate2 ``model.bin``, by name, aliases resolved.

    Arrays keep their stored dtype (float16 stays float16, so round trips compare exactly);
    bfloat16 comes back as float32. They are read-only views of one buffer.
    """
    return _parse(_model_bin(model_dir))[1]


def _model_bin(model_dir: str | Path) -> Path:
    path = Path(model_dir) / "model.bin"
    if not path.is_file():
        raise ModelError(f"{model_dir} is not a CTranslate2 model folder (no model.bin)")
    return path


class _Used(dict[str, np.ndarray]):
    """Variables that remember which were read, so no weight is silently left behind."""

    def __init__(self, variables: dict[str, np.ndarray]) -> None:
        super().__init__(variables)
        self.used: set[str] = set()

    def __getitem__(self, name: str) -> np.ndarray:
        self.used.add(name)
        return super().__getitem__(name)


def _float(variables: dict[str, np.ndarray], name: str) -> np.ndarray:
    """A weight as float32; int8 weights are dequantized with their per-row scale."""
    value = variables[name]
    if value.dtype == np.int8 and value.ndim > 1:
        scale = variables[name.removesuffix("weight") + "weight_scale"].astype(np.float32)
        return value.astype(np.float32) / scale.reshape(-1, *([1] * (value.ndim - 1)))
    return value.astype(np.float32)


def _linear(v: dict[str, np.ndarray], ct: str, hf: list[str]) -> dict[str, np.ndarray]:
    """Split the (possibly fused) CT2 linear ``ct`` into the HF linears ``hf``."""
    weights = np.split(_float(v, f"{ct}/weight"), len(hf))
    biases = np.split(_float(v, f"{ct}/bias"), len(hf))
    out: dict[str, np.ndarray] = {}
    for name, weight, bias in zip(hf, weights, biases, strict=True):
        out[f"{name}.weight"] = weight
        if not name.endswith("k_proj"):  # HF Whisper's k_proj has no bias (see module doc)
            out[f"{name}.bias"] = bias
    return out


def _norm(v: dict[str, np.ndarray], ct: str, hf: str) -> dict[str, np.ndarray]:
    return {f"{hf}.weight": _float(v, f"{ct}/gamma"), f"{hf}.bias": _float(v, f"{ct}/beta")}


def _layer(v: dict[str, np.ndarray], ct: str, hf: str, cross: bool) -> dict[str, np.ndarray]:
    qkv = [f"{hf}.self_attn.{p}_proj" for p in "qkv"]
    sd = _linear(v, f"{ct}/self_attention/linear_0", qkv)
    sd |= _linear(v, f"{ct}/self_attention/linear_1", [f"{hf}.self_attn.out_proj"])
    if cross:  # cross-attention: q alone, k/v fused, then the output
        attn = f"{hf}.encoder_attn"
        sd |= _linear(v, f"{ct}/attention/linear_0", [f"{attn}.q_proj"])
        sd |= _linear(v, f"{ct}/attention/linear_1", [f"{attn}.k_proj", f"{attn}.v_proj"])
        sd |= _linear(v, f"{ct}/attention/linear_2", [f"{attn}.out_proj"])
        sd |= _norm(v, f"{ct}/attention/layer_norm", f"{hf}.encoder_attn_layer_norm")
    sd |= _norm(v, f"{ct}/self_attention/layer_norm", f"{hf}.self_attn_layer_norm")
    sd |= _linear(v, f"{ct}/ffn/linear_0", [f"{hf}.fc1"])
    sd |= _linear(v, f"{ct}/ffn/linear_1", [f"{hf}.fc2"])
    sd |= _norm(v, f"{ct}/ffn/layer_norm", f"{hf}.final_layer_norm")
    return sd


def _count_layers(variables: dict[str, np.ndarray], stack: str) -> int:
    found = {int(m.group(1)) for n in variables if (m := re.match(rf"{stack}/layer_(\d+)/", n))}
    return len(found)


def _state_dict(v: dict[str, np.ndarray], enc: int, dec: int) -> dict[str, np.ndarray]:
    """HF ``WhisperForConditionalGeneration`` weights from CT2 ``WhisperSpec`` variables."""
    sd = {
        "model.encoder.conv1.weight": _float(v, "encoder/conv1/weight"),
        "model.encoder.conv1.bias": _float(v, "encoder/conv1/bias"),
        "model.encoder.conv2.weight": _float(v, "encoder/conv2/weight"),
        "model.encoder.conv2.bias": _float(v, "encoder/conv2/bias"),
        "model.encoder.embed_positions.weight": _float(v, "encoder/position_encodings/encodings"),
        "model.decoder.embed_tokens.weight": _float(v, "decoder/embeddings/weight"),
        "model.decoder.embed_positions.weight": _float(v, "decoder/position_encodings/encodings"),
        "proj_out.weight": _float(v, "decoder/projection/weight"),
    }
    sd |= _norm(v, "encoder/layer_norm", "model.encoder.layer_norm")
    sd |= _norm(v, "decoder/layer_norm", "model.decoder.layer_norm")
    for i in range(enc):
        sd |= _layer(v, f"encoder/layer_{i}", f"model.encoder.layers.{i}", cross=False)
    for i in range(dec):
        sd |= _layer(v, f"decoder/layer_{i}", f"model.decoder.layers.{i}", cross=True)
    return sd


def _special_ids(tokenizer_file: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Ids of the roles in :data:`SPECIAL`, and of the language tokens, from tokenizer.json."""
    try:
        added = json.loads(tokenizer_file.read_text(encoding="utf-8"))["added_tokens"]
        ids = {tok["content"]: int(tok["id"]) for tok in added}
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ModelError(f"{tokenizer_file} is not a Whisper tokenizer.json ({err})") from None
    missing = [tok for tok in SPECIAL.values() if tok not in ids]
    if missing:
        raise ModelError(f"{tokenizer_file} lacks Whisper's special tokens {missing}")
    langs = {
        tok: i
        for tok, i in ids.items()
        if re.fullmatch(r"<\|[a-z]+\|>", tok) and tok not in NOT_LANGUAGES
    }
    return {role: ids[tok] for role, tok in SPECIAL.items()}, langs


def _read_config(model_dir: Path) -> dict[str, Any]:
    path = model_dir / "config.json"
    try:
        return dict(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else {}
    except (OSError, ValueError) as err:
        raise ModelError(f"{path} is not valid JSON ({err})") from None


def _configs(v: dict[str, np.ndarray], model_dir: Path, tied: bool) -> tuple[Any, Any]:
    """The WhisperConfig (shapes) and GenerationConfig (config.json, tokenizer) of a CT2 folder."""
    from transformers import GenerationConfig, WhisperConfig

    ct2 = _read_config(model_dir)
    ids, langs = _special_ids(model_dir / "tokenizer.json")
    if ct2.get("lang_ids") is not None:
        keep = set(ct2["lang_ids"])
        langs = {tok: i for tok, i in langs.items() if i in keep}
    vocab, d_model = v["decoder/embeddings/weight"].shape
    config = WhisperConfig(
        vocab_size=vocab,
        num_mel_bins=v["encoder/conv1/weight"].shape[1],
        d_model=d_model,
        encoder_layers=_count_layers(v, "encoder"),
        decoder_layers=_count_layers(v, "decoder"),
        encoder_attention_heads=int(v["encoder/num_heads"]),
        decoder_attention_heads=int(v["decoder/num_heads"]),
        encoder_ffn_dim=v["encoder/layer_0/ffn/linear_0/weight"].shape[0],
        decoder_ffn_dim=v["decoder/layer_0/ffn/linear_0/weight"].shape[0],
        max_source_positions=v["encoder/position_encodings/encodings"].shape[0],
        max_target_positions=v["decoder/position_encodings/encodings"].shape[0],
        decoder_start_token_id=ids["sot"],
        bos_token_id=ids["eot"],
        eos_token_id=ids["eot"],
        pad_token_id=ids["eot"],
        suppress_tokens=list(ct2.get("suppress_ids") or []),
        begin_suppress_tokens=list(ct2.get("suppress_ids_begin") or [220, ids["eot"]]),
        tie_word_embeddings=tied,
    )
    gen = GenerationConfig(
        decoder_start_token_id=ids["sot"],
        bos_token_id=ids["eot"],
        eos_token_id=ids["eot"],
        pad_token_id=ids["eot"],
        max_length=config.max_target_positions,
        suppress_tokens=config.suppress_tokens,
        begin_suppress_tokens=config.begin_suppress_tokens,
        no_timestamps_token_id=ids["no_timestamps"],
        prev_sot_token_id=ids["prev"],
        is_multilingual=bool(langs),
        lang_to_id=langs,
        task_to_id={"transcribe": ids["transcribe"], "translate": ids["translate"]},
        return_timestamps=False,
        max_initial_timestamp_index=50,
    )
    if ct2.get("alignment_heads"):
        gen.alignment_heads = [list(map(int, pair)) for pair in ct2["alignment_heads"]]
    return config, gen


def _processor(model_dir: Path, n_mels: int) -> WhisperProcessor:
    from transformers import WhisperFeatureExtractor, WhisperProcessor, WhisperTokenizer

    tokenizer = WhisperTokenizer(tokenizer_file=str(model_dir / "tokenizer.json"))
    return WhisperProcessor(WhisperFeatureExtractor(feature_size=n_mels), tokenizer)


def ct2_to_transformers(
    model_dir: str | Path,
) -> tuple[WhisperForConditionalGeneration, WhisperProcessor]:
    """A float32 transformers Whisper (in eval mode) and its processor, from a CT2 folder."""
    import torch
    from transformers import WhisperForConditionalGeneration

    folder = Path(model_dir)
    spec, v = _parse(_model_bin(folder))
    if spec != "WhisperSpec":
        raise ModelError(f"{folder} holds a CTranslate2 {spec}, not a Whisper model")
    try:
        tied = v["decoder/projection/weight"] is v["decoder/embeddings/weight"]
        config, gen = _configs(v, folder, tied)
        used = _Used(v)
        sd = _state_dict(used, config.encoder_layers, config.decoder_layers)
    except KeyError as err:
        raise ModelError(
            f"{folder} is not a complete CTranslate2 Whisper model (no {err})"
        ) from None
    left = sorted(n for n, a in v.items() if a.ndim and n not in used.used)
    if left:
        raise ModelError(f"{folder} has weights that Whisper has no place for: {left[:3]}")
    model = WhisperForConditionalGeneration(config)
    tensors = {k: torch.from_numpy(np.ascontiguousarray(a)) for k, a in sd.items()}
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    if unexpected or set(missing) - ({"proj_out.weight"} if tied else set()):
        raise ModelError(f"{folder}: weights do not fit Whisper ({missing=}, {unexpected=})")
    model.generation_config = gen
    model.eval()
    return model, _processor(folder, config.num_mel_bins)


def transformers_to_ct2(
    model: WhisperForConditionalGeneration,
    processor: WhisperProcessor,
    out_dir: str | Path,
    quantization: str = "float16",
) -> Path:
    """Write a faster-whisper folder for ``model``; an existing ``out_dir`` is replaced.

    Everything is built in a temp folder beside ``out_dir`` and renamed into place, so a
    crash leaves either the old folder or the new one, never half of one.
    """
    from ctranslate2.converters import TransformersConverter

    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.name}.") as tmp:
        hf, ct2 = Path(tmp) / "hf", Path(tmp) / "ct2"
        model.save_pretrained(hf)
        processor.save_pretrained(hf)
        # transformers 5 folds it into processor_config.json; faster-whisper reads this one
        processor.feature_extractor.save_pretrained(hf)
        try:
            converter = TransformersConverter(str(hf), copy_files=COPY_FILES)
            converter.convert(str(ct2), quantization=quantization, force=True)
        except (ValueError, RuntimeError, OSError) as err:
            raise ModelError(f"cannot convert the model to CTranslate2 ({err})") from None
        if out.exists():
            os.replace(out, Path(tmp) / "old")  # removed with tmp once the new one is in place
        os.replace(ct2, out)
    log.info("wrote CTranslate2 Whisper (%s) to %s", quantization, out)
    return out
