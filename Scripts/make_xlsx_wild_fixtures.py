#!/usr/bin/env python3
"""Makes the "XLSX from the wild" fixtures (issue 19): Tests/Fixtures/xlsx/wild-*.xlsx, and next
to each the oracle snapshot wild-*.calamine.json (python-calamine's reading of the first sheet,
every cell written as text the way the reader writes it: `calamine_text` in
Scripts/compare-xlsx-readers.py). The Swift tests (XLSXWildTests) read the snapshots.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install python-calamine openpyxl xlsxwriter
    /tmp/venv/bin/python Scripts/make_xlsx_wild_fixtures.py

Files (hand-written XML parts zipped here unless said otherwise; re-running gives the same bytes):
  wild-strict.xlsx          Strict OOXML (purl.oclc.org/ooxml namespaces and relationship types)
                            as Excel saves it: dateCompatibility="0", ISO dates in t="d" cells
                            beside a date serial, shared strings, styles, booleans, two sheets.
  wild-minimal.xlsx         a minimal package: the workbook at `/workbook.xml` (found only through
                            `_rels/.rels`), sheets outside `worksheets/` (the first named by an
                            unprefixed `id`), no styles, no shared strings, no docProps.
  wild-shared-formula.xlsx  shared formulas: the anchor cell and cells carrying only a
                            shared-formula reference, with cached numbers, strings, dates.
  wild-inline-v.xlsx        inline-string cells that also carry a `<v>` (before the `<is>`).
  wild-empty-v.xlsx         shared-string cells with an empty `<v></v>` and `<v/>`.
  wild-durations.xlsx       (openpyxl) elapsed-time formats `[h]:mm:ss`, `[mm]:ss`, `[h]:mm`,
                            built-in 46, over and under a day, negative; a time of day over a day.
  wild-header-row.xlsx      (xlsxwriter) title rows above the header row (row 4).
  wild-pivot.xlsx           a sheet holding a pivot table (cache definition, records, table
                            parts) whose cached values are ordinary cells, and its source sheet.
  wild-error-cells.xlsx     error cells (`#N/A`, `#VALUE!`, `#DIV/0!`, `#REF!`, a formula's cached
                            error) beside a text cell "#N/A".
"""
import datetime as dt
import importlib.util
import io
import json
import os
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.join(ROOT, "Tests", "Fixtures", "xlsx")
STAMP = (2024, 1, 1, 0, 0, 0)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
S_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
S_REL = "http://purl.oclc.org/ooxml/officeDocument/relationships"
XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def path(name):
    return os.path.join(HERE, name)


