#!/usr/bin/env python3
"""Reads a notion-ingest snapshot from S3 the way the README tells users to:
follow `current.json` to the current snapshot's manifest, then read its shards
with pyarrow, polars and DuckDB, straight from S3.

    python .ci/read_s3.py s3://BUCKET/PREFIX http://127.0.0.1:PORT

Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_DEFAULT_REGION
from the environment; the second argument is the endpoint (a local moto or
MinIO; omit it for AWS). Row counts must match the manifest in every reader,
and no reader may see another snapshot's rows. Exits 1 on any failure.
"""

import json
import os
import sys
from urllib.parse import urlparse

import duckdb
import polars as pl
import pyarrow.dataset as pads
import pyarrow.fs as pafs
import pyarrow.parquet as pq


def main() -> int:
    url = sys.argv[1].rstrip("/")
    endpoint = sys.argv[2] if len(sys.argv) > 2 else None
    parsed = urlparse(url)
    bucket, prefix = parsed.netloc, parsed.path.strip("/")
    key = os.environ["AWS_ACCESS_KEY_ID"]
    secret = os.environ["AWS_SECRET_ACCESS_KEY"]
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")

    host = urlparse(endpoint) if endpoint else None
    s3 = pafs.S3FileSystem(
        access_key=key,
        secret_key=secret,
        region=region,
        endpoint_override=host.netloc if host else None,
        scheme=host.scheme if host else "https",
    )
    root = f"{bucket}/{prefix}" if prefix else bucket
    with s3.open_input_stream(f"{root}/current.json") as f:
        pointer = json.load(f)
    with s3.open_input_stream(f"{root}/{pointer['manifest']}") as f:
        manifest = json.load(f)
    assert manifest["run_id"] == pointer["run_id"], (manifest["run_id"], pointer)
    failures = 0
    for table in ("chunks", "pages"):
        shards = [f"{pointer['snapshot']}/{s['path']}" for s in manifest[table]["shards"]]
        expected = manifest[table]["rows"]
        urls = [f"s3://{root}/{shard}" for shard in shards]

        # pyarrow: the S3 filesystem, the shard list from the manifest.
        arrow = pq.read_table([f"{root}/{shard}" for shard in shards], filesystem=s3)
        # polars: object_store under the hood, the same URLs.
        options = {
            "aws_access_key_id": key,
            "aws_secret_access_key": secret,
            "aws_region": region,
        }
        if endpoint:
            options["aws_endpoint_url"] = endpoint
            options["aws_allow_http"] = "true"
        frame = pl.read_parquet(urls, storage_options=options)
        # DuckDB: httpfs with an S3 secret; where its extension cannot be
        # downloaded (a machine with no internet but the package registries),
        # DuckDB scans the same shards through pyarrow's S3 filesystem.
        con = duckdb.connect()
        try:
            con.execute("INSTALL httpfs; LOAD httpfs;")
        except duckdb.Error as error:
            print(f"note: DuckDB's httpfs extension is not available here ({str(error).splitlines()[0]});"
                  " DuckDB reads the S3 shards through pyarrow's S3 filesystem instead")
            shard_dataset = pads.dataset([f"{root}/{shard}" for shard in shards], filesystem=s3, format="parquet")
            (duck_rows, runs) = con.execute(
                "SELECT count(*), count(DISTINCT run_id) FROM shard_dataset"
            ).fetchone()
        else:
            secret_sql = f"CREATE SECRET s3 (TYPE s3, KEY_ID '{key}', SECRET '{secret}', REGION '{region}'"
            if endpoint:
                secret_sql += f", ENDPOINT '{host.netloc}', URL_STYLE 'path', USE_SSL {str(host.scheme == 'https').lower()}"
            con.execute(secret_sql + ")")
            (duck_rows, runs) = con.execute(
                "SELECT count(*), count(DISTINCT run_id) FROM read_parquet(?)", [urls]
            ).fetchone()

        counts = {"pyarrow": arrow.num_rows, "polars": frame.height, "duckdb": duck_rows}
        ok = all(n == expected for n in counts.values()) and runs <= 1
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {table}: manifest {expected} rows, read {counts}, runs {runs}")
        if table == "chunks" and expected:
            assert set(frame["run_id"].unique()) == {pointer["run_id"]}
    print(f"read_s3: {url} run {pointer['run_id']}: {'ok' if not failures else f'{failures} failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
