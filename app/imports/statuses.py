"""Status words as people write them, mapped to the stages of an application.

A word we recognise (exactly, or as a close misspelling such as "phone scrn") maps to its stage; a
word we do not know stays a status of its own text rather than being replaced or dropped.
"""

from __future__ import annotations

import difflib
from functools import lru_cache

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
    ),
    "Applied": (
        "applied",
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
    ),
    "Ghosted": ("ghosted", "no response", "no reply", "no answer", "never heard back", "silence"),
}
STAGE_RANK = {stage: rank for rank, stage in enumerate(STAGES)}
_WORD_TO_STAGE = {word: stage for stage, words in STAGES.items() for word in words}
FUZZY_CUTOFF = 0.8


@lru_cache(maxsize=2048)
def stage_for(word: str) -> tuple[str | None, float]:
    """The stage a status word means and how sure we are (1 exact, less for a close spelling)."""
    normalized = normalize_word(word)
    if not normalized:
        return None, 0.0
    if normalized in _WORD_TO_STAGE:
        return _WORD_TO_STAGE[normalized], 1.0
    close = difflib.get_close_matches(normalized, _WORD_TO_STAGE, n=1, cutoff=FUZZY_CUTOFF)
    if close:
        return _WORD_TO_STAGE[close[0]], round(difflib.SequenceMatcher(None, normalized, close[0]).ratio(), 2)
    return None, 0.0


def status_text(word: str, status_mapping: dict[str, str]) -> str:
    """The status text a cell becomes: the user's mapping first, else its stage, else the word itself."""
    mapped = status_mapping.get(word)
    if mapped is None:
        mapped = status_mapping.get(normalize_word(word))
    if mapped:
        return mapped
    stage, _ = stage_for(word)
    return stage or word


def stage_rank(text: str) -> int:
    """Where a status text sits in the pipeline (unknown texts after the known stages)."""
    return STAGE_RANK.get(text, len(STAGE_RANK))
