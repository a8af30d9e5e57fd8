"""Content handed out carries its marking.

- Text: the banner line at the top and at the bottom.
- PDF: the banner at the top and bottom of every page, drawn over the page.
- Anything else: a zip holding the file and its STANAG 4774 label beside it (a sidecar),
  since its own format has no place for a marking Coalition could trust readers to see.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.errors import PdfReadError
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

#: PDFs are marked in memory (pypdf rewrites the file); larger ones go out with a sidecar.
PDF_MARKING_LIMIT = 256 * 1024 * 1024
FONT_SIZE = 10
MARGIN = 14


def kind_of(content_type: str, size: int) -> str:
    """How a file of this type is marked: ``text``, ``pdf`` or ``sidecar``."""
    if content_type.startswith("text/"):
        return "text"
    if content_type == "application/pdf" and size <= PDF_MARKING_LIMIT:
        return "pdf"
    return "sidecar"


def marked_text(banner: str, chunks: Iterable[bytes]) -> Iterator[bytes]:
    line = banner.encode()
    yield line + b"\n\n"
    yield from chunks
    yield b"\n\n" + line + b"\n"


class MarkingError(ValueError):
    pass


def marked_pdf(banner: str, chunks: Iterable[bytes]) -> bytes:
    """The PDF with the banner drawn at the top and bottom of every page."""
    try:
        reader = PdfReader(io.BytesIO(b"".join(chunks)))
        writer = PdfWriter()
        for page in reader.pages:
            width, height = float(page.mediabox.width), float(page.mediabox.height)
            left, bottom = float(page.mediabox.left), float(page.mediabox.bottom)
            added = writer.add_page(page)
            added.merge_page(_banner_page(banner, left, bottom, width, height))
        out = io.BytesIO()
        writer.write(out)
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise MarkingError(f"the PDF cannot be marked ({exc})") from exc
    return out.getvalue()


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _banner_page(
    banner: str, left: float, bottom: float, width: float, height: float
) -> PageObject:
    # Helvetica-Bold's average advance is about 0.6 em: near enough to centre a banner.
    text_width = 0.6 * FONT_SIZE * len(banner)
    x = left + max(MARGIN, (width - text_width) / 2)
    string = _pdf_string(banner)
    operations = b"".join(
        b"BT /CoalitionBanner %d Tf 0.75 0 0 rg %.2f %.2f Td %s Tj ET\n" % (FONT_SIZE, x, y, string)
        for y in (bottom + height - MARGIN - FONT_SIZE, bottom + MARGIN)
    )
    page = PageObject.create_blank_page(width=width, height=height)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica-Bold"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/CoalitionBanner"): font})}
    )
    stream = DecodedStreamObject()
    stream.set_data(operations)
    page[NameObject("/Contents")] = stream
    return page


class _Collector:
    """A write-only, non-seekable file: what zipfile writes is handed out as it comes."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def with_sidecar(
    filename: str, chunks: Iterable[bytes], label_name: str, label_xml: bytes
) -> Iterator[bytes]:
    """A zip, streamed: the label first (so a reader meets it before the content), then
    the file."""
    sink = _Collector()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(label_name, label_xml)
        yield sink.take()
        with archive.open(filename, "w", force_zip64=True) as member:
            for chunk in chunks:
                member.write(chunk)
                yield sink.take()
    yield sink.take()
