"""im4talkin: a private English conversation tutor that runs on the learner's machine."""

__version__ = "0.1.0"
