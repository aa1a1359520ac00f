#!/usr/bin/env python3
"""Compares `scollect-etl preview --format jsonl` of workbooks with what python-calamine reads
from them, cell by cell (dates as ISO dates; numbers as the shortest decimal that round-trips
to the same double: the same rule as our "no float noise" output at 15 digits).
Not part of CI (needs python-calamine): Scripts/compare-xlsx-readers.sh sets up a venv.
Usage: compare-xlsx-readers.py SCOLLECT_ETL_BINARY WORKBOOK...
"""
import datetime as dt
import json
import subprocess
import sys

from python_calamine import CalamineWorkbook


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
    if isinstance(value, float):
        text = f"{value:.15g}"
        return text
    return str(value)


binary, files = sys.argv[1], sys.argv[2:]
differences = 0
for path in files:
    rows = CalamineWorkbook.from_path(path).get_sheet_by_index(0).to_python(skip_empty_area=True)
    rows = [r for r in rows if any(calamine_text(v) != "" for v in r)]
    header = [calamine_text(v).strip() for v in rows[0]]
    out = subprocess.run([binary, "preview", path, "--rows", "0", "--format", "jsonl"], capture_output=True, text=True, check=True)
    ours = [json.loads(line)["values"] for line in out.stdout.splitlines()]
    compared = 0
    for index, row in enumerate(rows[1:]):
        for column, name in enumerate(header):
            if not name:
                continue
            theirs = calamine_text(row[column]) if column < len(row) else ""
            mine = ours[index].get(name, "") if index < len(ours) else "<missing row>"
            compared += 1
            if theirs.strip() != mine.strip() and not ("*" in mine):  # card/SSN columns are masked by preview
                differences += 1
                if differences <= 20:
                    print(f"{path} row {index + 1} {name!r}: calamine {theirs!r}, scollect-etl {mine!r}")
    print(f"{path}: {compared} cells compared, {len(ours)} rows")
print(f"{differences} differences")
sys.exit(1 if differences else 0)
