"""Checks for the doctor's child runner to run: each ends the way a real check can."""

from __future__ import annotations

import os
import signal
import time

from im4talkin.diagnose.runner import OK, Result


def sigill() -> Result:
    os.kill(os.getpid(), signal.SIGILL)  # what a CPU instruction the machine refuses does
    return Result("", OK, "not reached")


def raises() -> Result:
    raise RuntimeError("the library said no")


def hangs() -> Result:
    time.sleep(60)
    return Result("", OK, "not reached")


def noisy() -> Result:
    print("native libraries print here", flush=True)
    os.write(1, b"and here\n")
    return Result("", OK, "fine")
