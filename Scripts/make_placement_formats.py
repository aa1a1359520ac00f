#!/usr/bin/env python3
"""Writes the nightly placement sample (SampleData/placement.csv) again as XLSX, XML and JSON,
so the same content can be loaded from every container. Standard library only; run from the
repository root after Scripts/make_sample_data.py:  python3 Scripts/make_placement_formats.py

XLSX: as Excel would hold the file — valid dates are date-styled serial numbers, plain amounts
and all-digit SSNs are numbers (Excel strips an SSN's leading zeros), the rest is text (shared
strings). XML: one <Account> per row with nested elements and an attribute. JSON: an array of
nested objects. A blank cell is left out in XML and JSON. The CSV's rows that are malformed
CSV are left out (see below).
"""
import csv
import datetime as dt
import json
import re
import zipfile
from xml.sax.saxutils import escape, quoteattr

rows = list(csv.reader(open("SampleData/placement.csv", newline="", encoding="utf-8")))
header, data = rows[0], rows[1:]
# The rows that are broken CSV (a bare quote, an unquoted comma) are a defect of that container,
# not content: the other containers cannot carry them, so they are left out there.
expected = json.load(open("SampleData/placement.expected.json"))
broken = {r["row"] for r in expected["rejected_rows"] if r["reason"] == "MALFORMED_ROW"}
data = [values for number, values in enumerate(data, start=1) if number not in broken]
DATE_COLUMNS = {"DOB", "Open Date", "Charge Off Date", "Last Payment Date", "Placement Date"}
MONEY_COLUMNS = {"Last Payment Amount", "Original Balance", "Principal", "Interest", "Fees", "Current Balance"}
EPOCH = dt.date(1899, 12, 30)
THIS_YEAR_2 = 26  # the date normaliser's pivot: YY <= this year's two digits → 20YY


def parse_date(text):
    """The date a cell means, as the pipeline's date normaliser reads it; None if invalid."""
    t = text.strip()
    if re.fullmatch(r"\d{4,5}", t):
        return EPOCH + dt.timedelta(days=int(t))
    for pattern in ("%a, %d %b %Y %H:%M:%S GMT", "%Y-%m-%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(t, pattern).date()
        except ValueError:
            pass
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2})", t)
    if m:
        year = int(m.group(3))
        year += 2000 if year <= THIS_YEAR_2 else 1900
        try:
            return dt.date(year, int(m.group(1)), int(m.group(2)))
        except ValueError:
            return None
    return None


# --- XLSX -------------------------------------------------------------------------------------
def column_letter(index):
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


shared, shared_index = [], {}


def shared_string(text):
    if text not in shared_index:
        shared_index[text] = len(shared)
        shared.append(text)
    return shared_index[text]


sheet_rows = []
for r, values in enumerate([header] + data, start=1):
    cells = []
    for c, value in enumerate(values):
        if value == "":
            continue
        ref = f"{column_letter(c)}{r}"
        name = header[c]
        date = parse_date(value) if r > 1 and name in DATE_COLUMNS else None
        if date is not None:
            cells.append(f'<c r="{ref}" s="1"><v>{(date - EPOCH).days}</v></c>')
        elif r > 1 and name in MONEY_COLUMNS and re.fullmatch(r"-?\d+(\.\d+)?", value):
            cells.append(f'<c r="{ref}"><v>{float(value)!r}</v></c>')
        elif r > 1 and name == "SSN" and re.fullmatch(r"\d{7,9}", value):
            cells.append(f'<c r="{ref}"><v>{int(value)}</v></c>')
        else:
            cells.append(f'<c r="{ref}" t="s"><v>{shared_string(value)}</v></c>')
    sheet_rows.append(f'<row r="{r}">{"".join(cells)}</row>')

files = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>",
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>",
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Placement" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>",
    "xl/styles.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    "</styleSheet>",
    "xl/worksheets/sheet1.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    + "".join(sheet_rows) + "</sheetData></worksheet>",
}
files["xl/sharedStrings.xml"] = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                                 f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(shared)}" uniqueCount="{len(shared)}">'
                                 + "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in shared) + "</sst>")
