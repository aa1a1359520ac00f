#!/usr/bin/env python3
"""Reference for the read benchmark: DuckDB reading every column of the placement CSV on one
thread (`SELECT *` into a table, so nothing is skipped). `pip install duckdb` first."""
import sys, time
import duckdb

path = sys.argv[1]
con = duckdb.connect()
con.execute("SET threads = 1")
start = time.time()
con.execute(f"CREATE TABLE placement AS SELECT * FROM read_csv('{path}', header = true, all_varchar = true)")
rows = con.execute("SELECT count(*) FROM placement").fetchone()[0]
seconds = time.time() - start
print(f"rows          {rows}")
print(f"seconds       {seconds:.3f}")
print(f"rows/s        {rows / seconds:.0f}")
