#!/usr/bin/env python3
"""Generates SampleData/payments.csv and SampleData/payment-plans.csv (fixed seed, standard
library only). Run from the repository root: python3 Scripts/make_payment_samples.py

Accounts are the sandbox seed's (SampleData/sandbox-accounts.json). Card numbers are random
Luhn-valid test numbers (not real cards); routing numbers pass the ABA checksum.
"""
import csv
import datetime as dt
import json
import random

rng = random.Random(20261123)
accounts = json.load(open("SampleData/sandbox-accounts.json"))["accounts"]
names = {a["filenumber"]: f'{a["fields"]["firstname"]} {a["fields"]["lastname"]}' for a in accounts}
filenumbers = sorted(names)


def luhn_complete(prefix, length=16):
    digits = [int(c) for c in prefix] + [rng.randrange(10) for _ in range(length - len(prefix) - 1)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def routing_number():
    while True:
        d = [rng.randrange(10) for _ in range(8)]
        for check in range(10):
            n = d + [check]
            if (3 * (n[0] + n[3] + n[6]) + 7 * (n[1] + n[4] + n[7]) + (n[2] + n[5] + n[8])) % 10 == 0:
                return "".join(map(str, n))


def date_text(day):
    style = rng.randrange(3)
    if style == 2 and day.year > 2026:
        style = 1  # MM/DD/YY of a year after this one reads as 19YY (the documented pivot)
    if style == 0:
        return f"{day.month}/{day.day}/{day.year}"
    if style == 1:
        return day.isoformat()
    return f"{day.month:02d}/{day.day:02d}/{day.year % 100:02d}"


def money_text(cents):
    value = f"{cents // 100}.{cents % 100:02d}"
    return rng.choice([value, "$" + value, f"${cents // 100:,}.{cents % 100:02d}"])


CARD_TYPES = [("VISA", "4"), ("MASTERCARD", "51"), ("DISCOVER", "6011")]

# --- payments.csv: one payment per row -------------------------------------------------------
header = ["Account Number", "Payment Date", "Amount", "Payor", "Method", "Card Type", "Card Number", "CVV",
          "Exp", "Bank Account", "Routing", "Account Type", "Reference", "Fees Accepted"]
rows = []
for n in range(1, 141):
    fn = rng.choice(filenumbers[:120])
    day = dt.date(2026, 11, 1) + dt.timedelta(days=rng.randrange(20))
    cents = rng.choice([2500, 5000, 7500, 10000, 12550, 15000, 20000]) + rng.randrange(100)
    method = rng.choice(["CREDIT CARD", "CREDIT CARD", "ACH", "ACH", "CHECK"])
    row = {h: "" for h in header}
    row.update({"Account Number": fn, "Payment Date": date_text(day), "Amount": money_text(cents),
                "Payor": names[fn], "Method": method, "Reference": f"INV-{202611000 + n}",
                "Fees Accepted": rng.choice(["0", "1", "0"])})
    if method == "CREDIT CARD":
        card_type, prefix = rng.choice(CARD_TYPES)
        exp_year = rng.randrange(2027, 2031)
        row.update({"Card Type": card_type, "Card Number": luhn_complete(prefix),
                    "CVV": f"{rng.randrange(100, 1000)}",
                    "Exp": rng.choice([f"{rng.randrange(1, 13):02d}/{exp_year}", f"{rng.randrange(1, 13)}/{exp_year % 100}"])})
    elif method == "ACH":
        row.update({"Bank Account": str(rng.randrange(10**8, 10**10)), "Routing": routing_number(),
                    "Account Type": rng.choice(["Checking", "Savings"])})
    rows.append(row)

# Rows that must be rejected, one per reason.
bad = [
    ("Card Number", lambda r: r["Card Number"][:-1] + str((int(r["Card Number"][-1]) + 1) % 10), "CREDIT CARD", "INVALID_CARD"),
    ("Exp", lambda r: "10/2025", "CREDIT CARD", "CARD_EXPIRED"),            # expired before the payment
    ("CVV", lambda r: "12", "CREDIT CARD", "INVALID_CVV"),                  # Excel ate the leading zero of 012
    ("Routing", lambda r: r["Routing"][:-1] + str((int(r["Routing"][-1]) + 1) % 10), "ACH", "INVALID_BANK_ACCOUNT"),
    ("Amount", lambda r: "0.00", None, "INVALID_AMOUNT"),                   # nothing to book
    ("Amount", lambda r: "", None, "MISSING_FIELD"),
    ("Payment Date", lambda r: "13/45/2026", None, "INVALID_DATE"),
    ("Account Number", lambda r: "R9999", None, "ACCOUNT_NOT_FOUND"),
]
for column, change, method, reason in bad:
    candidates = [r for r in rows if (method is None or r["Method"] == method) and not r.get("_bad")]
    target = rng.choice(candidates)
    target[column] = change(target)
    target["_bad"] = reason
# A client re-sends a payment inside the same file: same account, same reference.
original = rng.choice([r for r in rows if not r.get("_bad")])
copy = dict(original)
copy["_bad"] = "DUPLICATE_PAYMENT"
rows.insert(rows.index(original) + 7, copy)

with open("SampleData/payments.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        w.writerow([r[h] for h in header])


def cents_of(text):
    whole, _, fraction = text.replace("$", "").replace(",", "").partition(".")
    return int(whole) * 100 + int((fraction + "00")[:2])


def iso_of(text):
    if "-" in text:
        return text
    m, d, y = text.split("/")
    y = int(y)
    return f"{y + 2000 if y < 100 else y:04d}-{int(m):02d}-{int(d):02d}"


expected = {
    "payments": {
        "rows": len(rows),
        "rejected_rows": [{"row": i + 1, "reason": r["_bad"]} for i, r in enumerate(rows) if r.get("_bad")],
        "booked": [{"row": i + 1, "filenumber": r["Account Number"], "date": iso_of(r["Payment Date"]), "cents": cents_of(r["Amount"])}
                   for i, r in enumerate(rows) if not r.get("_bad")],
    }
}

# --- payment-plans.csv: one installment per row, the rows of an account together -----------
plan_header = ["Account Number", "Installment Date", "Installment Amount", "Payor", "Method", "Card Type",
               "Card Number", "CVV", "Exp", "Plan Ref"]
plan_rows = []
for i, fn in enumerate(filenumbers[120:150]):
    start = dt.date(2026, 12, 1) + dt.timedelta(days=rng.randrange(28))
    count = rng.randrange(2, 5)
    cents = rng.choice([5000, 7500, 10000])
    card_type, prefix = rng.choice(CARD_TYPES)
    card = luhn_complete(prefix)
    cvv = f"{rng.randrange(100, 1000)}"
    exp = f"{rng.randrange(1, 13):02d}/{rng.randrange(2028, 2031)}"
    for k in range(count):
        month = start.month - 1 + k
        day = dt.date(start.year + month // 12, month % 12 + 1, min(start.day, 28))
        plan_rows.append({"Account Number": fn, "Installment Date": date_text(day), "Installment Amount": money_text(cents),
                          "Payor": names[fn], "Method": "CREDIT CARD", "Card Type": card_type, "Card Number": card,
                          "CVV": cvv, "Exp": exp, "Plan Ref": f"PLAN-{fn}-2612"})
# One plan with an impossible installment date (the whole plan is held back), one whose rows
# disagree on the card, one for an unknown account.
plan_rows[4]["Installment Date"] = "2/30/2027"
plan_rows[4]["_bad"] = "INVALID_DATE"
for r in plan_rows:
    if r["Account Number"] == plan_rows[4]["Account Number"] and not r.get("_bad"):
        r["_bad"] = "PLAN_INCOMPLETE"
disagree = [r for r in plan_rows if r["Account Number"] == filenumbers[130]]
disagree[-1]["Card Number"] = luhn_complete("4")
for r in disagree:
    r["_bad"] = "PLAN_ROWS_DISAGREE"
for k in range(2):
    plan_rows.append({**plan_rows[-1], "Account Number": "R9998", "Installment Date": f"2027-0{k + 1}-15",
                      "Payor": "NOBODY KNOWN", "Plan Ref": "PLAN-R9998-2612", "_bad": "ACCOUNT_NOT_FOUND"})

with open("SampleData/payment-plans.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\r\n")
    w.writerow(plan_header)
    for r in plan_rows:
        w.writerow([r[h] for h in plan_header])
plans = {}
for i, r in enumerate(plan_rows):
    if not r.get("_bad"):
        plans.setdefault(r["Account Number"], []).append({"date": iso_of(r["Installment Date"]), "cents": cents_of(r["Installment Amount"])})
expected["plans"] = {
    "rows": len(plan_rows),
    "rejected_rows": [{"row": i + 1, "reason": r["_bad"]} for i, r in enumerate(plan_rows) if r.get("_bad")],
    "booked": [{"filenumber": fn, "installments": items} for fn, items in sorted(plans.items())],
}
with open("SampleData/payments.expected.json", "w") as f:
    json.dump(expected, f, indent=1)
    f.write("\n")
print(f"payments.csv: {len(rows)} rows; payment-plans.csv: {len(plan_rows)} rows")
