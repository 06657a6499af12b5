"""The only module that imports libtorrent: a small typed surface over its session.

Everything else in Miauflix talks to :class:`Session` and :class:`Handle` and receives
alerts as plain :class:`Event` dataclasses, so the piece strategy and the lifecycle code
can be tested against hand-written fakes. Info-hashes are lowercase hex (v1, SHA-1).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import libtorrent as _lt

from engine.errors import BencodeError, SourceResolveError

VERSION: str = _lt.__version__


# --- metadata --------------------------------------------------------------------------


@dataclass(frozen=True)
class FileEntry:
    index: int
    path: str  # relative to the save path, "/"-separated
    size: int
    offset: int  # byte offset of the file inside the torrent's piece space


@dataclass(frozen=True)
class PeerView:
    """One connected peer of a torrent: what it sends us and what we wait for from it."""

    ip: str
    port: int
    down_rate: int  # payload bytes/s from this peer
    queued: int  # our block requests outstanding at this peer
    snubbed: bool  # libtorrent's verdict: requests outstanding, no data for piece_timeout


@dataclass(frozen=True)
class TorrentMeta:
    info_hash: str
    name: str
    piece_length: int
    num_pieces: int
    total_size: int
    files: tuple[FileEntry, ...]
    trackers: tuple[str, ...] = ()
    piece_hashes: tuple[bytes, ...] = ()  # SHA-1 of each piece (v1)


def _meta_from_info(info: _lt.torrent_info) -> TorrentMeta:
    storage = info.files()
    files = tuple(
        FileEntry(
            index=i,
            path=storage.file_path(i).replace("\\", "/"),
            size=storage.file_size(i),
            offset=storage.file_offset(i),
        )
        for i in range(storage.num_files())
        if not (storage.file_flags(i) & _lt.file_storage.flag_pad_file)
    )
    return TorrentMeta(
        info_hash=str(info.info_hashes().v1),
        name=info.name(),
        piece_length=info.piece_length(),
        num_pieces=info.num_pieces(),
        total_size=info.total_size(),
        files=files,
        trackers=tuple(entry.url for entry in info.trackers()),
        piece_hashes=tuple(bytes(info.hash_for_piece(i)) for i in range(info.num_pieces())),
    )


def parse_torrent(data: bytes) -> TorrentMeta:
    """Parse .torrent bytes; raises :class:`SourceResolveError` on a broken file."""
    try:
        return _meta_from_info(_lt.torrent_info(data))
    except (RuntimeError, TypeError, ValueError) as exc:
        raise SourceResolveError(f"not a valid .torrent file: {exc}") from exc


def info_hash_v1(torrent: bytes) -> str:
    """The v1 info-hash (lowercase hex) of .torrent bytes, as libtorrent parses them.

    Raises :class:`BencodeError` for anything libtorrent refuses (broken bencoding, no or an
    incomplete ``info`` dictionary, nesting too deep) and for a v2-only torrent.
    """
    try:
        hashes = _lt.torrent_info(torrent).info_hashes()
    except (RuntimeError, TypeError, ValueError) as exc:
        raise BencodeError(f"libtorrent refused it: {exc}") from exc
    if not hashes.has_v1():
        raise BencodeError("a v2-only torrent has no v1 info-hash")
    return str(hashes.v1)


def bdecode(data: bytes) -> object:
    """Decode bencoded bytes with libtorrent's decoder (dict keys and strings as bytes)."""
    try:
        return _lt.bdecode(data)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise BencodeError(f"libtorrent refused it: {exc}") from exc


def create_torrent(
    path: Path, *, piece_size: int, trackers: list[str] | None = None, comment: str = ""
) -> bytes:
    """A v1 .torrent for a single file (deterministic: fixed creation date)."""
    storage = _lt.file_storage()
    _lt.add_files(storage, str(path))
    creator = _lt.create_torrent(storage, piece_size, flags=_lt.create_torrent.v1_only)
    for tier, url in enumerate(trackers or []):
        creator.add_tracker(url, tier)
    creator.set_creator("miauflix")
    if comment:
        creator.set_comment(comment)
    _lt.set_piece_hashes(creator, str(path.parent))
    entry = creator.generate()
    entry.pop(b"creation date", None)
    return bytes(_lt.bencode(entry))


# --- alerts as events ------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    info_hash: str


@dataclass(frozen=True)
class PieceFinished(Event):
    piece: int


@dataclass(frozen=True)
class MetadataReceived(Event):
    pass


@dataclass(frozen=True)
class TorrentChecked(Event):
    pass


@dataclass(frozen=True)
class TorrentFailed(Event):
    message: str


@dataclass(frozen=True)
class ResumeDataSaved(Event):
    data: bytes


