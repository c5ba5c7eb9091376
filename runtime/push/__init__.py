"""`rest_push`: a receiver that queues pushed events durably, and the drain that turns them into a run.

    serve.py    `runtime serve PLAN...`: uvicorn in front of the Starlette app, graceful on SIGTERM
    app.py      the HTTP endpoints (events, health, readiness, metrics, OpenAPI)
    auth.py     bearer tokens, compared in constant time
    body.py     request bodies (JSON object or array, NDJSON) and the limits on them
    door.py     each event checked at the door through the connector's mapping
    queue.py    the durable queue: one SQLite database per connector (WAL, synchronous=FULL)
    writer.py   group commit: one thread per queue commits every waiting request in one fsynced transaction
    drain.py    the `Pull` that `runtime exec` runs on a push plan
    metrics.py  Prometheus metrics
    openapi.py  the OpenAPI document of the endpoint

The serve process never opens the connector's DuckDB state file: only `runtime exec` does, and it records how
far it drained the queue there, in the same transaction as the run.
"""
