"""A local emulator of the Discovery Engine v1 REST calls the runtime makes (`runtime emulator discoveryengine`).

Modules, one job each: `names` (resource paths, host/location rule), `documents` (the Document rules), `imports`
(documents:import), `operations` (long-running operations), `faults` (injected failures), `state` (data stores,
documents, persistence), `app` (the HTTP routes), `server` (uvicorn), `cli` (the command line).
"""

from runtime.emulator.discoveryengine.app import Emulator, create_app
from runtime.emulator.discoveryengine.config import EmulatorConfig
from runtime.emulator.discoveryengine.faults import Faults, HttpFault
from runtime.emulator.discoveryengine.server import BackgroundEmulator, serve

__all__ = ["BackgroundEmulator", "Emulator", "EmulatorConfig", "Faults", "HttpFault", "create_app", "serve"]
