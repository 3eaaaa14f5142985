"""Attachments: what a worker sends comes out with its content intact and nothing that names them.

Every input is built here in code (no binary fixtures): photos with GPS and camera serials, PNGs
with text chunks, PDFs with authors, comments and camera JPEGs inside, OGG voice notes.
"""

import random
import struct
import time
import zipfile
import zlib
from io import BytesIO

import pytest
from PIL import ExifTags, Image, ImageCms, ImageFile, ImageStat, PngImagePlugin
from pypdf import PdfReader, PdfWriter

from bot.intake.pdf import MAX_PDF_PAGES
from bot.intake.scrub import (
    MAX_IMAGE_PIXELS,
    check_voice,
    clean_attachment,
    clean_document,
    scrub_image,
)
from handlers.media import (
    MAX_DOWNLOAD_BYTES,
    AttachmentKind,
    AttachmentRejected,
    CleanAttachment,
    RejectReason,
    check_declared_size,
)

WORKER_NAME = "Sentinel Worker Name"
CAMERA_SERIAL = "SN-4C1D-7788"
GPS_DATUM = "WGS-84"
JPEG_COMMENT = b"taken by a worker at line 4"
XMP_NAMESPACE = b"http://ns.adobe.com/xap/1.0/"
XMP_PACKET = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Sentinel Worker Name</dc:creator>'
    b"</rdf:Description></rdf:RDF></x:xmpmeta>"
)
RED = (200, 30, 30)
BLUE = (30, 30, 200)
WHITE = (255, 255, 255)
COLOUR_TOLERANCE = 12
PHOTO_SIZE = (64, 48)
MEGABYTE = 1024 * 1024
BOMB_MEGABYTES = 64


def _reason(excinfo: pytest.ExceptionInfo[AttachmentRejected]) -> RejectReason:
    return excinfo.value.reason


