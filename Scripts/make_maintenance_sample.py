#!/usr/bin/env python3
"""Writes SampleData/account-maintenance.csv and account-maintenance.expected.json.

Account maintenance for the accounts of SampleData/sandbox-accounts.json: address changes, new
and updated phones, permissions, contact attempts, callbacks, pending-payment updates and
Factors Network notes, with a note summarising each row's changes. Each row is written here
with the outcome it must have (the expected file), so a run is checked against what the rows
were designed to do, not against an earlier run. Standard library only; byte-identical output.

    python3 Scripts/make_maintenance_sample.py
"""
import csv
import io
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLUMNS = ["Account", "Address", "City", "Phone", "Phone Type", "Phone Status", "New Cell",
           "Attempt Phone", "Attempt Result", "Agent", "Can Text", "Can Email", "Date Of Notice",
           "Registered Portal", "SIF Amount", "Callback Date", "Callback Time", "Payor Name", "Payment Date",
           "FN Debtor", "FN Type", "FN Note", "FN Write Off", "FN Date", "Note"]

# The sandbox's Factors Network debtors (Sources/ScollectSandbox/SandboxFactorsNetwork.swift).
DEBTORS = ["af6c50e8-ed96-4366-921e-5157fb3d2550", "93c4a3d8-1006-4de0-a69f-fdf61e7543d9",
           "119d6cff-17d2-48f0-a395-990078989dab", "ae70caa0-d795-4998-8dbc-78b5bfe8b20c",
           "1a45ed81-6c9f-4dda-9328-df44036957d7", "26194e88-0e84-4127-86cd-7f6a31f4f668"]