def write_zip(name, parts):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for entry, text in parts:
            info = zipfile.ZipInfo(entry, STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8") if isinstance(text, str) else text)
    with open(path(name), "wb") as f:
        f.write(buffer.getvalue())


def normalise_zip(name):
    """Rewrites a workbook written by a library with fixed timestamps (same bytes each run)."""
    with open(path(name), "rb") as f:
        source = zipfile.ZipFile(io.BytesIO(f.read()))
    parts = []
    for info in source.infolist():
        data = source.read(info.filename)
        if info.filename == "docProps/core.xml":
            import re
            data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2024-01-01T00:00:00Z", data)
        parts.append((info.filename, data))
    write_zip(name, parts)


def content_types(*overrides):
    lines = "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides)
    return (XML + f'<Types xmlns="{CT}"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{lines}</Types>')


def rels(*relations, rel=REL):
    items = "".join(f'<Relationship Id="{i}" Type="{rel}/{t}" Target="{target}"/>' for i, t, target in relations)
    return XML + f'<Relationships xmlns="{PKG}">{items}</Relationships>'


def sheet_xml(rows, main=MAIN, extra=""):
    return XML + f'<worksheet xmlns="{main}" xmlns:r="{REL if main == MAIN else S_REL}"><sheetData>{rows}</sheetData>{extra}</worksheet>'


def workbook_xml(sheets, main=MAIN, rel=REL, extra="", properties="<workbookPr/>"):
    items = "".join(f'<sheet name="{n}" sheetId="{k + 1}" r:id="rId{k + 1}"/>' for k, n in enumerate(sheets))
    return XML + f'<workbook xmlns="{main}" xmlns:r="{rel}">{properties}<sheets>{items}</sheets>{extra}</workbook>'


def standard(sheets, shared=None, styles=None, main=MAIN, rel=REL, workbook_extra="", properties="<workbookPr/>", more=()):
    """A package with xl/workbook.xml; sheets: [(name, xml)]."""
    relations = [(f"rId{k + 1}", "worksheet", f"worksheets/sheet{k + 1}.xml") for k in range(len(sheets))]
    parts = []
    if styles:
        relations.append(("rIdS", "styles", "styles.xml"))
        parts.append(("xl/styles.xml", styles))
    if shared:
        relations.append(("rIdT", "sharedStrings", "sharedStrings.xml"))
        items = "".join(f"<si><t xml:space=\"preserve\">{s}</t></si>" for s in shared)
        parts.append(("xl/sharedStrings.xml", XML + f'<sst xmlns="{main}" count="{len(shared)}" uniqueCount="{len(shared)}">{items}</sst>'))
    relations += [r for r in more if r[0].startswith("rId")]
    return [
        ("[Content_Types].xml", content_types(("/xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"))),
        ("_rels/.rels", rels(("rId1", "officeDocument", "xl/workbook.xml"), rel=rel)),
        ("xl/workbook.xml", workbook_xml([n for n, _ in sheets], main, rel, workbook_extra, properties)),
        ("xl/_rels/workbook.xml.rels", rels(*relations, rel=rel)),
    ] + parts + [(f"xl/worksheets/sheet{k + 1}.xml", xml) for k, (_, xml) in enumerate(sheets)]


def styles_xml(formats, main=MAIN):
    """formats: number format codes for cell styles 1, 2, … (style 0 is General)."""
    custom = "".join(f'<numFmt numFmtId="{164 + k}" formatCode="{code}"/>' for k, code in enumerate(formats))
    xfs = '<xf numFmtId="0"/>' + "".join(f'<xf numFmtId="{164 + k}" applyNumberFormat="1"/>' for k in range(len(formats)))
    return XML + (f'<styleSheet xmlns="{main}"><numFmts count="{len(formats)}">{custom}</numFmts>'
                  f'<cellXfs count="{len(formats) + 1}">{xfs}</cellXfs></styleSheet>')


def make_strict():
    rows = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row>'
            '<row r="2"><c r="A2" t="s"><v>4</v></c><c r="B2"><v>1234.5</v></c><c r="C2" s="1"><v>43845</v></c><c r="D2" t="b"><v>1</v></c></row>'
            '<row r="3"><c r="A3" t="s"><v>5</v></c><c r="B3"><v>0.30000000000000004</v></c><c r="C3" s="1" t="d"><v>1999-12-31T00:00:00</v></c><c r="D3" t="b"><v>0</v></c></row>'
            '<row r="4"><c r="A4" t="inlineStr"><is><t>R003</t></is></c><c r="B4"><v>-7</v></c><c r="C4" s="2" t="d"><v>2021-06-30T12:00:00</v></c></row>')
    second = '<row r="1"><c r="A1" t="inlineStr"><is><t>note</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>strict</t></is></c></row>'
    parts = standard([("Accounts", sheet_xml(rows, S_MAIN)), ("Notes", sheet_xml(second, S_MAIN))],
                     shared=["Account", "Amount", "Opened", "Active", "R001", "R002"],
                     styles=styles_xml(["yyyy\\-mm\\-dd", "yyyy\\-mm\\-dd\\ hh:mm:ss"], S_MAIN), main=S_MAIN, rel=S_REL,
                     properties='<workbookPr dateCompatibility="0"/>')
    # Strict's root relationship type is the purl one as well.
    parts[1] = ("_rels/.rels", rels(("rId1", "officeDocument", "xl/workbook.xml"),
                                    rel="http://purl.oclc.org/ooxml/officeDocument/relationships"))
    write_zip("wild-strict.xlsx", parts)


