"""The lowering pipeline: a validated connector document -> a sealed execution plan, by ordered passes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compiler.lower.draft import Draft, LoweringError, Pass
from compiler.lower.extraction import lower_extraction
from compiler.lower.mapping import lower_mapping
from compiler.lower.output import lower_output
from compiler.lower.reconciliation import lower_reconciliation
from compiler.lower.secrets import lower_secrets
from compiler.lower.target import lower_target
from compiler.plan import FORMAT_VERSION, InputFile, Plan, PlanFormatError, seal
from compiler.version import __version__

PASSES: tuple[Pass, ...] = (
    lower_secrets,  # first: the source and OAuth settings refer to the secrets it declares
    lower_extraction,
    lower_mapping,
    lower_reconciliation,
    lower_output,
    lower_target,
)
"""Every pass, in order. Adding a pass is adding a module and one entry here."""


def run_passes(draft: Draft, passes: tuple[Pass, ...] = PASSES) -> Draft:
    for lowering_pass in passes:
        draft = lowering_pass(draft)
    return draft


def finish(draft: Draft, compiler_version: str = __version__) -> Plan:
    """Assemble and seal the plan once every part is set."""
    source, extraction, mapping = draft.source, draft.extraction, draft.mapping
    reconciliation, output, target = draft.reconciliation, draft.output, draft.target
    if not (
        source and extraction and mapping and reconciliation and output and (target or not draft.ingestion_enabled)
    ):
        parts = ("source", "extraction", "mapping", "reconciliation", "output", "target")
        missing = [part for part in parts if getattr(draft, part) is None]
        raise LoweringError("", f"internal error: lowering left {', '.join(missing)} unset")
    schedule = draft.spec.get("schedule")
    plan = Plan(
        format_version=FORMAT_VERSION,
        compiler_version=compiler_version,
        name=draft.name,
        mode=draft.spec["mode"],
        schedule=None if schedule is None else str(schedule),
        inputs=draft.inputs,
        source=source,
        extraction=extraction,
        mapping=mapping,
        reconciliation=reconciliation,
        output=output,
        target=target,
        plan_hash="",
        secrets=draft.secrets,
        ingestion_enabled=draft.ingestion_enabled,
    )
    try:
        return seal(plan)
    except PlanFormatError as exc:  # a value JSON cannot hold (NaN, an integer beyond 64 bits)
        raise LoweringError("", str(exc)) from None


def lower(connector: Mapping[str, Any], inputs: tuple[InputFile, ...]) -> Plan:
    """Compile one validated connector document into its sealed plan. Raises LoweringError."""
    return finish(run_passes(Draft(connector=connector, inputs=inputs)))
