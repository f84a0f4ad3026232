"""One router per resource; :mod:`o2c.api.app` mounts them all under ``/api/v1``."""
