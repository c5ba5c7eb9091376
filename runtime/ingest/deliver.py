"""`DiscoveryEngineDeliver`: the engine's `Deliver` for Discovery Engine (or its emulator).

Upserts first (a GCS import of the run's artifact when it is in `gs://`, else inline imports), then deletes.
A document that failed stays pending (`DeliveryResult.failed`, with the API's reason); anything that makes the
delivery untrustworthy as a whole raises `DeliveryError`, and the engine commits nothing.
"""

from __future__ import annotations

from runtime.errors import ConfigError
from runtime.ingest import DeliveryRequest, DeliveryResult
from runtime.ingest.api import Api, ApiError
from runtime.ingest.connection import connect
from runtime.ingest.deletes import Deletes
from runtime.ingest.errors import DeliveryError
from runtime.ingest.settings import DeliverySettings
from runtime.ingest.upserts import Upserts


class DiscoveryEngineDeliver:
    def __init__(self, settings: DeliverySettings | None = None, environ: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.environ = environ

    def __call__(self, request: DeliveryRequest, /) -> DeliveryResult:
        return self._deliver(request)

    def _deliver(self, request: DeliveryRequest) -> DeliveryResult:
        target = request.plan.target
        if target is None:  # a plan with ingestion disabled never reaches here
            raise ConfigError(f"plan {request.plan.name}: no data store to deliver to (spec.gemini is missing)")
        settings = self.settings or DeliverySettings.from_env(self.environ)
        connection = connect(target.endpoint, self.environ)
        api = Api(connection, settings)
        upserts, deletes = Upserts(api, target.branch), Deletes(api, target.branch)
        try:
            if request.upserts_count:
                if request.upserts_uri.startswith("gs://"):
                    upserts.from_gcs(request.upserts_uri, request.upserts, request.upserts_count)
                else:
                    upserts.inline(request.upserts)
            if request.deletes_count:
                deletes.run(request.deletes)
        except ApiError as error:  # a refused request (not a document): the delivery cannot be trusted
            raise DeliveryError(f"{target.data_store}: {error}; nothing was committed") from None
        finally:
            api.close()
        failed = (*upserts.failed, *deletes.failed)
        notes = list(upserts.notes)
        if deletes.already_gone:
            notes.append(f"{deletes.already_gone} deleted documents were already gone from the data store (404)")
        if api.retries:
            notes.append(f"{api.retries} calls were retried (429, 5xx or connection errors)")
        if failed:
            notes.append(f"{len(failed)} documents failed and stay pending for the next run")
        return DeliveryResult(
            upserted=request.upserts_count - len(upserts.failed),
            deleted=deletes.deleted,
            failed=failed,
            calls=api.calls,
            notes=tuple(notes),
        )
