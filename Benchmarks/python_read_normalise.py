#!/usr/bin/env python3
"""Reference for the read + normalise benchmark: Python's csv module doing the same work as
`scollect-etl bench read Pipelines/nightly-placement.yml` (same columns, same normalisers,
same accept/reject rules in outline). Prints rows/s like the Swift side."""
import csv, re, sys, time, datetime

SSN = re.compile(r"^\s*(\d{3})[- ]?(\d{2})[- ]?(\d{4})\s*$")
DIGITS = re.compile(r"\d+")
EXT = re.compile(r"\s*(?:x|ext\.?|extension|#)\s*\d+\s*$", re.I)
MONEY = re.compile(r"^\(?-?\$?-?(\d{1,3}(?:,\d{3})*|\d+)(?:\.(\d{1,2})0*)?\)?-?$")
RFC1123 = re.compile(r"^\w{3}, (\d{2}) (\w{3}) (\d{4}) \d\d:\d\d:\d\d GMT$")
MONTHS = {m: i + 1 for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())}
EXCEL_EPOCH = datetime.date(1899, 12, 30)

def ssn(v):
    v = v.strip()
    if v.isdigit() and len(v) in (7, 8): v = v.zfill(9)
    m = SSN.match(v)
    if not m: return None
    a, g, s = m.groups()
    if a in ("000", "666") or a >= "900" or g == "00" or s == "0000": return None
    return f"{a}-{g}-{s}"

def phone(v):
    v = EXT.sub("", v)
    d = "".join(DIGITS.findall(v))
    if len(d) == 11 and d[0] == "1": d = d[1:]
    if len(d) != 10 or d[0] in "01" or d[3] in "01" or d[1:3] == "11" or d[4:6] == "11": return None
    return f"{d[:3]}-{d[3:6]}-{d[6:]}"

def date(v):
    v = v.strip()
    try:
        if v.isdigit() and len(v) <= 5: return (EXCEL_EPOCH + datetime.timedelta(days=int(v))).isoformat()
        m = RFC1123.match(v)
        if m: return datetime.date(int(m[3]), MONTHS[m[2]], int(m[1])).isoformat()
        if "-" in v and len(v) == 10: return datetime.date.fromisoformat(v).isoformat()
        mo, dd, yy = v.split("/")
        y = int(yy)
        if len(yy) == 2: y += 2000 if y <= 26 else 1900
        return datetime.date(y, int(mo), int(dd)).isoformat()
    except (ValueError, KeyError):
        return None

def money(v):
    v = v.strip()
    m = MONEY.match(v)
    if not m: return None
    neg = v.startswith("(") or "-" in v
    whole = m[1].replace(",", "")
    cents = (m[2] or "").ljust(2, "0")
    return ("-" if neg and (int(whole) or int(cents)) else "") + f"{int(whole)}.{cents}"

RULES = {"SSN": ssn, "DOB": date, "Open Date": date, "Charge Off Date": date, "Last Payment Date": date,
         "Placement Date": date, "Home Phone": phone, "Cell Phone": phone, "Work Phone": phone,
         "Last Payment Amount": money, "Original Balance": money, "Principal": money, "Interest": money,
         "Fees": money, "Current Balance": money, "State": lambda v: v.strip().upper()}

def main(path):
    start = time.time()
    rows = ok = rejected = 0
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader)
        index = [(i, RULES.get(h, str.strip)) for i, h in enumerate(header)]
        for record in reader:
            rows += 1
            if len(record) != len(header):
                rejected += 1; continue
            good = True
            out = {}
            for i, rule in index:
                value = record[i]
                if not value.strip(): continue
                n = rule(value)
                if n is None: good = False; break
                out[header[i]] = n
            if good: ok += 1
            else: rejected += 1
    seconds = time.time() - start
    print(f"rows          {rows} (ready {ok}, rejected {rejected})")
    print(f"seconds       {seconds:.3f}")
    print(f"rows/s        {rows / seconds:.0f}")

if __name__ == "__main__":
    main(sys.argv[1])