@dataclass(frozen=True)
class ResumeDataFailed(Event):
    message: str


@dataclass(frozen=True)
class PieceRead(Event):
    piece: int
    data: bytes
    error: str


@dataclass(frozen=True)
class TorrentRemoved(Event):
    pass


@dataclass(frozen=True)
class FilesDeleted(Event):
    pass


@dataclass(frozen=True)
class PeerDisconnected(Event):
    peer: str


def _hash_of(alert: _lt.torrent_alert) -> str:
    try:
        return str(alert.handle.info_hashes().v1)
    except RuntimeError:
        return ""


def _event_of(alert: _lt.alert) -> Event | None:
    if isinstance(alert, _lt.piece_finished_alert):
        return PieceFinished(_hash_of(alert), int(alert.piece_index))
    if isinstance(alert, _lt.read_piece_alert):
        failed = alert.error.value() != 0
        return PieceRead(
            _hash_of(alert),
            int(alert.piece),
            b"" if failed else bytes(alert.buffer),
            alert.error.message() if failed else "",
        )
    if isinstance(alert, _lt.metadata_received_alert):
        return MetadataReceived(_hash_of(alert))
    if isinstance(alert, _lt.torrent_checked_alert):
        return TorrentChecked(_hash_of(alert))
    if isinstance(alert, _lt.save_resume_data_alert):
        return ResumeDataSaved(_hash_of(alert), bytes(_lt.write_resume_data_buf(alert.params)))
    if isinstance(alert, _lt.save_resume_data_failed_alert):
        return ResumeDataFailed(_hash_of(alert), alert.message())
    if isinstance(alert, _lt.torrent_removed_alert):
        return TorrentRemoved(str(alert.info_hashes.v1))
    if isinstance(alert, _lt.torrent_deleted_alert):
        return FilesDeleted(str(alert.info_hashes.v1))
    if isinstance(alert, _lt.torrent_error_alert | _lt.metadata_failed_alert):
        return TorrentFailed(_hash_of(alert), alert.message())
    if isinstance(alert, _lt.peer_disconnected_alert):
        return PeerDisconnected(_hash_of(alert), str(alert.endpoint))
    return None


# --- session and handles ---------------------------------------------------------------


@dataclass(frozen=True)
class SessionConfig:
    """What the engine and the sandbox seeder tune; everything else is libtorrent's default."""

    listen_interfaces: str = "0.0.0.0:6881"
    dht: bool = False
    lsd: bool = False
    utp: bool = True
    connections_limit: int = 200
    upload_rate_limit: int = 0  # bytes/s, 0 = unlimited
    download_rate_limit: int = 0
    rate_limit_local: bool = False  # apply the limits to LAN/loopback peers too
    tick_interval_ms: int = 100
    outgoing_interface: str = ""  # bind outgoing traffic to an interface (VPN)
    user_agent: str = f"miauflix/0.1 libtorrent/{VERSION}"
    stop_tracker_timeout: int = 1  # seconds the session waits for "stopped" announces
    # requests kept outstanding per peer: every queued block is one a seek waits behind
    max_out_request_queue: int = 500
    request_queue_time: int = 3
    # uTP is tried first towards a peer: a TCP-only peer costs this (libtorrent's default
    # is 3000 ms, with resends ~4 s) before the TCP dial; the failure is remembered per peer
    utp_connect_timeout_ms: int = 500
    extra: dict[str, int | bool | str] = field(default_factory=dict)


@dataclass(frozen=True)
class TorrentStats:
    state: str
    paused: bool
    progress: float
    download_rate: int  # bytes/s (payload)
    upload_rate: int
    num_peers: int
    num_seeds: int
    total_done: int
    total_wanted: int
    has_metadata: bool
    error: str