with zipfile.ZipFile("SampleData/placement.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
    for name in ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                 "xl/styles.xml", "xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"]:
        info = zipfile.ZipInfo(name, date_time=(2026, 11, 1, 0, 0, 0))  # fixed: byte-identical output
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, files[name])

# --- XML and JSON: nested records ------------------------------------------------------------
# (XML path, JSON path) for each CSV column; "@number" is an attribute of <Account>.
LAYOUT = {
    "Account Number": ("@number", "account_number"),
    "Client Ref": ("ClientRef", "client_ref"),
    "First Name": ("Debtor/FirstName", "debtor.first_name"),
    "Middle Name": ("Debtor/MiddleName", "debtor.middle_name"),
    "Last Name": ("Debtor/LastName", "debtor.last_name"),
    "SSN": ("Debtor/SSN", "debtor.ssn"),
    "DOB": ("Debtor/DOB", "debtor.dob"),
    "Address 1": ("Debtor/Address/Line1", "debtor.address.line1"),
    "Address 2": ("Debtor/Address/Line2", "debtor.address.line2"),
    "City": ("Debtor/Address/City", "debtor.address.city"),
    "State": ("Debtor/Address/State", "debtor.address.state"),
    "Zip": ("Debtor/Address/Zip", "debtor.address.zip"),
    "Home Phone": ("Debtor/Phones/Home", "debtor.phones.home"),
    "Cell Phone": ("Debtor/Phones/Cell", "debtor.phones.cell"),
    "Work Phone": ("Debtor/Phones/Work", "debtor.phones.work"),
    "Email": ("Debtor/Email", "debtor.email"),
    "Employer": ("Debtor/Employer", "debtor.employer"),
    "Original Creditor": ("OriginalCreditor", "original_creditor"),
    "Open Date": ("Dates/Opened", "dates.opened"),
    "Charge Off Date": ("Dates/ChargedOff", "dates.charged_off"),
    "Last Payment Date": ("Dates/LastPayment", "dates.last_payment"),
    "Placement Date": ("Dates/Placed", "dates.placed"),
    "Last Payment Amount": ("Amounts/LastPayment", "amounts.last_payment"),
    "Original Balance": ("Amounts/OriginalBalance", "amounts.original_balance"),
    "Principal": ("Amounts/Principal", "amounts.principal"),
    "Interest": ("Amounts/Interest", "amounts.interest"),
    "Fees": ("Amounts/Fees", "amounts.fees"),
    "Current Balance": ("Amounts/CurrentBalance", "amounts.current_balance"),
    "Portfolio": ("Portfolio", "portfolio"),
    "Creditor Notes": ("Notes", "notes"),
}


def xml_record(values):
    attributes, tree = {}, {}
    for name, value in zip(header, values):
        if value == "":
            continue
        path = LAYOUT[name][0]
        if path.startswith("@"):
            attributes[path[1:]] = value
            continue
        node = tree
        parts = path.split("/")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def render(node, indent):
        out = []
        for key, value in node.items():
            if isinstance(value, dict):
                out.append(f"{indent}<{key}>\n{render(value, indent + '  ')}{indent}</{key}>\n")
            else:
                out.append(f"{indent}<{key}>{escape(value)}</{key}>\n")
        return "".join(out)

    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in attributes.items())
    return f"    <Account{attrs}>\n{render(tree, '      ')}    </Account>\n"


with open("SampleData/placement.xml", "w", encoding="utf-8", newline="\n") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<!-- The nightly placement of SampleData/placement.csv as an XML export. -->\n')
    f.write('<Placement creditor="ACME BANK" date="2026-11-01">\n  <Accounts>\n')
    for values in data:
        f.write(xml_record(values))
    f.write("  </Accounts>\n</Placement>\n")

records = []
for values in data:
    record = {}
    for name, value in zip(header, values):
        if value == "":
            continue
        node = record
        parts = LAYOUT[name][1].split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    records.append(record)
with open("SampleData/placement.json", "w", encoding="utf-8", newline="\n") as f:
    f.write("[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n]\n")

print(f"placement.xlsx, placement.xml, placement.json: {len(data)} records each (CSV rows {sorted(broken)} left out)")
