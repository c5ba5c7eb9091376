"""The runtime: executes compiled plans (`runtime exec plan.json`).

Pipeline of one run (`runtime.run`): load the plan (`planfile`) -> resolve secrets -> extract Arrow batches
(`extract`) -> map them to documents in DuckDB (`map`) while staging them (`stage`) -> diff against the
connector's state (`reconcile`) -> write the run's artifacts (`deliver`) -> commit state (`state`) -> report.
"""
