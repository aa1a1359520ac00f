#!/usr/bin/env python3
"""Generate the sample placement file, the sandbox seed and the expected load results.

Run from the repository root:

    python3 Scripts/make_sample_data.py

Standard library only. A fixed random seed makes every run byte-identical. Writes:

    SampleData/placement.csv            220-row nightly placement file from "ACME BANK"
    SampleData/sandbox-accounts.json    what the sandbox server holds before the load
    SampleData/placement.expected.json  what a correct load must produce
    SampleData/README.md                description and the table of deliberate problems

The expected file is not typed by hand: after writing the CSV the script reads it back with
its own strict RFC 4180 parser, normalises every value the way the pipeline must, compares
with the seed and records the outcome. It then checks that outcome against what the
generator designed (which rows it broke on purpose, which rows it meant to leave unchanged).
"""

import datetime as dt
import json
import os
import random
import re
import sys
import unicodedata

SEED = 20261101
N_ROWS = 220
OUT_DIR = "SampleData"
CLIENT = "ACME BANK"
PORTFOLIO = "ACME 2026-11"
PORTFOLIO_ID = 801
PLACEMENT_DATE = dt.date(2026, 11, 1)
CLEAR_MARKER = "<CLEAR>"

HEADER = [
    "Account Number", "Client Ref", "First Name", "Middle Name", "Last Name", "SSN", "DOB",
    "Address 1", "Address 2", "City", "State", "Zip", "Home Phone", "Cell Phone", "Work Phone",
    "Email", "Employer", "Original Creditor", "Open Date", "Charge Off Date",
    "Last Payment Date", "Last Payment Amount", "Original Balance", "Principal", "Interest",
    "Fees", "Current Balance", "Placement Date", "Portfolio", "Creditor Notes",
]
COL = {name: i for i, name in enumerate(HEADER)}

# Source column -> dbase field, in the order the pipeline maps them.
FIELD_OF_COLUMN = [
    ("Client Ref", "accountnumber"),
    ("First Name", "firstname"),
    ("Middle Name", "middlename"),
    ("Last Name", "lastname"),
    ("SSN", "socialsecuritynumber"),
    ("DOB", "birthdate"),
    ("Address 1", "address"),
    ("Address 2", "address2"),
    ("City", "city"),
    ("State", "state"),
    ("Zip", "zip"),
    ("Email", "emailaddress"),
    ("Employer", "employer"),
    ("Original Creditor", "originalcreditor"),
    ("Open Date", "dateaccountopened"),
    ("Charge Off Date", "datechargedoff"),
    ("Last Payment Date", "lastpaymentdate"),
    ("Last Payment Amount", "lastpaymentamount"),
    ("Original Balance", "originalbalance"),
    ("Principal", "principal"),
    ("Interest", "accruedinterest"),
    ("Fees", "miscfees"),
    ("Current Balance", "currentbalance"),
    ("Placement Date", "dateplaced"),
]
FIELDS = [f for _, f in FIELD_OF_COLUMN]
COLUMN_OF_FIELD = {f: c for c, f in FIELD_OF_COLUMN}
PHONE_COLUMNS = [("Home Phone", "HOME"), ("Cell Phone", "CELL"), ("Work Phone", "WORK")]

KIND = {f: "text" for f in FIELDS}
KIND["state"] = "state"
KIND["socialsecuritynumber"] = "ssn"
for _f in ("birthdate", "dateaccountopened", "datechargedoff", "lastpaymentdate", "dateplaced"):
    KIND[_f] = "date"
for _f in ("lastpaymentamount", "originalbalance", "principal", "accruedinterest", "miscfees",
           "currentbalance"):
    KIND[_f] = "money"

# ---------------------------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------------------------

CITIES = [  # city, state, zip, area codes
    ("BIRMINGHAM", "AL", "35203", ["205"]), ("HOOVER", "AL", "35244", ["205"]),
    ("HUNTSVILLE", "AL", "35801", ["256"]), ("MOBILE", "AL", "36602", ["251"]),
    ("MONTGOMERY", "AL", "36104", ["334"]), ("TUSCALOOSA", "AL", "35401", ["205"]),
    ("ATLANTA", "GA", "30303", ["404", "470", "678"]), ("SAVANNAH", "GA", "31401", ["912"]),
    ("MACON", "GA", "31201", ["478"]), ("JACKSON", "MS", "39201", ["601"]),
    ("MEMPHIS", "TN", "38103", ["901"]), ("NASHVILLE", "TN", "37203", ["615"]),
    ("CHATTANOOGA", "TN", "37402", ["423"]), ("JACKSONVILLE", "FL", "32202", ["904"]),
    ("TAMPA", "FL", "33602", ["813"]), ("ORLANDO", "FL", "32801", ["407"]),
    ("PENSACOLA", "FL", "32502", ["850"]), ("DALLAS", "TX", "75201", ["214", "972"]),
    ("HOUSTON", "TX", "77002", ["713", "832"]), ("SAN ANTONIO", "TX", "78205", ["210"]),
    ("CHARLOTTE", "NC", "28202", ["704"]), ("RALEIGH", "NC", "27601", ["919"]),
    ("COLUMBIA", "SC", "29201", ["803"]), ("NEW ORLEANS", "LA", "70112", ["504"]),
    ("LITTLE ROCK", "AR", "72201", ["501"]), ("LOUISVILLE", "KY", "40202", ["502"]),
    ("CINCINNATI", "OH", "45202", ["513"]), ("COLUMBUS", "OH", "43215", ["614"]),
    ("INDIANAPOLIS", "IN", "46204", ["317"]), ("CHICAGO", "IL", "60601", ["312", "773"]),
    ("ST. LOUIS", "MO", "63101", ["314"]), ("RICHMOND", "VA", "23219", ["804"]),
    ("BALTIMORE", "MD", "21202", ["410"]), ("PHILADELPHIA", "PA", "19107", ["215"]),
    ("PHOENIX", "AZ", "85004", ["602"]), ("DENVER", "CO", "80202", ["303"]),
    ("BOSTON", "MA", "02108", ["617"]), ("ALLSTON", "MA", "02134", ["617"]),
    ("WORCESTER", "MA", "01608", ["508"]), ("SPRINGFIELD", "MA", "01103", ["413"]),
    ("PROVIDENCE", "RI", "02903", ["401"]), ("HARTFORD", "CT", "06103", ["860"]),
    ("NEW HAVEN", "CT", "06510", ["203"]), ("NEWARK", "NJ", "07102", ["973"]),
    ("TRENTON", "NJ", "08608", ["609"]), ("MANCHESTER", "NH", "03101", ["603"]),
    ("PORTLAND", "ME", "04101", ["207"]), ("BURLINGTON", "VT", "05401", ["802"]),
]
FIRST_NAMES = [
    "JOHN", "MARY", "JAMES", "PATRICIA", "ROBERT", "JENNIFER", "MICHAEL", "LINDA", "WILLIAM",
    "ELIZABETH", "DAVID", "BARBARA", "RICHARD", "SUSAN", "JOSEPH", "JESSICA", "THOMAS", "SARAH",
    "CHARLES", "KAREN", "CHRISTOPHER", "NANCY", "DANIEL", "LISA", "MATTHEW", "BETTY", "ANTHONY",
    "MARGARET", "MARK", "SANDRA", "DONALD", "ASHLEY", "STEVEN", "KIMBERLY", "PAUL", "EMILY",
    "ANDREW", "DONNA", "JOSHUA", "MICHELLE", "KENNETH", "DOROTHY", "KEVIN", "CAROL", "BRIAN",
    "AMANDA", "GEORGE", "MELISSA", "TIMOTHY", "DEBORAH", "CLAUDIA", "TAMEKA", "DESHAWN", "LATOYA",
    "JOSÉ", "MARÍA", "LUIS", "ANGÉLICA", "TRINH", "BAO", "PRIYA", "ANIL", "SHANICE", "DWAYNE",
]
LAST_NAMES = [
    "SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS", "RODRIGUEZ",
    "MARTINEZ", "HERNANDEZ", "LOPEZ", "GONZALEZ", "WILSON", "ANDERSON", "THOMAS", "TAYLOR",
    "MOORE", "JACKSON", "MARTIN", "LEE", "PEREZ", "THOMPSON", "WHITE", "HARRIS", "SANCHEZ",
    "CLARK", "RAMIREZ", "LEWIS", "ROBINSON", "WALKER", "YOUNG", "ALLEN", "KING", "WRIGHT",
    "SCOTT", "TORRES", "NGUYEN", "HILL", "FLORES", "GREEN", "ADAMS", "NELSON", "BAKER", "HALL",
    "RIVERA", "CAMPBELL", "MITCHELL", "CARTER", "ROBERTS", "O'BRIEN", "MCDONALD", "DE LA CRUZ",
    "MUÑOZ", "PEÑA", "NÚÑEZ", "WASHINGTON", "BUTLER", "SIMMONS", "FOSTER", "BRYANT", "RUSSELL",
    "GRIFFIN", "HAYES", "MYERS", "FORD", "HAMILTON", "GRAHAM", "SULLIVAN", "WALLACE", "PATEL",
]
MIDDLE_NAMES = ["A", "B", "C", "D", "E", "J", "L", "M", "R", "T", "W", "ANN", "LEE", "MARIE",
                "LYNN", "RAY", "JAMES", "ALLEN", "MICHELLE", "EARL", "JEAN", "DEAN"]
