"""How the import compares words (headers, status words, positions): one normalisation for all of them."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+")


def normalize_words(text: str) -> str:
    """Lower case (casefold), punctuation as spaces, single spaces: "Job-Title " is "job title"."""
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


def fold(text: str) -> str:
    """Lower case without accents, punctuation as spaces, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("ß", "ss"))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^\w]+", " ", plain.replace("_", " ")).split())
