"""Engine settings: the ``MIAUFLIX_*`` knobs only the streaming engine reads.

They complement :class:`core.settings.Settings` (which holds engine_url, engine_port,
engine_bt_port, engine_trackers and engine_peers). Same prefix, same rules.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.settings import Settings

MIB = 1024 * 1024


class EngineSettings(BaseSettings):
    """Field ``foo`` is read from ``MIAUFLIX_FOO``."""

    model_config = SettingsConfigDict(env_prefix="MIAUFLIX_", extra="ignore", frozen=True)

    engine_download_dir: Path | None = Field(
        default=None, description="Where torrent data lives (default: <data_dir>/engine)."
    )
    engine_disk_quota_mb: int = Field(
        default=20_000,
        ge=0,
        description="Disk quota for torrent data, MiB (0 = unlimited); "
        "least recently used idle torrents are evicted beyond it.",
    )
    engine_max_active_torrents: int = Field(
        default=8, ge=1, le=1000, description="Torrents kept in the session at once."
    )
    engine_max_streams_per_user: int = Field(
        default=3, ge=1, le=100, description="Distinct sources one user may stream at once."
    )
    engine_connections_limit: int = Field(
        default=200, ge=2, le=10_000, description="Peer connections, whole session."
    )
    engine_connections_per_torrent: int = Field(
        default=60, ge=2, le=10_000, description="Peer connections per torrent."
    )
    engine_upload_rate_limit: int = Field(
        default=0, ge=0, description="Upload limit, bytes/s (0 = unlimited)."
    )
    engine_download_rate_limit: int = Field(
        default=0, ge=0, description="Download limit, bytes/s (0 = unlimited)."
    )
    engine_idle_pause_seconds: float = Field(
        default=300.0, ge=1, description="A torrent nobody read for this long is paused."
    )
    engine_idle_remove_seconds: float = Field(
        default=3600.0,
        ge=1,
        description="A torrent idle this long leaves the session "
        "(its data and resume data stay on disk until evicted).",
    )
    engine_dht: bool = Field(default=False, description="Use the DHT (off in the sandbox).")
    engine_lsd: bool = Field(default=False, description="Use local service discovery.")
    engine_utp: bool = Field(default=True, description="Allow uTP besides TCP.")
    engine_metadata_timeout: float = Field(
        default=30.0, gt=0, le=600, description="Seconds to wait for magnet metadata."
    )
    engine_fetch_timeout: float = Field(
        default=10.0, gt=0, le=120, description="Seconds to fetch a .torrent file."
    )
    engine_stall_timeout: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="A reader waiting this long for one piece "
        "gives up (the connection closes; the player retries).",
    )
    engine_readahead_seconds: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="Seconds of playback kept under deadlines ahead of each reader.",
    )
    engine_tick_ms: int = Field(
        default=50, ge=10, le=1000, description="libtorrent tick (time-critical picking), ms."
    )
    engine_request_queue: int = Field(
        default=16,
        ge=4,
        le=2000,
        description="Block requests (16 KiB) kept outstanding per "
        "peer: deeper queues suit far peers, shallower ones make seeks answer sooner.",
    )
    require_vpn: bool = Field(
        default=False,
        description="Refuse to start torrents unless traffic leaves through a VPN interface.",
    )
    vpn_interface: str = Field(
        default="", description="Name of the VPN interface (default: any tun*/wg*/ppp*/tap*)."
    )
    stream_key_ttl: int = Field(
        default=4 * 3600,
        ge=10,
        le=7 * 86400,
        description="Lifetime of a stream URL, "
        "seconds (it must outlast a film: players reconnect on every seek).",
    )

    def download_dir(self, settings: Settings) -> Path:
        return self.engine_download_dir or settings.data_dir / "engine"

    @property
    def disk_quota_bytes(self) -> int:
        return self.engine_disk_quota_mb * MIB


def load_engine_settings(**overrides: object) -> EngineSettings:
    clean = {k: v for k, v in overrides.items() if v is not None}
    return EngineSettings(**clean)  # type: ignore[arg-type]