def make_minimal():
    rows = ('<row><c t="inlineStr"><is><t>id</t></is></c><c t="inlineStr"><is><t>amount</t></is></c><c t="inlineStr"><is><t>name</t></is></c></row>'
            '<row><c><v>1</v></c><c><v>10.5</v></c><c t="inlineStr"><is><t>Ann</t></is></c></row>'
            '<row><c><v>2</v></c><c><v>1E-3</v></c><c t="str"><v>Bob</v></c></row>')
    write_zip("wild-minimal.xlsx", [
        ("[Content_Types].xml", content_types(("/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"))),
        ("_rels/.rels", rels(("rId1", "officeDocument", "/workbook.xml"))),
        ("workbook.xml", XML + f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="data" sheetId="1" id="rId1"/><sheet name="more" sheetId="2" r:id="rId2"/></sheets></workbook>'),
        ("_rels/workbook.xml.rels", rels(("rId1", "worksheet", "sheets/data.xml"), ("rId2", "worksheet", "/sheets/more.xml"))),
        ("sheets/data.xml", sheet_xml(rows)),
        ("sheets/more.xml", sheet_xml('<row><c t="inlineStr"><is><t>more</t></is></c></row><row><c><v>3</v></c></row>')),
    ])


def make_shared_formula():
    rows = ('<row r="1"><c r="A1" t="inlineStr"><is><t>n</t></is></c><c r="B1" t="inlineStr"><is><t>double</t></is></c>'
            '<c r="C1" t="inlineStr"><is><t>label</t></is></c><c r="D1" t="inlineStr"><is><t>due</t></is></c></row>')
    for k in range(2, 7):
        anchor = k == 2
        f_num = '<f t="shared" ref="B2:B6" si="0">A2*2</f>' if anchor else '<f t="shared" si="0"/>'
        f_str = '<f t="shared" ref="C2:C6" si="1">"N"&amp;A2</f>' if anchor else '<f t="shared" si="1"/>'
        f_date = '<f t="shared" ref="D2:D6" si="2">45000+A2</f>' if anchor else '<f t="shared" si="2"/>'
        # Row 6's shared-formula cells have no cached value (never calculated): empty.
        v = lambda text: "" if k == 6 else f"<v>{text}</v>"
        rows += (f'<row r="{k}"><c r="A{k}"><v>{k - 1}</v></c><c r="B{k}">{f_num}{v(2 * (k - 1))}</c>'
                 f'<c r="C{k}" t="str">{f_str}{v("N" + str(k - 1))}</c><c r="D{k}" s="1">{f_date}{v(45000 + k - 1)}</c></row>')
    write_zip("wild-shared-formula.xlsx", standard([("Formulas", sheet_xml(rows))], styles=styles_xml(["yyyy\\-mm\\-dd"])))


def make_inline_v():
    rows = ('<row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c><c r="B1" t="inlineStr"><is><t>text</t></is></c></row>'
            '<row r="2"><c r="A2" t="inlineStr"><v>1.0</v><is><t>1.</t></is></c><c r="B2" t="inlineStr"><v>x</v><is><r><t>ri</t></r><r><t>ch</t></r></is></c></row>'
            '<row r="3"><c r="A3" t="inlineStr"><v></v><is><t>007</t></is></c><c r="B3" t="inlineStr"><v>only a v</v></c></row>')
    write_zip("wild-inline-v.xlsx", standard([("Inline", sheet_xml(rows))]))


def make_empty_v():
    rows = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>'
            '<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="s"><v></v></c><c r="C2" t="s"><v>4</v></c></row>'
            '<row r="3"><c r="A3" t="s"><v>5</v></c><c r="B3" t="s"><v/></c><c r="C3" t="s"/></row>')
    write_zip("wild-empty-v.xlsx", standard([("Strings", sheet_xml(rows))], shared=["id", "name", "city", "R1", "Boston", "R2"]))


def make_durations():
    import openpyxl
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Times"
    sheet.append(["case", "elapsed", "minutes", "hours", "builtin46", "time of day"])
    values = [
        ("over ten days", dt.timedelta(hours=255, minutes=10, seconds=10), 1.5, 10.6, 1.75, 10.5),
        ("under a day", dt.timedelta(hours=10, minutes=1), 0.0125, 0.5, 0.25, 0.75),
        ("exactly one day", dt.timedelta(days=1), 1.0, 1.0, 1.0, 1.0),
        ("negative", dt.timedelta(hours=-12), -0.25, -1.5, -2.0, 0.0),
    ]
    for row in values:
        sheet.append(list(row))
    for k in range(2, 2 + len(values)):
        sheet.cell(k, 2).number_format = "[h]:mm:ss"
        sheet.cell(k, 3).number_format = "[mm]:ss"
        sheet.cell(k, 4).number_format = "[Red][h]:mm"
        sheet.cell(k, 5).number_format = "[h]:mm:ss"  # built-in 46 once saved
        sheet.cell(k, 6).number_format = "h:mm:ss"
    workbook.save(path("wild-durations.xlsx"))
    normalise_zip("wild-durations.xlsx")


