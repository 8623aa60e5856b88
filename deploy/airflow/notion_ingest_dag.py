"""Nightly ingest of many Notion workspaces into S3: one mapped task per
shard (dynamic task mapping), each running `notion-ingest run --shard I/N`.

Exit code 5 (some workspaces failed, the others published) fails the task
so it shows and retries; the published workspaces are not redone (their
state stores are next to the output).
"""

from datetime import datetime, timedelta

from airflow.decorators import dag, task
from airflow.operators.bash import BashOperator

SHARDS = 4
OUT = "s3://my-bucket/notion"


@dag(
    schedule="0 2 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,  # never two runs of the same shard at once
    default_args={"retries": 2, "retry_delay": timedelta(minutes=10)},
)
def notion_ingest():
    @task
    def shards() -> list[str]:
        return [f"{i}/{SHARDS}" for i in range(SHARDS)]

    BashOperator.partial(
        task_id="ingest",
        bash_command=(
            "notion-ingest run --config /opt/notion-ingest/config.toml "
            f"--out {OUT} --no-progress --shard $SHARD"
        ),
        # Tokens: the variables named by token_env in config.toml, from a
        # connection or secrets backend; AWS credentials as for any S3 task.
        append_env=True,
    ).expand(env=shards().map(lambda s: {"SHARD": s}))


notion_ingest()