def _two_colour_image(size: tuple[int, int] = PHOTO_SIZE) -> Image.Image:
    """Left half red, right half blue: enough to see a rotation or a lost picture."""
    width, height = size
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (width // 2, 0, width, height))
    return image


def _exif(orientation: int | None = None) -> Image.Exif:
    """EXIF as a phone writes it: maker, owner name, camera serial, GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "AcmePhone"
    exif[ExifTags.Base.Model] = "A1 Pro"
    exif[ExifTags.Base.Artist] = WORKER_NAME
    exif[ExifTags.IFD.Exif] = {ExifTags.Base.BodySerialNumber: CAMERA_SERIAL}
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (22.0, 32.0, 10.5),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (114.0, 3.0, 30.0),
        ExifTags.GPS.GPSMapDatum: GPS_DATUM,
    }
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    return exif


def _srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _phone_jpeg(image: Image.Image | None = None, orientation: int | None = None) -> bytes:
    """A JPEG with EXIF (GPS, serial, owner), an XMP packet, an ICC profile and a comment."""
    output = BytesIO()
    (image or _two_colour_image()).save(
        output,
        format="JPEG",
        quality=95,
        exif=_exif(orientation),
        icc_profile=_srgb_profile(),
        xmp=XMP_PACKET,
        comment=JPEG_COMMENT,
    )
    return output.getvalue()


def _encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    output = BytesIO()
    image.save(output, format=image_format, **options)
    return output.getvalue()


def _png_chunk(chunk_type: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(chunk_type + body)
    return struct.pack(">I", len(body)) + chunk_type + body + struct.pack(">I", crc)


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes whose header declares width x height pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def _png_chunk_types(data: bytes) -> list[bytes]:
    position, types = 8, []
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        types.append(data[position + 4 : position + 8])
        position += 12 + length
    return types


def _open(clean: CleanAttachment) -> Image.Image:
    image = Image.open(BytesIO(clean.data))
    image.load()
    return image


def _mean_colour(image: Image.Image, box: tuple[int, int, int, int]) -> tuple[int, ...]:
    return tuple(round(mean) for mean in ImageStat.Stat(image.crop(box).convert("RGB")).mean)


def _close(actual: tuple[int, ...], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - e) <= COLOUR_TOLERANCE for a, e in zip(actual, expected, strict=True))


# --- photos -------------------------------------------------------------------------------------


def test_phone_photo_loses_gps_serial_xmp_icc_and_comment_but_keeps_its_pixels() -> None:
    original = _phone_jpeg()
    for marker in (CAMERA_SERIAL.encode(), GPS_DATUM.encode(), XMP_NAMESPACE, JPEG_COMMENT):
        assert marker in original  # the fixture really carries what a phone writes

    clean = scrub_image(original)

    assert (clean.kind, clean.media_type, clean.suffix) == (
        AttachmentKind.PHOTO,
        "image/jpeg",
        ".jpg",
    )
    image = _open(clean)
    assert image.format == "JPEG"
    assert len(image.getexif()) == 0
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    for key in ("exif", "icc_profile", "comment", "xmp"):
        assert key not in image.info
    for marker in (
        b"Exif\x00\x00",
        b"GPS",
        GPS_DATUM.encode(),
        CAMERA_SERIAL.encode(),
        WORKER_NAME.encode(),
        XMP_NAMESPACE,
        b"xmpmeta",
        b"ICC_PROFILE",
        JPEG_COMMENT,
        b"AcmePhone",
    ):
        assert marker not in clean.data
    assert image.size == PHOTO_SIZE
    assert _close(_mean_colour(image, (4, 4, 28, 44)), RED)
    assert _close(_mean_colour(image, (36, 4, 60, 44)), BLUE)


def test_photo_taken_sideways_is_turned_upright_and_loses_its_orientation_tag() -> None:
    # Orientation 6: the sensor image must be turned 90° clockwise to be seen upright.
    clean = scrub_image(_phone_jpeg(orientation=6))

    image = _open(clean)
    width, height = PHOTO_SIZE
    assert image.size == (height, width)
    assert ExifTags.Base.Orientation not in image.getexif()
    assert _close(_mean_colour(image, (4, 4, 44, 28)), RED)  # the left half is now on top
    assert _close(_mean_colour(image, (4, 36, 44, 60)), BLUE)


def test_screenshot_png_loses_text_chunks_and_stays_png() -> None:
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", WORKER_NAME)
    text.add_text("Comment", "phone of line 4 leader", zip=True)
    text.add_itxt("Description", "Nguyễn Văn A", lang="vi")
    original = _encode(
        _two_colour_image(),
        "PNG",
        pnginfo=text,
        icc_profile=_srgb_profile(),
        exif=_exif(),
    )
    assert {b"tEXt", b"zTXt", b"iTXt", b"iCCP", b"eXIf"} <= set(_png_chunk_types(original))

    clean = scrub_image(original)

    assert (clean.media_type, clean.suffix) == ("image/png", ".png")
    assert set(_png_chunk_types(clean.data)) <= {b"IHDR", b"IDAT", b"IEND"}
    assert WORKER_NAME.encode() not in clean.data
    image = _open(clean)
    assert image.size == PHOTO_SIZE
    assert image.getpixel((0, 0)) == RED


def test_transparency_is_flattened_onto_white_so_erased_pixels_cannot_be_recovered() -> None:
    # A name "erased" by making it transparent: its colour values are still in the file.
    image = Image.new("RGBA", (8, 8), (*RED, 255))
    image.putpixel((0, 0), (*BLUE, 0))

    clean = scrub_image(_encode(image, "PNG"))

    result = _open(clean)
    assert result.mode == "RGB"
    assert result.getpixel((0, 0)) == WHITE
    assert result.getpixel((7, 7)) == RED


@pytest.mark.parametrize(
    ("image_format", "media_type"),
    [("WEBP", "image/jpeg"), ("TIFF", "image/jpeg"), ("BMP", "image/png"), ("GIF", "image/png")],
)
def test_other_common_formats_are_accepted(image_format: str, media_type: str) -> None:
    clean = scrub_image(_encode(_two_colour_image(), image_format))

    assert clean.media_type == media_type
    assert _open(clean).size == PHOTO_SIZE


def test_animated_gif_keeps_its_first_frame() -> None:
    frames = [Image.new("RGB", (16, 16), RED), Image.new("RGB", (16, 16), BLUE)]
    animated = _encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)

    image = _open(scrub_image(animated))

    assert getattr(image, "n_frames", 1) == 1
    assert _close(_mean_colour(image, (0, 0, 16, 16)), RED)


def test_multi_page_tiff_is_refused_rather_than_cut_to_its_first_page() -> None:
    pages = [Image.new("RGB", (16, 16), RED), Image.new("RGB", (16, 16), BLUE)]
    scan = _encode(pages[0], "TIFF", save_all=True, append_images=pages[1:])

    with pytest.raises(AttachmentRejected) as excinfo:
        scrub_image(scan)
    assert _reason(excinfo) is RejectReason.MULTI_PAGE_IMAGE


def test_a_format_outside_the_whitelist_is_not_opened() -> None:
    icon = _encode(_two_colour_image((32, 32)), "ICO")

    with pytest.raises(AttachmentRejected) as excinfo:
        scrub_image(icon)
    assert _reason(excinfo) is RejectReason.NOT_AN_IMAGE


def test_tiny_png_declaring_ten_billion_pixels_is_refused_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(AttachmentRejected) as excinfo:
        scrub_image(_png_claiming(100_000, 100_000))
    assert _reason(excinfo) is RejectReason.TOO_MANY_PIXELS
    assert time.monotonic() - started < 1


def test_pixel_limit_holds_even_when_pillow_global_guard_is_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    side = int(MAX_IMAGE_PIXELS**0.5) + 1

    with pytest.raises(AttachmentRejected) as excinfo:
        scrub_image(_png_claiming(side, side))
    assert _reason(excinfo) is RejectReason.TOO_MANY_PIXELS


@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
def test_pillow_bomb_warning_raised_as_error_is_a_refusal_not_a_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # a stricter process-wide setting

    with pytest.raises(AttachmentRejected) as excinfo:
        # 1200 pixels: between Pillow's warning (1000) and error (2000) thresholds, under ours.
        scrub_image(_encode(_two_colour_image((40, 30)), "PNG"))
    assert _reason(excinfo) is RejectReason.TOO_MANY_PIXELS


def test_scrubbing_leaves_pillow_global_settings_alone() -> None:
    before = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES)
    scrub_image(_phone_jpeg())
    with pytest.raises(AttachmentRejected):
        scrub_image(_png_claiming(100_000, 100_000))
    assert before == (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES)
    assert before[1] is False  # truncated files are only caught while this stays False


def test_truncated_jpeg_is_damaged() -> None:
    noise = Image.frombytes("RGB", (64, 64), random.Random(7).randbytes(64 * 64 * 3))
    whole = _encode(noise, "JPEG", quality=90)

    with pytest.raises(AttachmentRejected) as excinfo:
        scrub_image(whole[: len(whole) // 2])
    assert _reason(excinfo) is RejectReason.DAMAGED


def test_random_bytes_are_not_an_image() -> None:
    with pytest.raises(AttachmentRejected) as excinfo:
        scrub_image(random.Random(3).randbytes(4096))
    assert _reason(excinfo) is RejectReason.NOT_AN_IMAGE


def test_photo_over_the_download_limit_is_too_large() -> None:
    with pytest.raises(AttachmentRejected) as excinfo:
        clean_attachment(AttachmentKind.PHOTO, b"\xff\xd8\xff" + bytes(MAX_DOWNLOAD_BYTES))
    assert _reason(excinfo) is RejectReason.TOO_LARGE


# --- sizes --------------------------------------------------------------------------------------


def test_declared_25_megabyte_file_is_refused_before_download() -> None:
    with pytest.raises(AttachmentRejected) as excinfo:
        check_declared_size(25 * MEGABYTE)
    assert _reason(excinfo) is RejectReason.TOO_LARGE


@pytest.mark.parametrize("size", [None, 0, MAX_DOWNLOAD_BYTES])
def test_declared_size_within_the_limit_or_unknown_passes(size: int | None) -> None:
    check_declared_size(size)


# --- documents: sniffing ------------------------------------------------------------------------


def _zip(files: dict[str, bytes]) -> bytes:
    output = BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return output.getvalue()


ELF_EXECUTABLE = b"\x7fELF\x02\x01\x01\x00" + bytes(56) + b"/lib64/ld-linux-x86-64.so.2\x00"
PE_EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(52) + b"\x80\x00\x00\x00" + bytes(64) + b"PE"
NOT_DOCUMENTS = {
    "elf": ELF_EXECUTABLE,
    "pe": PE_EXECUTABLE,
    "zip": _zip({"notes.txt": b"meeting at gate 2"}),
    "docx": _zip({"[Content_Types].xml": b"<Types/>", "docProps/core.xml": WORKER_NAME.encode()}),
    "random": random.Random(5).randbytes(4096),
}


@pytest.mark.parametrize("name", sorted(NOT_DOCUMENTS))
def test_executables_archives_and_office_files_are_unsupported(name: str) -> None:
    with pytest.raises(AttachmentRejected) as excinfo:
        clean_attachment(AttachmentKind.DOCUMENT, NOT_DOCUMENTS[name])
    assert _reason(excinfo) is RejectReason.UNSUPPORTED_TYPE


def test_picture_sent_as_a_file_is_scrubbed_like_a_photo() -> None:
    clean = clean_document(_phone_jpeg())

    assert (clean.kind, clean.media_type) == (AttachmentKind.PHOTO, "image/jpeg")
    assert CAMERA_SERIAL.encode() not in clean.data


def test_damaged_picture_sent_as_a_file_is_damaged_not_unsupported() -> None:
    whole = _phone_jpeg(_two_colour_image((256, 256)))

    with pytest.raises(AttachmentRejected) as excinfo:
        clean_document(whole[: len(whole) // 2])
    assert _reason(excinfo) is RejectReason.DAMAGED


def test_document_over_the_download_limit_is_too_large() -> None:
    with pytest.raises(AttachmentRejected) as excinfo:
        clean_document(b"%PDF-1.7\n" + bytes(MAX_DOWNLOAD_BYTES))
    assert _reason(excinfo) is RejectReason.TOO_LARGE


# --- documents: PDF -----------------------------------------------------------------------------

PAGE_TEXT = "Overtime unpaid since March"
COMMENT_TEXT = "see the timesheet"
ATTACHED_NAME = b"nguyen_payslip.xlsx"
PDF_IDENTIFYING = (  # single words: pypdf may escape punctuation inside PDF strings
    b"Sentinel Worker",
    b"nguyen",
    b"PayMaker",
    b"Payroll",
    b"xmpmeta",
    b"Illustrator",
    b"D:2024",
    CAMERA_SERIAL.encode(),
    GPS_DATUM.encode(),
    XMP_NAMESPACE,
    JPEG_COMMENT,
)


def _pdf_stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def _pdf_revision(
    objects: dict[int, bytes], trailer: bytes, start: int = 0, previous: int | None = None
) -> bytes:
    """Objects, a cross-reference table and a trailer; `start` is where this revision begins."""
    body, offsets = bytearray(), {}
    if previous is None:
        body += b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    for number, content in sorted(objects.items()):
        offsets[number] = start + len(body)
        body += b"%d 0 obj\n" % number + content + b"\nendobj\n"
    xref_at = start + len(body)
    body += b"xref\n"
    if previous is None:
        body += b"0 %d\n0000000000 65535 f \n" % (max(objects) + 1)
        body += b"".join(b"%010d 00000 n \n" % offsets[n] for n in sorted(objects))
    else:
        for number in sorted(objects):
            body += b"%d 1\n%010d 00000 n \n" % (number, offsets[number])
    prev = b"" if previous is None else b" /Prev %d" % previous
    body += b"trailer\n<< " + trailer + prev + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(body)


def _evidence_pdf() -> bytes:
    """A one-page payslip-like PDF as an employer's software and a phone scanner would make it."""
    jpeg = _phone_jpeg()
    width, height = PHOTO_SIZE
    content = (
        b"BT /F1 18 Tf 30 250 Td (" + PAGE_TEXT.encode() + b") Tj ET\n"
        b"q %d 0 0 %d 30 100 cm /Im0 Do Q" % (width, height)
    )
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R /Metadata 7 0 R"
        b" /Names << /EmbeddedFiles << /Names [(" + ATTACHED_NAME + b") 11 0 R] >> >> >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 300] /Contents 5 0 R"
        b" /Resources << /Font << /F1 4 0 R >> /XObject << /Im0 6 0 R >> >>"
        b" /Annots 13 0 R /Metadata 7 0 R /LastModified (D:20240301101500+07'00')"
        b" /PieceInfo << /Illustrator << /Private (" + WORKER_NAME.encode() + b") >> >> >>",
        4: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        5: _pdf_stream(b"", content),
        6: _pdf_stream(
            b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB"
            b" /BitsPerComponent 8 /Filter /DCTDecode" % (width, height),
            jpeg,
        ),
        7: _pdf_stream(b"/Type /Metadata /Subtype /XML", XMP_PACKET),
        8: b"<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] /Contents ("
        + COMMENT_TEXT.encode()
        + b") /T ("
        + WORKER_NAME.encode()
        + b") /M (D:20240301101500+07'00') >>",
        9: b"<< /Type /Annot /Subtype /FileAttachment /Rect [40 10 60 30] /FS 11 0 R >>",
        10: _pdf_stream(b"/Type /EmbeddedFile", b"name,hours\nSentinel Worker Name,92\n"),
        11: b"<< /Type /Filespec /F (" + ATTACHED_NAME + b") /EF << /F 10 0 R >> >>",
        12: b"<< /Author (" + WORKER_NAME.encode() + b") /Creator (HR Payroll 5)"
        b" /Producer (PayMaker PDF 3.1) /Title (Payslip March - " + WORKER_NAME.encode() + b")"
        b" /CreationDate (D:20240301101500+07'00') >>",
        13: b"[8 0 R 9 0 R]",  # an indirect array, as many producers write it
    }
    trailer = b"/Size 14 /Root 1 0 R /Info 12 0 R /ID [<0123456789abcdef><0123456789abcdef>]"
    return _pdf_revision(objects, trailer)


