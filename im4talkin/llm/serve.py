"""``python -m im4talkin.llm.serve ARGS``: llama-cpp-python's OpenAI-compatible server, with the
portable build's CPU code chosen first (see :mod:`.cpu`); ARGS are the server's own.

``python -m llama_cpp.server`` alone finds no CPU code in a portable build: llama.cpp looks
for its variant libraries beside the Python executable, not in the package.
"""

from __future__ import annotations

from .cpu import ensure


def main() -> None:
    ensure()
    from llama_cpp.server.__main__ import main as serve

    serve()


if __name__ == "__main__":
    main()
