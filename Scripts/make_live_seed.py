#!/usr/bin/env python3
"""Generate SampleData/sandbox-accounts-live.json: the sandbox seed with accounts that hold data
the way a production Scollect holds it.

Run from the repository root:

    python3 Scripts/make_live_seed.py

Standard library only; a fixed random seed makes every run byte-identical. It starts from
SampleData/sandbox-accounts.json (the placement's R3xxx accounts, which stays as it is: its
expected outputs are unchanged) and writes each account's values in the styles the API
document shows: dates M/D/YYYY, RFC 1123 (`Sun, 14 May 1950 00:00:00 GMT`) or yyyy-mm-dd,
money ` 4,000` / ` 1,164.81`, the placeholder SSN `000-00-0000`, the zero date
`0000-00-00 00:00:00`, 1900 sentinel dates, `null`, mixed-case phone types and statuses
(`Good Number`, `Do Not Call`), protected account statuses, and creditors already set. It adds
the R5xxx accounts (portfolio `ACME LIVE 2026-12`) that the end-to-end tests of issue 18 use.
Use it instead of sandbox-accounts.json (the file numbers are the same): `scollect-etl sandbox
--seed SampleData/sandbox-accounts-live.json`.
"""

import datetime as dt
import json
import random

SEED = 20261202
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DATE_FIELDS = ["birthdate", "dateaccountopened", "datechargedoff", "lastpaymentdate", "dateplaced"]
MONEY_FIELDS = ["lastpaymentamount", "originalbalance", "principal", "accruedinterest", "miscfees", "currentbalance"]


def parse_mdy(text):
    m, d, y = (int(p) for p in text.split("/"))
    return dt.date(y, m, d)


def rfc1123(day):
    return f"{WEEKDAYS[day.weekday()]}, {day.day:02d} {MONTHS[day.month - 1]} {day.year} 00:00:00 GMT"


def server_money(text):
    """`4000.00` -> ` 4,000`, `1164.81` -> ` 1,164.81` (the document's padded style)."""
    whole, cents = text.split(".")
    grouped = f"{int(whole):,}"
    return " " + grouped if cents == "00" else f" {grouped}.{cents}"


def live_account(account, rng):
    fields = dict(account["fields"])
    for field in DATE_FIELDS:
        value = fields.get(field, "")
        if not value or "/" not in value:
            continue
        day = parse_mdy(value)
        style = rng.random()
        if style < 0.4:
            fields[field] = rfc1123(day)
        elif style < 0.6:
            fields[field] = day.isoformat()
    for field in MONEY_FIELDS:
        value = fields.get(field, "")
        if value and "." in value and rng.random() < 0.35:
            fields[field] = server_money(value)
    roll = rng.random()
    if roll < 0.08:
        fields["socialsecuritynumber"] = "000-00-0000"
    roll = rng.random()
    if roll < 0.05:
        fields["birthdate"] = "Mon, 01 Jan 1900 00:00:00 GMT"
    elif roll < 0.08:
        fields["birthdate"] = "1/1/1900"
    if rng.random() < 0.06:
        fields["lastpaymentdate"] = "0000-00-00 00:00:00"
    if not fields.get("originalcreditor"):
        fields["originalcreditor"] = rng.choice(["ACME BANK NA", "ACME BANK", "FIRST ACME CARD SERVICES"])
    if not fields.get("employer"):
        fields["employer"] = "null"
    roll = rng.random()
    if roll < 0.04:
        fields["statusname"] = "Bankruptcy"
    elif roll < 0.07:
        fields["statusname"] = "Cease and Desist"
    elif roll < 0.5:
        fields["statusname"] = "Active"
    phones = []
    for phone in account.get("phones", []):
        phone = dict(phone)
        phone["phonetype"] = phone.get("phonetype", "HOME").title()
        if rng.random() < 0.3:
            phone["lastchange"] = "0000-00-00 00:00:00"
        phone["phonestatus"] = rng.choice(["Good Number", "Unknown", "Good Number", "Do Not Call", "Wrong Number"]) \
            if rng.random() < 0.6 else phone.get("phonestatus", "UNKNOWN")
        phones.append(phone)
    result = {"filenumber": account["filenumber"], "portfolio": account["portfolio"], "fields": fields}
    if phones:
        result["phones"] = phones
    return result