def _simple_pdf(
    info: bytes = b"/Author (" + WORKER_NAME.encode() + b")",
    content: bytes = _pdf_stream(
        b"", b"BT /F1 12 Tf 20 100 Td (" + PAGE_TEXT.encode() + b") Tj ET"
    ),
) -> bytes:
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        4: content,
        5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        6: b"<< " + info + b" >>",
    }
    return _pdf_revision(objects, b"/Size 7 /Root 1 0 R /Info 6 0 R")


def test_evidence_pdf_fixture_carries_what_real_ones_do() -> None:
    original = _evidence_pdf()
    reader = PdfReader(BytesIO(original))
    assert reader.metadata is not None and reader.metadata.author == WORKER_NAME
    assert "/Metadata" in reader.trailer["/Root"]
    assert PAGE_TEXT in reader.pages[0].extract_text()
    for marker in PDF_IDENTIFYING:
        assert marker in original


def test_pdf_loses_its_metadata_and_keeps_its_pages() -> None:
    clean = clean_document(_evidence_pdf())

    assert (clean.kind, clean.media_type, clean.suffix) == (
        AttachmentKind.DOCUMENT,
        "application/pdf",
        ".pdf",
    )
    assert clean.data.startswith(b"%PDF-1.7")
    for marker in PDF_IDENTIFYING:
        assert marker not in clean.data
    reader = PdfReader(BytesIO(clean.data))
    assert reader.metadata is None
    assert "/Metadata" not in reader.trailer["/Root"]
    assert "/ID" not in reader.trailer
    assert len(reader.pages) == 1
    assert PAGE_TEXT in reader.pages[0].extract_text()