STREETS = ["MAIN", "OAK", "PINE", "MAPLE", "CEDAR", "ELM", "PEACHTREE", "MAGNOLIA", "HIGHLAND",
           "LAKESHORE", "RIVER", "HILLCREST", "SUNSET", "WASHINGTON", "JEFFERSON", "LINCOLN",
           "CHURCH", "SPRING", "PARK", "DOGWOOD", "WILLOW", "COUNTY ROAD 12", "VALLEY", "FOREST",
           "MEADOW", "BIRCH", "CHERRY", "RIDGE", "POPLAR", "WALNUT"]
SUFFIXES = ["ST", "AVE", "RD", "DR", "LN", "CT", "BLVD", "WAY", "PL", "CIR"]
DIRECTIONS = ["", "", "", "", "N ", "S ", "E ", "W "]
UNITS = ["APT {n}", "APT {n}B", "UNIT {n}", "STE {n}", "LOT {n}", "# {n}", "APT {n}A"]
EMPLOYERS = [
    "WALMART", "HOME DEPOT", "CITY OF BIRMINGHAM", "SONSHINE SCHOOL", "SELF EMPLOYED",
    "US POSTAL SERVICE", "AMAZON FULFILLMENT", "PUBLIX SUPER MARKETS", "DOLLAR GENERAL",
    "UAB HOSPITAL", "MERCEDES-BENZ US INTL", "KROGER", "TARGET", "FEDEX GROUND", "UPS",
    "STATE OF ALABAMA", "LOWE'S", "WAFFLE HOUSE", "CHICK-FIL-A", "AT&T", "COMCAST",
    "BAPTIST HEALTH", "COUNTY SCHOOL BOARD", "MEMORIAL HOSPITAL", "JIFFY LUBE",
]
EMPLOYERS_WITH_COMMA = [
    "SMITH, HALL & ASSOCIATES", "JONES, WALKER LLP", "PARKER, DAY & CO", "DEPT OF CORRECTIONS, STATE OF GA",
    "ACME STAFFING, INC",
]
BOBS_DINER = 'BOB"S DINER'
EMAIL_DOMAINS = ["GMAIL.COM", "YAHOO.COM", "OUTLOOK.COM", "AOL.COM", "ICLOUD.COM", "HOTMAIL.COM"]
ORIGINAL_CREDITORS = ["ACME BANK", "ACME BANK", "ACME BANK", "ACME BANK VISA", "ACME AUTO FINANCE"]
NOTES = [
    "SETTLEMENT AUTH 60%", "DISPUTED 2024, RESOLVED", "DO NOT CALL AT WORK",
    "PAYMENT PLAN DEFAULTED, 3 PMTS MADE", "MAIL RETURNED - SKIP", "BANKRUPTCY DISMISSED 2023",
    "HARDSHIP PROGRAM, EXPIRED", "CARDHOLDER REQUESTS EMAIL ONLY", "SPANISH SPEAKER",
    "PRIOR AGENCY: NONE", "MILITARY - SCRA CHECKED",
]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

# Deliberate problems: role -> (reason, is_reject, description for the README).
ROLES = {
    "MALFORMED_COMMA": ("MALFORMED_ROW", True, "unquoted comma in Address 1: the row has 31 fields"),
    "MALFORMED_QUOTE": ("MALFORMED_ROW", True, "bare quote inside an unquoted field (Address 1 `12 \"OLD\" MILL RD`)"),
    "SSN_666": ("INVALID_SSN", True, "SSN `666-12-3456` (area 666)"),
    "SSN_000": ("INVALID_SSN", True, "SSN `000-12-3456` (area 000)"),
    "PHONE_AREA1": ("INVALID_PHONE", True, "Home Phone `(123) 456-7890` (area code starts with 1)"),
    "PHONE_7": ("INVALID_PHONE", True, "Home Phone `555-1234` (7 digits)"),
    "DATE_0230": ("INVALID_DATE", True, "DOB `2/30/1971` (no such day)"),
    "DATE_1313": ("INVALID_DATE", True, "DOB `13/13/1980` (no month 13)"),
    "MONEY_EU": ("INVALID_MONEY", True, "Current Balance `1.234,50` (European separators)"),
    "MONEY_3DEC": ("INVALID_MONEY", True, "Current Balance `12.345` (three decimals: ambiguous)"),
    "MISSING_FILENUMBER": ("MISSING_FILENUMBER", True, "blank Account Number"),
    "ACCOUNT_NOT_FOUND": ("ACCOUNT_NOT_FOUND", True, "Account Number `R9999` is not in the sandbox"),
    "EXT": ("PHONE_EXTENSION_DROPPED", False, "Home Phone with an extension; the extension is dropped"),
    "WORK_000": ("FIELD_DROPPED", False, "Work Phone `000-000-0000` is dropped, the row loads"),
    "WORK_911": ("FIELD_DROPPED", False, "Work Phone `911-555-0101` (N11 area code) is dropped, the row loads"),
}
N_UNCHANGED = 20
N_CLEAR = 3


