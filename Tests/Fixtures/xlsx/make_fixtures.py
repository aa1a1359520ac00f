#!/usr/bin/env python3
"""Makes the XLSX reader's test workbooks (Tests/ScollectETLTests/Readers/XLSXReaderTests.swift).

    python3 Tests/Fixtures/xlsx/make_fixtures.py            # needs `pip install openpyxl`
    python3 Tests/Fixtures/xlsx/make_fixtures.py --soffice  # also re-makes libreoffice.xlsx

Files (each a few KB; re-running gives the same content):
  libreoffice.xlsx   written by LibreOffice Calc from libreoffice.fods (this script writes the
                     .fods; `apt-get install libreoffice-calc-nogui`), with:
                         soffice --headless --convert-to xlsx --outdir Tests/Fixtures/xlsx \
                             Tests/Fixtures/xlsx/libreoffice.fods
                     Dates, a date-time, numbers, text with leading zeros, empty cells, an empty
                     row, a formula with its cached value, a second sheet.
  openpyxl.xlsx      written by openpyxl: shared strings, a rich-text inline string, booleans,
                     a formula cell (its cached value added afterwards, as Excel would save
                     it: openpyxl writes none), a gap in the cells' `r`, dates; two sheets.
  openpyxl-1904.xlsx the same dates in a 1904-system workbook.
  handmade.xlsx      XML written here: rich text with a phonetic guide, cells without `r`,
                     `_x000D_` escapes, error/str/d cells, custom date and time formats,
                     serial 60 (1900-02-29), float noise, a prefixed-namespace second sheet.
  malformed-xml.xlsx handmade.xlsx with its worksheet XML cut off in row 3 (the zip is sound).
  entities.xlsx      a worksheet declaring an internal and an external (file) entity.
  old.xls            the OLE2 signature of an old .xls (or an encrypted workbook).
  not-a-zip.xlsx     CSV text under an .xlsx name.
  truncated.xlsx     the first half of openpyxl.xlsx.
  corrupt-deflate.xlsx  handmade.xlsx with the worksheet's deflate data damaged.
  crc-mismatch.xlsx  handmade.xlsx with the worksheet's CRC-32 changed in the directory.
  bomb.xlsx          a worksheet padded with 2 MB of blanks (~2 KB compressed, ~1000:1).
  bomb-lying.xlsx    bomb.xlsx whose directory says the worksheet is 1,000 bytes.
"""
import datetime
import io
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
STAMP = (2024, 1, 1, 0, 0, 0)


def path(name):
    return os.path.join(HERE, name)


def write_zip(name, parts):
    """parts: [(entry name, text)] in order, deflated, with fixed timestamps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for entry, text in parts:
            info = zipfile.ZipInfo(entry, STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8") if isinstance(text, str) else text)
    data = buffer.getvalue()
    with open(path(name), "wb") as f:
        f.write(data)
    return data


CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
</Types>"""

ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""

REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def handmade_parts(sheet1):
    workbook = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="{MAIN}" xmlns:r="{REL}">
<workbookPr/>
<sheets><sheet name="Data" sheetId="1" r:id="rId1"/><sheet name="Other" sheetId="2" r:id="rId2"/></sheets>
</workbook>"""
    # Absolute and relative targets both occur in the wild.
    workbook_rels = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="{REL}/worksheet" Target="/xl/worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="{REL}/worksheet" Target="worksheets/../worksheets/sheet2.xml"/>
<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/>
<Relationship Id="rId4" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>"""
    styles = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN}">
<numFmts count="5">
<numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/>
<numFmt numFmtId="165" formatCode="[$-409]mmmm d, yyyy;@"/>
<numFmt numFmtId="166" formatCode="h:mm:ss AM/PM"/>
<numFmt numFmtId="167" formatCode="0.00&quot; days&quot;"/>
<numFmt numFmtId="168" formatCode="[Red]#,##0.00;[Blue]\\-#,##0.00"/>
</numFmts>
<cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>
<cellXfs count="7">
<xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="22"><alignment horizontal="left"/></xf>
<xf numFmtId="165"/><xf numFmtId="166"/><xf numFmtId="167"/><xf numFmtId="168"/>
</cellXfs>
</styleSheet>"""
    shared = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="{MAIN}" count="6" uniqueCount="6">
<si><t xml:space="preserve">  Name </t></si>
<si><t>Value</t></si>
<si><r><rPr><b/></rPr><t>Jo</t></r><r><t xml:space="preserve">sé </t></r><rPh sb="0" eb="2"><t>ジョ</t></rPh><phoneticPr fontId="1"/></si>
<si><t>00123</t></si>
<si><t>tab_x0009_and_x005F_x0041_</t></si>
<si/>
</sst>"""
    sheet2 = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<x:worksheet xmlns:x="{MAIN}"><x:sheetData>
