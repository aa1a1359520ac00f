"""Compares the report folders two builds left (see compare-runs.sh): for each pipeline's run,
summary.json, rejects.csv.gz and audit.jsonl.gz with times, run ids, paths and latencies
taken out. Prints each difference; exits 1 when there is one."""
import gzip
import json
import os
import re
import sys

RUN_ID = re.compile(r"(rollback-)?\d{8}T\d{6}Z-[0-9a-f]{8}")
VOLATILE = {"time", "latency_ms", "started", "elapsed_seconds", "run_id", "report_folder", "input_path"}


def scrub(value):
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        value = RUN_ID.sub("RUN", value)
        value = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", value)
        return re.sub(r"/tmp/[^ \"]*?/(old|new)/", "ROOT/", value)
    return value


def runs(folder):
    """pipeline folder name -> the one run folder in it."""
    found = {}
    for pipeline in sorted(os.listdir(folder)):
        path = os.path.join(folder, pipeline)
        if not os.path.isdir(path):
            continue
        for run in sorted(os.listdir(path)):
            if RUN_ID.fullmatch(run):
                found[pipeline] = os.path.join(path, run)
    return found


def read(run):
    with open(os.path.join(run, "summary.json")) as f:
        summary = scrub(json.load(f))
    with gzip.open(os.path.join(run, "rejects.csv.gz"), "rt") as f:
        rejects = [RUN_ID.sub("RUN", line) for line in f]
    with gzip.open(os.path.join(run, "audit.jsonl.gz"), "rt") as f:
        audit = sorted(json.dumps(scrub(json.loads(line)), sort_keys=True) for line in f)
    return {"summary.json": json.dumps(summary, sort_keys=True, indent=1).splitlines(), "rejects.csv.gz": rejects, "audit.jsonl.gz": audit}


def main(old_folder, new_folder):
    old, new = runs(old_folder), runs(new_folder)
    differences = 0
    if sorted(old) != sorted(new):
        print(f"pipelines differ: {sorted(old)} vs {sorted(new)}")
        differences += 1
    for pipeline in sorted(set(old) & set(new)):
        a, b = read(old[pipeline]), read(new[pipeline])
        for name in a:
            if a[name] != b[name]:
                differences += 1
                only_old = [x for x in a[name] if x not in b[name]][:5]
                only_new = [x for x in b[name] if x not in a[name]][:5]
                print(f"{pipeline}/{name}: {len(a[name])} vs {len(b[name])} lines")
                for line in only_old:
                    print(f"  - {line.rstrip()[:300]}")
                for line in only_new:
                    print(f"  + {line.rstrip()[:300]}")
            else:
                print(f"{pipeline}/{name}: identical ({len(a[name])} lines)")
    print("IDENTICAL" if differences == 0 else f"{differences} difference(s)")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
