"""Reading learner recordings: any file soundfile can decode, as 16 kHz mono float32.

Every problem with a file becomes one InputError line that says what is wrong and what to
do; things worth knowing that do not stop the turn (a long file cut, clipped audio) are kept
as ``notes`` for the CLI to show.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError
from ..messages import SAMPLE_RATE, Clip

FORMATS = "wav, flac, ogg or mp3"
CLIPPED_SHARE = 0.001
"""Share of samples at full scale above which a recording counts as clipped."""
SILENT_PEAK = 1e-3
"""A recording whose loudest sample is below this is silence, whatever the VAD says."""
MIN_RATE, MAX_RATE = 4_000, 384_000
"""Sample rates a real recording has; a header outside them is damaged."""


def to_mono_16k(data: np.ndarray, rate: int) -> np.ndarray:
    """Mix down to mono and resample to 16 kHz with soxr."""
    mono = data.mean(axis=1) if data.ndim == 2 else data
    mono = np.ascontiguousarray(mono, dtype=np.float32)
    if rate != SAMPLE_RATE:
        import soxr

        mono = soxr.resample(mono, rate, SAMPLE_RATE, quality="HQ").astype(np.float32)
    return mono


def is_clipped(samples: np.ndarray) -> bool:
    return bool(samples.size) and float(np.mean(np.abs(samples) >= 0.999)) > CLIPPED_SHARE


def load_audio(path: str | Path, max_seconds: float = 30.0) -> Clip:
    """Decode ``path`` to a :class:`Clip`; InputError with one clear line if it cannot be used."""
    import soundfile as sf

    p = Path(path).expanduser()
    hint = f"give a recording in {FORMATS}"
    try:
        if not p.exists():
            raise InputError(f"{path}: no such file; {hint}")
        if not p.is_file():
            raise InputError(f"{path} is not a file; {hint}")
        if p.stat().st_size == 0:
            raise InputError(f"{path} is empty (0 bytes); record it again")
        info = sf.info(str(p))
    except OSError as err:  # a name too long, a folder that cannot be read
        raise InputError(f"cannot open {path} ({err.strerror or err}); {hint}") from None
    except UnicodeError:
        raise InputError(f"cannot open {path}: rename it with plain characters") from None
    except (sf.LibsndfileError, RuntimeError, TypeError) as err:
        raise InputError(f"{path} is not audio im4talkin can read ({_why(err)}); {hint}") from None
    if info.channels <= 0 or not MIN_RATE <= info.samplerate <= MAX_RATE:
        raise InputError(
            f"{path} says it has {info.channels} channels at {info.samplerate} Hz, which is not "
            f"a recording; {hint}"
        )
    notes = []
    limit = int(max_seconds * info.samplerate)
    if info.frames > limit:
        notes.append(
            f"{p.name} is {info.frames / info.samplerate:.0f} s long; only its first "
            f"{max_seconds:.0f} s were used (one turn is at most {max_seconds:.0f} s)"
        )
    try:
        data, damaged = _read_frames(p, limit)
    except (sf.LibsndfileError, RuntimeError) as err:
        raise InputError(
            f"{path} is damaged and cannot be decoded ({_why(err)}); record it again"
        ) from None
    rate = info.samplerate
    if data.size == 0:
        what = (
            "is damaged and cannot be decoded" if damaged else "has no audio samples (truncated?)"
        )
        raise InputError(f"{path} {what}; record it again")
    if damaged or "(should be" in info.extra_info:
        notes.append(
            f"{p.name} ends early (truncated?); used the {len(data) / rate:.1f} s that are there"
        )
    if not np.isfinite(data).all() or float(np.max(np.abs(data))) > 1e6:
        raise InputError(
            f"{path} holds invalid samples (NaN, infinity or absurd values); record it again"
        )
    if is_clipped(data):
        notes.append(
            f"{p.name} is clipped (too loud); words may be misheard, record a little quieter"
        )
    samples = to_mono_16k(np.clip(data, -1.0, 1.0), rate)
    if samples.size == 0:
        raise InputError(f"{path} is too short to hold speech; record it again")
    return Clip(samples, source=str(p), notes=notes)


def _read_frames(path: Path, limit: int) -> tuple[np.ndarray, bool]:
    """Up to ``limit`` frames, block by block; keep what decoded before any damage."""
    import soundfile as sf

    blocks = []
    damaged = False
    with sf.SoundFile(str(path)) as fh:
        block = max(1, fh.samplerate // 10)
        left = limit
        while left > 0:
            try:
                chunk = fh.read(min(block, left), dtype="float32", always_2d=True)
            except (sf.LibsndfileError, RuntimeError):
                damaged = True
                break
            if not len(chunk):
                break
            blocks.append(chunk)
            left -= len(chunk)
    if not blocks:
        return np.zeros((0, 1), np.float32), damaged
    return np.concatenate(blocks), damaged


def _why(err: Exception) -> str:
    text = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
    return text.removeprefix("Error opening ").strip()[:120]


def speech_span(clip: Clip, pad_s: float = 0.25) -> Clip:
    """The clip with silence trimmed off both ends (Silero VAD); InputError if no speech."""
    samples = clip.samples
    where = "the microphone" if clip.source == "microphone" else clip.source
    if samples.size == 0 or float(np.max(np.abs(samples))) < SILENT_PEAK:
        raise InputError(
            f"no speech heard in {where}: it is silent; speak a little louder or closer"
        )
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    spans = get_speech_timestamps(samples, VadOptions(min_silence_duration_ms=500))
    if not spans:
        raise InputError(f"no speech heard in {where}; speak a sentence in English and try again")
    pad = int(pad_s * SAMPLE_RATE)
    start = max(0, spans[0]["start"] - pad)
    end = min(len(samples), spans[-1]["end"] + pad)
    return Clip(samples[start:end], source=clip.source, notes=clip.notes)


def write_flac(path: Path, samples: np.ndarray, exclusive: bool = False) -> Path:
    """Store a learner recording as 16-bit FLAC at 16 kHz (StorageError if it cannot be;
    ``exclusive``: never over a file already there)."""
    return _write(path, samples, SAMPLE_RATE, "FLAC", exclusive)


def write_wav(path: Path, samples: np.ndarray, rate: int, exclusive: bool = False) -> Path:
    """A 16-bit PCM WAV."""
    return _write(path, samples, rate, "WAV", exclusive)


def _write(path: Path, samples: np.ndarray, rate: int, fmt: str, exclusive: bool) -> Path:
    """16-bit audio, written whole or not at all (:func:`~im4talkin.store.files.write_file`)."""
    import soundfile as sf

    from ..store.files import write_file

    def encode(tmp: Path) -> None:
        try:
            sf.write(str(tmp), samples, rate, format=fmt, subtype="PCM_16")
        except RuntimeError as err:  # libsndfile's errors (a full disk among them)
            raise OSError(str(err)) from None

    return write_file(path, encode, exclusive=exclusive)