<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>id</x:t></x:is></x:c><x:c r="B1" t="inlineStr"><x:is><x:t>note</x:t></x:is></x:c></x:row>
<x:row r="2"><x:c r="A2"><x:v>7</x:v></x:c><x:c r="B2" t="inlineStr"><x:is><x:t>&lt;prefixed&gt; &amp; fine</x:t></x:is></x:c></x:row>
</x:sheetData></x:worksheet>"""
    return [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", workbook_rels),
        ("xl/styles.xml", styles),
        ("xl/sharedStrings.xml", shared),
        ("xl/worksheets/sheet1.xml", sheet1),
        ("xl/worksheets/sheet2.xml", sheet2),
    ]


HANDMADE_SHEET = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="{MAIN}"><dimension ref="A1:G8"/><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>When</t></is></c><c r="D1" t="str"><v>Kind</v></c><c r="E1" t="inlineStr"><is><t>Extra</t></is></c><c r="F1" t="s"><v>5</v></c><c r="G1" s="1"/></row>
<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>0.30000000000000004</v></c><c r="C2" s="1"><v>60</v></c><c r="D2" t="e"><v>#N/A</v></c><c r="E2" t="str"><f>"00"&amp;"7"</f><v>007</v></c></row>
<row r="3"><c t="inlineStr"><is><t>line_x000D_break</t></is></c><c><v>1.5E-3</v></c><c s="2"><v>45000.5</v></c><c t="b"><v>1</v></c><c t="b"><v>0</v></c></row>
<row r="5"><c r="A5" t="s"><v>3</v></c><c r="C5" s="4"><v>0.75</v></c><c r="D5" s="5"><v>3</v></c><c r="E5" s="6"><v>-1234.5</v></c><c r="H5"><v>99</v></c></row>
<row r="6"/>
<row r="7"><c r="A7" s="1"/><c r="B7" t="s"><v>5</v></c><c r="H7"><v>1</v></c></row>
<row r="8"><c r="A8"><v>12345678901234567890</v></c><c r="B8"><v>-0</v></c><c r="C8" s="1"><v>59</v></c><c r="D8" s="3"><v>61</v></c><c r="E8" t="d"><v>2024-02-29T00:00:00</v></c></row>
<row r="9"><c r="A9" t="s"><v>4</v></c><c r="B9"><v>1E+21</v></c><c r="C9" s="2"><v>45000</v></c><c r="D9"><v>0.1</v></c><c r="E9"><v>100.00</v></c></row>
</sheetData></worksheet>"""


