"""An embedded emulator of the X API v2 batch compliance service, for offline work.

Real HTTP servers on loopback, in either generation of the service:

- ``flow="bytepath"`` (default; the service since September 2026, OpenAPI 2.168): one
  API host; uploads (``PUT .../jobs/{id}/upload?token=...``) and downloads
  (``GET .../jobs/{id}/download?token=...``) go there with the bearer token; jobs can
  be cancelled (``DELETE``); results carry ``delete`` / ``rehydrate`` / ``scrub_geo``
  actions and ``invalid_id`` records;
- ``flow="gcs"`` (2021-2026, OpenAPI 2.159): the API host (``/2/compliance/jobs``; no
  cancel, every job field in every answer) and a storage host with signed URLs in the
  shape of Google Cloud Storage.

Clients written for the real API work against it unchanged except for the base URL.

Example:
    >>> from compliance_frames.emulator import Emulator
    >>> with Emulator(events={"1265324480517361664": "deleted"}, processing_seconds=0) as emu:
    ...     emu.base_url.startswith("http://127.0.0.1:")
    True
"""

from .clock import Clock, ManualClock, SystemClock
from .config import DEFAULT_RATES, GCS_RATES, GCS_REASONS, REASONS, EmulatorConfig
from .server import Emulator
from .state import LoggedRequest

__all__ = [
    "DEFAULT_RATES",
    "GCS_RATES",
    "GCS_REASONS",
    "REASONS",
    "Clock",
    "Emulator",
    "EmulatorConfig",
    "LoggedRequest",
    "ManualClock",
    "SystemClock",
]