def make_header_row():
    import xlsxwriter
    workbook = xlsxwriter.Workbook(path("wild-header-row.xlsx"), {"strings_to_numbers": False})
    workbook.set_properties({"created": dt.datetime(2024, 1, 1)})
    sheet = workbook.add_worksheet("Placement")
    bold = workbook.add_format({"bold": True})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write(0, 0, "Placement report for ACME Collections", bold)
    sheet.write(1, 0, "Generated")
    sheet.write_datetime(1, 1, dt.datetime(2024, 3, 1), date)
    sheet.write_row(3, 0, ["Account", "Name", "Balance", "Opened"], bold)
    sheet.write_row(4, 0, ["R001", "Ann Lee", 1234.5])
    sheet.write_datetime(4, 3, dt.datetime(2020, 1, 15), date)
    sheet.write_row(5, 0, ["R002", "Bob Day", 45000])
    sheet.write_datetime(5, 3, dt.datetime(1999, 12, 31), date)
    sheet.write_row(7, 0, ["R003", "", -0.5])
    workbook.close()
    normalise_zip("wild-header-row.xlsx")


PIVOT_CACHE = """<pivotCacheDefinition xmlns="{main}" xmlns:r="{rel}" r:id="rId1" refreshOnLoad="1" recordCount="4">
<cacheSource type="worksheet"><worksheetSource ref="A1:C5" sheet="Data"/></cacheSource>
<cacheFields count="3">
<cacheField name="Region" numFmtId="0"><sharedItems count="2"><s v="East"/><s v="West"/></sharedItems></cacheField>
<cacheField name="Rep" numFmtId="0"><sharedItems/></cacheField>
<cacheField name="Amount" numFmtId="0"><sharedItems containsSemiMixedTypes="0" containsString="0" containsNumber="1" minValue="10" maxValue="40"/></cacheField>
</cacheFields></pivotCacheDefinition>"""

PIVOT_RECORDS = """<pivotCacheRecords xmlns="{main}" xmlns:r="{rel}" count="4">
<r><x v="0"/><s v="Ann"/><n v="10"/></r><r><x v="1"/><s v="Bob"/><n v="20"/></r>
<r><x v="0"/><s v="Cy"/><n v="30"/></r><r><x v="1"/><s v="Di"/><n v="40"/></r></pivotCacheRecords>"""

PIVOT_TABLE = """<pivotTableDefinition xmlns="{main}" name="PivotTable1" cacheId="7" dataCaption="Values" updatedVersion="6"
 applyNumberFormats="0" applyBorderFormats="0" applyFontFormats="0" applyPatternFormats="0" applyAlignmentFormats="0"
 applyWidthHeightFormats="1" itemPrintTitles="1" createdVersion="6" indent="0" outline="1" outlineData="1">
<location ref="A3:B6" firstHeaderRow="1" firstDataRow="1" firstDataCol="1"/>
<pivotFields count="3"><pivotField axis="axisRow" showAll="0"><items count="3"><item x="0"/><item x="1"/><item t="default"/></items></pivotField>
<pivotField showAll="0"/><pivotField dataField="1" showAll="0"/></pivotFields>
<rowFields count="1"><field x="0"/></rowFields><rowItems count="3"><i><x/></i><i><x v="1"/></i><i t="grand"><x/></i></rowItems>
<colItems count="1"><i/></colItems><dataFields count="1"><dataField name="Sum of Amount" fld="2" baseField="0" baseItem="0"/></dataFields>
<pivotTableStyleInfo name="PivotStyleLight16" showRowHeaders="1" showColHeaders="1" showRowStripes="0" showColStripes="0" showLastColumn="1"/>
</pivotTableDefinition>"""