HANDMADE_ENTITIES = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE worksheet [<!ENTITY inner "EXPANDED"><!ENTITY ext SYSTEM "file:///etc/hostname">]>
<worksheet xmlns="MAIN"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c><c r="B1" t="inlineStr"><is><t>b</t></is></c></row>
<row r="2"><c r="A2" t="inlineStr"><is><t>x&inner;y &#233;&amp;</t></is></c><c r="B2" t="inlineStr"><is><t>&ext;</t></is></c></row>
</sheetData></worksheet>"""


def make_handmade():
    data = write_zip("handmade.xlsx", handmade_parts(HANDMADE_SHEET))
    # A sound zip whose worksheet XML is cut off in the middle of row 3.
    write_zip("malformed-xml.xlsx", handmade_parts(HANDMADE_SHEET[:HANDMADE_SHEET.index('<row r="3">') + 40]))
    # Entities: an internal one and an external file. Neither may be expanded or loaded.
    entities = HANDMADE_ENTITIES.replace("MAIN", MAIN)
    write_zip("entities.xlsx", handmade_parts(entities))
    return data


def make_bombs():
    padding = " " * 2_000_000
    sheet = HANDMADE_SHEET.replace("<sheetData>", "<sheetData>" + padding)
    data = write_zip("bomb.xlsx", handmade_parts(sheet))
    # The same archive, but the worksheet claims (in the central directory) to be 1,000 bytes.
    patched = bytearray(data)
    entry = central_entry(patched, "xl/worksheets/sheet1.xml")
    struct.pack_into("<I", patched, entry + 24, 1000)
    with open(path("bomb-lying.xlsx"), "wb") as f:
        f.write(patched)


def central_entry(data, wanted):
    offset = 0
    while True:
        offset = data.find(b"PK\x01\x02", offset)
        if offset < 0:
            raise SystemExit(f"{wanted} not in the central directory")
        name_length = struct.unpack_from("<H", data, offset + 28)[0]
        if bytes(data[offset + 46:offset + 46 + name_length]).decode() == wanted:
            return offset
        offset += 4


def make_damaged(handmade):
    # The worksheet's first deflate block header made invalid (BTYPE 11): inflate fails.
    with zipfile.ZipFile(io.BytesIO(handmade)) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    local = info.header_offset
    name_length, extra_length = struct.unpack_from("<HH", handmade, local + 26)
    start = local + 30 + name_length + extra_length
    damaged = bytearray(handmade)
    damaged[start] = 0x07
    with open(path("corrupt-deflate.xlsx"), "wb") as f:
        f.write(damaged)
    # The data intact, its CRC-32 in the directory changed.
    bad_crc = bytearray(handmade)
    entry = central_entry(bad_crc, "xl/worksheets/sheet1.xml")
    crc = struct.unpack_from("<I", bad_crc, entry + 16)[0]
    struct.pack_into("<I", bad_crc, entry + 16, crc ^ 0xDEADBEEF)
    with open(path("crc-mismatch.xlsx"), "wb") as f:
        f.write(bad_crc)


def make_openpyxl(epoch_1904=False):
    import openpyxl
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    workbook = openpyxl.Workbook()
    if epoch_1904:
        workbook.epoch = CALENDAR_MAC_1904
    sheet = workbook.active
    sheet.title = "Placement"
    sheet.append(["Account", "Zip", "Amount", "Opened", "Paid", "Active", "Note", "Total"])
    sheet.append(["R001", "02903", 1234.5, datetime.date(2020, 1, 15), datetime.datetime(2021, 6, 30, 13, 45, 30),
                  True, CellRichText([TextBlock(InlineFont(b=True), "rich"), " text"]), "=C2*2"])
    sheet.append(["R002", "00501", 45000, datetime.date(1999, 12, 31), datetime.datetime(2021, 7, 1), False,
                  "shared", "=C3*2"])
    # A gap: B4 and D4 left out, so the row's cells are A4, C4, E4.
    sheet["A4"] = "R003"
    sheet["C4"] = 0.1 + 0.2
    sheet["E4"] = datetime.datetime(2022, 2, 28, 0, 0, 0)
    sheet["G4"] = "shared"
    second = workbook.create_sheet("Second")
    second.append(["code"])
    second.append(["0042"])
    name = "openpyxl-1904.xlsx" if epoch_1904 else "openpyxl.xlsx"
    buffer = io.BytesIO()
    workbook.save(buffer)
    # openpyxl writes formulas without a cached value; give them one, as Excel saves them.
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for formula, cached in (("<f>C2*2</f><v></v>", "<f>C2*2</f><v>2469</v>"),
                                        ("<f>C3*2</f><v></v>", "<f>C3*2</f><v>90000</v>"),
                                        ("<f>C2*2</f><v />", "<f>C2*2</f><v>2469</v>"),
                                        ("<f>C3*2</f><v />", "<f>C3*2</f><v>90000</v>")):
                    text = text.replace(formula, cached)
                if "<v>2469</v>" not in text:
                    raise SystemExit("openpyxl's formula cells look different: " + text)
                data = text.encode()
            elif info.filename == "docProps/core.xml":
                # openpyxl stamps the time of saving; a fixed one keeps re-runs identical.
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2024-01-01T00:00:00Z", data)
            fixed = zipfile.ZipInfo(info.filename, STAMP)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(fixed, data)
    with open(path(name), "wb") as f:
        f.write(out.getvalue())
    return out.getvalue()


FODS = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2"
 office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
 <office:automatic-styles>
  <number:date-style style:name="N1"><number:year number:style="long"/><number:text>-</number:text><number:month number:style="long"/><number:text>-</number:text><number:day number:style="long"/></number:date-style>
  <number:date-style style:name="N2"><number:month/><number:text>/</number:text><number:day/><number:text>/</number:text><number:year number:style="long"/><number:text> </number:text><number:hours number:style="long"/><number:text>:</number:text><number:minutes number:style="long"/><number:text>:</number:text><number:seconds number:style="long"/></number:date-style>
  <number:number-style style:name="N3"><number:number number:decimal-places="2" number:min-integer-digits="1" number:grouping="true"/></number:number-style>
  <style:style style:name="ce1" style:family="table-cell" style:data-style-name="N1"/>
  <style:style style:name="ce2" style:family="table-cell" style:data-style-name="N2"/>
  <style:style style:name="ce3" style:family="table-cell" style:data-style-name="N3"/>
 </office:automatic-styles>
 <office:body><office:spreadsheet>
  <table:table table:name="Accounts">
   <table:table-row>
    <table:table-cell office:value-type="string"><text:p>Account Number</text:p></table:table-cell>
    <table:table-cell office:value-type="string"><text:p>Zip</text:p></table:table-cell>
    <table:table-cell office:value-type="string"><text:p>Balance</text:p></table:table-cell>
    <table:table-cell office:value-type="string"><text:p>Open Date</text:p></table:table-cell>
    <table:table-cell office:value-type="string"><text:p>Paid At</text:p></table:table-cell>
    <table:table-cell office:value-type="string"><text:p> Notes </text:p></table:table-cell>
    <table:table-cell office:value-type="string"><text:p>Double</text:p></table:table-cell>
   </table:table-row>
   <table:table-row>
    <table:table-cell office:value-type="string"><text:p>R001</text:p></table:table-cell>
    <table:table-cell office:value-type="string"><text:p>02903</text:p></table:table-cell>
    <table:table-cell table:style-name="ce3" office:value-type="float" office:value="1234.5"><text:p>1,234.50</text:p></table:table-cell>
    <table:table-cell table:style-name="ce1" office:value-type="date" office:date-value="2020-01-15"><text:p>2020-01-15</text:p></table:table-cell>
    <table:table-cell table:style-name="ce2" office:value-type="date" office:date-value="2020-01-15T13:45:30"><text:p>01/15/2020 13:45:30</text:p></table:table-cell>
    <table:table-cell office:value-type="string"><text:p>first, &quot;quoted&quot;</text:p></table:table-cell>
    <table:table-cell table:formula="of:=[.C2]*2" office:value-type="float" office:value="2469"><text:p>2469</text:p></table:table-cell>
   </table:table-row>
   <table:table-row>
    <table:table-cell office:value-type="string"><text:p>R002</text:p></table:table-cell>
    <table:table-cell office:value-type="string"><text:p>00501</text:p></table:table-cell>
    <table:table-cell office:value-type="float" office:value="45000"><text:p>45000</text:p></table:table-cell>
    <table:table-cell table:style-name="ce1" office:value-type="date" office:date-value="1999-12-31"><text:p>1999-12-31</text:p></table:table-cell>
    <table:table-cell table:number-columns-repeated="2"/>
    <table:table-cell table:formula="of:=0.1+0.2" office:value-type="float" office:value="0.3"><text:p>0.3</text:p></table:table-cell>
   </table:table-row>
   <table:table-row><table:table-cell table:number-columns-repeated="7"/></table:table-row>
   <table:table-row>
    <table:table-cell office:value-type="string"><text:p>R003</text:p></table:table-cell>
    <table:table-cell/>
    <table:table-cell office:value-type="float" office:value="-0.5"><text:p>-0.5</text:p></table:table-cell>
    <table:table-cell table:style-name="ce1" office:value-type="date" office:date-value="1900-03-01"><text:p>1900-03-01</text:p></table:table-cell>
    <table:table-cell table:style-name="ce2" office:value-type="date" office:date-value="2021-06-30T00:00:00"><text:p>06/30/2021 00:00:00</text:p></table:table-cell>
    <table:table-cell office:value-type="string"><text:p>007</text:p></table:table-cell>
   </table:table-row>
  </table:table>
  <table:table table:name="Notes">
   <table:table-row><table:table-cell office:value-type="string"><text:p>note</text:p></table:table-cell></table:table-row>
   <table:table-row><table:table-cell office:value-type="string"><text:p>second sheet</text:p></table:table-cell></table:table-row>
  </table:table>
 </office:spreadsheet></office:body>
</office:document>
"""


def make_libreoffice():
    with open(path("libreoffice.fods"), "w") as f:
        f.write(FODS)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        print("soffice not found: libreoffice.xlsx left as it is (apt-get install libreoffice-calc-nogui)")
        return
    subprocess.run([soffice, "--headless", "--convert-to", "xlsx", "--outdir", HERE, path("libreoffice.fods")],
                   check=True, stdout=subprocess.DEVNULL)


def main():
    handmade = make_handmade()
    make_damaged(handmade)
    make_bombs()
    opened = make_openpyxl()
    make_openpyxl(epoch_1904=True)
    with open(path("truncated.xlsx"), "wb") as f:
        f.write(opened[: len(opened) // 2])
    with open(path("old.xls"), "wb") as f:
        f.write(bytes([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) + b"\x00" * 504)
    with open(path("not-a-zip.xlsx"), "w") as f:
        f.write("Account Number,Zip\nR001,02903\n")
    if "--soffice" in sys.argv or not os.path.exists(path("libreoffice.xlsx")):
        make_libreoffice()
    for name in sorted(os.listdir(HERE)):
        print(f"{os.path.getsize(path(name)):>8}  {name}")


if __name__ == "__main__":
    main()
