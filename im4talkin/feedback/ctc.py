"""CTC scoring of phone sequences against a phoneme recogniser's frame log-posteriors.

The likelihood of a phone sequence is CTC's forward sum over every way the frames can
spell it (blanks between phones, repeats collapsed). Many sequences of the same recording
(the sentence as it should sound, and the same with one phone changed or left out) are
scored in one batch, a row each; rows may be of different lengths. The Viterbi path of one
sequence gives each phone its frames.
"""

from __future__ import annotations

import numpy as np

NEG = -1e30
"""Log of zero, kept finite so sums of it stay comparable."""


def _extended(targets: list[list[int]], blank: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of blank-interleaved labels (blank, y1, blank, y2, ..., blank), padded with blanks;
    whether each state may be reached by skipping the blank before it; each row's length."""
    width = 2 * max((len(t) for t in targets), default=0) + 1
    labels = np.full((len(targets), width), blank, dtype=np.int64)
    for row, seq in enumerate(targets):
        labels[row, 1 : 2 * len(seq) : 2] = seq
    skip = np.zeros_like(labels, dtype=bool)
    skip[:, 2:] = (labels[:, 2:] != blank) & (labels[:, 2:] != labels[:, :-2])
    lengths = np.array([2 * len(t) + 1 for t in targets], dtype=np.int64)
    return labels, skip, lengths


def log_likelihoods(log_probs: np.ndarray, targets: list[list[int]], blank: int) -> np.ndarray:
    """log P(sequence | frames) for each sequence of phone ids (CTC forward, in one batch).

    ``log_probs``: frames x symbols, log-softmaxed. A sequence that cannot fit in the frames
    (more phones than frames allow) gets a log-likelihood near :data:`NEG`.
    """
    if not targets:
        return np.zeros(0)
    labels, skip, lengths = _extended(targets, blank)
    rows, width = labels.shape
    alpha = np.full((rows, width), NEG)
    alpha[:, 0] = log_probs[0, blank]
    if width > 1:
        alpha[:, 1] = log_probs[0, labels[:, 1]]
    for t in range(1, len(log_probs)):
        stay = alpha
        step = np.full_like(alpha, NEG)
        step[:, 1:] = alpha[:, :-1]
        jump = np.full_like(alpha, NEG)
        jump[:, 2:] = np.where(skip[:, 2:], alpha[:, :-2], NEG)
        top = np.maximum(np.maximum(stay, step), jump)
        total = top + np.log(np.exp(stay - top) + np.exp(step - top) + np.exp(jump - top))
        alpha = total + log_probs[t, labels]
    idx = np.arange(rows)
    last = alpha[idx, lengths - 1]
    before = np.where(lengths > 1, alpha[idx, np.maximum(lengths - 2, 0)], NEG)
    return np.logaddexp(last, before)
