#!/usr/bin/env python3
"""Reads a notion-ingest output directory with the readers our users use, and
checks it against its manifest and the documented schema.

    python .ci/read_output.py OUT

Each table is read in one call per reader, the way a notebook would:
pandas `pd.read_parquet("OUT/chunks")`, polars `pl.read_parquet("OUT/chunks/*.parquet")`,
DuckDB `SELECT ... FROM 'OUT/chunks/*.parquet'`, pyarrow for file metadata.
Row counts must match `manifest.json`, column names, types and nullability
must match the tables in `crates/sink/SCHEMA.md`, ids and hashes must be
reproducible from Python, and no reader may see a second run's rows.

Prints one line per check and `read_output: N passed, M failed`; exits 1 if
any check failed.
"""

import hashlib
import json
import re
import sys
import traceback
import uuid
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

SCHEMA_MD = Path(__file__).resolve().parent.parent / "crates" / "sink" / "SCHEMA.md"
TABLES = ("chunks", "pages")

# Documented type -> what each reader must report.
PYARROW_TYPES = {
    "string": lambda t: pa.types.is_string(t) or pa.types.is_large_string(t),
    "int32": pa.types.is_int32,
    "list<string>": lambda t: pa.types.is_list(t) and pa.types.is_string(t.value_type),
    "timestamp[us, UTC]": lambda t: t == pa.timestamp("us", tz="UTC"),
}
POLARS_TYPES = {
    "string": lambda t: t == pl.String,
    "int32": lambda t: t == pl.Int32,
    "list<string>": lambda t: t == pl.List(pl.String),
    "timestamp[us, UTC]": lambda t: t == pl.Datetime("us", "UTC"),
}
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "int32": "INTEGER",
    "list<string>": "VARCHAR[]",
    "timestamp[us, UTC]": "TIMESTAMP WITH TIME ZONE",
}


def pandas_type_ok(doc_type, dtype, nullable):
    if doc_type == "string":
        return pd.api.types.is_string_dtype(dtype) or dtype == object
    if doc_type == "int32":
        # A nullable int column with nulls would come back as float; ours are not nullable.
        return str(dtype) == "int32" and not nullable
    if doc_type == "list<string>":
        return dtype == object
    if doc_type == "timestamp[us, UTC]":
        return isinstance(dtype, pd.DatetimeTZDtype) and str(dtype.tz) == "UTC" and dtype.unit == "us"
    return False


def documented_columns():
    """{table: [(name, type, nullable)]} parsed from SCHEMA.md's tables."""
    text = SCHEMA_MD.read_text()
    columns = {}
    for table in TABLES:
        section = text.split(f"### Table `{table}`", 1)[1].split("\n### ", 1)[0]
        rows = re.findall(r"^\| `([a-z_]+)` \| ([^|]+?) \| (yes|no) \|", section, re.MULTILINE)
        columns[table] = [(name, kind.replace("\\", ""), nullable == "yes") for name, kind, nullable in rows]
    return columns


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def run(self, name, check):
        try:
            detail = check()
        except Exception:  # a failing check must not stop the others
            self.failed += 1
            print(f"FAIL {name}")
            traceback.print_exc(file=sys.stdout)
            return
        self.passed += 1
        print(f"ok   {name}" + (f": {detail}" if detail else ""))


