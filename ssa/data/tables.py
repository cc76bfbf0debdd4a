"""Text tables of the dataset layouts: LViT workbooks, prompt CSVs and split-ID files -> key -> text.

Keys are normalised (no folder, no image extension, no ``mask_`` prefix); every unreadable
table or bad row is appended to the caller's ``problems`` list instead of raised.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


# Header aliases, lower-case. LViT workbooks say Image/Description; the prompt-layout CSVs of
# other repos say image/text or image/prompt.
_KEY_COLUMNS = ("image",)


_TEXT_COLUMNS = ("description", "text", "prompt")


def _cell_text(value: object) -> str:
    """A spreadsheet / CSV cell as stripped text; None, NaN and "nan" become ""."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():  # Excel stores a numeric name like 17 as 17.0
            return str(int(value))
    text = str(value).strip()
    return "" if text.lower() == "nan" else text  # pandas round-trips a missing value as "nan"


def normalise_key(name: object) -> str:
    """Case key of a file name or workbook cell: no directory, no image extension, no ``mask_``.

    ``"labelcol/mask_covid_1.png"``, ``"mask_covid_1"``, ``"covid_1.png"`` and ``"covid_1"`` all
    give ``"covid_1"``. Only image extensions are stripped, so names with dots survive.
    """
    base = _cell_text(name).replace("\\", "/").rsplit("/", 1)[-1].strip()
    stem, dot, ext = base.rpartition(".")
    if dot and stem and f".{ext.lower()}" in IMAGE_EXTS:
        base = stem
    if base.lower().startswith("mask_"):
        base = base[len("mask_") :]
    return base


def find_column(header: Sequence[str], names: Sequence[str]) -> int | None:
    """Index of the first header cell (case-insensitive) among ``names``, else None."""
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def cell(row: Sequence[object], i: int) -> str:
    return _cell_text(row[i]) if i < len(row) else ""


@dataclass
class TextTable:
    """Text rows of one split: ``texts`` holds the good rows (first wins on duplicates) and
    ``seen`` every key that has a row at all, so a row already reported as bad (empty
    description) is not reported a second time as "image without a text row". ``rows`` keeps
    ``(key, Image cell)`` of every row with an Image cell in file order, duplicates included
    (GuideDecoder's layout splits train/val by row position)."""

    texts: dict[str, str] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    sources: list[Path] = field(default_factory=list)
    rows: list[tuple[str, str]] = field(default_factory=list)

    def add_rows(
        self,
        source: Path,
        header: Sequence[object],
        rows: Iterable[tuple[int, Sequence[object]]],
        problems: list[str],
    ) -> None:
        """Add ``(line_number, row)`` pairs read from ``source`` below ``header``."""
        self.sources.append(source)
        head = [_cell_text(h) for h in header]
        ki, ti = find_column(head, _KEY_COLUMNS), find_column(head, _TEXT_COLUMNS)
        if ki is None or ti is None:
            problems.append(
                f"{source}: needs columns Image and Description (or image,text / image,prompt); found {head}"
            )
            return
        for line, row in rows:
            raw, text = cell(row, ki), cell(row, ti)
            if not raw and not text:
                continue  # blank rows are common at the end of hand-edited sheets
            if not raw:
                problems.append(f"{source} row {line}: empty Image cell (text {text[:40]!r})")
                continue
            key = normalise_key(raw)
            self.seen.add(key)
            self.rows.append((key, raw))
            if not text:
                problems.append(f"{source} row {line}: empty Description for {raw!r}")
                continue
            self.texts.setdefault(key, text)

    def describe(self) -> str:
        return ", ".join(str(s) for s in self.sources) or "no text file"


def _read_sheet(path: Path, problems: list[str]) -> list[tuple[object, ...]] | None:
    """All rows of the first sheet of an .xlsx file; None (and a problem) if unreadable."""
    try:
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            # Some writers store a wrong sheet size; read-only mode would trust it and truncate.
            sheet.reset_dimensions()
            return list(sheet.iter_rows(values_only=True))
        finally:
            book.close()
    except Exception as exc:  # a corrupt or non-xlsx file: report it with the others
        problems.append(f"unreadable workbook {path}: {type(exc).__name__}: {exc}")
        return None


def read_csv_rows(path: Path, problems: list[str]) -> list[list[str]] | None:
    """All rows of a CSV file (BOM tolerated); None (and a problem) if unreadable."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            return list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        problems.append(f"unreadable CSV {path}: {type(exc).__name__}: {exc}")
        return None


def add_table(texts: TextTable, path: Path, problems: list[str]) -> None:
    """Add the rows of a text workbook (.xlsx) or CSV file to ``texts``."""
    reader = read_csv_rows if path.suffix.lower() == ".csv" else _read_sheet
    rows = reader(path, problems)
    if rows is None:
        return
    if not rows:
        problems.append(f"{path}: empty file (no header row)")
        return
    texts.add_rows(path, rows[0], enumerate(rows[1:], start=2), problems)


def read_ids(path: Path, problems: list[str]) -> list[str]:
    """Keys in the first column of a split file (Train_ID.xlsx); its header may be any name.

    A first cell that looks like a file name is taken as data: some split files have no header.
    """
    rows = _read_sheet(path, problems) or []
    if rows and not (_cell_text(rows[0][0] if rows[0] else "").lower().endswith(IMAGE_EXTS)):
        rows = rows[1:]
    keys = (normalise_key(r[0]) for r in rows if r and _cell_text(r[0]))
    return list(dict.fromkeys(keys))  # ordered de-duplication