def test_pdf_comment_keeps_its_text_but_not_its_author_and_attached_files_go() -> None:
    page = PdfReader(BytesIO(clean_document(_evidence_pdf()).data)).pages[0]

    annotations = [annotation.get_object() for annotation in page["/Annots"]]
    assert [annotation["/Subtype"] for annotation in annotations] == ["/Text"]
    assert annotations[0]["/Contents"] == COMMENT_TEXT
    assert "/T" not in annotations[0] and "/M" not in annotations[0]
    for key in ("/Metadata", "/PieceInfo", "/LastModified"):
        assert key not in page


def test_camera_jpeg_inside_a_pdf_loses_its_exif_and_still_shows() -> None:
    page = PdfReader(BytesIO(clean_document(_evidence_pdf()).data)).pages[0]

    embedded = page["/Resources"]["/XObject"]["/Im0"].get_object().get_data()
    for marker in (b"Exif", CAMERA_SERIAL.encode(), XMP_NAMESPACE, b"ICC_PROFILE", JPEG_COMMENT):
        assert marker not in embedded
    image = Image.open(BytesIO(embedded))
    image.load()
    assert image.size == PHOTO_SIZE
    assert _close(_mean_colour(image, (4, 4, 28, 44)), RED)


def test_author_of_an_earlier_revision_does_not_survive() -> None:
    first = _simple_pdf()
    update = _pdf_revision(
        {6: b"<< /Author (HR Department) >>"},
        b"/Size 7 /Root 1 0 R /Info 6 0 R",
        start=len(first),
        previous=first.rindex(b"\nxref\n") + 1,
    )
    edited = first + update
    assert PdfReader(BytesIO(edited)).metadata == {"/Author": "HR Department"}

    clean = clean_document(edited)

    assert WORKER_NAME.encode() not in clean.data
    assert b"HR Department" not in clean.data


