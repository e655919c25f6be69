"""How the import compares words (headers, status words, positions): one normalisation for all of them."""

from __future__ import annotations

import re

_NON_WORD = re.compile(r"[^\w]+")


def normalize_words(text: str) -> str:
    """Lower case (casefold), punctuation as spaces, single spaces: "Job-Title " is "job title"."""
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())