class Handle:
    """One torrent in the session. Calls are thread-safe (libtorrent queues them)."""

    def __init__(self, handle: _lt.torrent_handle, info_hash: str) -> None:
        self._h = handle
        self.info_hash = info_hash

    def is_valid(self) -> bool:
        return bool(self._h.is_valid())

    def has_metadata(self) -> bool:
        return bool(self._h.status().has_metadata)

    def meta(self) -> TorrentMeta:
        info = self._h.torrent_file()
        if info is None:
            raise SourceResolveError(f"torrent {self.info_hash} has no metadata yet")
        return _meta_from_info(info)

    def torrent_bytes(self) -> bytes:
        info = self._h.torrent_file()
        if info is None:
            raise SourceResolveError(f"torrent {self.info_hash} has no metadata yet")
        return b"d4:info" + bytes(info.info_section()) + b"e"

    def have_pieces(self) -> list[bool]:
        return [bool(p) for p in self._h.status(_lt.torrent_handle.query_pieces).pieces]

    def set_piece_deadline(self, piece: int, deadline_ms: int) -> None:
        self._h.set_piece_deadline(piece, deadline_ms)

    def read_piece(self, piece: int) -> None:
        """Asynchronous: a :class:`PieceRead` event follows (works for unflushed pieces)."""
        self._h.read_piece(piece)

    def partial_pieces(self) -> set[int]:
        """Pieces with block requests out or blocks received (libtorrent's download queue)."""
        return {int(entry["piece_index"]) for entry in self._h.get_download_queue()}

    def reset_piece_deadline(self, piece: int) -> None:
        self._h.reset_piece_deadline(piece)

    def clear_piece_deadlines(self) -> None:
        self._h.clear_piece_deadlines()

    def prioritize_pieces(self, priorities: list[int]) -> None:
        self._h.prioritize_pieces(priorities)

    def prioritize_files(self, priorities: list[int]) -> None:
        self._h.prioritize_files(priorities)

    def hold_requests(self, on: bool) -> None:
        """Upload mode: no block request goes out while on (turning it on also cancels
        those not yet answered); calls in between are applied in order."""
        if on:
            self._h.set_flags(_lt.torrent_flags.upload_mode)
        else:
            self._h.unset_flags(_lt.torrent_flags.upload_mode)

    def set_sequential(self, on: bool) -> None:
        if on:
            self._h.set_flags(_lt.torrent_flags.sequential_download)
        else:
            self._h.unset_flags(_lt.torrent_flags.sequential_download)

    def connect_peer(self, host: str, port: int) -> None:
        self._h.connect_peer((host, port))

    def add_tracker(self, url: str, tier: int = 0) -> None:
        self._h.add_tracker({"url": url, "tier": tier})

    def force_reannounce(self) -> None:
        self._h.force_reannounce(0, -1, _lt.reannounce_flags_t.ignore_min_interval)

    def pause(self) -> None:
        self._h.unset_flags(_lt.torrent_flags.auto_managed)
        self._h.pause(_lt.torrent_handle.graceful_pause)

    def resume(self) -> None:
        self._h.resume()

    def save_resume_data(self) -> None:
        """Asynchronous: a :class:`ResumeDataSaved` event follows."""
        self._h.save_resume_data(_lt.torrent_handle.save_info_dict)

    def resume_data(self) -> bytes:
        """Resume data now (synchronous; without the info dict: keep the .torrent too)."""
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return bytes(_lt.bencode(self._h.write_resume_data()))

    def set_upload_limit(self, rate: int) -> None:
        self._h.set_upload_limit(rate)

    def set_max_connections(self, limit: int) -> None:
        self._h.set_max_connections(limit)

    def peers(self) -> list[PeerView]:
        """The torrent's connected peers, as the download side sees them."""
        views = []
        for peer in self._h.get_peer_info():
            if peer.flags & (_lt.peer_info.connecting | _lt.peer_info.handshake):
                continue
            ip, port = peer.ip
            views.append(PeerView(str(ip), int(port), int(peer.payload_down_speed),
                                  int(peer.download_queue_length),
                                  bool(peer.flags & _lt.peer_info.snubbed)))  # fmt: skip
        return views

    def stats(self) -> TorrentStats:
        st = self._h.status()
        return TorrentStats(
            state=str(st.state),
            paused=bool(st.flags & _lt.torrent_flags.paused),
            progress=float(st.progress),
            download_rate=int(st.download_payload_rate),
            upload_rate=int(st.upload_payload_rate),
            num_peers=int(st.num_peers),
            num_seeds=int(st.num_seeds),
            total_done=int(st.total_done),
            total_wanted=int(st.total_wanted),
            has_metadata=bool(st.has_metadata),
            error=str(st.errc.message()) if st.errc.value() else "",
        )


_ALERT_MASK = (
    _lt.alert_category.error
    | _lt.alert_category.status
    | _lt.alert_category.storage
    | _lt.alert_category.piece_progress
    | _lt.alert_category.connect
)


