"""Attachments a worker sends as evidence: checked, and stripped of anything but their content.

A photo's EXIF can carry GPS coordinates and the camera's serial number; a document can carry its
author's name and the software it came from. The employer must not learn who reported, so every
attachment is rebuilt from its content (pixels, pages) before it is sealed, and files we cannot
rebuild are refused. Everything happens on bytes in memory: nothing is written to disk, where a
copy could outlive the report. Errors a worker can cause raise `AttachmentRejected` with a
machine-readable reason; the engine turns the reason into a translated sentence.

`MediaScrubber` is the server's implementation of the engine's Scrubber port: the engine decides
whether it wants a file, this module how it is cleaned, in a thread (pictures with Pillow here,
PDFs with pypdf in bot/intake/pdf.py).
"""

from __future__ import annotations

import asyncio
from io import BytesIO

from PIL import Image, ImageOps, UnidentifiedImageError

from bot.intake.pdf import PDF_MAGIC, clean_pdf
from handlers.media import (
    AttachmentKind,
    AttachmentRejected,
    CleanAttachment,
    RejectReason,
    check_actual_size,
)

MAX_IMAGE_PIXELS = 50_000_000
"""Largest picture we decode (50 megapixels, about 150 MB as RGB): a decompression bomb guard.

Checked from the header before any pixel is decoded. Photos Telegram compresses are at most
2560 pixels on the long side; only full-resolution camera files sent as documents come close.
"""

MAX_PNG_OUTPUT_PIXELS = 9_000_000
"""Above this a lossless source is written as JPEG anyway: PNG encoding of bigger pictures takes
seconds and makes large files. A 4K screenshot (3840 x 2160) still fits."""

JPEG_QUALITY = 85
"""Visually lossless for photos and screenshots, a fraction of the size of higher settings."""

FLATTEN_BACKGROUND = (255, 255, 255)
"""White, as the picture looks in a chat or on paper."""

IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
"""Pillow formats we open (the JPEG opener also yields MPO). No EPS/PSD/ICO and friends: every
extra decoder is extra attack surface, and EPS would even run Ghostscript."""

LOSSLESS_SOURCE_FORMATS = frozenset({"PNG", "GIF", "BMP"})
"""Screenshots and graphics: kept lossless (PNG) so the text in them stays sharp."""

OGG_MAGIC = b"OggS"

OGG_VERSION = 0
OGG_BOS_FLAG = 0x02
OGG_PAGE_HEADER_BYTES = 27
OGG_VERSION_OFFSET = 4
OGG_HEADER_TYPE_OFFSET = 5
OGG_SEGMENT_COUNT_OFFSET = 26
OPUS_HEAD_MAGIC = b"OpusHead"
OPUS_HEAD_MIN_BYTES = 19


class MediaScrubber:
    """The Scrubber port: decoding a large photo or PDF takes up to seconds, so it runs in a
    thread, never on the event loop."""

    async def scrub(self, kind: AttachmentKind, data: bytes) -> CleanAttachment:
        """The file rebuilt from its content; raises AttachmentRejected with the reason."""
        return await asyncio.to_thread(clean_attachment, kind, data)


def clean_attachment(kind: AttachmentKind, data: bytes) -> CleanAttachment:
    """Check and clean an attachment according to how Telegram delivered it."""
    if kind is AttachmentKind.PHOTO:
        return scrub_image(data)
    if kind is AttachmentKind.VOICE:
        return check_voice(data)
    return clean_document(data)


# --- images -------------------------------------------------------------------------------------


def scrub_image(data: bytes) -> CleanAttachment:
    """Re-encode a picture from its pixels alone: no EXIF, GPS, serial, XMP, ICC, comment or text.

    The EXIF orientation is applied first so the picture still looks right without its tag.
    Transparency is flattened onto white (transparent pixels can still hold hidden colours).
    Animated images keep their first frame; multi-page TIFFs are refused rather than cut short.
    Screenshots and graphics (PNG, GIF, BMP) come out as PNG, everything else as JPEG.
    """
    check_actual_size(data)
    try:
        return _scrub_image(data)
    except AttachmentRejected:
        raise
    except UnidentifiedImageError as error:
        raise AttachmentRejected(RejectReason.NOT_AN_IMAGE) from error
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # Pillow's own, process-wide guard; our limit below is lower and does not depend on it.
        raise AttachmentRejected(RejectReason.TOO_MANY_PIXELS) from error
    except Exception as error:
        # Decoders raise many exception types (OSError for truncation, SyntaxError, ValueError,
        # struct.error...) on crafted or broken input: whatever failed, we cannot vouch for it.
        raise AttachmentRejected(RejectReason.DAMAGED) from error


