"""The connector test harness (`runtime test`): prove each connector offline from case files.

`case` reads `tests/connectors/<connector>/*.yaml`; `given` feeds each mode's source from a run's `given`;
`runner` compiles the connectors and runs every case through the real engine; `compare` diffs the published
documents against `expect`; `report`/`junit` print results; `update` writes actual results back; `scaffold`
writes a starter case.
"""