class Session:
    """A libtorrent session configured from :class:`SessionConfig`."""

    def __init__(self, config: SessionConfig) -> None:
        pack: dict[str, int | bool | str] = {
            "listen_interfaces": config.listen_interfaces,
            "enable_dht": config.dht,
            "enable_lsd": config.lsd,
            "enable_upnp": False,
            "enable_natpmp": False,
            "enable_incoming_utp": config.utp,
            "enable_outgoing_utp": config.utp,
            "connections_limit": config.connections_limit,
            "upload_rate_limit": config.upload_rate_limit,
            "download_rate_limit": config.download_rate_limit,
            "tick_interval": config.tick_interval_ms,
            "user_agent": config.user_agent,
            "alert_mask": int(_ALERT_MASK),
            "alert_queue_size": 10_000,
            "allow_multiple_connections_per_ip": True,
            # a finished torrent would drop its seeds; a streamer wants them kept
            "close_redundant_connections": False,
            "smooth_connects": False,
            "connection_speed": 100,
            "announce_to_all_trackers": True,
            "announce_to_all_tiers": True,
            "peer_connect_timeout": 5,
            "min_reconnect_time": 1,
            "request_timeout": 3,
            "piece_timeout": 2,
            "auto_manage_startup": 1,
            "stop_tracker_timeout": config.stop_tracker_timeout,
            "max_out_request_queue": config.max_out_request_queue,
            "request_queue_time": config.request_queue_time,
            "utp_connect_timeout": config.utp_connect_timeout_ms,
        }
        if config.outgoing_interface:
            pack["outgoing_interfaces"] = config.outgoing_interface
        pack.update(config.extra)
        self._s = _lt.session(pack)  # type: ignore[call-overload]
        if config.rate_limit_local:
            everyone = _lt.ip_filter()
            everyone.add_rule("0.0.0.0", "255.255.255.255", 1 << _lt.session.global_peer_class_id)
            everyone.add_rule("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1)
            self._s.set_peer_class_filter(everyone)

    def listen_port(self) -> int:
        return int(self._s.listen_port())

    def apply_settings(self, values: dict[str, int | bool | str]) -> None:
        self._s.apply_settings(values)

    def add_torrent(
        self,
        *,
        save_path: Path,
        torrent: bytes | None = None,
        magnet: str | None = None,
        resume: bytes | None = None,
        paused: bool = False,
        seed_mode: bool = False,
        trackers: list[str] | None = None,
        hold_pieces: bool = False,
    ) -> Handle:
        """Add from resume data, .torrent bytes or a magnet (first one given wins).

        ``hold_pieces``: the torrent starts in upload mode (and, with the metadata known,
        every piece at priority 0) so that no block is requested before the caller has set
        its own priorities and deadlines and called ``hold_requests(False)`` (requests
        already in flight would delay the first bytes of a stream)."""
        try:
            if resume:
                params = _lt.read_resume_data(resume)
                if torrent and params.ti is None:
                    params.ti = _lt.torrent_info(torrent)
            elif torrent:
                params = _lt.add_torrent_params()
                params.ti = _lt.torrent_info(torrent)
            elif magnet:
                params = _lt.parse_magnet_uri(magnet)
            else:
                raise SourceResolveError("add_torrent needs a torrent, a magnet or resume data")
        except (RuntimeError, TypeError, ValueError) as exc:
            raise SourceResolveError(f"libtorrent refused the source: {exc}") from exc
        params.save_path = str(save_path)
        if hold_pieces:
            # piece priorities only: a file priority (from resume data of an older version)
            # is applied later, on the disk thread, and overwrites the caller's piece vector
            params.file_priorities = []
        if hold_pieces and params.ti is not None:
            params.piece_priorities = [0] * params.ti.num_pieces()
        flags = params.flags & ~_lt.torrent_flags.auto_managed
        if hold_pieces:
            # no block request until the caller's priorities have landed
            # (Handle.hold_requests(False)); a magnet's metadata still arrives
            flags |= _lt.torrent_flags.upload_mode
        flags &= ~_lt.torrent_flags.paused
        if paused:
            flags |= _lt.torrent_flags.paused
        if seed_mode:
            flags |= _lt.torrent_flags.seed_mode
        params.flags = flags
        if trackers:
            params.trackers = list(params.trackers) + [t for t in trackers if t]
        try:
            raw = self._s.add_torrent(params)
        except RuntimeError as exc:
            raise SourceResolveError(f"libtorrent could not add the torrent: {exc}") from exc
        return Handle(raw, str(raw.info_hashes().v1))

    def remove(self, handle: Handle, *, delete_files: bool = False) -> None:
        flags = _lt.session.delete_files if delete_files else 0
        self._s.remove_torrent(handle._h, flags)

    def wait_for_alert(self, timeout_ms: int) -> bool:
        return self._s.wait_for_alert(timeout_ms) is not None

    def pop_events(self) -> list[Event]:
        events = []
        for alert in self._s.pop_alerts():
            event = _event_of(alert)
            if event is not None:
                events.append(event)
        return events

    def block_addresses(self, addresses: Collection[str]) -> None:
        """Refuse and drop peers at ``addresses`` (replaces the previous set; empty: none)."""
        rules = _lt.ip_filter()
        for address in addresses:
            rules.add_rule(address, address, 1)  # 1: blocked
        self._s.set_ip_filter(rules)

    def pause(self) -> None:
        self._s.pause()

    def close(self) -> None:
        """Drop the session (libtorrent stops its threads when the object goes)."""
        self._s.pause()
        del self._s
