"""Output pass: where run artifacts go.

`base_uri` is `bucket` (without a trailing slash) joined with `prefix`, which defaults to the connector name;
the runtime writes `{base_uri}/runs/{run_id}/...` under it.
"""

from __future__ import annotations

from compiler.lower.draft import Draft
from compiler.plan import Output


def lower_output(draft: Draft) -> Draft:
    output = draft.spec["output"]
    bucket = str(output["bucket"])
    prefix = str(output.get("prefix") or draft.name)
    return draft.replace(
        output=Output(
            bucket=bucket,
            prefix=prefix,
            format=output.get("format", "ndjson"),
            base_uri=f"{bucket.rstrip('/')}/{prefix}",
            publish_latest_alias=bool(output.get("publishLatestAlias", False)),
        )
    )
