#!/usr/bin/env python3
"""Keep a LanceDB table in sync with a notion-ingest output directory.

    python examples/lancedb_sync.py OUT DB [--embedder hash|minilm] [--check]

The first call loads the published snapshot (OUT/chunks) into the table
`notion_chunks` of the LanceDB database DB. Every later call applies the
change sets written since (OUT/changes/run=<id>/): the run's upserts, by
`chunk_id`, then its deletes. Only chunks whose `content_hash` changed are
embedded again. The last applied run is kept in DB/notion_ingest_sync.json.

Embedders: `minilm` (sentence-transformers all-MiniLM-L6-v2, needs the
package and its model) or `hash` (a deterministic bag-of-words hashing
vector, no download: for trying the pipeline, not for search quality).
`--check` verifies that the table now holds exactly the snapshot's chunks.

Requires: pip install lancedb pyarrow pandas
"""

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

import lancedb
import pandas as pd
import pyarrow as pa

TABLE = "notion_chunks"
DIMS = 256


def hash_embedder(texts):
    """A 256-dimension hashing bag of words, L2-normalised."""
    vectors = []
    for text in texts:
        v = [0.0] * DIMS
        for word in re.findall(r"\w+", text.lower()):
            h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")
            v[h % DIMS] += 1.0 if h & 1 << 31 else -1.0
        norm = sum(x * x for x in v) ** 0.5 or 1.0
        vectors.append([x / norm for x in v])
    return vectors


def minilm_embedder():
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer("sentence-transformers/all-MiniLM-L6-v2")
    return lambda texts: model.encode(list(texts), normalize_embeddings=True).tolist()


def with_vectors(df, embed, known):
    """Adds a `vector` column, reusing `known[chunk_id]` when the hash is the same."""
    vectors, todo = [None] * len(df), []
    for i, (cid, h) in enumerate(zip(df["chunk_id"], df["content_hash"])):
        old = known.get(cid)
        if old is not None and old[0] == h:
            vectors[i] = old[1]
        else:
            todo.append(i)
    if todo:
        for i, v in zip(todo, embed(df["embed_text"].iloc[todo])):
            vectors[i] = v
    out = df.copy()
    out["vector"] = vectors
    # LanceDB stores lists of strings fine; keep timestamps as they are.
    return out, len(todo)


def existing(table, ids):
    if table is None or not ids:
        return {}
    quoted = ",".join("'" + i.replace("'", "''") + "'" for i in ids)
    rows = table.search().where(f"chunk_id IN ({quoted})").select(["chunk_id", "content_hash", "vector"]).limit(len(ids)).to_pandas()
    return {r.chunk_id: (r.content_hash, list(r.vector)) for r in rows.itertuples()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("db", type=Path)
    parser.add_argument("--embedder", choices=["hash", "minilm"], default="minilm")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    embed = hash_embedder if args.embedder == "hash" else minilm_embedder()

    args.db.mkdir(parents=True, exist_ok=True)
    state_file = args.db / "notion_ingest_sync.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    db = lancedb.connect(str(args.db))
    try:
        table = db.open_table(TABLE)
    except (FileNotFoundError, ValueError):
        table = None
    manifest = json.loads((args.out / "manifest.json").read_text())

    if table is None or "applied_run" not in state:
        snapshot = pd.read_parquet(args.out / "chunks")
        rows, embedded = with_vectors(snapshot, embed, {})
        table = db.create_table(TABLE, data=rows, mode="overwrite")
        state["applied_run"] = manifest["run_id"]
        print(f"loaded the snapshot of run {manifest['run_id']}: {len(rows)} chunks ({embedded} embedded)")
    else:
        runs = sorted(p for p in (args.out / "changes").glob("run=*") if p.name[4:] > state["applied_run"])
        for run_dir in runs:
            upserts = pd.concat([pd.read_parquet(p) for p in sorted(run_dir.glob("upserts-*.parquet"))] or [pd.DataFrame()])
            deletes = pd.read_parquet(run_dir / "deletes.parquet") if (run_dir / "deletes.parquet").exists() else pd.DataFrame({"chunk_id": []})
            embedded = 0
            if len(upserts):
                rows, embedded = with_vectors(upserts, embed, existing(table, list(upserts["chunk_id"])))
                table.merge_insert("chunk_id").when_matched_update_all().when_not_matched_insert_all().execute(rows)
            ids = list(deletes["chunk_id"])
            for start in range(0, len(ids), 500):
                quoted = ",".join("'" + i + "'" for i in ids[start:start + 500])
                table.delete(f"chunk_id IN ({quoted})")
            state["applied_run"] = run_dir.name[4:]
            print(f"applied {run_dir.name}: {len(upserts)} upserts ({embedded} embedded), {len(ids)} deletes")
    state_file.write_text(json.dumps(state))

    if args.check:
        want = set(pd.read_parquet(args.out / "chunks", columns=["chunk_id"])["chunk_id"])
        have = set(table.to_pandas()["chunk_id"])
        if want != have:
            print(f"check FAILED: table has {len(have)} chunks, snapshot {len(want)}; "
                  f"{len(want - have)} missing, {len(have - want)} extra", file=sys.stderr)
            sys.exit(1)
        print(f"check ok: the table holds exactly the snapshot's {len(want)} chunks")


if __name__ == "__main__":
    main()