def make_pivot():
    pivot_rows = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
                  '<row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3" t="s"><v>3</v></c></row>'
                  '<row r="4"><c r="A4" t="s"><v>4</v></c><c r="B4"><v>40</v></c></row>'
                  '<row r="5"><c r="A5" t="s"><v>5</v></c><c r="B5"><v>60</v></c></row>'
                  '<row r="6"><c r="A6" t="s"><v>6</v></c><c r="B6"><v>100</v></c></row>')
    data_rows = ('<row r="1"><c r="A1" t="s"><v>7</v></c><c r="B1" t="s"><v>8</v></c><c r="C1" t="s"><v>9</v></c></row>'
                 + "".join(f'<row r="{k}"><c r="A{k}" t="s"><v>{4 + (k % 2 == 1)}</v></c><c r="B{k}" t="inlineStr"><is><t>{name}</t></is></c><c r="C{k}"><v>{amount}</v></c></row>'
                           for k, name, amount in ((2, "Ann", 10), (3, "Bob", 20), (4, "Cy", 30), (5, "Di", 40))))
    shared = ["Report", "Q1", "Row Labels", "Sum of Amount", "East", "West", "Grand Total", "Region", "Rep", "Amount"]
    parts = standard([("Pivot", sheet_xml(pivot_rows)), ("Data", sheet_xml(data_rows))], shared=shared,
                     workbook_extra='<pivotCaches><pivotCache cacheId="7" r:id="rIdP"/></pivotCaches>',
                     more=[("rIdP", "pivotCacheDefinition", "pivotCache/pivotCacheDefinition1.xml")])
    fmt = dict(main=MAIN, rel=REL)
    parts += [
        ("xl/worksheets/_rels/sheet1.xml.rels", rels(("rId1", "pivotTable", "../pivotTables/pivotTable1.xml"))),
        ("xl/pivotTables/pivotTable1.xml", XML + PIVOT_TABLE.format(**fmt)),
        ("xl/pivotTables/_rels/pivotTable1.xml.rels", rels(("rId1", "pivotCacheDefinition", "../pivotCache/pivotCacheDefinition1.xml"))),
        ("xl/pivotCache/pivotCacheDefinition1.xml", XML + PIVOT_CACHE.format(**fmt)),
        ("xl/pivotCache/_rels/pivotCacheDefinition1.xml.rels", rels(("rId1", "pivotCacheRecords", "pivotCacheRecords1.xml"))),
        ("xl/pivotCache/pivotCacheRecords1.xml", XML + PIVOT_RECORDS.format(**fmt)),
    ]
    write_zip("wild-pivot.xlsx", parts)


def make_error_cells():
    rows = ('<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="inlineStr"><is><t>lookup</t></is></c>'
            '<c r="C1" t="inlineStr"><is><t>ratio</t></is></c><c r="D1" t="inlineStr"><is><t>note</t></is></c></row>'
            '<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="e"><f>VLOOKUP(A2,Z:Z,1,0)</f><v>#N/A</v></c><c r="C2" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
            '<c r="D2" t="str"><v>#N/A</v></c></row>'
            '<row r="3"><c r="A3"><v>2</v></c><c r="B3" t="e"><v>#VALUE!</v></c><c r="C3"><v>0.5</v></c><c r="D3" t="e"><v>#REF!</v></c></row>'
            '<row r="4"><c r="A4" t="e"><v>#NAME?</v></c><c r="B4" t="inlineStr"><is><t>ok</t></is></c></row>')
    write_zip("wild-error-cells.xlsx", standard([("Errors", sheet_xml(rows))]))


FIXTURES = ["wild-strict.xlsx", "wild-minimal.xlsx", "wild-shared-formula.xlsx", "wild-inline-v.xlsx", "wild-empty-v.xlsx",
            "wild-durations.xlsx", "wild-header-row.xlsx", "wild-pivot.xlsx", "wild-error-cells.xlsx"]


def snapshot(name):
    """python-calamine's reading of the first sheet, as text: the Swift tests' oracle."""
    spec = importlib.util.spec_from_file_location("compare", os.path.join(ROOT, "Scripts", "compare-xlsx-readers.py"))
    compare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compare)
    rows = compare.calamine_rows(path(name))
    with open(path(name.replace(".xlsx", ".calamine.json")), "w") as f:
        json.dump({"file": name, "reader": "python-calamine", "rows": rows}, f, ensure_ascii=False, indent=0)
        f.write("\n")


def main():
    make_strict()
    make_minimal()
    make_shared_formula()
    make_inline_v()
    make_empty_v()
    make_durations()
    make_header_row()
    make_pivot()
    make_error_cells()
    for name in FIXTURES:
        snapshot(name)
        print(f"{os.path.getsize(path(name)):>8}  {name}")


if __name__ == "__main__":
    main()