LIVE = "ACME LIVE 2026-12"

# The accounts the end-to-end tests of issue 18 name, one concern each.
CASES = [
    # Server dates in its own styles, read month-first whatever the file's day_first says.
    {"filenumber": "R5001", "portfolio": LIVE, "fields": {
        "firstname": "ANNA", "lastname": "MORALES", "birthdate": "3/6/2013",
        "dateaccountopened": "Wed, 06 Mar 2013 00:00:00 GMT", "datechargedoff": "2013-03-06",
        "city": "BIRMINGHAM", "currentbalance": " 4,000"}},
    # Real data a file's "nothing" values must not overwrite.
    {"filenumber": "R5002", "portfolio": LIVE, "fields": {
        "firstname": "BRUCE", "lastname": "NGUYEN", "birthdate": "10/18/1965", "address": "100 MAIN ST",
        "address2": "APT 1", "city": "BIRMINGHAM", "zip": "35203", "employer": "ACME STEEL",
        "dateaccountopened": "5/16/2017", "datechargedoff": "Sun, 15 May 2022 00:00:00 GMT"}},
    # Scollect's placeholders: empty for keep, comparisons and exports.
    {"filenumber": "R5003", "portfolio": LIVE, "fields": {
        "firstname": "CARLA", "lastname": "REED", "socialsecuritynumber": "000-00-0000",
        "birthdate": "Mon, 01 Jan 1900 00:00:00 GMT", "datechargedoff": "0000-00-00 00:00:00",
        "dateaccountopened": "1/1/1900", "statuteoflimdate": "12/31/1899", "city": "null"}},
    # Phones as the API shows them: mixed-case types and statuses, one without a type.
    {"filenumber": "R5004", "portfolio": LIVE, "fields": {"firstname": "DALE", "lastname": "OKAFOR"},
     "phones": [{"phonenumber": "205-555-0101", "phonetype": "Home", "phonestatus": "Good Number", "source": "LOAD",
                 "lastchange": "0000-00-00 00:00:00"}]},
    {"filenumber": "R5005", "portfolio": LIVE, "fields": {"firstname": "ERIN", "lastname": "PRICE"},
     "phones": [{"phonenumber": "205-555-0102", "phonetype": "Home", "phonestatus": "Good Number", "source": "LOAD"}]},
    {"filenumber": "R5006", "portfolio": LIVE, "fields": {"firstname": "FRANK", "lastname": "QUINN"},
     "phones": [{"phonenumber": "205-555-0103", "phonetype": "", "phonestatus": "Unknown", "source": "LOAD"}]},
    # Money as the API pads it; the file's amounts come with currency codes.
    {"filenumber": "R5007", "portfolio": LIVE, "fields": {
        "firstname": "GINA", "lastname": "RIVERA", "currentbalance": " 4,000", "originalbalance": "809.00",
        "principal": " 1,250.00"}},
    {"filenumber": "R5008", "portfolio": LIVE, "fields": {"firstname": "HUGO", "lastname": "SOTO", "currentbalance": "12.00"}},
    # A payment account.
    {"filenumber": "R5009", "portfolio": LIVE, "fields": {"firstname": "IRIS", "lastname": "TATE", "currentbalance": " 1,500"}},
]


def main():
    rng = random.Random(SEED)
    base = json.load(open("SampleData/sandbox-accounts.json", encoding="utf-8"))
    portfolios = base["portfolios"] + [{"id": 802, "portfolio": LIVE, "client": "ACME BANK", "dateplaced": "2026-12-01"}]
    accounts = [live_account(a, rng) for a in base["accounts"]] + CASES
    with open("SampleData/sandbox-accounts-live.json", "w", encoding="utf-8", newline="\n") as f:
        json.dump({"portfolios": portfolios, "accounts": accounts}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
