"""Who speaks when: speech found by Silero VAD is cut into `WINDOW_SECONDS` windows every `STEP` seconds, each
window's voice embedded, and the windows clustered by voice (average linkage on cosine distance: into the number of
speakers given, or merging while clusters are closer than `SAME_VOICE`; a voice heard for less than
`MIN_SPEAKER_SECONDS` is folded into the nearest other). Every 10 ms of speech takes the speaker of its nearest
window; turns shorter than `MIN_TURN` go to the speaker around them."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from host_engine.asr.vad import speech_regions
from host_engine.speakers.encoder import WINDOW_SECONDS, SpeakerEncoder

STEP = 0.4
SAME_VOICE = 0.3
"""Average cosine distance under which two clusters of windows are one voice (one voice's windows: about 0.1-0.2;
two voices': 0.4-0.6)."""
MIN_SPEAKER_SECONDS = 2.0
MIN_TURN = 0.6
FRAME = 0.01


@dataclass(frozen=True)
class Turn:
    start: float
    end: float
    speaker: int
    """0, 1, ... in the order the speakers are first heard."""


def window_starts(regions: Sequence[tuple[float, float]]) -> list[float]:
    """Where each window starts: every `STEP` seconds through each speech region, the last one ending with it; one
    window centred on a region shorter than a window."""
    starts: list[float] = []
    for start, end in regions:
        if end - start <= WINDOW_SECONDS:
            starts.append(max(0.0, (start + end - WINDOW_SECONDS) / 2))
        else:
            starts += [*np.arange(start, end - WINDOW_SECONDS, STEP).tolist(), end - WINDOW_SECONDS]
    return starts


def cluster(embeddings: np.ndarray, speakers: int | None = None) -> np.ndarray:
    """A speaker label per embedding, 0, 1, ... in order of first appearance."""
    if len(embeddings) < 2:
        return np.zeros(len(embeddings), int)
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(embeddings.astype(np.float64), method="average", metric="cosine")
    if speakers:
        labels = fcluster(tree, speakers, "maxclust")
    else:
        labels = _fold_rare(fcluster(tree, SAME_VOICE, "distance"), embeddings)
    order = {label: index for index, label in enumerate(dict.fromkeys(labels.tolist()))}
    return np.array([order[label] for label in labels.tolist()])


def _fold_rare(labels: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
    """Windows of a voice heard for less than `MIN_SPEAKER_SECONDS` join the nearest voice heard longer."""
    counts = {label: int((labels == label).sum()) for label in set(labels.tolist())}
    kept = [label for label, count in counts.items() if count * STEP >= MIN_SPEAKER_SECONDS]
    if not kept or len(kept) == len(counts):
        return labels
    centroids = np.stack([embeddings[labels == label].mean(axis=0) for label in kept])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    nearest = np.array(kept)[(embeddings @ centroids.T).argmax(axis=1)]
    return np.where(np.isin(labels, kept), labels, nearest)


def diarize(audio: np.ndarray, encoder: SpeakerEncoder, speakers: int | None = None) -> list[Turn]:
    """The turns of 16-kHz `audio`'s speakers (`speakers` of them, or as many as their voices tell apart)."""
    regions = speech_regions(audio)
    starts = window_starts(regions)
    if not starts:
        return []
    labels = cluster(encoder.embed(audio, starts), speakers)
    centres = np.array(starts) + WINDOW_SECONDS / 2
    turns: list[Turn] = []
    for start, end in regions:
        times = np.arange(start, end, FRAME) + FRAME / 2
        said = labels[np.abs(centres[None, :] - times[:, None]).argmin(axis=1)]
        changes = [0, *(np.flatnonzero(np.diff(said)) + 1).tolist(), len(said)]
        turns += [
            Turn(float(times[a] - FRAME / 2), float(times[b - 1] + FRAME / 2), int(said[a]))
            for a, b in itertools.pairwise(changes)
        ]
    return _smoothed(turns)


def _smoothed(turns: list[Turn]) -> list[Turn]:
    """Turns shorter than `MIN_TURN` between two of one speaker (or at an edge) go to that speaker; neighbouring
    turns of one speaker become one."""
    out: list[Turn] = []
    for index, turn in enumerate(turns):
        before = out[-1].speaker if out else None
        after = turns[index + 1].speaker if index + 1 < len(turns) else None
        around = {speaker for speaker in (before, after) if speaker is not None}
        if turn.end - turn.start < MIN_TURN and len(around) == 1:
            turn = Turn(turn.start, turn.end, around.pop())
        if out and out[-1].speaker == turn.speaker and turn.start - out[-1].end < 0.5:
            out[-1] = Turn(out[-1].start, turn.end, turn.speaker)
        else:
            out.append(turn)
    return out


def speaker_at(turns: Sequence[Turn], start: float, end: float) -> int | None:
    """The speaker who talks most between `start` and `end` (None: nobody does)."""
    talk: dict[int, float] = {}
    for turn in turns:
        overlap = min(end, turn.end) - max(start, turn.start)
        if overlap > 0:
            talk[turn.speaker] = talk.get(turn.speaker, 0.0) + overlap
    return max(talk, key=talk.__getitem__) if talk else None