def one_row(sql):
    """The single row of a DuckDB query."""
    (row,) = duckdb.sql(sql).fetchall()
    return row


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: read_output.py OUT")
    out = Path(sys.argv[1])
    manifest = json.loads((out / "manifest.json").read_text())
    schema = documented_columns()
    run_id = manifest["run_id"]
    checks = Checks()

    checks.run(
        "manifest.json equals the current snapshot's",
        lambda: expect(json.loads((out / "current" / "manifest.json").read_text()) == manifest, "they differ"),
    )

    for table in TABLES:
        columns = schema[table]
        names = [name for name, _, _ in columns]
        rows = manifest[table]["rows"]
        glob = f"{out}/{table}/*.parquet"

        def pandas_check(table=table, columns=columns, names=names, rows=rows):
            frame = pd.read_parquet(out / table)
            expect(len(frame) == rows, f"{len(frame)} rows, manifest says {rows}")
            expect(list(frame.columns) == names, f"columns {list(frame.columns)}")
            for name, kind, nullable in columns:
                expect(pandas_type_ok(kind, frame[name].dtype, nullable), f"{name}: {frame[name].dtype} for {kind}")
            expect(set(frame["run_id"]) <= {run_id}, f"rows of other runs: {set(frame['run_id'])}")
            return f"{len(frame)} rows"

        def polars_check(table=table, columns=columns, names=names, rows=rows, glob=glob):
            frame = pl.read_parquet(glob)
            expect(frame.height == rows, f"{frame.height} rows, manifest says {rows}")
            expect(frame.columns == names, f"columns {frame.columns}")
            for name, kind, nullable in columns:
                expect(POLARS_TYPES[kind](frame.schema[name]), f"{name}: {frame.schema[name]} for {kind}")
                if not nullable:
                    expect(frame[name].null_count() == 0, f"{name} has nulls")
            return f"{frame.height} rows"

        def duckdb_check(table=table, columns=columns, names=names, rows=rows, glob=glob):
            described = duckdb.sql(f"DESCRIBE SELECT * FROM '{glob}'").fetchall()
            types = {row[0]: row[1] for row in described}
            expect([row[0] for row in described] == names, f"columns {list(types)}")
            for name, kind, _ in columns:
                expect(types[name] == DUCKDB_TYPES[kind], f"{name}: {types[name]} for {kind}")
            count, runs = one_row(f"SELECT count(*), list(DISTINCT run_id) FROM '{glob}'")
            expect(count == rows, f"{count} rows, manifest says {rows}")
            expect(runs in ([run_id], []), f"runs {runs}, manifest says {run_id}")
            return f"{count} rows"

        def pyarrow_check(table=table, columns=columns, names=names):
            shards = manifest[table]["shards"]
            listed = sorted(str((out / shard["path"]).resolve()) for shard in shards)
            visible = sorted(str(p.resolve()) for p in (out / table).glob("*.parquet"))
            expect(listed == visible, f"manifest lists {listed}, directory holds {visible}")
            for shard in shards:
                path = out / shard["path"]
                meta = pq.read_metadata(path)
                expect(meta.num_rows == shard["rows"], f"{path}: {meta.num_rows} rows, manifest says {shard['rows']}")
                expect(path.stat().st_size == shard["bytes"], f"{path}: size differs from manifest")
                kv = {k.decode(): v.decode() for k, v in (meta.metadata or {}).items()}
                expect(kv.get("notion_ingest.schema_version") == str(manifest["schema_version"]), f"{path}: {kv}")
                expect(kv.get("notion_ingest.record_type") == table, f"{path}: record type {kv}")
                expect(kv.get("notion_ingest.run_id") == run_id, f"{path}: run id {kv}")
                for key, value in manifest["metadata"].items():
                    expect(kv.get(key) == value, f"{path}: metadata {key}")
                for i in range(meta.num_row_groups):
                    for c in range(meta.num_columns):
                        compression = meta.row_group(i).column(c).compression
                        expect(compression == "ZSTD", f"{path}: column {c} is {compression}")
                arrow_schema = pq.read_schema(path)
                for name, kind, nullable in columns:
                    field = arrow_schema.field(name)
                    expect(PYARROW_TYPES[kind](field.type), f"{name}: {field.type} for {kind}")
                    expect(field.nullable == nullable, f"{name}: nullable is {field.nullable}")
            return f"{len(shards)} shards"

        checks.run(f"pandas  pd.read_parquet('{out}/{table}')", pandas_check)
        checks.run(f"polars  pl.read_parquet('{glob}')", polars_check)
        checks.run(f"duckdb  SELECT ... FROM '{glob}'", duckdb_check)
        checks.run(f"pyarrow file metadata of {table}", pyarrow_check)

    def ids_and_hashes():
        chunks = pl.read_parquet(f"{out}/chunks/*.parquet")
        namespace = uuid.UUID("8ae22bbe-4152-5e9b-88ba-e00d24038f73")
        expect(namespace.hex in SCHEMA_MD.read_text().replace("-", ""), "namespace differs from SCHEMA.md")
        for row in chunks.iter_rows(named=True):
            page = str(uuid.UUID(row["page_id"]))
            chunk_id = str(uuid.uuid5(namespace, f"{page}#{row['chunk_index']}"))
            expect(row["chunk_id"] == chunk_id, f"chunk_id of {page}#{row['chunk_index']}")
            digest = hashlib.sha256(row["embed_text"].encode()).hexdigest()
            expect(row["content_hash"] == digest, f"content_hash of {row['chunk_id']}")
        return f"{chunks.height} chunk ids and hashes reproduced"

    def tables_agree():
        chunks, pages = f"'{out}/chunks/*.parquet'", f"'{out}/pages/*.parquet'"
        orphans = one_row(f"SELECT count(*) FROM {chunks} c ANTI JOIN {pages} p USING (page_id)")[0]
        expect(orphans == 0, f"{orphans} chunks of no page")
        counted = one_row(f"SELECT coalesce(sum(chunk_count), 0) FROM {pages}")[0]
        expect(counted == manifest["chunks"]["rows"], f"pages count {counted} chunks")
        statuses = dict(duckdb.sql(f"SELECT status, count(*) FROM {pages} GROUP BY status").fetchall())
        expect(set(statuses) <= {"ok", "failed", "skipped"}, f"statuses {statuses}")
        return f"statuses {statuses}"

    checks.run("chunk ids and content hashes reproduce in Python", ids_and_hashes)
    checks.run("chunks and pages agree", tables_agree)

    print(f"read_output: {checks.passed} passed, {checks.failed} failed")
    sys.exit(1 if checks.failed else 0)


if __name__ == "__main__":
    main()
