"""``im4talkin devices``: the sound devices a session can record from and speak to."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..audio import devices as sound
from ..errors import DeviceError


def devices() -> None:
    """List microphones and speakers (pass an index or name to talk --device)."""
    if sound.sounddevice() is None:
        raise DeviceError(
            "PortAudio is not installed, so no sound device can be used "
            "(Debian/Ubuntu: apt-get install libportaudio2); --text and --input-audio still work"
        )
    found = sound.listing()
    console = Console()
    if not found:
        console.print("No sound devices found. Use talk --text or --input-audio instead.")
        return
    table = Table("index", "name", "host API", "in", "out", "rate", "default")
    for d in found:
        marks = [
            m for m, on in (("input", d["default_input"]), ("output", d["default_output"])) if on
        ]
        table.add_row(
            str(d["index"]),
            d["name"],
            d["api"],
            str(d["inputs"]),
            str(d["outputs"]),
            str(d["rate"]),
            ", ".join(marks),
        )
    console.print(table)
    if not any(d["inputs"] for d in found):
        console.print("No microphone: use talk --text or --input-audio.")
