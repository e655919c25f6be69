"""HTML (the rich-text editor's notes, a tool's HTML job description) as readable plain text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Tags after (or before) which the rendered text breaks the line.
_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    }
)
_SKIPPED_TAGS = frozenset({"script", "style", "head", "title"})
_SPACES = re.compile(r"[ \t\r\n\f]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment: block elements start lines, `<br>` breaks them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.saw_markup = False
        self._skipping = 0
        self._pre = 0

    def _line_break(self) -> None:
        """End the current line unless it is already ended (adjacent blocks make one break)."""
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.saw_markup = True
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self._line_break()
            self.parts.append("• ")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag in _BLOCK_TAGS:
            self._line_break()
        if tag == "pre":
            self._pre += 1

    def handle_endtag(self, tag: str) -> None:
        self.saw_markup = True
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self._line_break()
        if tag == "pre":
            self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            # HTML collapses runs of white space, except inside <pre>.
            self.parts.append(data if self._pre else _SPACES.sub(" ", data))


def html_to_text(value: str | None) -> str:
    """The readable text of notes written in the rich-text editor (HTML), one line per paragraph.

    Text without any markup (notes typed elsewhere, or imported) is returned as it is, line breaks kept.
    """
    if not value:
        return ""
    parser = _TextExtractor()
    parser.feed(value)
    parser.close()
    if not parser.saw_markup:
        return value.strip()
    lines = (line.strip(" ") for line in "".join(parser.parts).replace("\xa0", " ").split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
