#!/usr/bin/env python3
"""Helpers for Benchmarks/xlsx-read.sh.

    xlsx_python_readers.py generate PLACEMENT.csv OUT.xlsx   # the CSV as an Excel-style workbook
    xlsx_python_readers.py calamine FILE.xlsx                # python-calamine, every cell
    xlsx_python_readers.py openpyxl FILE.xlsx                # openpyxl read-only, every cell

`generate` writes what Excel writes: one worksheet ("Placement"), every string in the shared
string table (t="s"), numbers as numbers and ISO dates as date serials in a yyyy-mm-dd format,
but only where the reader gives back exactly the CSV's text (so "0.00", "02903" and "12.50"
stay strings); the pipeline then sees the same values from either file.
"""
import csv
import datetime
import re
import sys
import time
import zipfile

NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?\Z")
ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")
EPOCH = datetime.date(1899, 12, 30)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def column_name(index):
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def generate(source, target):
    started = time.time()
    strings = {}
    columns = None
    rows = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out, \
                open(source, newline="", encoding="utf-8") as f:
            out.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                      f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><sheetData>'.encode())
            for line, record in enumerate(csv.reader(f), start=1):
                if columns is None:
                    columns = [column_name(i) for i in range(len(record))]
                parts = [f'<row r="{line}">']
                for column, value in zip(columns, record):
                    if value == "":
                        continue
                    ref = f"{column}{line}"
                    if line > 1 and value != "-0" and NUMBER.match(value) and len(value.replace("-", "").replace(".", "").lstrip("0")) <= 15:
                        parts.append(f'<c r="{ref}"><v>{value}</v></c>')
                        continue
                    date = ISO_DATE.match(value) if line > 1 else None
                    if date:
                        try:
                            serial = (datetime.date(*map(int, date.groups())) - EPOCH).days
                        except ValueError:
                            serial = None
                        if serial is not None and serial > 60:
                            parts.append(f'<c r="{ref}" s="1"><v>{serial}</v></c>')
                            continue
                    index = strings.get(value)
                    if index is None:
                        index = strings[value] = len(strings)
                    parts.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
                parts.append("</row>")
                out.write("".join(parts).encode())
                rows = line
            out.write(b"</sheetData></worksheet>")
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
            out.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                      f'<sst xmlns="{MAIN}" count="{len(strings)}" uniqueCount="{len(strings)}">'.encode())
            batch = []
            for text in strings:
                space = ' xml:space="preserve"' if text != text.strip() else ""
                batch.append(f"<si><t{space}>{escape(text)}</t></si>")
                if len(batch) == 10000:
                    out.write("".join(batch).encode())
                    batch = []
            out.write("".join(batch).encode())
            out.write(b"</sst>")
        archive.writestr("xl/styles.xml", f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/></numFmts>
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="1"><fill><patternFill patternType="none"/></fill></fills>
<borders count="1"><border/></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>""")
        archive.writestr("xl/workbook.xml", f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="Placement" sheetId="1" r:id="rId1"/></sheets></workbook>""")
        archive.writestr("xl/_rels/workbook.xml.rels", f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="{REL}/styles" Target="styles.xml"/>
<Relationship Id="rId3" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>""")
        archive.writestr("_rels/.rels", f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>
</Relationships>""")
        archive.writestr("[Content_Types].xml", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>""")
    print(f"wrote {rows - 1} rows, {len(strings)} shared strings to {target} in {time.time() - started:.1f} s")


def report(name, rows, cells, started):
    seconds = time.time() - started
    print(f"{name}: {rows} rows, {cells} cells, {seconds:.3f} s, {rows / seconds:.0f} rows/s")


def read_calamine(path):
    from python_calamine import CalamineWorkbook
    started = time.time()
    sheet = CalamineWorkbook.from_path(path).get_sheet_by_index(0)
    rows = cells = 0
    for row in sheet.to_python():
        rows += 1
        for value in row:
            if value != "":
                cells += 1
    report("python-calamine", rows, cells, started)


def read_openpyxl(path):
    import openpyxl
    started = time.time()
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = cells = 0
    for row in workbook.worksheets[0].iter_rows(values_only=True):
        rows += 1
        for value in row:
            if value is not None:
                cells += 1
    workbook.close()
    report("openpyxl read-only", rows, cells, started)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "generate" and len(sys.argv) == 4:
        generate(sys.argv[2], sys.argv[3])
    elif command == "calamine" and len(sys.argv) == 3:
        read_calamine(sys.argv[2])
    elif command == "openpyxl" and len(sys.argv) == 3:
        read_openpyxl(sys.argv[2])
    else:
        sys.exit(__doc__)