def _pdf_showing(jpeg: bytes, colour_space: bytes) -> bytes:
    """A one-page PDF that shows `jpeg` as it is, the way image-to-PDF converters embed photos."""
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] /Contents 4 0 R"
        b" /Resources << /XObject << /Im0 5 0 R >> >> >>",
        4: _pdf_stream(b"", b"q 100 0 0 100 0 0 cm /Im0 Do Q"),
        5: _pdf_stream(
            b"/Type /XObject /Subtype /Image /Width 40 /Height 30 /ColorSpace "
            + colour_space
            + b" /BitsPerComponent 8 /Filter [/DCTDecode]",
            jpeg,
        ),
    }
    return _pdf_revision(objects, b"/Size 6 /Root 1 0 R")


@pytest.mark.parametrize(
    ("mode", "options"),
    [
        ("RGB", {"progressive": True}),
        ("RGB", {"restart_marker_blocks": 2}),
        ("CMYK", {}),
    ],
    ids=["progressive", "restart-markers", "cmyk"],
)
def test_embedded_jpeg_is_cleaned_losslessly(mode: str, options: dict[str, object]) -> None:
    noise = Image.frombytes("RGB", (40, 30), random.Random(19).randbytes(40 * 30 * 3))
    original = _encode(
        noise.convert(mode),
        "JPEG",
        quality=90,
        exif=_exif(),
        icc_profile=_srgb_profile(),
        comment=JPEG_COMMENT,
        **options,
    )
    camera_trailer = b"SEFT" + WORKER_NAME.encode()  # some phones append data after the image
    colour_space = b"/DeviceCMYK" if mode == "CMYK" else b"/DeviceRGB"

    clean = clean_document(_pdf_showing(original + camera_trailer, colour_space))

    page = PdfReader(BytesIO(clean.data)).pages[0]
    embedded = page["/Resources"]["/XObject"]["/Im0"].get_object().get_data()
    markers = (b"Exif", CAMERA_SERIAL.encode(), b"ICC_PROFILE", JPEG_COMMENT, b"Sentinel Worker")
    for marker in markers:
        assert marker not in embedded
    assert Image.open(BytesIO(embedded)).tobytes() == Image.open(BytesIO(original)).tobytes()


