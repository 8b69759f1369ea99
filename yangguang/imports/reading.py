"""Reading an import file — XLSX, XLS or CSV — within limits, a block of rows at a time.

``read_table`` checks the file before reading any row: its size, and for an XLSX
the unpacked size of the archive, the longest text in it and the number of rows (a
199 KB workbook can hold a 200 MB cell), for a CSV its encoding, rows and longest
line (one streaming pass). Then ``Table.chunks`` reads the rows a block at a time:
a CSV file is never held whole, its plain parts are parsed by polars a block of
lines at a time, anything quoted by the ``csv`` module as a stream.

A file that cannot be read raises ``UnreadableFile`` with a Chinese message naming
the real problem: not a spreadsheet at all, a renamed file, an encoding we do not
read, a limit exceeded, a header row without the kind's required columns.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext

if TYPE_CHECKING:
    import polars as pl

    from yangguang.imports.spec import Column

#: The message of every file that is no spreadsheet at all; the reason follows it.
NOT_A_SPREADSHEET = "文件无法读取：不是有效的 XLSX/XLS/CSV 文件"

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # XLS (BIFF in a compound file)
_READ = 1 << 20  # bytes read at a time while checking a file
_CHUNK = 4 << 20  # bytes of CSV lines parsed at a time by polars
#: Bytes a character may take in the XML of an XLSX (``&amp;`` five, most CJK three)
#: or in a CSV line (UTF-8: four at most): how long a text may be in bytes before it
#: surely holds more characters than a cell may.
_BYTES_PER_CHAR = 6


class UnreadableFile(Exception):
    """The file cannot be imported at all; nothing was written."""


def not_a_spreadsheet(reason: str) -> UnreadableFile:
    return UnreadableFile(gettext(NOT_A_SPREADSHEET) + gettext("（{reason}）").format(
        reason=reason))


@dataclass(frozen=True)
class Limits:
    """How large a file an import reads (settings ``YANGGUANG_IMPORT_MAX_*``)."""

    file_bytes: int
    unpacked_bytes: int
    rows: int
    cell_chars: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(file_bytes=settings.YANGGUANG_IMPORT_MAX_FILE_MB << 20,
                   unpacked_bytes=settings.YANGGUANG_IMPORT_MAX_UNPACKED_MB << 20,
                   rows=settings.YANGGUANG_IMPORT_MAX_ROWS,
                   cell_chars=settings.YANGGUANG_IMPORT_MAX_CELL_CHARS)


def _too_many_rows(rows: int, limits: Limits) -> UnreadableFile:
    return UnreadableFile(gettext(
        "文件有{rows}行，超过了一次导入最多{limit}行的限制：请把文件拆分后分别导入").format(
            rows=rows, limit=limits.rows))


def _cell_too_long(limits: Limits, where: str = "") -> UnreadableFile:
    return UnreadableFile(gettext(
        "{where}有单元格超过{limit}个字符（表格软件一个单元格最多容纳的字数），文件可能已损坏或不是导入模板"
    ).format(where=where, limit=limits.cell_chars))


@dataclass
class Rows:
    """A block of a file's data rows: their spreadsheet row numbers, and either their
    cells as the file has them (``cells``, by position) or, for a plain CSV block, a
    frame of text columns named by column key (``frame``; blank cells ``""``)."""

    numbers: list[int]
    cells: list[list[Any]] | None = None
    frame: pl.DataFrame | None = None

    def __len__(self) -> int:
        return len(self.numbers)


@dataclass
class Table:
    headers: list[str]
    keys: list[str | None]  # column key per position, None for columns we don't know
    total: int | None  # data rows (for a CSV: lines, as an estimate), for progress
    sha256: str
    _chunks: Callable[[int], Iterator[Rows]] = field(repr=False)

    def chunks(self, size: int) -> Iterator[Rows]:
        """The data rows, ``size`` at a time (a plain CSV block may hold fewer)."""
        return self._chunks(size)

    def row_cells(self) -> Callable[[list[Any]], dict[str, Any]]:
        """Makes a row's cells a dict by column key (cells missing at its end: None)."""
        positions = [(i, key) for i, key in enumerate(self.keys) if key is not None]
        width = max(i for i, _key in positions) + 1

        def to_cells(cells: list[Any]) -> dict[str, Any]:
            if len(cells) < width:
                cells = [*cells, *[None] * (width - len(cells))]
            return {key: cells[i] for i, key in positions}

        return to_cells

    def dict_chunks(self, size: int) -> Iterator[list[tuple[int, dict[str, Any]]]]:
        """The data rows ``size`` at a time, each as (row number, cells by column key)."""
        to_cells = self.row_cells()
        for rows in self.chunks(size):
            if rows.frame is not None:
                yield list(zip(rows.numbers, rows.frame.iter_rows(named=True), strict=True))
            else:
                yield list(zip(rows.numbers, map(to_cells, rows.cells or ()), strict=True))

    def column_chunks(self, size: int) -> Iterator[tuple[list[int], dict[str, list[Any]]]]:
        """The data rows ``size`` at a time by columns: (their row numbers, each known
        column's cells by column key, one per row; cells missing at a row's end: None)."""
        positions = [(i, key) for i, key in enumerate(self.keys) if key is not None]
        for rows in self.chunks(size):
            if rows.frame is not None:
                yield rows.numbers, {key: rows.frame.get_column(key).to_list()
                                     for key in rows.frame.columns}
            else:
                block = rows.cells or []
                yield rows.numbers, {key: [cells[i] if i < len(cells) else None
                                           for cells in block] for i, key in positions}

    def dicts(self, size: int) -> Iterator[tuple[int, dict[str, Any]]]:
        """Every data row as (row number, cells by column key)."""
        for chunk in self.dict_chunks(size):
            yield from chunk


