"""Is this upload a real PNG, JPEG, GIF or WebP image, and nothing else? Decided by content only.

Three checks, each catching what the others miss: the magic bytes name the format (SVG, HTML and
everything else stop here); the format's own structure must end exactly at the end of the file (an
image with a script or an archive appended, a classic polyglot, stops here); and Pillow must decode it
as that format (a forged header, a truncated or corrupt file, a decompression bomb stop here).
"""

from __future__ import annotations

import io

from PIL import Image

CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
# Far above any screenshot or photo, far below what would exhaust memory when decoded.
MAX_PIXELS = 50_000_000


class InvalidImage(ValueError):
    """The upload is not an accepted image; the message says why, for the user."""


def _format(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _png_end(data: bytes) -> int:
    """Where the IEND chunk ends (-1 if it never does)."""
    position = 8
    while position + 12 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        chunk_type = data[position + 4 : position + 8]
        position += 12 + length
        if chunk_type == b"IEND":
            return position
    return -1


def _skip_color_table(flags: int) -> int:
    return 3 * (2 << (flags & 0x07)) if flags & 0x80 else 0


def _gif_end(data: bytes) -> int:
    """Where the trailer byte ends, walking the blocks (-1 if the structure is broken)."""
    if len(data) < 13:
        return -1
    position = 13 + _skip_color_table(data[10])
    while position < len(data):
        introducer = data[position]
        if introducer == 0x3B:  # trailer
            return position + 1
        if introducer == 0x21:  # extension: label, then sub-blocks
            position += 2
        elif introducer == 0x2C:  # image: descriptor, local colour table, LZW code size, sub-blocks
            if position + 10 > len(data):
                return -1
            position += 10 + _skip_color_table(data[position + 9]) + 1
        else:
            return -1
        while True:  # data sub-blocks, ended by a zero-length block
            if position >= len(data):
                return -1
            size = data[position]
            position += 1 + size
            if size == 0:
                break
    return -1


STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and RST0-7 carry no length
START_OF_SCAN, END_OF_IMAGE = 0xDA, 0xD9


def _entropy_end(data: bytes, position: int) -> int:
    """Where the entropy-coded data after a start-of-scan ends: at the next real marker."""
    while True:
        position = data.find(b"\xff", position)
        if position < 0 or position + 1 >= len(data):
            return -1
        following = data[position + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:  # a stuffed FF byte, a restart marker
            position += 2
        elif following == 0xFF:  # fill byte before a marker
            position += 1
        else:
            return position


def _jpeg_end(data: bytes) -> int:
    """Where the end-of-image marker ends, walking the segments (-1 if the structure is broken).

    Only the last two bytes being FF D9 proves nothing: HTML or a ZIP archive ending in them can be
    appended. Thumbnails inside APP segments are skipped with their segment, by its length.
    """
    position = 2  # after SOI
    while position + 1 < len(data):
        if data[position] != 0xFF:
            return -1
        marker = data[position + 1]
        if marker == 0xFF:  # fill bytes
            position += 1
            continue
        if marker == END_OF_IMAGE:
            return position + 2
        if marker in STANDALONE_MARKERS:
            position += 2
            continue
        if position + 4 > len(data):
            return -1
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        if length < 2:
            return -1
        position += 2 + length
        if marker == START_OF_SCAN:
            position = _entropy_end(data, position)
            if position < 0:
                return -1
    return -1


def _ends_where_the_image_ends(image_format: str, data: bytes) -> bool:
    if image_format == "PNG":
        return _png_end(data) == len(data)
    if image_format == "GIF":
        return _gif_end(data) == len(data)
    if image_format == "WEBP":
        riff_size = int.from_bytes(data[4:8], "little")
        return riff_size + 8 == len(data)
    return _jpeg_end(data) == len(data)


def _decodes_as(image_format: str, data: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(data), formats=[image_format]) as image:
            if image.format != image_format or image.width * image.height > MAX_PIXELS:
                return False
            image.verify()
        with Image.open(io.BytesIO(data), formats=[image_format]) as image:
            image.load()  # verify() does not decode the pixels; load() catches truncated data
    except Exception:  # a decoder fed hostile bytes may raise anything; all of it means "not an image"
        return False
    return True


def image_content_type(data: bytes) -> str:
    """The content type of `data` if it is an accepted image; InvalidImage otherwise."""
    if not data:
        raise InvalidImage("The file is empty.")
    image_format = _format(data)
    if image_format is None:
        raise InvalidImage("Only PNG, JPEG, GIF and WebP images are accepted.")
    if not _ends_where_the_image_ends(image_format, data) or not _decodes_as(image_format, data):
        raise InvalidImage(f"The file is not a valid {image_format} image.")
    return CONTENT_TYPES[image_format]
