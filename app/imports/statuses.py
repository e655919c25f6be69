"""Status words as people write them, mapped to the stages of an application.

A word we recognise (exactly, or as a close misspelling such as "phone scrn") maps to its stage. The
word itself is what the application's status shows; the stage is kept beside it (`ApplicationStatus.stage`),
so no guess ever overwrites what the user wrote.
"""

from __future__ import annotations

import difflib
from functools import lru_cache

from app.imports.vocabulary import FILLER_WORDS, STATUSES
from app.imports.words import fold
from app.imports.words import normalize_words as normalize_word  # how status words are compared

STATUS_MAX_LENGTH = 50

# Stage -> words that mean it. The stages are in pipeline order (used to order same-day statuses).
STAGES: dict[str, tuple[str, ...]] = {
    "Target": (
        "target",
        "wishlist",
        "wish list",
        "saved",
        "bookmarked",
        "interested",
        "to apply",
        "planned",
        "researching",
        "prospect",
        "lead",
        "not applied",
        "todo",
        "to do",
        "created",
        "added",
        "draft",
        "bookmark",
        "watching",
    ),
    "Applied": (
        "applied",
        "bewerbung",
        "sollicitatie",
        "postulacion",
        "candidatura",
        "solicitud",
        "application",
        "application sent",
        "submitted",
        "sent",
        "application submitted",
        "apply",
        "applying",
        "in review",
        "under review",
        "pending",
        "waiting",
    ),
    "Screening": (
        "screening",
        "phone screen",
        "phone screening",
        "screen",
        "recruiter call",
        "recruiter screen",
        "hr call",
        "hr screen",
        "phone call",
        "phone interview",
        "intro call",
        "assessment",
        "take home",
        "coding test",
        "online assessment",
    ),
    "Interviewing": (
        "interviewing",
        "interview",
        "interviews",
        "onsite",
        "on site",
        "technical interview",
        "final round",
        "final interview",
        "second interview",
        "2nd interview",
        "first interview",
        "1st interview",
        "panel interview",
        "interview scheduled",
    ),
    "Offer": ("offer", "offered", "offer received", "got offer", "negotiating", "negotiation"),
    "Accepted": ("accepted", "hired", "signed", "offer accepted", "accepted offer", "joined"),
    "Rejected": (
        "rejected",
        "rejection",
        "declined",
        "not selected",
        "turned down",
        "no",
        "denied",
        "unsuccessful",
        "closed",
        "position filled",
        "no offer",
        "rejected me",
    ),
    "Withdrawn": (
        "withdrawn",
        "withdrew",
        "withdraw",
        "not interested",
        "declined offer",
        "i declined",
        "cancelled",
        "canceled",
        "archived",
        "expired",
        "job closed",
    ),
    "Ghosted": ("ghosted", "no response", "no reply", "no answer", "never heard back", "silence"),
}
STAGE_RANK = {stage: rank for rank, stage in enumerate(STAGES)}
_WORD_TO_STAGE = {
    fold(word): stage
    for vocabulary in (STATUSES, STAGES)  # the English words last: they win where a word is in both
    for stage, words in vocabulary.items()
    for word in words
}
_PHRASES = sorted((word for word in _WORD_TO_STAGE if len(word) >= 5), key=len, reverse=True)
FUZZY_CUTOFF = 0.85
FUZZY_MIN_LENGTH = 5


@lru_cache(maxsize=4096)
def stage_for(word: str) -> tuple[str | None, float]:
    """The stage a status word means and how sure we are: 1 for a known word (in any of the languages),
    less for one known once words that name no stage are dropped ("OA received"), one holding a known
    phrase ("rejected after final round"), or a close misspelling ("phone scrn")."""
    folded = fold(word)
    if not folded:
        return None, 0.0
    if folded in _WORD_TO_STAGE:
        return _WORD_TO_STAGE[folded], 1.0
    meaningful = " ".join(token for token in folded.split() if token not in FILLER_WORDS)
    if meaningful in _WORD_TO_STAGE:
        return _WORD_TO_STAGE[meaningful], 0.95
    padded = f" {folded} "
    for phrase in _PHRASES:
        if f" {phrase} " in padded:
            return _WORD_TO_STAGE[phrase], 0.85
    if len(folded) >= FUZZY_MIN_LENGTH:
        close = difflib.get_close_matches(folded, _WORD_TO_STAGE, n=1, cutoff=FUZZY_CUTOFF)
        if close:
            return _WORD_TO_STAGE[close[0]], round(difflib.SequenceMatcher(None, folded, close[0]).ratio(), 2)
    return None, 0.0


def mapped_stage(word: str, status_mapping: dict[str, str]) -> str | None:
    """The stage a status word maps to: the user's choice (by the word as written or normalised), else the
    guess; None when neither knows it."""
    mapped = status_mapping.get(word)
    if mapped is None:
        mapped = status_mapping.get(normalize_word(word))
    if mapped:
        return mapped
    return stage_for(word)[0]


def stage_rank(text: str) -> int:
    """Where a status text sits in the pipeline (unknown texts after the known stages)."""
    return STAGE_RANK.get(text, len(STAGE_RANK))
