"""Spoken turns on the real bundled models: Whisper hears Piper's speech, Piper voices replies."""

import json

import jiwer
import numpy as np
import pytest
import soundfile as sf

from im4talkin.audio.io import SAMPLE_RATE, Clip, load_audio, speech_span
from im4talkin.bundled import WHISPER_BASE, whisper_base_dir
from im4talkin.errors import InputError
from im4talkin.store.db import Store

SMOL = ("--llm", "smollm2", "--no-llm-feedback")


def _wer(truth: str, heard: str) -> float:
    clean = jiwer.Compose(
        [
            jiwer.ToLowerCase(),
            jiwer.RemovePunctuation(),
            jiwer.RemoveMultipleSpaces(),
            jiwer.Strip(),
            jiwer.ReduceToListOfListOfWords(),
        ]
    )
    return jiwer.wer(truth, heard, reference_transform=clean, hypothesis_transform=clean)


def test_whisper_base_is_joined_from_its_parts_and_verified(whisper_base):
    folder = whisper_base_dir()
    assert (folder / "model.bin").stat().st_size == WHISPER_BASE.size
    stamp = json.loads((folder / "model.bin.verified.json").read_text())
    assert stamp["sha256"] == WHISPER_BASE.sha256
    assert {p.name for p in folder.iterdir()} >= {
        "model.bin",
        "config.json",
        "tokenizer.json",
        "vocabulary.txt",
    }


@pytest.mark.parametrize("model", ["whisper_base", "whisper_tiny"])
def test_whisper_hears_a_learner_sentence_with_its_mistake(request, speech, model):
    asr = request.getfixturevalue(model)
    said = "yesterday i go to the beach with my friends"
    heard = asr.transcribe(load_audio(speech(said)).samples)
    assert _wer(said, heard) <= 0.15, heard
    assert " go " in f" {heard.lower()} "  # the tense mistake survives, not "went"


def test_piper_speaks_a_sentence(piper):
    audio = piper.synthesize("Hello! Where would you like to travel next?")
    assert piper.sample_rate == 22050
    assert 1.0 < len(audio) / piper.sample_rate < 6.0
    assert 0.1 < float(np.abs(audio).max()) <= 1.0


def test_steady_speech_is_the_same_every_take(piper):
    text = "I would like to book a room for two nights, please."
    takes = [piper.synthesize(text), piper.synthesize(text)]
    assert len(takes[0]) != len(takes[1]) or not np.array_equal(*takes)  # the voice varies
    steady = [piper.synthesize(text, steady=True), piper.synthesize(text, steady=True)]
    np.testing.assert_array_equal(*steady)


def test_whisper_reads_back_what_piper_said(whisper_base, piper):
    text = "The museum opens early in the morning."
    import soxr

    samples = soxr.resample(piper.synthesize(text), piper.sample_rate, SAMPLE_RATE)
    assert _wer(text, whisper_base.transcribe(samples.astype(np.float32))) <= 0.1


def test_silence_is_no_speech():
    with pytest.raises(InputError, match="no speech heard"):
        speech_span(Clip(np.zeros(SAMPLE_RATE * 2, np.float32)))
    noise = np.random.default_rng(1).normal(0, 0.005, SAMPLE_RATE * 2).astype(np.float32)
    with pytest.raises(InputError, match="no speech heard"):
        speech_span(Clip(noise))


def test_silence_is_trimmed_around_speech(speech):
    clip = load_audio(speech("I like cheese."))
    padded = Clip(np.concatenate([np.zeros(SAMPLE_RATE * 3, np.float32), clip.samples]))
    assert speech_span(padded).seconds < clip.seconds + 0.6


def test_a_spoken_scripted_session(cli, cached_models, speech, tmp_path, home, no_speakers):
    replies = tmp_path / "replies"
    code, out, err = cli(
        "talk",
        "--topic",
        "travel",
        *SMOL,
        "--json",
        "--save-audio",
        str(replies),
        "--input-audio",
        str(speech("yesterday i go to the beach with my friends")),
        "--input-audio",
        str(speech("we eat fish and swim in the sea")),
    )
    assert code == 0, err
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["input"] == "audio" and second["input"] == "audio"
    assert _wer("yesterday i go to the beach with my friends", first["transcript"]) <= 0.15
    fix = first["corrections"][0]
    assert (fix["original"].lower(), fix["corrected"], fix["kind"]) == ("go", "went", "tense")
    timings = first["timings_ms"]
    # the timeline: transcript, first token, first piece for the voice, its audio
    assert 0 < timings["asr"] < timings["llm_first_token"] <= timings["llm_first_chunk"]
    assert timings["llm_first_chunk"] <= min(
        timings["llm_first_sentence"], timings["tts_first_audio"]
    )
    assert timings["tts_total"] >= timings["tts_first_audio"] > 0
    # the learner's recordings are kept as FLAC under the data dir, referenced from the turns
    store = Store()
    (session,) = store.sessions("default")
    turns = store.turns(session["id"])
    assert [t["input"] for t in turns] == ["audio", "audio"]
    for turn, printed in zip(turns, (first, second), strict=True):
        assert turn["recording"] == printed["recording"]
        assert turn["recording"].startswith(str(home)) and turn["recording"].endswith(".flac")
        info = sf.info(turn["recording"])
        assert (info.format, info.samplerate, info.channels) == ("FLAC", 16000, 1)
        # --save-audio wrote one playable WAV per reply
        wav = sf.info(printed["reply_audio"])
        assert (wav.format, wav.samplerate, wav.channels) == ("WAV", 22050, 1)
        assert wav.duration > 0.5
        assert turn["reply_audio"] == printed["reply_audio"]
    assert "no sound output device" in err  # this machine has none: shown, not spoken


