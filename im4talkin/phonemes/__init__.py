"""Phoneme recognition: what sounds the learner made, with no language model to smooth them.

``base.py`` is the stage's Protocol, ``hama.py`` the shipped backend, ``lexicon.py`` the
sounds each word of a sentence should have.
"""
