"""``python -m im4talkin``."""

from .cli.main import main

main()