def _scrub_image(data: bytes) -> CleanAttachment:
    """Decode (after the pixel check), orient, flatten and re-encode one image."""
    Image.init()
    formats = [name for name in IMAGE_FORMATS if name in Image.OPEN]
    with Image.open(BytesIO(data), formats=formats) as image:
        width, height = image.size
        if width * height > MAX_IMAGE_PIXELS:
            raise AttachmentRejected(RejectReason.TOO_MANY_PIXELS)
        source_format = image.format or ""
        if source_format == "TIFF" and getattr(image, "is_animated", False):
            raise AttachmentRejected(RejectReason.MULTI_PAGE_IMAGE)
        image.seek(0)  # animated GIF/WebP/PNG and MPO: the first frame is the picture
        image.load()
        ImageOps.exif_transpose(image, in_place=True)  # no copy when already upright
        pixels = _pixels_on_white(image)
    lossless = (
        source_format in LOSSLESS_SOURCE_FORMATS
        and pixels.width * pixels.height <= MAX_PNG_OUTPUT_PIXELS
    )
    output = BytesIO()
    if lossless:
        pixels.save(output, format="PNG")
        return CleanAttachment(AttachmentKind.PHOTO, "image/png", output.getvalue(), ".png")
    pixels.save(output, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return CleanAttachment(AttachmentKind.PHOTO, "image/jpeg", output.getvalue(), ".jpg")


def _pixels_on_white(image: Image.Image) -> Image.Image:
    """A brand-new RGB image holding only the pixels.

    Built fresh rather than converted, because a converted image keeps `info` (comment, ICC
    profile, EXIF) and Pillow's encoders write some of it back out by default.
    """
    canvas = Image.new("RGB", image.size, FLATTEN_BACKGROUND)
    if image.has_transparency_data:
        with_alpha = image.convert("RGBA")
        canvas.paste(with_alpha, mask=with_alpha.getchannel("A"))
    elif image.mode == "RGB":
        canvas.paste(image)  # pixels only; skips an extra full-size copy
    else:
        canvas.paste(image.convert("RGB"))
    return canvas


# --- voice notes --------------------------------------------------------------------------------


def check_voice(data: bytes) -> CleanAttachment:
    """Accept an OGG/Opus voice note and keep it byte for byte.

    We add no metadata and change nothing. Telegram's own Android and iOS recorders (per their
    published source) write an OpusTags header holding only the libopus version as vendor
    string and no user comments; other clients may add tags such as an encoder name, which we
    do not inspect. Only the first page is checked: it must open an Opus stream.
    """
    check_actual_size(data)
    if not data.startswith(OGG_MAGIC):
        raise AttachmentRejected(RejectReason.NOT_A_VOICE_NOTE)
    first_page_body = _first_ogg_page_body(data)
    if not first_page_body.startswith(OPUS_HEAD_MAGIC):
        raise AttachmentRejected(RejectReason.NOT_A_VOICE_NOTE)
    if len(first_page_body) < OPUS_HEAD_MIN_BYTES:
        raise AttachmentRejected(RejectReason.DAMAGED)
    return CleanAttachment(AttachmentKind.VOICE, "audio/ogg", data, ".ogg")


def _first_ogg_page_body(data: bytes) -> bytes:
    """The body of the first OGG page, which must begin a stream (RFC 3533).

    For Opus it holds exactly the identification header (RFC 7845).
    """
    if len(data) < OGG_PAGE_HEADER_BYTES:
        raise AttachmentRejected(RejectReason.DAMAGED)
    if data[OGG_VERSION_OFFSET] != OGG_VERSION:
        raise AttachmentRejected(RejectReason.DAMAGED)
    if not data[OGG_HEADER_TYPE_OFFSET] & OGG_BOS_FLAG:
        raise AttachmentRejected(RejectReason.DAMAGED)
    segment_count = data[OGG_SEGMENT_COUNT_OFFSET]
    body_start = OGG_PAGE_HEADER_BYTES + segment_count
    body_length = sum(data[OGG_PAGE_HEADER_BYTES:body_start])
    if len(data) < body_start + body_length:
        raise AttachmentRejected(RejectReason.DAMAGED)
    return data[body_start : body_start + body_length]


# --- documents ----------------------------------------------------------------------------------


def clean_document(data: bytes) -> CleanAttachment:
    """Sniff what a document really is and clean it: images are scrubbed, PDFs rebuilt.

    The declared MIME type and the file name are never trusted (nor kept). A picture sent as a
    file comes back as a photo. Anything else (executables, archives, Office files) is refused:
    we cannot clean what we cannot rebuild.
    """
    check_actual_size(data)
    if data.startswith(PDF_MAGIC):
        return clean_pdf(data)
    try:
        return scrub_image(data)
    except AttachmentRejected as rejected:
        if rejected.reason is RejectReason.NOT_AN_IMAGE:
            raise AttachmentRejected(RejectReason.UNSUPPORTED_TYPE) from rejected
        raise
