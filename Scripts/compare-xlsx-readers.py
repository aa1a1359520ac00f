#!/usr/bin/env python3
"""Compares `scollect-etl preview --format jsonl` of workbooks with what python-calamine reads
from them, cell by cell, calamine's values written as text the way the reader writes them
(`calamine_text`: dates as ISO dates, durations as [h]:mm:ss, numbers at 15 significant digits).
python-calamine is the oracle: a cell that differs is a difference, and so is a workbook one of
the two reads and the other refuses (except the fixtures refused by design, listed below).
openpyxl (data_only) is read as a second opinion: its disagreements are printed, never counted.
Not part of CI (needs PyPI): Scripts/compare-xlsx-readers.sh sets up a venv.
Usage: compare-xlsx-readers.py SCOLLECT_ETL_BINARY WORKBOOK...
"""
import datetime as dt
import json
import os
import subprocess
import sys

# Cells where scollect-etl keeps a documented rule calamine does not follow, printed and not
# counted: (fixture, worksheet row, column) -> why.
KNOWN = {
    ("handmade.xlsx", 2, "When"): "date serial 60 is Excel's 1900-02-29 (Lotus bug); calamine shows 1900-02-28, "
                                  "one day off, where the reader's text makes the date normaliser reject the row",
    ("bomb.xlsx", 2, "When"): "the same serial 60 (bomb.xlsx is handmade.xlsx padded)",
}

# Fixtures scollect-etl refuses on purpose, whatever calamine makes of them.
REFUSED_BY_DESIGN = {
    "entities.xlsx": "a DOCTYPE with entity declarations (XXE protection)",
    "bomb-lying.xlsx": "the central directory lies about the inflated size",
}


def duration_text(value):
    seconds = round(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def calamine_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, dt.timedelta):
        return duration_text(value)
    if isinstance(value, float):
        return number_text(value)
    return str(value)


def number_text(value):
    """A double as the reader writes numbers: 15 significant digits, no trailing zeros, -0 as 0;
    positional between 1e-20 and 1e20, else `1.5E+25`."""
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.14e}".split("e")
    exponent = int(exponent)
    sign = "-" if mantissa.startswith("-") else ""
    digits = mantissa.lstrip("-").replace(".", "").rstrip("0") or "0"
    if exponent > 20 or exponent < -20:
        text = digits[0] + ("." + digits[1:] if len(digits) > 1 else "") + "E" + ("-" if exponent < 0 else "+") + f"{abs(exponent):02d}"
    elif exponent >= 0:
        whole, fraction = digits[:exponent + 1].ljust(exponent + 1, "0"), digits[exponent + 1:]
        text = whole + ("." + fraction if fraction else "")
    else:
        text = "0." + "0" * (-exponent - 1) + digits
    return sign + text


def calamine_rows(path, sheet=0):
    """Every row of the sheet as text, from row 1 and column A (no empty area skipped)."""
    from python_calamine import CalamineWorkbook
    rows = CalamineWorkbook.from_path(path).get_sheet_by_index(sheet).to_python(skip_empty_area=False)
    return [[calamine_text(v) for v in row] for row in rows]


def openpyxl_rows(path):
    import openpyxl
    workbook = openpyxl.load_workbook(path, data_only=True, read_only=True)
    sheet = workbook.worksheets[0]
    rows = []
    for row in sheet.iter_rows():
        texts = []
        for cell in row:
            if getattr(cell, "data_type", None) == "e":
                texts.append("")
                continue
            texts.append(calamine_text(getattr(cell, "value", None)))
        rows.append(texts)
    return rows


def records(rows, header_row=None):
    """The header (trimmed, trailing empty names dropped) and the non-empty rows after it, as
    the reader makes them, each row with its worksheet row number first: header_row is
    1-based; None is the first non-empty row."""
    if header_row is None:
        header_row = next((k + 1 for k, r in enumerate(rows) if any(v.strip() for v in r)), len(rows) + 1)
    if header_row > len(rows):
        return [], []
    header = [v.strip() for v in rows[header_row - 1]]
    while header and not header[-1]:
        header.pop()
    data = []
    for number, row in enumerate(rows[header_row:], start=header_row + 1):
        values = [(row[k] if k < len(row) else "") for k in range(len(header))]
        if any(v != "" for v in values):
            data.append([number] + values)
    return header, data


def ours(binary, path):
    out = subprocess.run([binary, "preview", path, "--rows", "0", "--format", "jsonl"], capture_output=True, text=True)
    if out.returncode != 0:
        return None, out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"
    return [json.loads(line)["values"] for line in out.stdout.splitlines()], None


def main(binary, files):
    differences = 0
    cells = 0
    for path in files:
        name = os.path.basename(path)
        try:
            rows = calamine_rows(path)
        except Exception as error:  # calamine refuses the file
            mine, failure = ours(binary, path)
            if mine is not None:
                print(f"{path}: calamine refuses it ({error}); scollect-etl reads {len(mine)} rows")
            else:
                print(f"{path}: both refuse it (scollect-etl: {failure})")
            continue
        mine, failure = ours(binary, path)
        if mine is None:
            if name in REFUSED_BY_DESIGN:
                print(f"{path}: refused by design ({REFUSED_BY_DESIGN[name]}): {failure}")
            else:
                differences += 1
                print(f"{path}: calamine reads it; scollect-etl refuses it: {failure}")
            continue
        header, data = records(rows)
        compared = 0
        for index, (number, *row) in enumerate(data):
            for column, title in enumerate(header):
                if not title:
                    continue
                theirs = row[column]
                value = mine[index].get(title, "") if index < len(mine) else "<missing row>"
                compared += 1
                if theirs.strip() != value.strip() and "*" not in value:  # card/SSN columns are masked by preview
                    if (name, number, title) in KNOWN:
                        print(f"{path} row {number} {title!r}: calamine {theirs!r}, scollect-etl {value!r}: "
                              f"known, not counted ({KNOWN[name, number, title]})")
                        continue
                    differences += 1
                    if differences <= 40:
                        print(f"{path} sheet row {number} {title!r}: calamine {theirs!r}, scollect-etl {value!r}")
        if len(mine) != len(data):
            differences += 1
            print(f"{path}: calamine has {len(data)} data rows, scollect-etl {len(mine)}")
        cells += compared
        print(f"{path}: {compared} cells compared, {len(mine)} rows")
        try:
            other_header, other = records(openpyxl_rows(path))
            disagree = [(k, h) for k, r in enumerate(data) for c, h in enumerate(header)
                        if h and (k >= len(other) or c + 1 >= len(other[k]) or other[k][c + 1].strip() != r[c + 1].strip())]
            if disagree or other_header != header:
                k, h = disagree[0] if disagree else (0, "header")
                print(f"  openpyxl disagrees with calamine on {len(disagree)} cells (not counted), first: row {k + 1} {h!r}")
        except Exception as error:
            print(f"  openpyxl cannot read it (not counted): {type(error).__name__}: {error}")
    print(f"{len(files)} workbooks, {cells} cells compared, {differences} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