# ---------------------------------------------------------------------------------------------
# Formatting helpers (API side)
# ---------------------------------------------------------------------------------------------

def api_date(d):
    """The API's own style for a stored date: M/D/YYYY."""
    return f"{d.month}/{d.day}/{d.year}"


def api_money(cents):
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def api_ssn(ssn):
    return f"{ssn[:3]}-{ssn[3:5]}-{ssn[5:]}"


def api_phone(p):
    return f"{p[:3]}-{p[3:6]}-{p[6:]}"


def iso(d):
    return d.isoformat()


def excel_serial(d):
    return (d - dt.date(1899, 12, 30)).days  # valid for dates after 1900-02-28


def rfc1123(d):
    return f"{DAYS[d.weekday()]}, {d.day:02d} {MONTHS[d.month - 1]} {d.year} 00:00:00 GMT"


# ---------------------------------------------------------------------------------------------
# Normalisation: exactly what the brief says the pipeline does
# ---------------------------------------------------------------------------------------------

class Invalid(Exception):
    pass


BLANK = None
CLEAR = "\x00CLEAR"


def norm_text(raw):
    s = raw.strip()
    if s == "":
        return BLANK
    if s == CLEAR_MARKER:
        return CLEAR
    return s


def norm_state(raw):
    s = norm_text(raw)
    if s in (BLANK, CLEAR):
        return s
    return s.upper()


def ssn_valid(d):
    return d[:3] != "000" and d[:3] != "666" and d[0] != "9" and d[3:5] != "00" and d[5:] != "0000"


def norm_ssn(raw):
    s = raw.strip()
    if s == "":
        return BLANK
    if re.fullmatch(r"\d{3}-\d{2}-\d{4}", s):
        d = s.replace("-", "")
    elif re.fullmatch(r"\d{7,9}", s):
        d = s.zfill(9)
    else:
        raise Invalid("INVALID_SSN")
    if not ssn_valid(d):
        raise Invalid("INVALID_SSN")
    return api_ssn(d)


EXT_RE = re.compile(r"\s*(?:x|ext\.?)\s*(\d{1,6})$", re.IGNORECASE)


def nanp_valid(d):
    def ok(nxx):
        return nxx[0] in "23456789" and nxx[1:] != "11"
    return len(d) == 10 and ok(d[:3]) and ok(d[3:6])


def norm_phone(raw):
    """Returns (value, had_extension)."""
    s = raw.strip()
    if s == "":
        return BLANK, False
    ext = False
    m = EXT_RE.search(s)
    if m:
        ext = True
        s = s[: m.start()]
    if not re.fullmatch(r"[\d\s().+\-]+", s):
        raise Invalid("INVALID_PHONE")
    d = re.sub(r"\D", "", s)
    if len(d) == 11 and d[0] == "1":
        d = d[1:]
    if not nanp_valid(d):
        raise Invalid("INVALID_PHONE")
    return api_phone(d), ext


