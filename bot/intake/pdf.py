"""PDFs a worker sends: rebuilt from their pages alone, without what names people and software.

Part of the scrubbing (bot/intake/scrub.py): pypdf reads the file in memory with limits of our
own, the pages are copied into a fresh file, and metadata is dropped on the way, down to the
EXIF inside embedded JPEG images. A file that cannot be rebuilt within those limits is refused.
"""

from __future__ import annotations

from io import BytesIO

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
    check_actual_size,
)

PDF_MAGIC = b"%PDF-"

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
    check_actual_size(data)
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
