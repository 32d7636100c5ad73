"""Drafts while the learner speaks, made where they cost the rest nothing: one at a time,
on a thread of their own that the OS runs only when the cores are otherwise idle (Linux's
SCHED_IDLE), by a recogniser instance made on that thread. Used by
:class:`~im4talkin.asr.live.LiveTranscript`."""

from __future__ import annotations

import atexit
import ctypes
import functools
import logging
import os
import threading
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


def idle_priority() -> bool:
    """Let the OS run the calling thread, and the threads it starts from now on, only when
    nothing else wants the cores (Linux's SCHED_IDLE, which needs no privilege). Whether it
    took: elsewhere the thread keeps its priority."""
    try:
        os.sched_setscheduler(threading.get_native_id(), os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError) as err:  # not Linux
        log.debug("drafts at normal priority: %s", err)
        return False
    return True


def give_back_memory() -> None:
    """Hand the heap's free pages back to the OS (glibc's ``malloc_trim``; elsewhere
    nothing). A draft's buffers (Whisper's 30 s window, on the drafting threads' own malloc
    arenas) would otherwise stay resident between drafts: the drafter's instance adds 251 MB
    without a trim after each draft, 140 MB with one (``bench/RESULTS.md``)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Any:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


_DRAFTERS: weakref.WeakSet[Drafter] = weakref.WeakSet()


@atexit.register
def _close_drafters() -> None:
    """A draft still running when Python exits would abort it (CTranslate2's threads)."""
    for drafter in list(_DRAFTERS):
        drafter.close()


class Drafter:
    """Drafts, one at a time, on a thread of its own at the idle priority
    (:func:`idle_priority`). ``make`` runs on that thread once and returns the draft
    function: a recogniser instance made there starts its worker threads there, so they run
    at the idle priority too. A draft under way when the cores are wanted then waits: the
    final pass, the partner and the voice are slowed by about 50 ms instead of waiting up
    to 0.45 s for it (``bench/turn_latency.py --tail 0``, bench/RESULTS.md)."""

    def __init__(self, make: Callable[[], Callable[[np.ndarray], str]], idle: bool = True) -> None:
        self.idle = False
        """Whether the OS took the idle priority."""
        self._make = make
        self._want_idle = idle
        self._job: tuple[np.ndarray, Callable[[str | None], None]] | None = None
        self._busy = False
        self._stop = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="drafts", daemon=True)
        _DRAFTERS.add(self)
        self._thread.start()

    @property
    def busy(self) -> bool:
        """A draft is under way (or drafting stopped): :meth:`submit` would refuse."""
        with self._cond:
            return self._busy or self._stop

    def submit(self, samples: np.ndarray, done: Callable[[str | None], None]) -> bool:
        """Draft ``samples`` and call ``done`` with the text (None: the draft failed) on the
        drafting thread; False, and nothing happens, while another draft is under way."""
        with self._cond:
            if self._busy or self._stop:
                return False
            self._busy = True
            self._job = (samples, done)
            self._cond.notify()
            return True

    def close(self, timeout: float = 10.0) -> None:
        """Stop drafting (a draft under way is finished first, ``timeout`` at most)."""
        with self._cond:
            self._stop = True
            self._cond.notify()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        if self._want_idle:
            self.idle = idle_priority()
        try:
            draft = self._make()
        except Exception as err:  # drafts only save time: the final pass still runs
            log.warning("no drafts while the learner speaks: %s", err)
            with self._cond:
                self._stop = True
            return
        while True:
            with self._cond:
                while self._job is None and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                (samples, done), self._job = self._job, None
            try:
                text: str | None = draft(samples)
            except Exception as err:
                log.warning("a draft failed: %s", err)
                text = None
            give_back_memory()
            with self._cond:
                self._busy = False
            done(text)