def parse_date(raw):
    s = raw.strip()
    if s == "":
        return BLANK
    try:
        m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})", s)
        if m:
            mo, da, y = int(m.group(1)), int(m.group(2)), m.group(3)
            year = int(y) if len(y) == 4 else (2000 + int(y) if int(y) <= 26 else 1900 + int(y))
            return dt.date(year, mo, da)
        m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", s)
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (\w{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT", s)
        if m and m.group(3) in MONTHS:
            return dt.date(int(m.group(4)), MONTHS.index(m.group(3)) + 1, int(m.group(2)))
        m = re.fullmatch(r"\d{1,6}", s)
        if m:
            n = int(s)
            if n < 1 or n == 60:
                raise Invalid("INVALID_DATE")
            if n < 60:
                return dt.date(1899, 12, 31) + dt.timedelta(days=n)
            return dt.date(1899, 12, 30) + dt.timedelta(days=n)
    except ValueError:
        raise Invalid("INVALID_DATE")
    raise Invalid("INVALID_DATE")


def norm_date(raw):
    d = parse_date(raw)
    return BLANK if d is BLANK else d.isoformat()


def norm_money(raw):
    s = raw.strip()
    if s == "":
        return BLANK
    neg = False
    if s.startswith("(") and s.endswith(")"):
        neg, s = True, s[1:-1].strip()
    elif s.startswith("-"):
        neg, s = True, s[1:].strip()
    if s.startswith("$"):
        s = s[1:]
    if not re.fullmatch(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?|\.\d{1,2}", s):
        raise Invalid("INVALID_MONEY")
    whole, _, frac = s.replace(",", "").partition(".")
    cents = int(whole or "0") * 100 + int((frac + "00")[:2])
    return api_money(-cents if neg else cents)


NORMALIZER = {"text": norm_text, "state": norm_state, "ssn": norm_ssn, "date": norm_date,
              "money": norm_money}


def normalise(field, raw):
    return NORMALIZER[KIND[field]](raw)


# ---------------------------------------------------------------------------------------------
# Strict RFC 4180 reader, used to read the file back
# ---------------------------------------------------------------------------------------------

def parse_strict(text):
    """Yields (fields, error) per record. Records end with CRLF; errors are bare quotes,
    text after a closing quote, unterminated quotes, stray CR or LF."""
    records = []
    i, n = 0, len(text)
    while i < n:
        fields, err = [], None
        while True:
            if i < n and text[i] == '"':
                i += 1
                buf = []
                while True:
                    if i >= n:
                        err = err or "unterminated quoted field"
                        break
                    c = text[i]
                    if c == '"':
                        if i + 1 < n and text[i + 1] == '"':
                            buf.append('"')
                            i += 2
                            continue
                        i += 1
                        break
                    buf.append(c)
                    i += 1
                fields.append("".join(buf))
                if i < n and text[i] not in ",\r":
                    err = err or "text after closing quote"
                    while i < n and text[i] not in ",\r":
                        i += 1
            else:
                j = i
                while j < n and text[j] not in ",\r\n":
                    j += 1
                value = text[i:j]
                if '"' in value:
                    err = err or "bare quote in unquoted field"
                fields.append(value)
                i = j
            if i >= n:
                break
            if text[i] == ",":
                i += 1
                continue
            if text.startswith("\r\n", i):
                i += 2
                break
            err = err or "bare CR or LF"
            i += 1
            break
        records.append((fields, err))
    return records


def csv_cell(value, force_quote=False):
    if force_quote or any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


# ---------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------

def pick(rng, weighted):
    total = sum(w for _, w in weighted)
    x = rng.random() * total
    for item, w in weighted:
        x -= w
        if x < 0:
            return item
    return weighted[-1][0]


def rand_date(rng, start, end):
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def ascii_fold(s):
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")


class Gen:
    def __init__(self, rng):
        self.rng = rng
        self.used_phones = set()
        self.used_ssns = set()
        self.used_refs = set()
        self.mess = {}  # format name -> count, for the self-check

    def count(self, what):
        self.mess[what] = self.mess.get(what, 0) + 1

    # ---- values -------------------------------------------------------------------------
    def phone(self, areas):
        # 555-0100..0199 is the NANP range reserved for fictional use; NANP-valid everywhere.
        while True:
            p = self.rng.choice(areas) + "555" + f"{self.rng.randrange(100, 200):04d}"
            if p not in self.used_phones:
                self.used_phones.add(p)
                return p

    def ssn(self, digits_shown):
        """A valid SSN; digits_shown 8 / 7 means it must have 1 / 2 leading zeros."""
        rng = self.rng
        while True:
            if digits_shown == 8:
                area = rng.randrange(10, 100)
            elif digits_shown == 7:
                area = rng.randrange(1, 10)
            else:
                area = rng.randrange(100, 900)
            d = f"{area:03d}{rng.randrange(1, 100):02d}{rng.randrange(1, 10000):04d}"
            if ssn_valid(d) and d not in self.used_ssns:
                self.used_ssns.add(d)
                return d

    def street_address(self):
        rng = self.rng
        street = rng.choice(STREETS)
        suffix = "" if street.startswith("COUNTY ROAD") else " " + rng.choice(SUFFIXES)
        return f"{rng.randrange(1, 9999)} {rng.choice(DIRECTIONS)}{street}{suffix}"

    def unit(self):
        return self.rng.choice(UNITS).format(n=self.rng.randrange(1, 40))

    def email(self, first, last):
        f = re.sub(r"[^A-Z]", "", ascii_fold(first))
        l = re.sub(r"[^A-Z]", "", ascii_fold(last))
        style = self.rng.randrange(4)
        local = [f"{f}.{l}", f"{f[0]}{l}", f"{f}{l}{self.rng.randrange(1, 99)}", f"{l}.{f}{self.rng.randrange(60, 99)}"][style]
        return f"{local}@{self.rng.choice(EMAIL_DOMAINS)}"

    def cents(self, lo, hi, whole=False):
        c = self.rng.randrange(lo * 100, hi * 100)
        return c - c % 100 if whole else c

    # ---- file formats -------------------------------------------------------------------
    def fmt_date(self, d, allow=("mdy", "mdy_pad4", "mdy_yy", "iso", "serial", "rfc")):
        f = pick(self.rng, [(k, w) for k, w in [("mdy", 40), ("mdy_pad4", 10), ("mdy_yy", 14),
                                                ("iso", 14), ("serial", 11), ("rfc", 11)] if k in allow])
        if f == "mdy_yy" and not (1927 <= d.year <= 1999 or 2000 <= d.year <= 2026):
            f = "mdy"
        self.count("date:" + f)
        if f == "mdy":
            return f"{d.month}/{d.day}/{d.year}"
        if f == "mdy_pad4":
            return f"{d.month:02d}/{d.day:02d}/{d.year}"
        if f == "mdy_yy":
            return f"{d.month:02d}/{d.day:02d}/{d.year % 100:02d}"
        if f == "iso":
            return d.isoformat()
        if f == "serial":
            return str(excel_serial(d))
        return rfc1123(d)

    def fmt_money(self, cents):
        if cents < 0:
            self.count("money:accounting_negative")
            return f"({api_money(-cents)})"
        f = pick(self.rng, [("dollar", 30), ("minimal", 35), ("fixed", 35)])
        if f == "dollar":
            s = f"${cents // 100:,}.{cents % 100:02d}"
            self.count("money:dollar" + ("_thousands" if cents >= 100000 else ""))
            return s
        if f == "minimal":
            if cents % 100 == 0:
                self.count("money:whole")
                return str(cents // 100)
            if cents % 10 == 0:
                self.count("money:one_decimal")
                return f"{cents // 100}.{(cents % 100) // 10}"
        self.count("money:fixed")
        return api_money(cents)

    def fmt_phone(self, p, ext=None):
        a, x, l = p[:3], p[3:6], p[6:]
        if ext is not None:
            self.count("phone:extension")
            return f"({a}) {x}-{l} x{ext}"
        f = pick(self.rng, [("paren", 25), ("dashed", 18), ("dot", 12), ("plus1", 12),
                            ("one_dash", 12), ("plain", 21)])
        self.count("phone:" + f)
        return {"paren": f"({a}) {x}-{l}", "dashed": f"{a}-{x}-{l}", "dot": f"{a}.{x}.{l}",
                "plus1": f"+1 {a} {x} {l}", "one_dash": f"1-{a}-{x}-{l}", "plain": p}[f]

    def fmt_ssn(self, d, f):
        self.count("ssn:" + f)
        if f == "dashed":
            return api_ssn(d)
        if f == "plain9":
            return d
        return d.lstrip("0")


def assign_roles(rng):
    specials = []
    for role in ROLES:
        specials += [role] * (3 if role == "EXT" else 1)
    specials += ["UNCHANGED"] * N_UNCHANGED + ["CLEAR"] * N_CLEAR
    rows = rng.sample(range(3, N_ROWS + 1), len(specials))
    roles = {r: "CHANGED" for r in range(1, N_ROWS + 1)}
    for r, role in zip(rows, specials):
        roles[r] = role
    return roles


def make_truth(g, role):
    """The account as the creditor knows it tonight (canonical values)."""
    rng = g.rng
    t = {}
    city, state, zip_, areas = rng.choice(CITIES)
    t["firstname"] = rng.choice(FIRST_NAMES)
    t["middlename"] = rng.choice(MIDDLE_NAMES)
    t["lastname"] = rng.choice(LAST_NAMES)
    t["_ssnfmt"] = pick(rng, [("dashed", 55), ("plain9", 27), ("stripped8", 15), ("stripped7", 1.5)])
    t["socialsecuritynumber"] = g.ssn({"stripped8": 8, "stripped7": 7}.get(t["_ssnfmt"], 9))
    t["birthdate"] = rand_date(rng, dt.date(1950, 1, 1), dt.date(2002, 12, 31))
    t["address"] = g.street_address()
    if rng.random() < 0.05:
        t["address"] = f"RR {rng.randrange(1, 9)}, BOX {rng.randrange(10, 400)}"
    elif rng.random() < 0.04:
        t["address"] = f"{t['address']}, {g.unit()}"
    t["address2"] = g.unit()
    t["city"], t["state"], t["zip"] = city, state, zip_
    t["_areas"] = areas
    t["emailaddress"] = g.email(t["firstname"], t["lastname"])
    t["employer"] = rng.choice(EMPLOYERS_WITH_COMMA) if rng.random() < 0.04 else rng.choice(EMPLOYERS)
    t["originalcreditor"] = rng.choice(ORIGINAL_CREDITORS)
    while True:
        ref = f"7{rng.randrange(10**9):09d}"
        if ref not in g.used_refs:
            g.used_refs.add(ref)
            break
    t["accountnumber"] = ref
    opened = rand_date(rng, dt.date(2008, 1, 1), dt.date(2021, 12, 31))
    last_pay = min(opened + dt.timedelta(days=rng.randrange(200, 1800)), dt.date(2026, 3, 31))
    t["dateaccountopened"] = opened
    t["lastpaymentdate"] = last_pay
    t["datechargedoff"] = last_pay + dt.timedelta(days=rng.randrange(150, 200))
    t["dateplaced"] = PLACEMENT_DATE
    orig = g.cents(300, 9000, whole=rng.random() < 0.5)
    principal = orig if rng.random() < 0.3 else orig * rng.randrange(60, 100) // 100
    interest = 0 if rng.random() < 0.1 else principal * rng.randrange(1, 25) // 100
    fees = pick(rng, [(0, 70), (2500, 10), (3500, 10), (3900, 10)])
    t["originalbalance"], t["principal"], t["accruedinterest"], t["miscfees"] = orig, principal, interest, fees
    t["lastpaymentamount"] = g.cents(25, 300, whole=rng.random() < 0.4)
    t["currentbalance"] = principal + interest + fees
    phones = {}
    if role not in ("CHANGED", "UNCHANGED") or rng.random() >= 0.06:
        phones["HOME"] = g.phone(areas)
    if rng.random() < 0.65:
        phones["CELL"] = g.phone(areas)
    if rng.random() < 0.45:
        phones["WORK"] = g.phone(areas)
    t["_phones"] = phones
    t["_notes"] = rng.choice(NOTES) if rng.random() < 0.3 else ""
    return t


def file_value(g, t, field):
    v = t[field]
    k = KIND[field]
    if k == "date":
        return g.fmt_date(v)
    if k == "money":
        return g.fmt_money(v)
    if k == "ssn":
        return g.fmt_ssn(v, t["_ssnfmt"])
    return v


def choose_blanks(rng, role):
    """Which optional cells are blank on this row (never the ones the row's problem needs)."""
    blanks = set()
    odds = {"middlename": 0.35, "address2": 0.65, "emailaddress": 0.2, "employer": 0.25,
            "accruedinterest": 0.08, "miscfees": 0.15, "birthdate": 0.03, "originalcreditor": 0.04,
            "dateplaced": 0.03, "datechargedoff": 0.03}
    for f, p in odds.items():
        if rng.random() < p:
            blanks.add(f)
    if rng.random() < 0.12:
        blanks |= {"lastpaymentdate", "lastpaymentamount"}
    if role in ("DATE_0230", "DATE_1313"):
        blanks.discard("birthdate")
    if role == "CLEAR":
        blanks.discard("address2")
    return blanks


# change kind -> fields it makes differ
CHANGE_KINDS = {
    "street": ["address"], "unit": ["address2"], "name": ["lastname"], "first": ["firstname"],
    "middle": ["middlename"], "balance2": ["accruedinterest", "currentbalance"],
    "balance1": ["currentbalance"], "payment": ["lastpaymentdate", "lastpaymentamount"],
    "employer": ["employer"], "email": ["emailaddress"], "dob": ["birthdate"],
    "move": ["address", "city", "state", "zip"], "move_instate": ["address", "city", "zip"],
    "zip": ["zip"],
}
# How often each kind of news turns up (balances and addresses change most).
CHANGE_WEIGHTS = {"balance1": 6, "balance2": 3, "street": 4, "move": 2, "move_instate": 3,
                  "unit": 2, "payment": 4, "employer": 3, "email": 3, "name": 2, "first": 1,
                  "middle": 2, "dob": 1, "zip": 1}


def misspell(rng, s):
    while True:
        letters = list(s)
        if len(letters) > 3 and rng.random() < 0.5:
            i = rng.randrange(1, len(letters) - 1)
            del letters[i]
        else:
            i = rng.randrange(len(letters) - 1)
            letters[i], letters[i + 1] = letters[i + 1], letters[i]
        out = "".join(letters)
        if out != s:
            return out


def apply_change(g, kind, t, seed):
    """Puts an older value into the seed so the file's value is news."""
    rng = g.rng
    if kind == "street":
        while seed["address"] == t["address"]:
            seed["address"] = g.street_address()
    elif kind == "unit":
        while seed["address2"] == t["address2"]:
            seed["address2"] = g.unit()
    elif kind == "name":
        seed["lastname"] = misspell(rng, t["lastname"])
    elif kind == "first":
        seed["firstname"] = misspell(rng, t["firstname"])
    elif kind == "middle":
        seed["middlename"] = ""
    elif kind == "balance2":
        delta = rng.randrange(500, 9000)
        seed["accruedinterest"] = t["accruedinterest"] - delta
        seed["currentbalance"] = t["currentbalance"] - delta
    elif kind == "balance1":
        seed["currentbalance"] = t["currentbalance"] + rng.randrange(2500, 20000)
    elif kind == "payment":
        if rng.random() < 0.3:
            seed["lastpaymentdate"], seed["lastpaymentamount"] = None, 0
        else:
            seed["lastpaymentdate"] = t["lastpaymentdate"] - dt.timedelta(days=rng.randrange(28, 120))
            while seed["lastpaymentamount"] == t["lastpaymentamount"]:
                seed["lastpaymentamount"] = g.cents(25, 300)
    elif kind == "employer":
        while seed["employer"] == t["employer"]:
            seed["employer"] = rng.choice(EMPLOYERS + [""])
    elif kind == "email":
        seed["emailaddress"] = "" if rng.random() < 0.3 else g.email(t["firstname"], t["lastname"]).replace("@", "1@")
    elif kind == "dob":
        b = t["birthdate"]
        if b.day <= 12 and b.day != b.month:
            seed["birthdate"] = dt.date(b.year, b.day, b.month)  # month and day swapped
        else:
            seed["birthdate"] = dt.date(b.year - 1, b.month, min(b.day, 28))
    elif kind == "move":
        while True:
            city, state, zip_, _ = rng.choice(CITIES)
            if state != t["state"]:
                break
        seed["city"], seed["state"], seed["zip"] = city, state, zip_
        while seed["address"] == t["address"]:
            seed["address"] = g.street_address()
    elif kind == "move_instate":
        city, _, zip_, _ = rng.choice([c for c in CITIES if c[1] == t["state"] and c[0] != t["city"]])
        seed["city"], seed["zip"] = city, zip_
        while seed["address"] == t["address"]:
            seed["address"] = g.street_address()
    elif kind == "zip":
        seed["zip"] = t["zip"][:3] + f"{(int(t['zip'][3:]) + rng.randrange(1, 9)) % 100:02d}"
    else:
        raise AssertionError(kind)


def seed_api_value(field, v):
    """Seed value written the way the real API stores it."""
    k = KIND[field]
    if v is None:
        return " " if k == "date" else ""
    if k == "date":
        return api_date(v)
    if k == "money":
        return api_money(v)
    if k == "ssn":
        return api_ssn(v)
    return v


def build(rng):
    g = Gen(rng)
    roles = assign_roles(rng)
    lower_state_rows = set(rng.sample([r for r in roles if not roles[r].startswith("MALFORMED")], 6))
    negative_fee_rows = set(rng.sample([r for r in roles if roles[r] in ("CHANGED", "UNCHANGED")], 5))
    padded_rows = set(rng.sample([r for r in roles if roles[r] in ("CHANGED", "UNCHANGED")], 4))
    bobs_row = rng.choice([r for r in roles if roles[r] == "CHANGED"])
    comma_employer_rows = set(rng.sample([r for r in roles if roles[r] == "CHANGED" and r != bobs_row], 3))

    design = []  # per row
    accounts = []
    for row in range(1, N_ROWS + 1):
        role = roles[row]
        t = make_truth(g, role)
        if row in negative_fee_rows:
            t["miscfees"] = -rng.choice([1200, 2500, 3500, 1000])
            t["currentbalance"] = t["principal"] + t["accruedinterest"] + t["miscfees"]
        if row == bobs_row:
            t["employer"] = BOBS_DINER
        elif row in comma_employer_rows:
            t["employer"] = rng.choice(EMPLOYERS_WITH_COMMA)
        if role == "CLEAR":
            t["address2"] = CLEAR_MARKER
        blanks = choose_blanks(rng, role)
        if row in (bobs_row,) or row in comma_employer_rows:
            blanks.discard("employer")
        if row in negative_fee_rows:
            blanks.discard("miscfees")
        if role in ("EXT", "PHONE_AREA1", "PHONE_7", "WORK_000", "WORK_911"):
            pass  # home always present; work set below

        filenumber = f"R{3000 + row}"
        if role == "MISSING_FILENUMBER":
            filenumber = ""
        elif role == "ACCOUNT_NOT_FOUND":
            filenumber = "R9999"

        cells = [""] * len(HEADER)
        cells[COL["Account Number"]] = filenumber
        for f in FIELDS:
            if f in blanks:
                continue
            cells[COL[COLUMN_OF_FIELD[f]]] = file_value(g, t, f)
        if row in lower_state_rows:
            cells[COL["State"]] = t["state"].lower()
            g.count("state:lower")
        if row in padded_rows:
            col = rng.choice(["Last Name", "City", "Employer", "First Name"])
            if cells[COL[col]]:
                cells[COL[col]] = rng.choice([" ", "  ", ""]) + cells[COL[col]] + rng.choice([" ", "   "])
                g.count("text:padded")
        cells[COL["Portfolio"]] = PORTFOLIO
        cells[COL["Creditor Notes"]] = t["_notes"]

        phones = t["_phones"]
        file_phones = []  # (type, digits) the load must know about
        for col, ptype in PHONE_COLUMNS:
            if ptype in phones:
                ext = None
                if role == "EXT" and ptype == "HOME":
                    ext = rng.choice(["12", "305", "7", "2201"])
                cells[COL[col]] = g.fmt_phone(phones[ptype], ext)
                file_phones.append((ptype, phones[ptype]))

        # The row's one deliberate problem.
        raw_line = None
        if role == "SSN_666":
            cells[COL["SSN"]] = "666-12-3456"
        elif role == "SSN_000":
            cells[COL["SSN"]] = "000-12-3456"
        elif role == "PHONE_AREA1":
            cells[COL["Home Phone"]] = "(123) 456-7890"
        elif role == "PHONE_7":
            cells[COL["Home Phone"]] = "555-1234"
        elif role == "DATE_0230":
            cells[COL["DOB"]] = "2/30/1971"
        elif role == "DATE_1313":
            cells[COL["DOB"]] = "13/13/1980"
        elif role == "MONEY_EU":
            cells[COL["Current Balance"]] = "1.234,50"
        elif role == "MONEY_3DEC":
            cells[COL["Current Balance"]] = "12.345"
        elif role in ("WORK_000", "WORK_911"):
            cells[COL["Work Phone"]] = "000-000-0000" if role == "WORK_000" else "911-555-0101"
            file_phones = [p for p in file_phones if p[0] != "WORK"]
            phones.pop("WORK", None)
        elif role in ("MALFORMED_COMMA", "MALFORMED_QUOTE"):
            addr = (f"{rng.randrange(100, 999)} MAIN ST, APT {rng.randrange(1, 20)}" if role == "MALFORMED_COMMA"
                    else '12 "OLD" MILL RD')
            t["address"] = addr
            parts = []
            for i, c in enumerate(cells):
                if i == COL["Address 1"]:
                    parts.append(addr)  # written raw, on purpose
                else:
                    parts.append(csv_cell(c, force_quote=(i == COL["Zip"] and c.startswith("0"))))
            raw_line = ",".join(parts)

        # ---- the seed: what the server holds before tonight ------------------------------
        if filenumber.startswith("R3"):
            seed = {f: t[f] for f in FIELDS}
            if role == "CLEAR":
                seed["address2"] = g.unit()
            if role in ("MALFORMED_COMMA", "MALFORMED_QUOTE"):
                seed["address"] = g.street_address()
            for f in sorted(blanks):  # the file says nothing: the server may hold anything
                r = rng.random()
                if r < 0.3:
                    seed[f] = None if KIND[f] in ("date",) else (0 if KIND[f] == "money" else "")
                elif r < 0.4 and KIND[f] == "text":
                    seed[f] = {"middlename": rng.choice(MIDDLE_NAMES), "address2": g.unit(),
                               "employer": rng.choice(EMPLOYERS)}.get(f, seed[f])
            designed_changes = []
            if role == "UNCHANGED":
                in_seed = [p for p in file_phones]
            else:
                k = pick(rng, [(0, 12), (1, 36), (2, 27), (3, 15), (4, 10)])
                if not file_phones:
                    k = max(k, 1)
                if role == "CLEAR":
                    designed_changes.append("address2")
                # weighted shuffle (Efraimidis-Spirakis keys)
                kinds = sorted(CHANGE_KINDS, key=lambda kd: -(rng.random() ** (1.0 / CHANGE_WEIGHTS[kd])))
                for kind in kinds:
                    fs = CHANGE_KINDS[kind]
                    if len(designed_changes) + len(fs) > max(k, len(designed_changes)):
                        continue
                    if any(f in blanks or f in designed_changes or t[f] == CLEAR_MARKER for f in fs):
                        continue
                    if kind in ("street", "move", "move_instate") and role.startswith("MALFORMED"):
                        continue
                    if kind == "balance2" and t["accruedinterest"] < 9000:
                        continue
                    if kind == "move_instate" and not [c for c in CITIES if c[1] == t["state"] and c[0] != t["city"]]:
                        continue
                    apply_change(g, kind, t, seed)
                    designed_changes += fs
                in_seed = []
                odds = {"HOME": 0.55, "CELL": 0.5, "WORK": 0.4}
                for p in file_phones:
                    if rng.random() < odds[p[0]]:
                        in_seed.append(p)
                if not designed_changes and file_phones and len(in_seed) == len(file_phones):
                    in_seed.remove(rng.choice(in_seed))
                if not designed_changes and not file_phones:
                    raise AssertionError("row %d would not change" % row)
            seed_phones = [{"phonenumber": api_phone(p), "phonetype": ptype,
                            "phonestatus": pick(rng, [("UNKNOWN", 80), ("Good Number", 20)]),
                            "source": "LOAD"} for ptype, p in in_seed]
            if rng.random() < 0.25:
                seed_phones.append({"phonenumber": api_phone(g.phone(t["_areas"])),
                                    "phonetype": rng.choice(["HOME", "CELL", "UNKNOWN"]),
                                    "phonestatus": rng.choice(["Disconnected", "UNKNOWN"]),
                                    "source": rng.choice(["LOAD", "USER"])})
            accounts.append({
                "filenumber": filenumber,
                "portfolio": PORTFOLIO,
                "fields": {f: seed_api_value(f, seed[f]) for f in FIELDS},
                "phones": seed_phones,
            })
        design.append({"row": row, "role": role, "filenumber": filenumber, "cells": cells,
                       "raw_line": raw_line})
    return g, roles, design, accounts


# ---------------------------------------------------------------------------------------------
# Expected results, computed from the written file
# ---------------------------------------------------------------------------------------------

def compute_expected(csv_text, seed):
    accounts = {a["filenumber"].upper(): a for a in seed["accounts"]}
    records = parse_strict(csv_text)
    header, err = records[0]
    assert err is None and header == HEADER, "header"
    data = records[1:]
    rejected_rows, warning_rows, unchanged, after = [], [], [], {}
    for row, (cells, err) in enumerate(data, start=1):
        if err is not None or len(cells) != len(HEADER):
            rejected_rows.append({"row": row, "reason": "MALFORMED_ROW"})
            continue
        filenumber = cells[COL["Account Number"]].strip()
        if filenumber == "":
            rejected_rows.append({"row": row, "reason": "MISSING_FILENUMBER"})
            continue
        values, phones, warnings = {}, [], []
        try:
            for f in FIELDS:
                v = normalise(f, cells[COL[COLUMN_OF_FIELD[f]]])
                if v is not BLANK:
                    values[f] = v
            for col, _ptype in PHONE_COLUMNS:
                try:
                    p, ext = norm_phone(cells[COL[col]])
                except Invalid:
                    if col == "Work Phone":  # the pipeline drops just this field
                        warnings.append(("FIELD_DROPPED", col))
                        continue
                    raise
                if ext:
                    warnings.append(("PHONE_EXTENSION_DROPPED", col))
                if p is not BLANK and p not in phones:
                    phones.append(p)
        except Invalid as e:
            rejected_rows.append({"row": row, "reason": str(e)})
            continue
        account = accounts.get(filenumber.upper())
        if account is None:
            rejected_rows.append({"row": row, "reason": "ACCOUNT_NOT_FOUND"})
            continue
        for code, col in warnings:
            warning_rows.append({"row": row, "reason": code, "column": col})
        diff = {}
        for f, v in values.items():
            try:
                old = normalise(f, account["fields"].get(f, ""))
            except Invalid:
                old = "\x00unreadable"
            if v is CLEAR:
                if old is not BLANK:
                    diff[f] = ""
            elif v != old:
                diff[f] = v
        held = {p["phonenumber"] for p in account["phones"]}
        new_phones = [p for p in phones if p not in held]
        if not diff and not new_phones:
            unchanged.append(filenumber)
            continue
        entry = dict(diff)
        if new_phones:
            entry["new_phones"] = new_phones
        after[filenumber] = entry
    rejected = {}
    for r in rejected_rows:
        rejected[r["reason"]] = rejected.get(r["reason"], 0) + 1
    warnings_count = {}
    for w in warning_rows:
        warnings_count[w["reason"]] = warnings_count.get(w["reason"], 0) + 1
    return {
        "rows": len(data),
        "rejected": dict(sorted(rejected.items())),
        "rejected_rows": rejected_rows,
        "warnings": dict(sorted(warnings_count.items())),
        "warning_rows": warning_rows,
        "unchanged_rows": unchanged,
        "expected_after_load": after,
    }


# ---------------------------------------------------------------------------------------------
# README
# ---------------------------------------------------------------------------------------------

def readme(design, expected):
    reject_lines, warn_lines = [], []
    for d in design:
        if d["role"] in ROLES:
            reason, is_reject, text = ROLES[d["role"]]
            acct = d["filenumber"] or "(blank)"
            line = f"| {d['row']} | {acct} | `{reason}` | {text} |"
            (reject_lines if is_reject else warn_lines).append(line)
    clear_rows = [f"{d['row']} ({d['filenumber']})" for d in design if d["role"] == "CLEAR"]
    n_rej = sum(expected["rejected"].values())
    return f"""# Sample data

Generated by `Scripts/make_sample_data.py` (Python 3, standard library only, fixed random
seed). Do not edit these files by hand; change the script and regenerate from the repository
root:

    python3 Scripts/make_sample_data.py

Re-running it gives byte-identical files.

| File | What it is |
|---|---|
| `placement.csv` | A nightly placement file from creditor {CLIENT}: header + {expected['rows']} data rows, 30 columns, UTF-8 without BOM, CRLF line endings, RFC 4180 quoting. |
| `sandbox-accounts.json` | The sandbox server's seed: portfolio `{PORTFOLIO}` and one account per `R3xxx` file number in the CSV (rejected rows included), as the API stores them *before* the load: SSN `XXX-XX-XXXX`, dates `M/D/YYYY`, money `809.00`, phones `XXX-XXX-XXXX`. |
| `placement.expected.json` | What a correct load must produce, computed by the script from the written CSV and the seed. |

## What the CSV contains (all of it must be accepted)

- SSNs as `123-45-6789`, `123456789`, and 7–8 digit values whose leading zeros Excel
  stripped (`12345678` means `012-34-5678`).
- Phones as `(205) 555-0134`, `205-555-0134`, `205.555.0134`, `+1 205 555 0134`,
  `1-205-555-0134`, `2055550134`; three home phones carry an extension (`x12`). All numbers
  use the fictional 555-01XX range.
- Dates as `3/6/2013`, `03/06/2013`, `03/06/13` (YY <= 26 → 20YY, else 19YY), `2013-03-06`,
  Excel serials (`41339`, 1900 date system) and RFC 1123 (`Wed, 06 Mar 2013 00:00:00 GMT`).
- Money as `$1,234.50`, `1234.5`, `809`, `1234.50`; accounting negatives such as `(12.00)`
  in Fees.
- Lower-case states, cells padded with spaces, zips with leading zeros written quoted
  (`"02134"`), quoted addresses/employers containing commas, one employer `"BOB""S DINER"`,
  and non-ASCII names (`MUÑOZ`, `JOSÉ`).
- Blank cells: a blank cell is "no news" and clears nothing.
- `<CLEAR>` in Address 2 on rows {", ".join(clear_rows)}: the load must empty `address2`
  (the seed holds a non-empty one).

Field mapping (column → dbase field): Client Ref → accountnumber, First/Middle/Last Name →
firstname/middlename/lastname, SSN → socialsecuritynumber, DOB → birthdate, Address 1/2 →
address/address2, City, State, Zip, Email → emailaddress, Employer, Original Creditor, Open
Date → dateaccountopened, Charge Off Date → datechargedoff, Last Payment Date/Amount,
Original Balance, Principal, Interest → accruedinterest, Fees → miscfees, Current Balance,
Placement Date → dateplaced. Home/Cell/Work Phone go to the phone list (HOME/CELL/WORK).
Portfolio and Creditor Notes are not loaded.

## Deliberate rejects ({n_rej} rows)

Each row has exactly one problem. Row numbers are 1-based data rows (header not counted).

| Row | Account | Reason | Problem |
|---|---|---|---|
{chr(10).join(reject_lines)}

## Warnings (the row still loads)

| Row | Account | Warning | Problem |
|---|---|---|---|
{chr(10).join(warn_lines)}

## Expected outcome

`placement.expected.json` holds the counts above, `rejected_rows`, `warning_rows`, the
{len(expected['unchanged_rows'])} accounts the load must leave unchanged (`unchanged_rows`), and for the
{len(expected['expected_after_load'])} accounts it must write, the normalised values that differ from the seed
(dates `yyyy-mm-dd`, money `1234.50`, SSN `XXX-XX-XXXX`, states upper-case; `address2: ""`
for a clear) plus `new_phones` to insert. A row is unchanged when every non-blank
normalised value equals the seed value normalised the same way and all its phones are
already on the account.
"""


# ---------------------------------------------------------------------------------------------

def main():
    if not os.path.isdir(OUT_DIR):
        sys.exit(f"run from the repository root (no {OUT_DIR}/ here)")
    rng = random.Random(SEED)
    g, roles, design, accounts = build(rng)

    lines = [",".join(HEADER)]
    for d in design:
        if d["raw_line"] is not None:
            lines.append(d["raw_line"])
        else:
            lines.append(",".join(csv_cell(c, force_quote=(i == COL["Zip"] and c.startswith("0")))
                                  for i, c in enumerate(d["cells"])))
    csv_text = "\r\n".join(lines) + "\r\n"

    seed = {"portfolios": [{"id": PORTFOLIO_ID, "portfolio": PORTFOLIO, "client": CLIENT,
                            "dateplaced": PLACEMENT_DATE.isoformat()}],
            "accounts": sorted(accounts, key=lambda a: a["filenumber"])}
    expected = compute_expected(csv_text, seed)

    # ---- the outcome must be what the generator designed ---------------------------------
    want_rejects = sorted((d["row"], ROLES[d["role"]][0]) for d in design
                          if d["role"] in ROLES and ROLES[d["role"]][1])
    got_rejects = sorted((r["row"], r["reason"]) for r in expected["rejected_rows"])
    assert got_rejects == want_rejects, (got_rejects, want_rejects)
    want_warn = sorted((d["row"], ROLES[d["role"]][0]) for d in design
                       if d["role"] in ROLES and not ROLES[d["role"]][1])
    got_warn = sorted((w["row"], w["reason"]) for w in expected["warning_rows"])
    assert got_warn == want_warn, (got_warn, want_warn)
    want_unchanged = [d["filenumber"] for d in design if d["role"] == "UNCHANGED"]
    assert expected["unchanged_rows"] == want_unchanged, (expected["unchanged_rows"], want_unchanged)
    for acct, entry in expected["expected_after_load"].items():
        n = len([k for k in entry if k != "new_phones"])
        assert n <= 4, (acct, entry)
        assert n >= 1 or entry.get("new_phones"), (acct, entry)
    for d in design:
        if d["role"] == "CLEAR":
            assert expected["expected_after_load"][d["filenumber"]].get("address2") == "", d["filenumber"]
    for what, n in sorted(g.mess.items()):
        assert n >= (3 if what != "ssn:stripped7" else 1), (what, n)

    with open(os.path.join(OUT_DIR, "placement.csv"), "w", encoding="utf-8", newline="") as f:
        f.write(csv_text)
    with open(os.path.join(OUT_DIR, "sandbox-accounts.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(seed, indent=2, ensure_ascii=False) + "\n")
    with open(os.path.join(OUT_DIR, "placement.expected.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(expected, indent=2, ensure_ascii=False) + "\n")
    with open(os.path.join(OUT_DIR, "README.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write(readme(design, expected))

    print(f"placement.csv: {expected['rows']} rows; rejected {expected['rejected']}; "
          f"warnings {expected['warnings']}; unchanged {len(expected['unchanged_rows'])}; "
          f"written {len(expected['expected_after_load'])}; seed accounts {len(seed['accounts'])}")
    for what, n in sorted(g.mess.items()):
        print(f"  {what}: {n}")


if __name__ == "__main__":
    main()