# ---------------------------------------------------------------------------
# The header row


def normalise_header(cell: Any) -> str:
    text = unicodedata.normalize("NFKC", str(cell or ""))
    return "".join(text.split()).strip("*＊").removesuffix("(必填)").removesuffix("（必填）")


def map_headers(raw: Sequence[Any], columns: Sequence[Column]
                ) -> tuple[list[str], list[str | None]]:
    """The normalised headers and the column key of each (None: a column we don't know).
    Raises ``UnreadableFile`` without a header row, for a header given twice or when a
    required column is missing."""
    headers = [normalise_header(c) for c in raw]
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise UnreadableFile(gettext("第1行没有表头：第1行应为列名（{examples}……）").format(
            examples="、".join(c.header for c in columns[:2])))
    # The kinds' headers normalised as the file's are (a header with full-width
    # brackets, 家庭人均收入（元）, would otherwise never match).
    to_key = {normalise_header(c.header): c.key for c in columns}
    keys = [to_key.get(h) for h in headers]
    seen: set[str] = set()
    for header, key in zip(headers, keys, strict=True):
        if key is not None:
            if key in seen:
                raise UnreadableFile(gettext("表头“{header}”出现了两次").format(header=header))
            seen.add(key)
    missing = [c.header for c in columns if c.required and c.key not in seen]
    if missing:
        raise UnreadableFile(gettext("缺少必填列：{columns}。请使用本系统的导入模板填写").format(
            columns="、".join(missing)))
    return headers, keys


# ---------------------------------------------------------------------------
# Opening


def read_table(path: str | Path, columns: Sequence[Column], *,
               limits: Limits | None = None) -> Table:
    """Check an XLSX, XLS or CSV file against ``limits`` and map its header row (row 1)
    to ``columns``; the rows are read later, by ``Table.chunks``."""
    path = Path(path)
    limits = limits or Limits.from_settings()
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise UnreadableFile(gettext("无法打开文件：{error}").format(error=exc.strerror)) from None
    if size == 0:
        raise UnreadableFile(gettext("文件是空的"))
    if size > limits.file_bytes:
        raise UnreadableFile(gettext(
            "文件有{size} MB，超过了一次导入最大{limit} MB的限制：请把文件拆分后分别导入").format(
                size=round(size / (1 << 20), 1), limit=limits.file_bytes >> 20))
    suffix = path.suffix.lower()
    if head.startswith(_ZIP_MAGIC):
        return _read_workbook(path, columns, limits, xlsx=True)
    if head == _OLE2_MAGIC:
        return _read_workbook(path, columns, limits, xlsx=False)
    if suffix in (".xlsx", ".xls"):
        return _renamed(path, suffix, columns, limits)
    return _read_csv(path, columns, limits)


