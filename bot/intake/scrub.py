"""Attachments a worker sends as evidence: checked, and stripped of anything but their content.

A photo's EXIF can carry GPS coordinates and the camera's serial number; a document can carry its
author's name and the software it came from. The employer must not learn who reported, so every
attachment is rebuilt from its content (pixels, pages) before it is sealed, and files we cannot
rebuild are refused. Everything happens on bytes in memory: nothing is written to disk, where a
copy could outlive the report. Errors a worker can cause raise `AttachmentRejected` with a
machine-readable reason; the engine turns the reason into a translated sentence.

`MediaScrubber` is the server's implementation of the engine's Scrubber port: the engine decides
whether it wants a file, this module how it is cleaned (with Pillow and pypdf, in a thread).
"""

from __future__ import annotations

import asyncio
from io import BytesIO

from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import Configuration, PageObject, PdfReader, PdfWriter, apply_configuration
from pypdf.errors import LimitReachedError
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    EncodedStreamObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
)

from handlers.media import (
    MAX_DOWNLOAD_BYTES,
    AttachmentKind,
    AttachmentRejected,
    CleanAttachment,
    RejectReason,
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

PDF_MAGIC = b"%PDF-"
OGG_MAGIC = b"OggS"

OGG_VERSION = 0
OGG_BOS_FLAG = 0x02
OGG_PAGE_HEADER_BYTES = 27
OGG_VERSION_OFFSET = 4
OGG_HEADER_TYPE_OFFSET = 5
OGG_SEGMENT_COUNT_OFFSET = 26
OPUS_HEAD_MAGIC = b"OpusHead"
OPUS_HEAD_MIN_BYTES = 19

MAX_PDF_PAGES = 2_000
"""More pages than any payslip, contract or scanned notice a worker would send."""

MAX_PDF_OBJECTS = 50_000
"""Objects a PDF may declare; rebuilding costs time per object, so a flood of them is refused."""

MAX_PDF_DECODED_STREAM_BYTES = 64 * 1024 * 1024
"""Most a single PDF stream may inflate to when pypdf must decode it (object/xref streams)."""

PDF_CONFIGURATION = Configuration(
    maximum_declared_stream_length=MAX_DOWNLOAD_BYTES,  # no stream is longer than the file
    array_based_stream_maximum_output_length=MAX_PDF_DECODED_STREAM_BYTES,
    zlib_maximum_output_length=MAX_PDF_DECODED_STREAM_BYTES,
    lzw_maximum_output_length=MAX_PDF_DECODED_STREAM_BYTES,
    run_length_maximum_output_length=MAX_PDF_DECODED_STREAM_BYTES,
    brotli_maximum_output_length=MAX_PDF_DECODED_STREAM_BYTES,
    jbig2_maximum_output_length=MAX_PDF_DECODED_STREAM_BYTES,
    image_maximum_buffer_size=MAX_PDF_DECODED_STREAM_BYTES,
    page_tree_maximum_entries=MAX_PDF_PAGES,
    jbig2dec_binary=None,  # never start an external decoder on a worker's file
)
"""pypdf's limits for our calls: a whole configuration, so a looser one set elsewhere in the
process does not apply here; it is installed per call through a context variable."""

PDF_PRIVATE_KEYS = (
    "/Metadata",  # XMP packets, on pages, images and fonts as well as the catalog
    "/PieceInfo",  # the authoring application's private data, sometimes the whole source file
    "/LastModified",  # when the page was edited
    "/Thumb",  # a page preview that may show the page as it was before an edit or redaction
)
"""Dictionary entries dropped everywhere in a PDF, because they describe the file's history."""

PDF_ANNOTATION_PRIVATE_KEYS = ("/T", "/M", "/CreationDate")
"""Author name and dates on comments and highlights (on form fields /T is the field name)."""

PDF_FORM_FIELD_SUBTYPE = "/Widget"

PDF_EMBEDDING_ANNOTATIONS = frozenset(
    {"/FileAttachment", "/Sound", "/Movie", "/Screen", "/RichMedia", "/3D"}
)
"""Annotations that carry a whole embedded file, with its own name and metadata we cannot clean."""

PDF_DCT_FILTER = "/DCTDecode"
PDF_DEFAULT_HEADER = "%PDF-1.7"
PDF_HEADER_LENGTH = len(PDF_DEFAULT_HEADER)

JPEG_MARKER_PREFIX = 0xFF
JPEG_SOI = b"\xff\xd8"
JPEG_EOI = 0xD9
JPEG_SOS = 0xDA
JPEG_STUFFED_ZERO = 0x00
JPEG_RESTART_MARKERS = range(0xD0, 0xD8)
JPEG_TEM = 0x01
JPEG_APP14_ADOBE = 0xEE
JPEG_APP_MARKERS = range(0xE0, 0xF0)
JPEG_COM = 0xFE
JPEG_LENGTH_BYTES = 2
JPEG_MARKER_BYTES = 2
JPEG_KEPT_APP_MARKERS = frozenset({JPEG_APP14_ADOBE})
"""The Adobe segment tells a decoder how to read the colours (CMYK, YCCK); every other APPn is
metadata (APP0 JFIF/JFXX thumbnails, APP1 EXIF/XMP, APP2 ICC, APP13 IPTC, vendor segments) and COM
is a free-text comment. In a PDF the colour space comes from the image dictionary."""


class MediaScrubber:
    """The Scrubber port: decoding a large photo or PDF takes up to seconds, so it runs in a
    thread, never on the event loop."""

    async def scrub(self, kind: AttachmentKind, data: bytes) -> CleanAttachment:
        """The file rebuilt from its content; raises AttachmentRejected with the reason."""
        return await asyncio.to_thread(clean_attachment, kind, data)


def _check_actual_size(data: bytes) -> None:
    """The declared size is optional and only a claim, so the bytes themselves are measured too."""
    if len(data) > MAX_DOWNLOAD_BYTES:
        raise AttachmentRejected(RejectReason.TOO_LARGE)


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
    _check_actual_size(data)
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
    _check_actual_size(data)
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
    _check_actual_size(data)
    if data.startswith(PDF_MAGIC):
        return clean_pdf(data)
    try:
        return scrub_image(data)
    except AttachmentRejected as rejected:
        if rejected.reason is RejectReason.NOT_AN_IMAGE:
            raise AttachmentRejected(RejectReason.UNSUPPORTED_TYPE) from rejected
        raise


def clean_pdf(data: bytes) -> CleanAttachment:
    """Rebuild a PDF from its pages alone, without the metadata that names people and software.

    Only the pages (and what they use) are copied into a new file, so the document information
    dictionary (Author, Creator, Producer, Title, dates), the catalog's XMP stream, earlier
    revisions left by incremental saves, bookmarks, embedded files and document scripts stay
    behind. On the copied objects we also drop XMP streams, application data, page thumbnails,
    comment authors and dates, file-carrying annotations, and EXIF/XMP/ICC/comments inside
    embedded JPEG images. Page content streams are copied as they are, never decompressed.
    Encrypted PDFs are refused: their contents cannot be inspected or cleaned.
    """
    _check_actual_size(data)
    try:
        with apply_configuration(PDF_CONFIGURATION):
            return _clean_pdf(data)
    except AttachmentRejected:
        raise
    except Exception as error:
        # pypdf raises PdfReadError and its kin on malformed files, LimitReachedError when a
        # limit above is hit, and plain KeyError/ValueError/RecursionError on crafted ones.
        raise AttachmentRejected(_pdf_failure_reason(error)) from error


def _pdf_failure_reason(error: Exception) -> RejectReason:
    """A resource limit means a bomb or a monster file; any other failure, a broken one."""
    if isinstance(error, LimitReachedError | MemoryError):
        return RejectReason.TOO_COMPLEX
    return RejectReason.DAMAGED


def _clean_pdf(data: bytes) -> CleanAttachment:
    """Scrub what the pages use, copy the pages into a fresh writer, and serialise."""
    reader = PdfReader(BytesIO(data), strict=False)
    if reader.is_encrypted:
        raise AttachmentRejected(RejectReason.ENCRYPTED_PDF)
    declared_objects = _entry(reader.trailer, "/Size")
    if not isinstance(declared_objects, int) or declared_objects > MAX_PDF_OBJECTS:
        raise AttachmentRejected(RejectReason.TOO_COMPLEX)
    page_count = len(reader.pages)
    if page_count == 0:
        raise AttachmentRejected(RejectReason.DAMAGED)
    if page_count > MAX_PDF_PAGES:
        raise AttachmentRejected(RejectReason.TOO_COMPLEX)
    pages = list(reader.pages)
    # Scrubbed in the reader, before copying: the copy then takes only what is still referenced.
    _scrub_pdf_objects(pages)
    writer = PdfWriter()
    writer.metadata = None  # privacy: not even pypdf's own /Producer entry
    writer.pdf_header = _pdf_header(reader.pdf_header)
    for page in pages:
        writer.add_page(page)
    output = BytesIO()
    writer.write(output)
    return CleanAttachment(AttachmentKind.DOCUMENT, "application/pdf", output.getvalue(), ".pdf")


def _pdf_header(original: str) -> str:
    """Keep the source's PDF version when it is well-formed (features may depend on it)."""
    header = original[:PDF_HEADER_LENGTH]
    version = header.removeprefix(PDF_MAGIC.decode())
    major, dot, minor = version.partition(".")
    if dot and major.isdigit() and minor.isdigit() and len(header) == PDF_HEADER_LENGTH:
        return header
    return PDF_DEFAULT_HEADER


def _scrub_pdf_objects(pages: list[PageObject]) -> None:
    """Walk every object reachable from the pages once and remove what identifies."""
    stack: list[PdfObject] = list(pages)
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            if item.idnum in seen:
                continue
            seen.add(item.idnum)
            if len(seen) > MAX_PDF_OBJECTS:
                raise AttachmentRejected(RejectReason.TOO_COMPLEX)
            resolved = item.get_object()
            if resolved is None:
                continue
            item = resolved
        if isinstance(item, DictionaryObject):
            _scrub_pdf_dictionary(item)
            stack.extend(item.values())  # raw values: references are resolved above, once each
        elif isinstance(item, ArrayObject):
            stack.extend(item)


def _scrub_pdf_dictionary(dictionary: DictionaryObject) -> None:
    """Remove metadata entries, comment authors, embedded files and JPEG metadata from one dict."""
    for key in PDF_PRIVATE_KEYS:
        dictionary.pop(key, None)
    subtype = _name(dictionary, "/Subtype")
    if "/Rect" in dictionary and subtype is not None and subtype != PDF_FORM_FIELD_SUBTYPE:
        for key in PDF_ANNOTATION_PRIVATE_KEYS:
            dictionary.pop(key, None)  # privacy: the author of a comment, and when it was made
    annotations = _entry(dictionary, "/Annots")
    if isinstance(annotations, ArrayObject):
        kept = [entry for entry in annotations if not _carries_embedded_file(entry)]
        if len(kept) != len(annotations):
            dictionary[NameObject("/Annots")] = ArrayObject(kept)
    if isinstance(dictionary, StreamObject) and _is_jpeg_image(dictionary):
        stripped = _strip_jpeg_metadata(dictionary.get_data())  # DCT data "decodes" to itself
        # The raw setter: DCT data is stored as is (pypdf's encoded-stream setter only re-flates).
        StreamObject.set_data(dictionary, stripped)
        if isinstance(dictionary, EncodedStreamObject):
            dictionary.decoded_self = None  # privacy: drop the cached copy that still has EXIF


def _carries_embedded_file(entry: PdfObject) -> bool:
    """Whether an annotation embeds a whole file (attachment, sound, movie, 3D model)."""
    annotation = entry.get_object()
    return (
        isinstance(annotation, DictionaryObject)
        and _name(annotation, "/Subtype") in PDF_EMBEDDING_ANNOTATIONS
    )


def _is_jpeg_image(stream: StreamObject) -> bool:
    """An image XObject stored as a plain JPEG file (its bytes are the file, EXIF and all)."""
    filters = _entry(stream, "/Filter")
    if isinstance(filters, ArrayObject) and len(filters) == 1:
        filters = filters[0].get_object()
    only_dct = isinstance(filters, NameObject) and filters == PDF_DCT_FILTER
    return only_dct and _name(stream, "/Subtype") == "/Image"


def _entry(dictionary: DictionaryObject, key: str) -> PdfObject | None:
    """A dictionary entry with any indirect reference followed (`get` returns it raw)."""
    value = dictionary.get(key)
    return None if value is None else value.get_object()


def _name(dictionary: DictionaryObject, key: str) -> str | None:
    """A name entry such as /Subtype, or None when absent or not a name."""
    value = _entry(dictionary, key)
    return value if isinstance(value, NameObject) else None


def _strip_jpeg_metadata(jpeg: bytes) -> bytes:
    """Drop a JPEG's metadata segments without re-encoding it (lossless, marker by marker).

    Keeps every segment a decoder needs and the entropy-coded data; drops APPn segments other
    than Adobe's, comments, and anything after the end-of-image marker.
    """
    if not jpeg.startswith(JPEG_SOI):
        raise ValueError("embedded JPEG does not start with SOI")
    kept = [JPEG_SOI]
    position = len(JPEG_SOI)
    while position < len(jpeg):
        if jpeg[position] != JPEG_MARKER_PREFIX:
            raise ValueError("embedded JPEG: marker expected")
        if position + 1 >= len(jpeg):
            break
        marker = jpeg[position + 1]
        if marker == JPEG_MARKER_PREFIX:  # fill byte before a marker
            position += 1
            continue
        if marker == JPEG_EOI:
            kept.append(bytes((JPEG_MARKER_PREFIX, JPEG_EOI)))
            return b"".join(kept)
        if marker in JPEG_RESTART_MARKERS or marker == JPEG_TEM:
            kept.append(jpeg[position : position + JPEG_MARKER_BYTES])
            position += JPEG_MARKER_BYTES
            continue
        length_start = position + JPEG_MARKER_BYTES
        length = int.from_bytes(jpeg[length_start : length_start + JPEG_LENGTH_BYTES], "big")
        end = length_start + length
        if length < JPEG_LENGTH_BYTES or end > len(jpeg):
            raise ValueError("embedded JPEG: segment runs past the end")
        if not _is_jpeg_metadata(marker):
            kept.append(jpeg[position:end])
        position = end
        if marker == JPEG_SOS:
            scan_end = _end_of_scan(jpeg, position)
            kept.append(jpeg[position:scan_end])
            position = scan_end
    raise ValueError("embedded JPEG has no end-of-image marker")


def _is_jpeg_metadata(marker: int) -> bool:
    """APPn segments other than Adobe's, and comments."""
    if marker == JPEG_COM:
        return True
    return marker in JPEG_APP_MARKERS and marker not in JPEG_KEPT_APP_MARKERS


def _end_of_scan(jpeg: bytes, position: int) -> int:
    """Where the entropy-coded data after a scan header ends: the next real marker.

    Inside scan data 0xFF is always followed by a stuffed zero or a restart marker.
    """
    while True:
        position = jpeg.find(bytes((JPEG_MARKER_PREFIX,)), position)
        if position < 0 or position + 1 >= len(jpeg):
            raise ValueError("embedded JPEG: scan data runs past the end")
        following = jpeg[position + 1]
        if following == JPEG_STUFFED_ZERO or following in JPEG_RESTART_MARKERS:
            position += JPEG_MARKER_BYTES
        elif following == JPEG_MARKER_PREFIX:
            position += 1
        else:
            return position
