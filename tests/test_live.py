"""Recognition while the learner speaks: real speech fed in microphone-sized blocks, in real
time, to the real Whisper base; the final transcript must be the one a recording from a
file gets, and the drafts must reach the partner before the recording ends."""

import time

import numpy as np
import pytest

from im4talkin.asr.live import LiveTranscript, agreed
from im4talkin.audio.io import SAMPLE_RATE, load_audio, speech_span
from im4talkin.tutor.partner import Partner
from im4talkin.tutor.session import Conversation
from im4talkin.tutor.topics import load_topic

from .fakes import ScriptedModel

SAID = "yesterday i go to the beach with my friends and we swim in the sea all afternoon"
BLOCK = SAMPLE_RATE // 20  # the recorder's 50 ms


def speak_into(live: LiveTranscript, samples: np.ndarray) -> None:
    """A microphone: a 50 ms block every 50 ms."""
    start = time.perf_counter()
    for i in range(0, len(samples), BLOCK):
        live.feed(samples[i : i + BLOCK])
        time.sleep(max(0.0, start + (i + BLOCK) / SAMPLE_RATE - time.perf_counter()))


def test_drafts_agree_word_by_word_whatever_the_case_and_commas():
    assert agreed(["Yesterday", "I", "go,"], ["yesterday", "i", "go", "to"]) == 3
    assert agreed(["I", "go", "to", "the", "bee"], ["I", "go", "to", "the", "beach"]) == 4
    assert agreed([], ["I"]) == 0
    assert agreed(["I", "--", "go"], ["I", "--", "go"]) == 1  # no word to agree on


@pytest.fixture(scope="module")
def clip(speech):
    return load_audio(speech(SAID))


def test_a_recording_is_drafted_while_it_is_spoken(clip, whisper_base):
    read: list[tuple[float, str]] = []
    live = LiveTranscript(
        whisper_base,
        speech_span,
        read_ahead=lambda text, whole: read.append((time.perf_counter(), text)),
    )
    speak_into(live, clip.samples)
    ended = time.perf_counter()
    final = live.finish(clip)
    # exactly what the same recording gets from a file: nothing lost to drafting
    assert final == whisper_base.transcribe(speech_span(clip).samples)
    assert live.stats.drafts >= 2 and len(live.stats.texts) == live.stats.drafts
    # the partner got most of the turn before the recording ended
    assert read and all(when < ended for when, _ in read[:-1])
    ahead = read[-1][1].split()
    assert len(ahead) >= 6 and live.stats.ahead_kept >= len(ahead) - 1, (ahead, final)
    # the words shown while speaking were the final transcript's first words
    assert live.stats.confirmed >= 3 and live.stats.kept == live.stats.confirmed, (
        live.confirmed,
        final,
    )


def test_no_speech_is_the_usual_one_line_error(whisper_base):
    from im4talkin.errors import InputError
    from im4talkin.messages import Clip

    silence = np.zeros(SAMPLE_RATE * 2, np.float32)
    live = LiveTranscript(whisper_base, speech_span)
    speak_into(live, silence[: SAMPLE_RATE // 2])
    with pytest.raises(InputError, match="no speech heard"):
        live.finish(Clip(silence))


def test_a_spoken_turn_reads_ahead_then_answers_the_final_transcript(clip, whisper_base, rules):
    from im4talkin.feedback.engine import FeedbackEngine

    model = ScriptedModel("That sounds like a lovely day.")
    partner = Partner(model, load_topic("travel"), "B1")
    convo = Conversation(
        partner,
        FeedbackEngine([rules], rules.nlp),
        llm_feedback=False,
        asr=whisper_base,
        trim=speech_span,
    )
    convo.open()
    live = convo.listen()
    speak_into(live, clip.samples)
    result = convo.turn(clip, live=live)
    assert result.transcript.lower().startswith("yesterday i go to the beach")
    # read ahead: the start of the turn, before the partner was asked
    started = [s for s in model.started if s]
    assert started and result.transcript.startswith(started[-1].split()[0])
    assert model.prompts[-1][-1].content.startswith(result.transcript)
    assert result.timings.asr_live > 0 and result.timings.asr > 0
    assert convo.last_samples is live.samples


def test_the_final_pass_runs_when_the_speech_stops_before_enter(clip, whisper_base):
    """The learner stops, then reaches for Enter: the transcript is ready when they do."""
    wait = np.zeros(SAMPLE_RATE, np.float32)
    whole = type(clip)(np.concatenate([clip.samples, wait]))
    live = LiveTranscript(whisper_base, speech_span)
    speak_into(live, whole.samples)
    final = live.finish(whole)
    assert live.stats.early and live.stats.early_passes >= 1
    assert live.stats.final_s < 0.1  # nothing left to do at Enter
    assert 1.0 <= live.stats.after_speech_s <= 1.4  # the pause, and the clip's own 0.25 s
    assert final == whisper_base.transcribe(speech_span(whole).samples)


def test_speech_after_a_pause_is_heard_whatever_was_ready_in_the_pause(speech, whisper_base):
    first = load_audio(speech("I went to the market.")).samples
    second = load_audio(speech("Then we cooked dinner together.")).samples
    pause = np.zeros(SAMPLE_RATE, np.float32)
    from im4talkin.messages import Clip

    whole = Clip(np.concatenate([first, pause, second[: -SAMPLE_RATE // 5]]))
    live = LiveTranscript(whisper_base, speech_span)
    speak_into(live, whole.samples)
    final = live.finish(whole)
    assert live.stats.early_passes >= 1 and not live.stats.early  # the pause's pass: unused
    assert "dinner" in final.lower(), final


def test_a_recogniser_that_cannot_draft_hears_the_recording_when_it_ends(rules):
    from im4talkin.feedback.engine import FeedbackEngine

    class Slow:  # as SeamlessM4T on the CPU: no quick draft
        name = "slow"

        def transcribe(self, samples):
            return "I like trains."

    partner = Partner(ScriptedModel("Trains are great."), load_topic("travel"), "B1")
    convo = Conversation(
        partner, FeedbackEngine([rules], rules.nlp), llm_feedback=False, asr=Slow()
    )
    assert convo.listen() is None