W, U = "written", "unchanged"
# (values, outcome, why). Outcome: "written", "unchanged", or a reject reason code.
ROWS = [
    ({"Account": "R3001", "Address": "12 OAK ST"}, W, "address changes"),
    ({"Account": "R3002", "New Cell": "401-555-0190"}, W, "a new cell phone"),
    ({"Account": "R3003", "Phone": "601-555-0115", "Phone Status": "DISCONNECTED"}, W, "a phone's status"),
    ({"Account": "R3004", "Phone": "513-555-0117", "Phone Type": "home", "Phone Status": "good number"}, U,
     "the phone already has that type and status"),
    ({"Account": "R3005", "Phone": "410-555-0116", "Phone Status": "WRONG NUMBER"}, U,
     "the phone is Disconnected, a protected status: never changed"),
    ({"Account": "R3006", "Can Text": "1", "Can Email": "no"}, W, "two permissions"),
    ({"Account": "R3007", "Registered Portal": "1", "Date Of Notice": "03/15/2024"}, W, "permissions, one read back by getemailstats"),
    ({"Account": "R3008", "Attempt Phone": "205-555-0189", "Attempt Result": "SPOKE TO DEBTOR", "Agent": "JSMITH"}, W, "an attempt"),
    ({"Account": "R3009", "Callback Date": "12/01/2026", "Callback Time": "13:30", "Agent": "JSMITH"}, W, "a callback"),
    ({"Account": "R3010", "FN Debtor": DEBTORS[0], "FN Type": "SLOW_PAY", "FN Note": "pays 60 days late"}, W, "a Factors Network note only"),
    ({"Account": "R3011", "FN Debtor": DEBTORS[1], "FN Type": "WRITE_OFF", "FN Write Off": "1234.50", "FN Note": "charged off"}, W,
     "a write-off note"),
    ({"Account": "R3012", "FN Debtor": DEBTORS[2], "FN Type": "good_pay", "FN Date": "2025-09-21 7:10 PM"}, W,
     "a back-dated note, sent in 24-hour time"),
    ({"Account": "R3013", "Address": "77 RIVER RD", "City": "LAKEWOOD", "New Cell": "303-555-0191", "Phone": "303-555-0179",
      "Phone Status": "GOOD NUMBER", "Can Text": "0", "Attempt Phone": "303-555-0179", "Attempt Result": "LEFT MESSAGE",
      "Agent": "AGARCIA", "Callback Date": "2026-12-03", "Callback Time": "9:15 AM", "FN Debtor": DEBTORS[3],
      "FN Type": "ADDRESS_CHANGE", "Note": "MOVED, CONFIRMED BY PHONE"}, W, "every writer at once"),
    ({"Account": "R3014", "Payor Name": "JANE SMITH", "Payment Date": "12/15/2026"}, W,
     "pending payments updated (the test books one first)"),
    ({"Account": "R3015", "Payor Name": "ROBERT NUNEZ"}, W, "pending payments updated (the test books one first)"),
    ({"Account": "R3016", "Payor Name": "NOBODY PENDING"}, "API_ERROR", "no pending payment: the server's message"),
    ({"Account": "R3017", "Address": "6400 W SUNSET ST", "City": "birmingham"}, U, "the same address"),
    ({"Account": "R3018", "Note": "CALLED CLIENT"}, U, "a note with nothing to summarise writes nothing"),
    ({"Account": "R9998", "Address": "1 NOWHERE LN"}, "ACCOUNT_NOT_FOUND", "no such account"),
    ({"Account": "R3019", "FN Debtor": "0b0b0b0b-1111-4222-8333-444455556666", "FN Type": "SLOW_PAY"}, "HTTP_ERROR",
     "a debtor the Factors Network does not know"),
    ({"Account": "R3020", "Phone": "513-555-0199", "Phone Status": "GOOD NUMBER"}, "API_ERROR", "a phone the account does not have"),
    # Rejected before any call.
    ({"Account": "R3021", "Phone": "413-555-0169"}, "MISSING_FIELD", "updatephone needs a type or a status"),
    ({"Account": "R3022", "Can Text": "maybe"}, "INVALID_PERMISSION_VALUE", "cantext is 1 or 0"),
    ({"Account": "R3023", "SIF Amount": "12.345"}, "INVALID_PERMISSION_VALUE", "sifamount is a decimal with 2 places"),
    ({"Account": "R3024", "Date Of Notice": "02/30/2024"}, "INVALID_DATE", "no such day"),
    ({"Account": "R3025", "Attempt Result": "LEFT MESSAGE", "Agent": "JSMITH"}, "MISSING_FIELD", "an attempt without a phone"),
    ({"Account": "R3026", "Callback Date": "2026-12-02", "Callback Time": "25:00", "Agent": "JSMITH"}, "INVALID_FIELD", "no such time"),
    ({"Account": "R3027", "FN Debtor": DEBTORS[4], "FN Type": "LATE_PAY"}, "INVALID_NOTE_TYPE", "not one of the 32 types"),
    ({"Account": "R3028", "FN Debtor": DEBTORS[4], "FN Type": "WRITE_OFF"}, "MISSING_FIELD", "a write-off without an amount"),
    ({"Account": "R3029", "FN Debtor": "ae70caa0-d795", "FN Type": "SLOW_PAY"}, "INVALID_UUID", "a cut debtor UUID"),
    ({"Account": "R3030", "FN Debtor": DEBTORS[5], "FN Type": "SLOW_PAY", "FN Date": "2999-01-01 10:00:00"}, "INVALID_DATE",
     "createdDate only back-dates"),
    ({"Account": "R3031", "FN Debtor": DEBTORS[5], "FN Type": "SLOW_PAY", "FN Write Off": "50"}, "INVALID_FIELD",
     "writeOffAmount is for WRITE_OFF and NO_BUY only"),
    ({"Account": "R3032", "Attempt Phone": "813-555-01", "Attempt Result": "NO ANSWER", "Agent": "JSMITH"}, "INVALID_PHONE", "a cut phone"),
    ({"Account": "R3033", "Callback Time": "2:15 PM", "Agent": "JSMITH"}, "MISSING_FIELD", "a callback time without a date"),
    ({"Account": "R3034", "Payor Name": "X", "Payment Date": "2026-13-01"}, "INVALID_DATE", "no 13th month"),
]
# Plain work, to make a file of some size.
ROWS += [({"Account": f"R30{35 + i}", "Address": f"{100 + i} MAPLE AVE"}, W, "address changes") for i in range(5)]
ROWS += [({"Account": f"R30{40 + i}", "Can Email": "1", "SIF Amount": "500.00"}, W, "permissions") for i in range(4)]
ROWS += [
    ({"Account": "R3044", "Attempt Phone": "513-555-0154", "Attempt Result": "NO ANSWER", "Agent": "AGARCIA"}, W, "an attempt"),
    ({"Account": "R3045", "Attempt Phone": "972-555-0161", "Attempt Result": "SPOKE TO DEBTOR", "Agent": "AGARCIA"}, W, "an attempt"),
    ({"Account": "R3046", "Callback Date": "2026-12-10", "Callback Time": "4:00 PM", "Agent": "AGARCIA"}, W, "a callback"),
    ({"Account": "R3047", "Phone": "314-555-0199", "Phone Type": "CELL"}, W, "a phone's type"),
    ({"Account": "R3048", "FN Debtor": DEBTORS[4], "FN Type": "NO_BUY", "FN Write Off": "800", "FN Note": "no buy"}, W, "a NO_BUY note"),
    ({"Account": "R3049", "FN Debtor": DEBTORS[5], "FN Type": "PHONE_DISCONNECTED"}, W, "a Factors Network note"),
    ({"Account": "R3050", "New Cell": "312-555-0177"}, U, "the account has that number already"),
    ({"Account": "R3051", "Address": "5 ELM CT", "Note": "NEW ADDRESS FROM CLIENT"}, W, "address, with the row's note in the summary"),
    ({"Account": "R3052", "Phone": "773-555-0183", "Phone Status": "DO NOT CALL"}, W, "a phone's status"),
    ({"Account": "R3053", "Attempt Phone": "904-555-0171", "Attempt Result": "WRONG NUMBER", "Agent": "JSMITH",
      "Phone": "904-555-0171", "Phone Status": "WRONG NUMBER"}, W, "an attempt and the status it found"),
]


def main():
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for values, _, _ in ROWS:
        unknown = set(values) - set(COLUMNS)
        assert not unknown, unknown
        writer.writerow([values.get(column, "") for column in COLUMNS])
    with open(os.path.join(ROOT, "SampleData", "account-maintenance.csv"), "w", encoding="utf-8", newline="") as f:
        f.write(out.getvalue())

    rejected = {}
    for _, outcome, _ in ROWS:
        if outcome not in (W, U):
            rejected[outcome] = rejected.get(outcome, 0) + 1
    expected = {
        "rows": len(ROWS),
        "written": sum(1 for _, o, _ in ROWS if o == W),
        "unchanged": sum(1 for _, o, _ in ROWS if o == U),
        "rejected": dict(sorted(rejected.items())),
        "outcomes": [{"row": i + 1, "account": v["Account"], "outcome": o, "why": why} for i, (v, o, why) in enumerate(ROWS)],
        "pending_payments_booked_by_the_test": ["R3014", "R3015"],
    }
    with open(os.path.join(ROOT, "SampleData", "account-maintenance.expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
