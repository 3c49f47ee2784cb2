"""axon_sdk: make a Python program an axon of a Synapse hub in ten lines.

```python
from axon_sdk import Axon

axon = Axon("nas-01", name="NAS")  # token from SYNAPSE_TOKEN, hub from SYNAPSE_HUB

@axon.action("restart", label="Restart", style="danger")
def restart():
    ...

axon.run()
```

Everything public is importable from here; the underscored modules are private.
"""

from ._axon import Axon
from ._errors import (
    AxonError,
    ConfigError,
    ConnectionFailed,
    LeaseDenied,
    LeaseRevoked,
    RejectedByHub,
)
from ._lease import Lease
from ._spec import Monitor, Param

__version__ = "0.1.0"

__all__ = [
    "Axon",
    "AxonError",
    "ConfigError",
    "ConnectionFailed",
    "Lease",
    "LeaseDenied",
    "LeaseRevoked",
    "Monitor",
    "Param",
    "RejectedByHub",
    "__version__",
]
