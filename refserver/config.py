"""The reference server's settings, one frozen object: what ``python -m refserver`` parsed.

config = ServerConfig(port=0, max_body=2_000_000)   # every field has the command line's default
create_app(config); serve(config, ready=print)
"""

from dataclasses import dataclass, field
from pathlib import Path

from refserver.faults import FaultSettings
from refserver.limits import ConnectionLimits


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    dump_dir: Path = Path("context_dumps")
    history_limit: int = 100_000
    max_body: int = 1_048_576
    client_stats_interval: float = 0.5
    ping_interval: float = 25.0
    ping_timeout: float = 20.0
    log_level: str = "warning"
    faults: FaultSettings = field(default_factory=FaultSettings)
    limits: ConnectionLimits = field(default_factory=ConnectionLimits)