def test_pdf_with_thousands_of_pages_is_too_complex() -> None:
    count = MAX_PDF_PAGES + 1
    kids = b" ".join(b"%d 0 R" % number for number in range(3, count + 3))
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count,
    }
    for number in range(3, count + 3):
        objects[number] = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"

    with pytest.raises(AttachmentRejected) as excinfo:
        clean_document(_pdf_revision(objects, b"/Size %d /Root 1 0 R" % (count + 3)))
    assert _reason(excinfo) is RejectReason.TOO_COMPLEX


def _encrypted(user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(BytesIO(_simple_pdf())))
    writer.encrypt(user_password, "owner secret", algorithm="RC4-128")
    output = BytesIO()
    writer.write(output)
    return output.getvalue()


@pytest.mark.parametrize("user_password", ["", "1990-04-12"])
def test_encrypted_pdf_is_refused(user_password: str) -> None:
    with pytest.raises(AttachmentRejected) as excinfo:
        clean_document(_encrypted(user_password))
    assert _reason(excinfo) is RejectReason.ENCRYPTED_PDF


@pytest.mark.parametrize(
    "garbage",
    [
        b"%PDF-",
        b"%PDF-1.7\n" + random.Random(11).randbytes(4096),
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
    ],
    ids=["header-only", "random-body", "no-pages"],
)
def test_garbage_starting_like_a_pdf_is_damaged(garbage: bytes) -> None:
    with pytest.raises(AttachmentRejected) as excinfo:
        clean_document(garbage)
    assert _reason(excinfo) is RejectReason.DAMAGED


