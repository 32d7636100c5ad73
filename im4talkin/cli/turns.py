"""One session's turns in ``im4talkin talk``: run, show, save and print each, and the
interactive loop (push-to-talk or typed turns)."""

from __future__ import annotations

import json
import sys
import time
import uuid

from ..asr.live import LiveTranscript
from ..audio.io import Clip, write_flac, write_wav
from ..errors import DeviceError, InputError, ModelError, StorageError
from ..messages import TurnResult
from ..store.files import new_path
from ..tutor.session import Conversation
from . import render
from .record import push_to_talk


class Run:
    """What each turn of one session needs: where it is saved, shown and voiced."""

    def __init__(
        self, convo: Conversation, store, session_id, console, json_out, save_dir, notice, learner
    ):
        self.convo = convo
        self.store = store
        self.session_id = session_id
        self.console = console
        self.json_out = json_out
        self.save_dir = save_dir
        self.notice = notice
        self.results: list[TurnResult] = []
        self.learner = learner

    def turn(
        self, said: str | Clip, start: float | None = None, live: LiveTranscript | None = None
    ) -> TurnResult:
        """Run, show, save and print one turn; InputError leaves the session as it was.

        The turn is saved first and its audio files attached after: a recording that cannot
        be written (a full disk) costs a notice, never the turn. When the turn itself cannot
        be saved, the partner forgets it too (nothing in its history is ahead of the
        database) and the StorageError goes up.
        """
        convo = self.convo
        if isinstance(said, Clip):
            for line in said.notes:
                self.notice(line)
        result = self._run(said, start, live)
        seconds = said.seconds if isinstance(said, Clip) else 0.0
        try:
            turn_id = self.store.save_turn(self.session_id, result, seconds=seconds)
        except StorageError:
            convo.forget_turn()
            raise
        self.results.append(result)
        if isinstance(said, Clip):
            try:
                folder = self.store.folder(self.learner) / "recordings"
                path = write_flac(new_path(folder, ".flac"), said.samples, exclusive=True)
                self.store.attach_audio(turn_id, recording=str(path))
                result.recording = str(path)
            except StorageError as err:  # the turn itself is saved
                self.notice(f"{err} (your turn is saved without its recording)")
        audio = convo.last_audio
        if self.save_dir and audio is not None and audio.samples.size:
            name = f"session-{self.session_id}-turn-{result.turn}-{uuid.uuid4().hex[:8]}"
            try:
                path = write_wav(self.save_dir / f"{name}.wav", audio.samples,
                                 audio.sample_rate, exclusive=True)  # fmt: skip
                self.store.attach_audio(turn_id, reply_audio=str(path))
                result.reply_audio = str(path)
            except StorageError as err:
                self.notice(f"{err} (the turn is saved without the reply's audio)")
        if self.json_out:
            sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
            sys.stdout.flush()
        return result

    def _run(
        self, said: str | Clip, start: float | None, live: LiveTranscript | None
    ) -> TurnResult:
        name = render.partner_name(self.convo.partner.topic)
        started = False
        quiet = self.json_out

        def show(sentence: str) -> None:
            nonlocal started
            if quiet:
                return
            if not started:
                self.console.print(f"[bold cyan]{name}:[/] ", end="")
                started = True
            self.console.print(sentence + " ", end="", highlight=False)

        def heard(text: str) -> None:
            if not quiet:
                self.console.print(f"[dim]heard:[/] {text}", highlight=False)

        result = self.convo.turn(said, on_sentence=show, start=start, on_heard=heard, live=live)
        if not quiet:
            self.console.print()
            self.console.print(render.feedback_panel(result))
        return result


HELP_SPOKEN = "Press Enter to speak (Enter again to stop), or type a sentence. /quit ends."
HELP_TYPED = "Type a sentence and press Enter, or /quit to stop."
COMMANDS = "/talk records a turn, /text types one, /quit ends the session"


def interactive(run: Run, mic) -> None:
    """The interactive loop: Enter records a turn (push-to-talk, recognised while the
    learner speaks), a typed line is a typed turn; errors are one line and the session
    goes on."""
    convo, console = run.convo, run.console
    while True:
        try:
            line = console.input("[bold]you> [/]")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        command = line.strip().lower()
        if command in ("/quit", "/exit", "/q"):
            return
        said: str | Clip = line
        start = None
        live = None
        try:
            if command == "/text":
                said = console.input("[bold]type> [/]")
            elif command in ("", "/talk") and mic is not None:
                if convo.speaker:
                    convo.speaker.wait_played()  # never record the partner's own voice
                live = convo.listen()  # recognise while the learner speaks
                said = push_to_talk(mic, console, live)
                start = time.perf_counter()
            elif command == "/talk":
                console.print("[yellow]no microphone in this session: type your turn[/]")
                continue
            elif command.startswith("/"):
                console.print(f"[yellow]unknown command {command}: {COMMANDS}[/]")
                continue
            elif not command:
                console.print(f"[dim]{HELP_SPOKEN if mic else HELP_TYPED}[/]")
                continue
            result = run.turn(said, start, live)
            if result.closing:
                console.print(f"[dim]{render.CLOSING}[/]")
        except InputError as err:
            console.print(f"[yellow]{err}[/]")
            continue
        except ModelError as err:  # e.g. the LLM server is down: say so, keep the session
            console.print(f"[red]{err}[/]")
            continue
        except StorageError as err:  # the turn was not saved; the earlier ones are
            console.print(f"[red]{err}[/]")
            console.print("[yellow]that turn was not saved; say it again when it is fixed[/]")
            continue
        except DeviceError as err:  # the microphone went away: carry on typing
            console.print(f"[yellow]{err}; type your turns from now on[/]")
            mic = None
            continue
        except (KeyboardInterrupt, EOFError):
            console.print("\n[dim]turn cancelled; the session so far is saved.[/]")
            return
        finally:
            if live is not None:
                live.close()
        convo.partner.prefill_in_background()
