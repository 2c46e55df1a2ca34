"""Keep the garbage collector's full passes off the request path of a serving worker.

CPython's oldest-generation pass walks every object the collector tracks. In a worker those are
overwhelmingly the ~150,000 made by imports and start-up (modules, routes, schemas, SQLAlchemy
metadata), which live as long as the process: one such pass took 50-85 ms here, with the event
loop and every request queued behind it stopped. Once the app has started they are frozen (moved
to a permanent generation the collector skips, `gc.freeze`); objects made later are collected
as before, and a full pass then costs microseconds. Collected first, so no garbage is frozen.

Only the served app (`pds serve`) does this: a test process builds many apps, and freezing each
one's cycles would keep them alive for the whole run.
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    gc.collect()
    gc.freeze()
