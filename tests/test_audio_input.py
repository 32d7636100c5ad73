"""Bad audio files: one clear line, a non-zero exit, no traceback, earlier turns kept."""

import json

import numpy as np
import pytest
import soundfile as sf

from im4talkin.audio.io import SAMPLE_RATE, load_audio
from im4talkin.errors import InputError
from im4talkin.store.db import Store

SMOL = ("--llm", "smollm2", "--no-llm-feedback", "--no-speak")
GOOD = "I would like to book a room for two nights."


def _saved_turns():
    store = Store()
    return [t for s in store.sessions("default") for t in store.turns(s["id"])]


def _missing(tmp_path, speech):
    return tmp_path / "nothing-here.wav"


def _empty(tmp_path, speech):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    return path


def _text_named_wav(tmp_path, speech):
    path = tmp_path / "notes.wav"
    path.write_text("this is a shopping list, not a recording\n" * 20)
    return path


def _corrupt(tmp_path, speech):
    path = tmp_path / "corrupt.flac"
    path.write_bytes(b"fLaC" + np.random.default_rng(3).bytes(20_000))
    return path


def _header_only(tmp_path, speech):
    path = tmp_path / "header-only.wav"
    path.write_bytes(speech(GOOD).read_bytes()[:44])
    return path


def _silence(tmp_path, speech):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(SAMPLE_RATE * 3, np.float32), SAMPLE_RATE)
    return path


BAD = {
    "missing": (_missing, "no such file"),
    "empty": (_empty, "is empty"),
    "text file named .wav": (_text_named_wav, "not audio im4talkin can read"),
    "corrupt": (_corrupt, "not audio im4talkin can read"),
    "truncated to its header": (_header_only, "no audio samples"),
    "silence": (_silence, "no speech heard"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_audio_is_one_line_and_nothing_is_lost(case, cli, cached_models, speech, tmp_path):
    make, message = BAD[case]
    bad = make(tmp_path, speech)
    code, out, err = cli(
        "talk", *SMOL, "--json", "--text", "i like travel by train", "--input-audio", str(bad)
    )
    assert code == 2, err
    assert message in err and str(bad.name) in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    if case == "silence":  # found while running: the typed turn before it is saved
        assert [t["text"] for t in _saved_turns()] == ["i like travel by train"]
        assert json.loads(out)["turn"] == 1
    else:  # found before the session starts: nothing half done
        assert out == "" and not _saved_turns()


def test_a_file_that_cannot_be_decoded_fails_before_the_session_starts(
    cli, cached_models, tmp_path, speech
):
    code, out, err = cli("talk", *SMOL, "--input-audio", str(_corrupt(tmp_path, speech)))
    assert code == 2 and out == "" and not _saved_turns()


@pytest.mark.parametrize("fmt", ["WAV", "FLAC"])
def test_a_truncated_recording_uses_what_is_there(fmt, tmp_path, speech):
    audio, rate = sf.read(speech(GOOD), dtype="float32")
    whole = tmp_path / f"whole.{fmt.lower()}"
    sf.write(whole, audio, rate, format=fmt)
    data = whole.read_bytes()
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(data[: len(data) * 2 // 3])  # the header still claims the whole length
    clip = load_audio(path)
    assert 1.0 < clip.seconds and any("ends early" in n for n in clip.notes)


def test_clipped_audio_is_used_and_said_so(cli, cached_models, tmp_path, speech):
    audio, rate = sf.read(speech(GOOD), dtype="float32")
    path = tmp_path / "loud.wav"
    sf.write(path, np.clip(audio * 8, -1, 1), rate)
    code, out, err = cli("talk", *SMOL, "--json", "--input-audio", str(path))
    assert code == 0, err
    turn = json.loads(out)
    assert "clipped" in err and any("clipped" in n for n in turn["notes"])
    assert "room" in turn["transcript"].lower()


def test_8khz_stereo_is_resampled(cli, cached_models, tmp_path, speech):
    import soxr

    audio, rate = sf.read(speech(GOOD), dtype="float32")
    low = soxr.resample(audio, rate, 8000)
    path = tmp_path / "phone.wav"
    sf.write(path, np.stack([low, low * 0.5], axis=1), 8000)
    assert sf.info(path).channels == 2
    code, out, err = cli("talk", *SMOL, "--json", "--input-audio", str(path))
    assert code == 0, err
    assert "two nights" in json.loads(out)["transcript"].lower()


@pytest.mark.parametrize("fmt", ["FLAC", "OGG", "MP3"])
def test_other_formats_are_read(fmt, tmp_path, speech):
    audio, rate = sf.read(speech(GOOD), dtype="float32")
    path = tmp_path / f"turn.{fmt.lower()}"
    sf.write(path, audio, rate, format=fmt)
    clip = load_audio(path)
    assert clip.samples.dtype == np.float32 and abs(clip.seconds - len(audio) / rate) < 0.2


def test_a_one_hour_file_is_cut_and_said_so(cli, cached_models, tmp_path, speech):
    audio, rate = sf.read(speech(GOOD), dtype="float32")
    path = tmp_path / "lecture.flac"
    with sf.SoundFile(path, "w", samplerate=rate, channels=1, format="FLAC") as fh:
        fh.write(audio)
        quiet = np.zeros(rate * 60, np.float32)
        for _ in range(60):
            fh.write(quiet)
    assert sf.info(path).duration > 3600
    code, out, err = cli("talk", *SMOL, "--json", "--input-audio", str(path))
    assert code == 0, err
    turn = json.loads(out)
    assert "only its first 30 s were used" in err and turn["notes"]
    assert "two nights" in turn["transcript"].lower()


def test_nan_samples_are_refused(tmp_path):
    path = tmp_path / "nan.wav"
    sf.write(path, np.full(16000, np.nan, np.float32), 16000, subtype="FLOAT")
    with pytest.raises(InputError, match="invalid samples"):
        load_audio(path)


def test_save_audio_into_an_unwritable_place_is_one_line(cli, cached_models, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, out, err = cli(
        "talk", *SMOL, "--text", "hello there", "--save-audio", str(blocker / "sub")
    )
    assert code == 2 and "cannot write to --save-audio" in err and "Traceback" not in err
