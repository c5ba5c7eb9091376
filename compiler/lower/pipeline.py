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
from compiler.plan import FORMAT_VERSION, InputFile, Plan, seal
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
    missing = [
        part
        for part in ("source", "extraction", "mapping", "reconciliation", "output", "target")
        if getattr(draft, part) is None
    ]
    if missing:
        raise LoweringError("", f"internal error: lowering left {', '.join(missing)} unset")
    source, extraction, mapping = draft.source, draft.extraction, draft.mapping
    reconciliation, output, target = draft.reconciliation, draft.output, draft.target
    if not (source and extraction and mapping and reconciliation and output and target):  # pragma: no cover
        raise AssertionError("unreachable: checked above")  # narrows the Optional parts for mypy
    spec = draft.spec
    schedule = spec.get("schedule")
    return seal(
        Plan(
            format_version=FORMAT_VERSION,
            compiler_version=compiler_version,
            name=draft.name,
            mode=spec["mode"],
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
        )
    )


def lower(connector: Mapping[str, Any], inputs: tuple[InputFile, ...]) -> Plan:
    """Compile one validated connector document into its sealed plan. Raises LoweringError."""
    return finish(run_passes(Draft(connector=connector, inputs=inputs)))
