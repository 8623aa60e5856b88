#!/usr/bin/env python3
"""Reads a many-workspace output directory as one table, the way the README
tells users to: the workspace comes from the Hive partition directory
`OUT/workspace=<name>/`, read by DuckDB (`hive_partitioning=true`), polars
(`hive_partitioning=True`) and pyarrow (`partitioning="hive"`).

    python .ci/read_workspaces.py OUT

For every table (chunks, pages), each reader must give, per workspace, the
row count of that partition's manifest.json, and a `workspace` column that
names every partition and nothing else. Prints the counts as JSON
(`{"chunks": {"acme": 12, ...}, "pages": {...}}`) on the last line; exits 1
on any mismatch.
"""

import glob
import json
import os
import sys

import duckdb
import polars as pl
import pyarrow.dataset as ds


def main() -> int:
    out = sys.argv[1].rstrip("/")
    partitions = sorted(glob.glob(f"{out}/workspace=*/manifest.json"))
    if not partitions:
        print(f"read_workspaces: no workspace=*/manifest.json under {out}")
        return 1
    expected = {"chunks": {}, "pages": {}}
    for manifest_path in partitions:
        name = os.path.basename(os.path.dirname(manifest_path)).split("=", 1)[1]
        with open(manifest_path) as f:
            manifest = json.load(f)
        for table in expected:
            expected[table][name] = manifest[table]["rows"]

    failures = 0
    for table, want in expected.items():
        pattern = f"{out}/*/{table}/*.parquet"
        duck = dict(
            duckdb.sql(
                f"SELECT workspace, count(*) FROM read_parquet('{pattern}', hive_partitioning=true) "
                "GROUP BY workspace"
            ).fetchall()
        )
        polars = dict(
            pl.scan_parquet(pattern, hive_partitioning=True)
            .group_by("workspace")
            .len()
            .collect()
            .iter_rows()
        )
        files = sorted(glob.glob(pattern))
        arrow = ds.dataset(files, format="parquet", partitioning="hive", partition_base_dir=out)
        table_arrow = arrow.to_table(columns=["workspace"])
        counts = {}
        for value in table_arrow.column("workspace").to_pylist():
            counts[value] = counts.get(value, 0) + 1
        for reader, got in (("duckdb", duck), ("polars", polars), ("pyarrow", counts)):
            got = {k: v for k, v in got.items() if v}
            want_nonzero = {k: v for k, v in want.items() if v}
            ok = got == want_nonzero
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {table} by workspace, {reader}: {got} (manifests {want_nonzero})")
    print(json.dumps(expected, sort_keys=True))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