def test_pdf_declaring_millions_of_objects_is_too_complex() -> None:
    flood = _simple_pdf().replace(b"/Size 7", b"/Size 9999999")

    with pytest.raises(AttachmentRejected) as excinfo:
        clean_document(flood)
    assert _reason(excinfo) is RejectReason.TOO_COMPLEX


def test_pdf_page_stream_that_inflates_hugely_is_copied_without_inflating() -> None:
    compressor = zlib.compressobj(9)
    chunk = b" " * MEGABYTE
    bomb = b"".join(compressor.compress(chunk) for _ in range(BOMB_MEGABYTES))
    bomb += compressor.flush()
    pdf = _simple_pdf(content=_pdf_stream(b"/Filter /FlateDecode", bomb))
    started = time.monotonic()

    clean = clean_document(pdf)

    assert time.monotonic() - started < 1
    assert len(clean.data) < 2 * len(pdf)  # still compressed: nothing was inflated


# --- voice notes --------------------------------------------------------------------------------


def _ogg_crc(data: bytes) -> int:
    """CRC-32 as OGG defines it (polynomial 0x04C11DB7, no reflection, initial value 0)."""
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def _ogg_page(body: bytes, sequence: int, header_type: int, granule: int = 0) -> bytes:
    lacing = [255] * (len(body) // 255) + [len(body) % 255]
    header = struct.pack("<4sBBqII", b"OggS", 0, header_type, granule, 0x5EED, sequence)
    page = header + struct.pack("<IB", 0, len(lacing)) + bytes(lacing) + body
    return page[:22] + struct.pack("<I", _ogg_crc(page)) + page[26:]


def _voice_note(first_packet: bytes | None = None) -> bytes:
    """An OGG/Opus voice note laid out as Telegram's recorder writes it: head, tags, audio."""
    opus_head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 16000, 0, 0)
    vendor = b"libopus 1.3.1"
    opus_tags = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0)
    audio = random.Random(13).randbytes(600)
    return (
        _ogg_page(opus_head if first_packet is None else first_packet, 0, 0x02)
        + _ogg_page(opus_tags, 1, 0x00)
        + _ogg_page(audio, 2, 0x04, granule=48_000)
    )


def test_voice_note_is_kept_byte_for_byte() -> None:
    note = _voice_note()

    clean = clean_attachment(AttachmentKind.VOICE, note)

    assert clean == CleanAttachment(AttachmentKind.VOICE, "audio/ogg", note, ".ogg")


@pytest.mark.parametrize(
    "not_voice",
    [
        b"ID3\x04\x00\x00\x00\x00\x00\x00" + random.Random(17).randbytes(512),  # MP3
        b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(32),
        b"",
    ],
    ids=["mp3", "wav", "empty"],
)
def test_audio_that_is_not_an_ogg_voice_note_is_refused(not_voice: bytes) -> None:
    with pytest.raises(AttachmentRejected) as excinfo:
        check_voice(not_voice)
    assert _reason(excinfo) is RejectReason.NOT_A_VOICE_NOTE


def test_ogg_that_is_not_opus_is_refused() -> None:
    vorbis = _voice_note(first_packet=b"\x01vorbis" + bytes(23))

    with pytest.raises(AttachmentRejected) as excinfo:
        check_voice(vorbis)
    assert _reason(excinfo) is RejectReason.NOT_A_VOICE_NOTE


def test_ogg_cut_inside_its_first_page_is_damaged() -> None:
    with pytest.raises(AttachmentRejected) as excinfo:
        check_voice(_voice_note()[:30])
    assert _reason(excinfo) is RejectReason.DAMAGED


def test_voice_note_over_the_download_limit_is_too_large() -> None:
    with pytest.raises(AttachmentRejected) as excinfo:
        check_voice(b"OggS" + bytes(MAX_DOWNLOAD_BYTES))
    assert _reason(excinfo) is RejectReason.TOO_LARGE