def _renamed(path: Path, suffix: str, columns: Sequence[Column], limits: Limits) -> Table:
    """A ``.xlsx``/``.xls`` file that is not one: say what it is instead."""
    try:
        _check_csv(path, limits)
    except UnreadableFile:
        raise not_a_spreadsheet(gettext(
            "文件扩展名是{suffix}，但内容不是 Excel 工作簿，可能已损坏，或是改了扩展名的其他文件"
        ).format(suffix=suffix)) from None
    raise not_a_spreadsheet(gettext(
        "文件扩展名是{suffix}，但内容是 CSV 等纯文本：请把扩展名改为 .csv，"
        "或在表格软件中打开后另存为 XLSX").format(suffix=suffix))


# ---------------------------------------------------------------------------
# Workbooks


@dataclass
class _Scan:
    rows: int = 0
    formulas: bool = False


def _scan_xlsx(path: Path, limits: Limits) -> _Scan:
    """Check an XLSX archive before calamine or openpyxl reads it.

    The declared unpacked size must be within the limit, and every worksheet and the
    shared strings are decompressed as a stream (a megabyte at a time; ``zipfile``
    stops at the declared size) to find a text longer than a cell may hold and to
    count the rows: what a reader would hold in memory is known before it reads.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise not_a_spreadsheet(gettext("ZIP 压缩包已损坏")) from None
    scan = _Scan()
    with archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        if "xl/workbook.xml" not in names:
            raise not_a_spreadsheet(gettext("压缩包中没有 Excel 工作簿，可能是其他类型的文件"))
        unpacked = sum(info.file_size for info in infos)
        if unpacked > limits.unpacked_bytes:
            raise UnreadableFile(gettext(
                "XLSX 文件解压后有{size} MB，超过了{limit} MB的限制：请把文件拆分后分别导入，"
                "或另存为 CSV").format(size=unpacked >> 20, limit=limits.unpacked_bytes >> 20))
        long_text = re.compile(rb"<[^<]{%d,}" % (limits.cell_chars * _BYTES_PER_CHAR))
        for info in infos:
            name = info.filename
            if not (name == "xl/sharedStrings.xml"
                    or (name.startswith("xl/worksheets/") and name.endswith(".xml"))):
                continue
            sheet = name != "xl/sharedStrings.xml"
            run = 0  # bytes since the last "<" (a text and its tag)
            tail = b""
            try:
                with archive.open(info) as stream:
                    while chunk := stream.read(_READ):
                        first = chunk.find(b"<")
                        if first < 0:
                            run += len(chunk)
                        else:
                            run += first
                            if run >= limits.cell_chars * _BYTES_PER_CHAR or long_text.search(
                                    chunk, first):
                                raise _cell_too_long(limits)
                            run = len(chunk) - chunk.rfind(b"<") - 1
                        if run >= limits.cell_chars * _BYTES_PER_CHAR:
                            raise _cell_too_long(limits)
                        if sheet:
                            joined = tail + chunk
                            scan.rows += joined.count(b"<row ") + joined.count(b"<row>")
                            scan.formulas = scan.formulas or (
                                b"<f>" in joined or b"<f " in joined)
                            # A tag split between two reads is counted in the next
                            # one's; keep fewer bytes than a tag so none counts twice.
                            tail = chunk[-4:]
                            scan.rows -= tail.count(b"<row ") + tail.count(b"<row>")
            except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError,
                    NotImplementedError, RuntimeError) as exc:
                raise not_a_spreadsheet(gettext("ZIP 压缩包已损坏：{error}").format(
                    error=exc)) from None
    if scan.rows - 1 > limits.rows:
        raise _too_many_rows(scan.rows - 1, limits)
    return scan


def _read_workbook(path: Path, columns: Sequence[Column], limits: Limits, *,
                   xlsx: bool) -> Table:
    from python_calamine import CalamineWorkbook

    scan = _scan_xlsx(path, limits) if xlsx else _Scan()
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        height = sheet.height
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise not_a_spreadsheet(str(exc)) from None
    if height - 1 > limits.rows:
        raise _too_many_rows(height - 1, limits)
    iterator = iter(sheet.iter_rows())
    header = next(iterator, None)
    if header is None:
        raise UnreadableFile(gettext("文件是空的"))
    headers, keys = map_headers(header, columns)
    uncomputed = _uncomputed_formulas(path) if scan.formulas else {}
    hash_ = _sha256(path)

    def chunks(size: int) -> Iterator[Rows]:
        numbers: list[int] = []
        block: list[list[Any]] = []
        for number, cells in enumerate(iterator, start=2):
            for column in uncomputed.get(number, ()):
                if column < len(cells) and cells[column] == "":
                    cells[column] = UNCOMPUTED_FORMULA
            if max((len(c) for c in cells if type(c) is str), default=0) > limits.cell_chars:
                raise _cell_too_long(limits, gettext("第{row}行").format(row=number))
            numbers.append(number)
            block.append(cells)
            if len(numbers) >= size:
                yield Rows(numbers, cells=block)
                numbers, block = [], []
        if numbers:
            yield Rows(numbers, cells=block)

    return Table(headers, keys, max(height - 1, 0), hash_, chunks)


class _Uncomputed:
    """A formula cell saved without its value (files written by programs, not Excel)."""

    def __str__(self) -> str:
        return ""

    def __reduce__(self) -> str:
        return "UNCOMPUTED_FORMULA"  # the one instance, also after pickling


UNCOMPUTED_FORMULA = _Uncomputed()


def _uncomputed_formulas(path: Path) -> dict[int, list[int]]:
    """Row → column indexes of formula cells in the first sheet that carry no value.

    Excel and WPS store each formula's last value, which calamine reads; files
    generated by programs often store only the formula, and those cells would read
    as blank. Only workbooks that contain formulas are read a second time.
    """
    from openpyxl import load_workbook

    found: dict[int, list[int]] = {}
    values = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    formulas = load_workbook(path, read_only=True, data_only=False).worksheets[0]
    for row_values, row_formulas in zip(values.iter_rows(), formulas.iter_rows(), strict=False):
        for value_cell, formula_cell in zip(row_values, row_formulas, strict=False):
            if (getattr(formula_cell, "data_type", None) == "f" and value_cell.value is None):
                found.setdefault(formula_cell.row, []).append(formula_cell.column - 1)
    return found


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_READ):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------
# CSV


@dataclass
class _CsvFacts:
    encoding: str
    lines: int
    sha256: str
    bom: int  # bytes of byte-order mark to skip


def _utf16(head: bytes) -> str | None:
    """The UTF-16 variant of a file that starts with ``head``, if it is one: by its
    byte-order mark, or by the zero bytes of ASCII text (Excel's 「Unicode 文本」)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:64]
    if len(sample) >= 4 and sample[1::2].count(0) >= len(sample) // 4 and not sample[0::2].count(0):
        return "utf-16-le"
    if len(sample) >= 4 and sample[0::2].count(0) >= len(sample) // 4 and not sample[1::2].count(0):
        return "utf-16-be"
    return None


def _check_csv(path: Path, limits: Limits) -> _CsvFacts:
    """One pass over the bytes: hash, encoding, lines, longest line, no binary content."""
    with open(path, "rb") as f:
        head = f.read(_READ)
    utf16 = _utf16(head)
    if utf16 is not None:
        return _check_utf16(path, utf16, limits)
    bom = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    # Text has no C0 control bytes but tab, line breaks and form feed (any encoding we
    # read but UTF-16, which is handled above).
    control = sum(1 for byte in head[:4096] if byte < 0x20 and byte not in b"\t\r\n\f")
    if b"\x00" in head or control > 8:
        raise not_a_spreadsheet(gettext("文件中有二进制内容，不是文本或表格文件"))
    digest = hashlib.sha256()
    decoders = {"utf-8": codecs.getincrementaldecoder("utf-8")(),
                "gb18030": codecs.getincrementaldecoder("gb18030")()}
    # 64 cells of the longest: more than a read holds, so only a line running over
    # reads can be longer (no search inside a read).
    longest_line = max(limits.cell_chars * 4 * 64, _READ)
    lines = run = 0
    with open(path, "rb") as f:
        while chunk := f.read(_READ):
            digest.update(chunk)
            if b"\x00" in chunk:
                raise not_a_spreadsheet(gettext("文件中有二进制内容，不是文本或表格文件"))
            for name, decoder in list(decoders.items()):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    del decoders[name]
            if not decoders:
                break
            first = chunk.find(b"\n")
            if first < 0:
                run += len(chunk)
            else:
                run += first
                if run >= longest_line:
                    raise _cell_too_long(limits, gettext("第{row}行附近").format(row=lines + 1))
                lines += chunk.count(b"\n")
                run = len(chunk) - chunk.rfind(b"\n") - 1
            if run >= longest_line:
                raise _cell_too_long(limits, gettext("第{row}行附近").format(row=lines + 1))
    for name, decoder in list(decoders.items()):
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            del decoders[name]
    if not decoders:
        raise UnreadableFile(gettext(
            "无法识别文件编码：CSV 文件应为 UTF-8、GB18030 或 UTF-16 编码。"
            "请在表格软件中打开后另存为 XLSX 或“CSV UTF-8”"))
    lines += run > 0  # a last line without a line break
    if lines - 1 > limits.rows:
        raise _too_many_rows(lines - 1, limits)
    encoding = "utf-8" if "utf-8" in decoders else "gb18030"
    return _CsvFacts(encoding, lines, digest.hexdigest(), bom if encoding == "utf-8" else 0)


def _check_utf16(path: Path, encoding: str, limits: Limits) -> _CsvFacts:
    """UTF-16 is read as text through ``codecs`` (Excel's 「Unicode 文本」 is UTF-16 with
    tabs between the cells): a pass to validate it and count its lines."""
    lines = longest = run = 0
    try:
        with open(path, encoding=encoding, newline="") as f:
            while text := f.read(_READ):
                parts = text.split("\n")
                longest = max(longest, run + len(parts[0]), *map(len, parts[1:]))
                run = len(parts[-1]) if len(parts) > 1 else run + len(parts[0])
                lines += len(parts) - 1
                if longest > limits.cell_chars * 64:
                    raise _cell_too_long(limits, gettext("第{row}行附近").format(row=lines))
    except UnicodeDecodeError:
        raise UnreadableFile(gettext(
            "文件看起来是 UTF-16 编码，但内容有误，无法读取：请在表格软件中打开后另存为 XLSX")
        ) from None
    lines += run > 0
    if lines - 1 > limits.rows:
        raise _too_many_rows(lines - 1, limits)
    return _CsvFacts(encoding, lines, _sha256(path), 0)


def _delimiter(header_line: str) -> str:
    """Commas, or tabs for a tab-separated file (what Excel's 「Unicode 文本」 writes)."""
    return "\t" if "\t" in header_line and "," not in header_line else ","


def _read_csv(path: Path, columns: Sequence[Column], limits: Limits) -> Table:
    facts = _check_csv(path, limits)
    if facts.encoding.startswith("utf-16"):
        with open(path, encoding=facts.encoding, newline="") as text:
            header_line = text.readline()
    else:
        with open(path, "rb") as f:
            f.seek(facts.bom)
            header_line = f.readline().decode(facts.encoding)
    delimiter = _delimiter(header_line)
    csv.field_size_limit(max(limits.cell_chars, 1))
    try:
        header = next(csv.reader([header_line], delimiter=delimiter), None)
    except csv.Error as exc:
        raise UnreadableFile(gettext("CSV 格式错误：{error}").format(error=exc)) from None
    if not header:
        raise UnreadableFile(gettext("文件是空的"))
    headers, keys = map_headers(header, columns)

    def chunks(size: int) -> Iterator[Rows]:
        if facts.encoding.startswith("utf-16"):
            with open(path, encoding=facts.encoding, newline="") as text:
                text.readline()
                yield from _csv_rows(text, 2, size, delimiter, limits)
            return
        yield from _plain_chunks(path, facts, keys, size, delimiter, limits)

    return Table(headers, keys, max(facts.lines - 1, 0), facts.sha256, chunks)


def _plain_chunks(path: Path, facts: _CsvFacts, keys: list[str | None], size: int,
                  delimiter: str, limits: Limits) -> Iterator[Rows]:
    """A UTF-8 or GB18030 file's rows: blocks of lines parsed by polars (many times
    faster than ``csv``) while the lines hold no quote, no NUL and no line break but
    ``\\n`` or ``\\r\\n``; from the first block that does, ``csv.reader`` reads the
    rest of the file as a stream. Blank lines stay rows, so row numbers agree. Blocks
    hold ``size`` rows (the last fewer), whatever the lines' lengths."""
    import polars as pl

    pending: pl.DataFrame | None = None  # rows parsed, not yet yielded
    number = 2  # the row number of pending's first row

    def ready(final: bool) -> Iterator[Rows]:
        nonlocal pending, number
        while pending is not None and (pending.height >= size or (final and pending.height)):
            part, pending = pending.slice(0, size), pending.slice(size)
            yield Rows(list(range(number, number + part.height)), frame=part)
            number += part.height

    with open(path, "rb") as f:
        f.seek(facts.bom)
        header = f.readline()
        rest = b""
        while True:
            start = f.tell() - len(rest)
            read = f.read(_CHUNK)
            data = rest + read
            if not data:
                yield from ready(final=True)
                return
            end = len(data) if len(read) < _CHUNK else data.rfind(b"\n") + 1
            if end == 0:  # a line longer than a read (``_check_csv`` bounds it)
                rest = data
                continue
            lines, rest = data[:end], data[end:]
            if b'"' in lines or lines.count(b"\r") != lines.count(b"\r\n"):
                yield from ready(final=True)
                f.seek(start)
                with io.TextIOWrapper(f, encoding=facts.encoding, newline="") as text:
                    yield from _csv_rows(text, number, size, delimiter, limits)
                return
            if facts.encoding != "utf-8":
                head_text, lines = (header.decode(facts.encoding).encode(),
                                    lines.decode(facts.encoding).encode())
            else:
                head_text = header
            frame = pl.read_csv(head_text + lines, has_header=False, infer_schema=False,
                                truncate_ragged_lines=True, quote_char=None,
                                separator=delimiter, empty_string_is_null=False).slice(1)
            names = frame.columns
            frame = frame.select([pl.col(names[i]).fill_null("").alias(key)
                                  for i, key in enumerate(keys)
                                  if key is not None and i < len(names)])
            if frame.width and frame.select(
                    pl.max_horizontal(pl.all().str.len_chars()).max()).item() > limits.cell_chars:
                raise _cell_too_long(limits, gettext("第{row}行之后").format(row=number))
            pending = frame if pending is None else pl.concat([pending, frame])
            yield from ready(final=False)


def _csv_rows(text: io.TextIOBase, number: int, size: int, delimiter: str,
              limits: Limits) -> Iterator[Rows]:
    reader = csv.reader(text, delimiter=delimiter)
    numbers: list[int] = []
    block: list[list[Any]] = []
    try:
        for cells in reader:
            numbers.append(number)
            block.append(cells)
            number += 1
            if len(numbers) >= size:
                yield Rows(numbers, cells=block)
                numbers, block = [], []
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise _cell_too_long(limits, gettext("第{row}行").format(row=number)) from None
        raise UnreadableFile(gettext("第{row}行 CSV 格式错误：{error}").format(
            row=number, error=exc)) from None
    if numbers:
        yield Rows(numbers, cells=block)