def test_typed_and_spoken_turns_in_one_run(cli, cached_models, speech):
    code, out, err = cli(
        "talk",
        *SMOL,
        "--json",
        "--no-speak",
        "--text",
        "i like travel by train",
        "--input-audio",
        str(speech("I want to visit my grandmother next summer.")),
    )
    assert code == 0, err
    typed, spoken = (json.loads(line) for line in out.splitlines())
    assert (typed["input"], spoken["input"]) == ("text", "audio")
    assert spoken["turn"] == 2 and spoken["reply_audio"] is None
    assert spoken["timings_ms"]["tts_first_audio"] == 0  # --no-speak and no --save-audio
    assert "output device" not in err  # not asked to speak: no notice


def test_speed_changes_the_reply_length(settings):
    import copy

    from im4talkin import registry
    from im4talkin.config import override

    slow = registry.create("tts", "piper-joe", override(copy.deepcopy(settings), tts__speed=0.7))
    fast = registry.create("tts", "piper-joe", override(copy.deepcopy(settings), tts__speed=1.5))
    text = "Tell me about the last city you visited."
    assert len(slow.synthesize(text)) > 1.5 * len(fast.synthesize(text))


def test_whisper_tiny_is_chosen_with_asr_flag(
    cli, cached_models, whisper_tiny, speech, monkeypatch
):
    from im4talkin import registry

    used = []

    def tiny(*args, **kwargs):
        used.append("whisper-tiny")
        return whisper_tiny

    monkeypatch.setitem(registry.REGISTRY, ("asr", "whisper-tiny"), tiny)
    code, out, err = cli(
        "talk",
        *SMOL,
        "--json",
        "--no-speak",
        "--asr",
        "whisper-tiny",
        "--input-audio",
        str(speech("She has two brothers and one sister.")),
    )
    assert code == 0, err
    assert used == ["whisper-tiny"]
    assert _wer("She has two brothers and one sister.", json.loads(out)["transcript"]) <= 0.15


def test_an_unknown_asr_name_is_one_line(cli):
    code, out, err = cli("talk", "--asr", "whisper-huge", "--text", "hello there")
    assert code == 2 and "unknown asr 'whisper-huge'" in err and "whisper-base" in err
    assert "Traceback" not in err


def test_typed_turns_are_voiced_too(cli, cached_models, tmp_path):
    code, out, err = cli(
        "talk", *SMOL, "--json", "--save-audio", str(tmp_path), "--text", "i like travel by train"
    )
    assert code == 0, err
    turn = json.loads(out)
    assert turn["input"] == "text" and turn["recording"] is None
    assert sf.info(turn["reply_audio"]).duration > 0.5
    assert turn["timings_ms"]["tts_first_audio"] > 0


def test_the_learner_prompt_is_used_with_whisper_base_only(whisper_base, whisper_tiny, settings):
    from im4talkin import registry
    from im4talkin.config import LEARNER_PROMPT, override

    assert settings.asr.initial_prompt == "auto"
    assert whisper_base.initial_prompt == LEARNER_PROMPT
    assert whisper_tiny.initial_prompt is None
    import copy

    custom = override(copy.deepcopy(settings), asr__initial_prompt="")
    assert registry.create("asr", "whisper-base", custom).initial_prompt is None


class Decoder:
    """faster-whisper's ``transcribe`` as far as WhisperASR uses it: text per prompt."""

    def __init__(self, prompted: str, plain: str) -> None:
        self.texts = {True: prompted, False: plain}
        self.prompts: list = []

    def transcribe(self, samples, initial_prompt=None, **_):
        from types import SimpleNamespace

        self.prompts.append(initial_prompt)
        seg = SimpleNamespace(text=self.texts[initial_prompt is not None], no_speech_prob=0.01,
                              avg_logprob=-0.2, words=[])  # fmt: skip
        return iter([seg]), None


@pytest.mark.parametrize(
    ("prompted", "plain", "heard", "decodes"),
    [  # Whisper copying its prompt over what was said: the plain decoding is used
        ("My brother don't like coffee, so I need to take some clothes out.",
         "My luggage is too heavy, so I need to take some clothes out.",
         "My luggage is too heavy, so I need to take some clothes out.", 2),
        # the learner said it: heard without the prompt too, so the mistake is kept
        ("My brother don't like coffee.", "My brother doesn't like coffee.",
         "My brother don't like coffee.", 2),
        # no clause of the prompt: one decoding
        ("She has three cats.", "-", "She has three cats.", 1),
    ],
)  # fmt: skip
def test_a_copied_prompt_clause_is_decoded_again_without_the_prompt(
    prompted, plain, heard, decodes
):
    from im4talkin.asr.whisper import WhisperASR, prompt_clauses
    from im4talkin.config import LEARNER_PROMPT

    asr = object.__new__(WhisperASR)
    asr.beam_size, asr.initial_prompt = 5, LEARNER_PROMPT
    asr.clauses = prompt_clauses(LEARNER_PROMPT)
    asr.model = Decoder(prompted, plain)
    assert asr.transcribe(np.zeros(16_000, dtype=np.float32)) == heard
    assert len(asr.model.prompts) == decodes and asr.model.prompts[0] == LEARNER_PROMPT
    assert ["she", "have", "three", "cat"] in asr.clauses and ["um"] not in asr.clauses
