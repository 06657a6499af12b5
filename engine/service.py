"""The streaming engine: one libtorrent session, the torrents in it, one alert poller thread.

``StreamingEngine.open(source_id)`` resolves a catalog source (verified .torrent or magnet),
adds it (from resume data when there is some), picks the film and preloads head and tail.
The poller thread dispatches alerts (piece arrivals wake readers), and every half second
folds in download rates, keeps peers connected, pauses/removes idle torrents, saves resume
data and enforces the disk quota (least recently used idle torrents are evicted first).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from core.catalog.contract import CatalogError
from core.catalog.sources import Catalog, SourceSecrets
from core.crypto import Keyring
from core.settings import Settings
from core.vpn import InterfaceView, SystemInterfaces, VpnState, check_vpn
from engine import lt
from engine.errors import (
    DiskQuotaExceeded,
    EngineBusy,
    EngineClosed,
    EngineError,
    EngineFull,
    MetadataTimeout,
    OpenAbandoned,
    SourceResolveError,
    StreamLimitReached,
    VpnRequired,
)
from engine.files import FileEntry, pick_episode_file, pick_main_file
from engine.outcomes import OutcomeRecorder
from engine.pack_files import PackFiles, readers
from engine.peer_parking import PeerParking, delivering
from engine.pieces import PlannerConfig
from engine.resolve import resolve
from engine.shared_handle import HandleView, SharedHandle
from engine.storage import StorageRecord, StorageStore
from engine.torrents import ActiveTorrent

log = logging.getLogger("miauflix.engine")

HOUSEKEEPING_S = 0.5
RESUME_SAVE_S = 30.0
QUOTA_CHECK_S = 2.0
# A stream's slot outlives its HTTP response this long: a player reconnecting for a seek
# finds it (no other user takes it meanwhile) and its torrent is not retired or evicted.
STREAM_GRACE_S = 5.0
MIB = 1024 * 1024


def _parse_peer(text: str) -> tuple[str, int]:
    host, sep, port = text.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536 or not host:
        raise EngineError(f"static peer {text!r} is not host:port")
    return host.strip("[]"), int(port)


class OpenTicket:
    """One request's claim on a source being opened: wait for it, or cancel it when the
    requester goes away (thread-safe; callbacks run in the opening thread)."""

    def __init__(self, opening: _Opening | None, user: str | None) -> None:
        self._opening = opening
        self._user = user
        self._left = False
        self._torrent: ActiveTorrent | None = None

    @classmethod
    def finished(cls, torrent: ActiveTorrent) -> OpenTicket:
        ticket = cls(None, None)
        ticket._torrent = torrent
        return ticket

    @property
    def done(self) -> bool:
        return self._opening is None or self._opening.done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._opening is None or self._opening.done.wait(timeout)

    def add_done_callback(self, callback: Callable[[], None]) -> None:
        """``callback()`` once the opening ends (at once if it has)."""
        if self._opening is None or not self._opening.add_callback(callback):
            callback()

    def result(self) -> ActiveTorrent:
        """The torrent, or the opening's error (the same for every waiter)."""
        if self._torrent is not None:
            return self._torrent
        assert self._opening is not None and self._opening.done.is_set()
        if self._opening.error is not None:
            raise self._opening.error
        assert self._opening.torrent is not None
        return self._opening.torrent

    def cancel(self) -> None:
        """The requester left: release its claim (the last one out abandons the opening)."""
        if self._opening is not None and not self._left:
            self._left = True
            self._opening.leave(self._user)


class _Opening:
    """A source being added to the session: every request for its info-hash shares it."""

    def __init__(
        self, info_hash: str, source_id: str, episode: tuple[int, int] | None = None
    ) -> None:
        self.info_hash = info_hash
        self.source_id = source_id
        self.episode = episode  # the first request's (season, episode): the file to pick
        self.waiters: list[str | None] = []  # one entry per waiting request (user or None)
        self.done = threading.Event()
        self.abandoned = threading.Event()
        self.given_up = False  # set under the engine lock by the opening thread
        self.torrent: ActiveTorrent | None = None
        self.error: BaseException | None = None
        self._callbacks: list[Callable[[], None]] = []
        self._mutex = threading.Lock()

    def join(self, user: str | None) -> OpenTicket:
        with self._mutex:
            self.waiters.append(user)
            self.abandoned.clear()
        return OpenTicket(self, user)

    def has_waiter(self, user: str) -> bool:
        with self._mutex:
            return user in self.waiters

    def users(self) -> set[str]:
        with self._mutex:
            return {u for u in self.waiters if u is not None}

    def leave(self, user: str | None) -> None:
        with self._mutex:
            if user in self.waiters:
                self.waiters.remove(user)
            if not self.waiters and not self.done.is_set():
                self.abandoned.set()

    def add_callback(self, callback: Callable[[], None]) -> bool:
        with self._mutex:
            if self.done.is_set():
                return False
            self._callbacks.append(callback)
            return True

    def finish(self, torrent: ActiveTorrent | None, error: BaseException | None) -> None:
        with self._mutex:
            self.torrent, self.error = torrent, error
            self.done.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("open callback")


class StreamingEngine:
    """Owns the session; thread-safe; ``start()`` before use, ``close()`` at the end."""

    def __init__(
        self,
        settings: Settings,
        *,
        catalog: Catalog | None = None,
        http_client: httpx.Client | None = None,
        interfaces: InterfaceView | None = None,
        naive: bool = False,
        listen_host: str = "0.0.0.0",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.config = settings
        # Current master plus the ones kept by `miauflix keys rotate`: catalog values sealed
        # under any of them open, and a rotation is picked up without a restart.
        self.keyring = Keyring.load(settings.key_path, settings.secret_key.get_secret_value())
        self.catalog = catalog or Catalog(settings.catalog_path, self.keyring)
        self._http = http_client or httpx.Client(
            timeout=settings.engine_fetch_timeout, follow_redirects=True
        )
        self._interfaces = interfaces or SystemInterfaces()
        self.naive = naive
        self._listen_host = listen_host
        self._clock = clock
        self.store = StorageStore(settings.engine_download_path)
        self.static_peers = [_parse_peer(p) for p in settings.engine_peers]
        self._lock = threading.RLock()
        self._openings: dict[str, _Opening] = {}  # by info-hash: sources still being added
        self._torrents: dict[str, ActiveTorrent] = {}  # by info-hash
        self._pack_files = PackFiles()  # more episodes of an open pack, streamed at once
        self._by_source: dict[str, str] = {}  # source_id -> info-hash
        self._handles: dict[str, lt.Handle] = {}
        self._parking = PeerParking()
        self._session: lt.Session | None = None
        self._poller: threading.Thread | None = None
        self._stop = threading.Event()
        self._last_resume_save = 0.0
        self._last_quota = 0.0
        self._last_reannounce: dict[str, float] = {}
        self.vpn = VpnState(settings.require_vpn, True, None, "not checked yet")
        self._piece_listeners: list[Callable[[str, int], None]] = []
        # Stream slots held without a reader, (user, info-hash) -> until (clock): admitted
        # requests whose body has not started, and responses that ended (seek reconnects).
        self._reserved: dict[tuple[str, str], float] = {}
        self._lingering: dict[tuple[str, str], float] = {}
        self._quota_lock = threading.Lock()  # one eviction pass at a time (poller, requests)
        self.outcomes = OutcomeRecorder(settings.data_dir)  # per-source outcomes for ranking

    def add_piece_listener(self, listener: Callable[[str, int], None]) -> None:
        """``listener(info_hash, piece)`` is called from the poller thread on each piece
        finished (after the torrent's own readers are woken); it must not block."""
        self._piece_listeners.append(listener)

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> StreamingEngine:
        self.vpn = check_vpn(
            self._interfaces,
            required=self.config.require_vpn,
            configured=self.config.vpn_interface,
        )
        if not self.vpn.ok:
            log.error("VPN guard: %s; torrents will be refused", self.vpn.reason)
        cfg = self.config
        self._session = lt.Session(
            lt.SessionConfig(
                listen_interfaces=f"{self._listen_host}:{self.settings.engine_bt_port}",
                dht=cfg.engine_dht,
                lsd=cfg.engine_lsd,
                utp=cfg.engine_utp,
                connections_limit=cfg.engine_connections_limit,
                upload_rate_limit=cfg.engine_upload_rate_limit,
                download_rate_limit=cfg.engine_download_rate_limit,
                tick_interval_ms=cfg.engine_tick_ms,
                max_out_request_queue=cfg.engine_request_queue,
                request_queue_time=1,
                outgoing_interface=self.vpn.interface or "",
            )
        )
        self._poller = threading.Thread(target=self._poll, name="miauflix-alerts", daemon=True)
        self._poller.start()
        return self

    @property
    def bt_port(self) -> int:
        return self._session.listen_port() if self._session else 0

    def close(self) -> None:
        """Save resume data for every torrent, then stop the poller and the session."""
        self._stop.set()
        if self._poller is not None:
            self._poller.join(timeout=5)
        with self._lock:
            openings = list(self._openings.values())
        for opening in openings:  # they see the stop within one metadata poll
            opening.done.wait(timeout=5)
        with self._lock:
            torrents = list(self._torrents.values())
        for torrent in torrents:
            self._save_resume(torrent)
            self._record(torrent)
            torrent.close()
        if self._session is not None:
            self._session.close()
            self._session = None
        self._http.close()
        self.store.close()
        self.outcomes.close()

    # --- opening sources ------------------------------------------------------------------

    def open(self, source_id: str, *, user: str | None = None) -> ActiveTorrent:
        """The torrent of ``source_id`` in the session with metadata and a film chosen
        (blocking: waits for the metadata; see :meth:`begin_open` for the non-blocking form)."""
        ticket = self.begin_open(source_id, user=user)
        try:
            ticket.wait()
        finally:
            ticket.cancel()  # no-op once done
        return ticket.result()

    def begin_open(
        self, source_id: str, *, user: str | None = None, episode: tuple[int, int] | None = None
    ) -> OpenTicket:
        """Start opening ``source_id`` and return at once (after a catalog lookup).

        The limits are applied here, before any metadata wait: a user already streaming
        ``engine_max_streams_per_user`` other sources (sources still waiting for metadata
        count) raises :class:`StreamLimitReached`; ``engine_max_streams`` (user, source)
        pairs in the whole engine, :class:`EngineBusy`; a new source when every torrent
        slot is watched or opening, :class:`EngineFull`; a new source over the disk quota
        with nothing left to evict, :class:`DiskQuotaExceeded` — all immediately. Requests
        for a source that is already being opened join that opening and share its metadata
        wait; each opening runs in its own thread (at most ``engine_max_active_torrents``
        of them). A ticket whose waiter goes away must be :meth:`OpenTicket.cancel`-led:
        the last one to leave abandons the opening and its slot is free again. ``episode``
        (a show source) picks that episode's file in a new opening; a torrent already open
        on another file is switched with :meth:`for_episode`.
        """
        if self._stop.is_set() or self._session is None:
            raise EngineClosed("the engine is not running")
        if not self.vpn.ok:
            raise VpnRequired(self.vpn.reason)
        with self._lock:
            known = self._by_source.get(source_id)
            if known and known in self._torrents:
                self._admit(user, known)
                self._reserve(user, known)
                return OpenTicket.finished(self._torrents[known])
        secrets = self.catalog.secrets(source_id)
        with self._lock:
            self._admit(user, secrets.info_hash)
            new = (
                secrets.info_hash not in self._torrents and secrets.info_hash not in self._openings
            )
        if new:
            self._check_quota()  # outside the engine lock: it may evict
        for _ in range(50):
            with self._lock:
                torrent = self._torrents.get(secrets.info_hash)
                if torrent is not None:
                    self._admit(user, secrets.info_hash)
                    self._reserve(user, secrets.info_hash)
                    # The same torrent under a new source id (a key rotation re-sealed the
                    # catalog): from now on it answers to the new id.
                    torrent.source_id = source_id
                    self._by_source[source_id] = torrent.info_hash
                    return OpenTicket.finished(torrent)
                self._admit(user, secrets.info_hash)
                opening = self._openings.get(secrets.info_hash)
                if opening is None:
                    self._make_room()
                    opening = _Opening(secrets.info_hash, source_id, episode)
                    self._openings[secrets.info_hash] = opening
                    ticket = opening.join(user)
                    threading.Thread(
                        target=self._run_opening,
                        args=(opening, source_id, secrets),
                        name=f"miauflix-open-{secrets.info_hash[:8]}",
                        daemon=True,
                    ).start()
                    return ticket
                if not opening.given_up:
                    return opening.join(user)
            opening.done.wait(1.0)  # it is removing its handle: then start afresh
        raise EngineClosed(f"source {source_id} could not be opened (engine busy)")

    def _run_opening(self, opening: _Opening, source_id: str, secrets: SourceSecrets) -> None:
        torrent: ActiveTorrent | None = None
        error: BaseException | None = None
        started = time.monotonic()
        try:
            torrent = self._add(source_id, secrets, opening)
            with self._lock:
                self._torrents[torrent.info_hash] = torrent
                self._by_source[source_id] = torrent.info_hash
            torrent.sync_have(self._handles[torrent.info_hash].have_pieces())
            self._record(torrent)
            self.outcomes.opened(torrent, started)
        except BaseException as exc:  # handed to every waiter
            error = exc
            self.outcomes.failed(source_id, exc)
        finally:
            with self._lock:
                self._openings.pop(opening.info_hash, None)
            opening.finish(torrent, error)

    # --- stream limits (under the lock) ----------------------------------------------------

    def _streams(self, *, lingering: bool) -> set[tuple[str, str]]:
        """(user, info-hash) pairs streaming: a reader or a request waiting for the opening;
        with ``lingering`` also a request admitted to an open torrent whose body has not
        started, and a response that ended less than ``STREAM_GRACE_S`` ago."""
        pairs = {(u, h) for h, t in self._torrents.items() for u in t.users()}
        pairs |= {(u, t.info_hash) for t in self._pack_files.all() for u in t.users()}
        pairs |= {(u, h) for h, o in self._openings.items() for u in o.users()}
        now = self._clock()
        for held in (self._reserved, self._lingering) if lingering else ():
            for pair, until in list(held.items()):
                if until <= now:
                    del held[pair]
                else:
                    pairs.add(pair)
        return pairs

    def _admit(self, user: str | None, info_hash: str) -> None:
        """Refuse ``user`` a new stream of ``info_hash`` beyond the per-user limit (429) or
        the total one (503). The same (user, source) again is never a new stream, so two
        players of one user on one source, and a seek's reconnect, always get in."""
        if user is None:
            return
        self._check_user_limit(user, info_hash)
        streams = self._streams(lingering=True)
        limit = self.config.engine_max_streams
        if (user, info_hash) not in streams and len(streams) >= limit:
            raise EngineBusy(
                f"the engine already serves {len(streams)} streams "
                f"(MIAUFLIX_ENGINE_MAX_STREAMS={limit}); retry when one ends"
            )

    def _reserve(self, user: str | None, info_hash: str) -> None:
        """Hold the slot of a request admitted to an open torrent until its body starts (a
        reader appears); a request waiting for an opening is counted by the opening."""
        if user is not None:
            self._reserved[(user, info_hash)] = self._clock() + STREAM_GRACE_S

    def stream_ended(self, info_hash: str, user: str) -> None:
        """A response of ``user`` on ``info_hash`` ended: its slot lingers ``STREAM_GRACE_S``
        (the player's reconnect after a seek finds it; the torrent counts as watched)."""
        with self._lock:
            self._reserved.pop((user, info_hash), None)
            self._lingering[(user, info_hash)] = self._clock() + STREAM_GRACE_S

    def _busy_hashes(self) -> set[str]:
        """Info-hashes somebody watches (readers, admitted requests, lingering slots)."""
        with self._lock:
            busy = {h for _, h in self._streams(lingering=True)}
            busy |= {h for h, t in self._torrents.items() if t.reader_count()}
            busy |= {t.info_hash for t in self._pack_files.all() if t.reader_count()}
            return busy

    def _check_user_limit(self, user: str, info_hash: str) -> None:
        """Distinct sources ``user`` reads or waits for, besides ``info_hash`` (under the lock).
        Held slots do not count here: a user who stops one film may start another at once."""
        streaming = {h for u, h in self._streams(lingering=False) if u == user}
        streaming.discard(info_hash)
        if len(streaming) >= self.config.engine_max_streams_per_user:
            raise StreamLimitReached(
                f"user {user} already streams {len(streaming)} sources "
                f"(MIAUFLIX_ENGINE_MAX_STREAMS_PER_USER={self.config.engine_max_streams_per_user})"
            )

    def _add(self, source_id: str, secrets: SourceSecrets, opening: _Opening) -> ActiveTorrent:
        assert self._session is not None
        resume = self.store.read_resume(secrets.info_hash)
        known = self.store.read_torrent(secrets.info_hash)
        trackers = list(self.settings.engine_trackers)
        save_path = self.store.save_path(secrets.info_hash)
        fetched_ms = 0.0
        if resume and known:
            handle = self._session.add_torrent(
                save_path=save_path,
                resume=resume,
                torrent=known,
                trackers=trackers,
                hold_pieces=not self.naive,
            )
        else:
            fetch_started = time.monotonic()
            resolved = resolve(self._http, secrets, trackers)
            fetched_ms = (time.monotonic() - fetch_started) * 1000
            if resolved.fetch_error:
                log.info("source %s: using the magnet (%s)", source_id, resolved.fetch_error)
            handle = self._session.add_torrent(
                save_path=save_path,
                torrent=resolved.torrent,
                magnet=None if resolved.torrent else resolved.magnet,
                trackers=trackers,
                hold_pieces=not self.naive,  # the planner sets priorities before any request
            )
        handle.set_max_connections(self.config.engine_connections_per_torrent)
        if self.config.engine_upload_rate_per_torrent:
            handle.set_upload_limit(self.config.engine_upload_rate_per_torrent)
        self._handles[handle.info_hash] = handle
        self._connect_static(handle)
        try:
            metadata_started = time.monotonic()
            meta = self._wait_metadata(handle, source_id, opening)
            log.info(
                "source %s: %s; metadata after %.0f ms",
                source_id,
                "resumed from disk"
                if resume and known
                else f"torrent resolved in {fetched_ms:.0f} ms",
                (time.monotonic() - metadata_started) * 1000,
            )
            main = self._pick_file(meta, source_id, opening.episode)
        except (SourceResolveError, OpenAbandoned, EngineClosed):
            self._session.remove(handle)
            self._handles.pop(handle.info_hash, None)
            raise
        self.store.write_torrent(meta.info_hash, handle.torrent_bytes())
        planner = PlannerConfig(
            readahead_seconds=self.config.engine_readahead_seconds,
            bitrate=self._bitrate(source_id, main.size),
        )
        return ActiveTorrent(
            source_id=source_id,
            handle=SharedHandle(handle).view(),  # more episodes of a pack: more views
            meta=meta,
            main=main,
            save_path=save_path,
            planner_config=planner,
            naive=self.naive,
        )

    def _pick_file(
        self, meta: lt.TorrentMeta, source_id: str, episode: tuple[int, int] | None
    ) -> FileEntry:
        """The film, or the episode's file (the catalog's hint first) of a show source."""
        if episode is None:
            return pick_main_file(meta)
        try:
            hint = self.catalog.file_hint(source_id, *episode)
        except CatalogError:
            hint = None
        return pick_episode_file(meta, episode[0], episode[1], hint)

    def for_episode(
        self,
        torrent: ActiveTorrent,
        source_id: str,
        episode: tuple[int, int] | None,
        user: str | None,
    ) -> ActiveTorrent:
        """``torrent`` streaming ``episode``'s file: itself (or the pack's extra file) when it
        already does; else, when nobody reads the torrent and no other user holds it, the same
        torrent switched to that file (the same user's earlier episode gives way: autoplay);
        else an extra file streamed beside the others on the same handle (two people on two
        episodes, a player prefetching the next one). More than ``PackFiles.limit`` extra
        files of one pack being read at once is :class:`EngineBusy`."""
        if episode is None:
            return torrent
        entry = self._pick_file(torrent.meta, source_id, episode)
        planner = PlannerConfig(
            readahead_seconds=self.config.engine_readahead_seconds,
            bitrate=self._bitrate(source_id, entry.size),
        )
        with self._lock:
            current = self._torrents.get(torrent.info_hash, torrent)
            if current.main.index == entry.index:
                return current
            extra = self._pack_files.get(current.info_hash, entry.index)
            if extra is not None:
                return extra
            extras = self._pack_files.of(current.info_hash)
            others = {u for u, h in self._streams(lingering=True) if h == current.info_hash}
            others.discard(user or "")
            if others or readers((current, *extras)):
                return self._add_extra(current, source_id, entry, planner)
            current.close()  # before the new file's plan: the old one must not steer after it
            switched = ActiveTorrent(
                source_id=source_id,
                handle=current.handle,
                meta=current.meta,
                main=entry,
                save_path=current.save_path,
                planner_config=planner,
                naive=self.naive,
            )
            switched.paused = current.paused  # an idle-paused handle resumes for its reader
            self._torrents[torrent.info_hash] = switched
            self._by_source[source_id] = torrent.info_hash
            for idle in extras:
                self._drop_extra(idle)
        kept = range(switched.span.first_piece, switched.span.last_piece + 1)
        for piece in range(current.span.first_piece, current.span.last_piece + 1):
            if piece not in kept and not current.has(piece):  # old deadlines must not outrank
                current.handle.reset_piece_deadline(piece)
        switched.sync_have(current.handle.have_pieces())
        log.info("source %s: switched to %s", source_id, entry.path)
        return switched

    def _add_extra(
        self, current: ActiveTorrent, source_id: str, entry: FileEntry, planner: PlannerConfig
    ) -> ActiveTorrent:
        """Stream ``entry`` beside ``current``'s file on the same handle (under the lock)."""
        if self._pack_files.full(current.info_hash):
            idle = [t for t in self._pack_files.of(current.info_hash) if not t.reader_count()]
            if not idle:
                raise EngineBusy(
                    f"{self._pack_files.limit + 1} episodes of this pack are playing (source "
                    f"{source_id}); retry when one ends"
                )
            self._drop_extra(min(idle, key=lambda t: t.last_access))
        if not isinstance(current.handle, HandleView):
            raise EngineBusy(f"source {source_id} cannot stream two files at once")
        extra = ActiveTorrent(
            source_id=source_id,
            handle=current.handle.shared.view(),
            meta=current.meta,
            main=entry,
            save_path=current.save_path,
            planner_config=planner,
            naive=self.naive,
        )
        self._pack_files.add(extra)
        extra.sync_have(current.handle.have_pieces())
        log.info("source %s: also streaming %s", source_id, entry.path)
        return extra

    def _bitrate(self, source_id: str, size: int) -> float:
        try:
            mbps = self.catalog.source(source_id).bitrate_mbps
        except CatalogError:
            mbps = None
        if mbps and mbps > 0:
            return mbps * 1_000_000 / 8
        return max(size / 5400, 250_000.0)  # assume a 90-minute film

    def _wait_metadata(
        self, handle: lt.Handle, source_id: str, opening: _Opening
    ) -> lt.TorrentMeta:
        deadline = time.monotonic() + self.config.engine_metadata_timeout
        while not handle.has_metadata():
            if opening.abandoned.is_set():
                with self._lock:
                    if not opening.waiters:
                        opening.given_up = True
                        raise OpenAbandoned(f"nobody waits for source {source_id} any more")
            if time.monotonic() > deadline:
                raise MetadataTimeout(
                    f"no metadata for source {source_id} after "
                    f"{self.config.engine_metadata_timeout:.0f}s (no peer had it)"
                )
            if self._stop.wait(0.05):
                raise EngineClosed("the engine is shutting down")
        return handle.meta()

    def _connect_static(self, handle: lt.Handle) -> None:
        for host, port in self.static_peers:
            handle.connect_peer(host, port)

    # --- the poller ----------------------------------------------------------------------

    def _poll(self) -> None:
        last = 0.0
        while not self._stop.is_set():
            session = self._session
            if session is None:
                break
            try:
                session.wait_for_alert(100)
                for event in session.pop_events():
                    self._dispatch(event)
                now = time.monotonic()
                if now - last >= HOUSEKEEPING_S:
                    last = now
                    self.housekeeping()
            except Exception:  # the poller must outlive any single bad alert
                log.exception("alert poller")

    def _dispatch(self, event: lt.Event) -> None:
        torrent = self._torrents.get(event.info_hash)
        files = [torrent, *self._pack_files.of(event.info_hash)] if torrent is not None else []
        if isinstance(event, lt.PieceFinished):
            for each in files:
                each.on_piece(event.piece)
            if torrent is not None:
                for listener in self._piece_listeners:
                    listener(event.info_hash, event.piece)
        elif isinstance(event, lt.PieceRead):
            for each in files:
                each.on_piece_read(event.piece, event.data, event.error)
        elif isinstance(event, lt.TorrentFailed):
            log.warning("torrent %s: %s", event.info_hash[:8], event.message)

    def _save_resume(self, torrent: ActiveTorrent) -> None:
        handle = self._handles.get(torrent.info_hash)
        if handle is not None and handle.is_valid():
            self.store.write_resume(torrent.info_hash, handle.resume_data())

    def housekeeping(self) -> None:
        """Rates, peers, idle torrents, resume data, quota (called by the poller)."""
        now = time.monotonic()
        with self._lock:
            torrents = list(self._torrents.values())
        # every torrent's peers first: an address one torrent parks must not be another's
        # sender (the IP filter is the session's)
        peers_of = {
            t.info_hash: handle.peers()
            for t in torrents
            if (handle := self._handles.get(t.info_hash)) is not None and handle.is_valid()
        }
        senders_of = {info_hash: delivering(peers) for info_hash, peers in peers_of.items()}
        for torrent in torrents:
            handle = self._handles.get(torrent.info_hash)
            if handle is None or not handle.is_valid():
                continue
            stats = handle.stats()
            have = handle.have_pieces()
            extras = self._extra_files(torrent)
            for each in (torrent, *extras):
                each.sync_have(have)
                each.tick(stats)
            if readers((torrent, *extras)):
                peers = peers_of.get(torrent.info_hash, [])
                elsewhere = set().union(
                    *(s for h, s in senders_of.items() if h != torrent.info_hash)
                )
                if released := self._parking.release_if_starved(torrent.info_hash, peers):
                    log.info("torrent %s: no peer delivers; %d parked peer(s) let back",
                             torrent.info_hash[:8], len(released))  # fmt: skip
                    self._apply_parking()
                if released or stats.num_peers == 0:  # released: the filter dropped them
                    self._revive(handle)  # from the peer list (and nobody delivers to park for)
                elif parked := self._parking.review(torrent.info_hash, peers, now, elsewhere):
                    seconds = self._parking.park_seconds
                    log.info("torrent %s: %d stalled peer(s) parked for %.0fs",
                             torrent.info_hash[:8], len(parked), seconds)  # fmt: skip
                    self._apply_parking()
            idle = min(t.idle_seconds() for t in (torrent, *extras))
            if idle >= self.config.engine_idle_remove_seconds:
                self._retire(torrent, delete_data=False)
            elif idle >= self.config.engine_idle_pause_seconds and torrent.pause_if_idle(
                self.config.engine_idle_pause_seconds
            ):
                self._save_resume(torrent)
                self._record(torrent)
        if self._parking.expire(now):
            self._apply_parking()
        if now - self._last_resume_save >= RESUME_SAVE_S:
            self._last_resume_save = now
            for torrent in torrents:
                self._save_resume(torrent)
                self._record(torrent)
        if now - self._last_quota >= QUOTA_CHECK_S:
            self._last_quota = now
            for torrent in torrents:
                self._record(torrent)
            self.enforce_quota()

    def _apply_parking(self) -> None:
        session = self._session
        if session is not None:
            session.block_addresses(self._parking.parked())

    def _extra_files(self, torrent: ActiveTorrent) -> list[ActiveTorrent]:
        """The pack's other streamed files; those idle past the pause delay are dropped."""
        extras = []
        for extra in self._pack_files.of(torrent.info_hash):
            if extra.idle_seconds() >= self.config.engine_idle_pause_seconds:
                self._drop_extra(extra)
            else:
                extras.append(extra)
        return extras

    def _drop_extra(self, extra: ActiveTorrent) -> None:
        if self._pack_files.remove(extra):
            extra.close()
            if isinstance(extra.handle, HandleView):
                extra.handle.detach()
            log.info("source %s: stopped streaming %s", extra.source_id, extra.main.path)

    def _revive(self, handle: lt.Handle) -> None:
        """Readers wait and no peer is connected (or parked ones were let back): dial static
        peers, re-announce (2 s apart)."""
        now = time.monotonic()
        if now - self._last_reannounce.get(handle.info_hash, 0.0) < 2.0:
            return
        self._last_reannounce[handle.info_hash] = now
        self._connect_static(handle)
        handle.force_reannounce()

    # --- bounds --------------------------------------------------------------------------

    def _make_room(self) -> None:
        """Keep under ``engine_max_active_torrents`` (openings count): retire the least
        recently used idle torrent, or refuse (:class:`EngineFull`) when every one is
        watched (a reader, or a slot held for a request or a seek's reconnect)."""
        with self._lock:
            active = list(self._torrents.values())
            opening = len(self._openings)
            busy = self._busy_hashes()
        limit = self.config.engine_max_active_torrents
        if len(active) + opening < limit:
            return
        idle = sorted((t for t in active if t.info_hash not in busy), key=lambda t: t.last_access)
        if not idle:
            raise EngineFull(
                f"all {limit} torrent slots are taken: {len(active)} torrents are being "
                f"watched and {opening} are being opened "
                f"(MIAUFLIX_ENGINE_MAX_ACTIVE_TORRENTS={limit}); none is idle to make room"
            )
        self._retire(idle[0], delete_data=False)

    def _check_quota(self) -> None:
        """Before a new source comes in: over the disk quota, evict what is idle; when
        every torrent holding data is watched, refuse (:class:`DiskQuotaExceeded`)."""
        quota = self.config.disk_quota_bytes
        if quota <= 0 or self.store.total_bytes() <= quota:
            return
        self.enforce_quota()
        used = self.store.total_bytes()
        if used > quota:
            raise DiskQuotaExceeded(
                f"{used / MIB:.1f} MiB of torrent data are held, over the disk quota "
                f"(MIAUFLIX_ENGINE_DISK_QUOTA_MB={self.config.engine_disk_quota_mb}), and "
                "every torrent holding data is being watched; retry when a stream ends"
            )

    def _retire(self, torrent: ActiveTorrent, *, delete_data: bool) -> None:
        """Take a torrent out of the session (resume data saved first unless deleting)."""
        info_hash = torrent.info_hash
        handle = self._handles.get(info_hash)
        if not delete_data:
            self._save_resume(torrent)
        with self._lock:
            self._torrents.pop(info_hash, None)
            for source_id in [s for s, h in self._by_source.items() if h == info_hash]:
                del self._by_source[source_id]
            self._handles.pop(info_hash, None)
        for extra in self._pack_files.pop_all(info_hash):
            extra.close()
        torrent.close()
        if handle is not None and self._session is not None:
            self._session.remove(handle, delete_files=delete_data)
        if delete_data:
            self.store.forget(info_hash, delete_data=True)
        else:
            self._record(torrent, state="stored")

    def enforce_quota(self) -> list[str]:
        """Evict least recently used idle torrents' data until under the quota."""
        quota = self.config.disk_quota_bytes
        if quota <= 0:
            return []
        with self._quota_lock:
            return self._evict(quota)

    def _evict(self, quota: int) -> list[str]:
        evicted: list[str] = []
        total = self.store.total_bytes()
        busy = self._busy_hashes()
        for record in self.store.records():
            if total <= quota:
                break
            torrent = self._torrents.get(record.info_hash)
            if record.info_hash in busy or (torrent is not None and torrent.reader_count()):
                continue
            if torrent is not None:
                self._retire(torrent, delete_data=True)
            else:
                self.store.forget(record.info_hash, delete_data=True)
            total -= record.bytes_have
            evicted.append(record.source_id)
            log.info("quota: evicted source %s (%d bytes)", record.source_id, record.bytes_have)
        return evicted

    def _record(self, torrent: ActiveTorrent, state: str | None = None) -> None:
        if state is None:
            state = (
                "streaming" if torrent.reader_count() else ("paused" if torrent.paused else "idle")
            )
        existing = self.store.get(torrent.info_hash)
        self.store.upsert(
            StorageRecord(
                info_hash=torrent.info_hash,
                source_id=torrent.source_id,
                name=torrent.meta.name,
                file_path=torrent.main.path,
                file_size=torrent.size,
                num_pieces=torrent.meta.num_pieces,
                pieces_have=torrent.pieces_have(),
                bytes_have=torrent.file_bytes_have(),
                added_at=existing.added_at if existing else time.time(),
                last_access=torrent.last_access_wall,
                state=state,
            )
        )

    # --- status ----------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        with self._lock:
            live = dict(self._torrents)
            streams = len(self._streams(lingering=True))
        download_rate = upload_rate = 0
        for info_hash in live:
            handle = self._handles.get(info_hash)
            if handle is not None and handle.is_valid():
                stats = handle.stats()
                download_rate += stats.download_rate
                upload_rate += stats.upload_rate
        cfg = self.config
        sources = []
        for record in reversed(self.store.records()):
            torrent = live.get(record.info_hash)
            entry: dict[str, Any] = {
                "source_id": record.source_id,
                "name": record.name,
                "file": record.file_path,
                "size_bytes": record.file_size,
                "pieces_have": record.pieces_have,
                "num_pieces": record.num_pieces,
                "bytes_have": record.bytes_have,
                "progress": round(record.progress, 4),
                "last_access": record.last_access,
                "state": record.state,
                "in_session": torrent is not None,
            }
            if torrent is not None:
                entry.update(
                    pieces_have=torrent.pieces_have(),
                    bytes_have=torrent.file_bytes_have(),
                    readers=readers((torrent, *self._pack_files.of(record.info_hash))),
                    download_rate=int(torrent.download_rate),
                    paused=torrent.paused,
                )
                entry["progress"] = round(entry["bytes_have"] / max(record.file_size, 1), 4)
            sources.append(entry)
        return {
            "libtorrent": lt.VERSION,
            "mode": "naive-sequential" if self.naive else "deadlines",
            "bt_port": self.bt_port,
            "vpn": self.vpn.as_dict(),
            "disk": {
                "quota_bytes": self.config.disk_quota_bytes,
                "used_bytes": self.store.total_bytes(),
                "download_dir": str(self.store.root),
            },
            "active_torrents": len(live),
            "limits": {
                "max_streams": cfg.engine_max_streams,
                "streams": streams,
                "max_streams_per_user": cfg.engine_max_streams_per_user,
                "max_active_torrents": cfg.engine_max_active_torrents,
                "max_connections": cfg.engine_max_connections,
            },
            "transfer": {
                "download_rate": download_rate,
                "upload_rate": upload_rate,
                "download_rate_limit": cfg.engine_download_rate_limit,
                "upload_rate_limit": cfg.engine_upload_rate_limit,
                "upload_rate_per_torrent": cfg.engine_upload_rate_per_torrent,
                "parked_peers": len(self._parking.parked()),  # stalled, dropped for a while
            },
            "sources": sources,
        }

    def stream_status(self, source_id: str) -> dict[str, Any]:
        """What one stream is waiting for, for the player's buffering overlay (no secret):
        ``starting`` (fetching the torrent or its metadata, finding peers) or ``streaming``,
        with connected peers, the download rate and how much of the file is here."""
        torrent = self.torrent_for(source_id)
        if torrent is None:
            with self._lock:
                opening = any(o.source_id == source_id for o in self._openings.values())
            return {"source_id": source_id, "state": "starting" if opening else "idle",
                    "peers": 0, "seeds": 0, "download_rate": 0, "bytes_have": 0,
                    "size_bytes": None}  # fmt: skip
        handle = self._handles.get(torrent.info_hash)
        stats = handle.stats() if handle is not None and handle.is_valid() else None
        return {
            "source_id": source_id,
            "state": "paused" if torrent.paused else "streaming",
            "peers": stats.num_peers if stats else 0,
            "seeds": stats.num_seeds if stats else 0,
            "download_rate": int(torrent.download_rate),
            "bytes_have": torrent.file_bytes_have(),
            "size_bytes": torrent.size,
        }

    def torrent_for(self, source_id: str) -> ActiveTorrent | None:
        with self._lock:
            info_hash = self._by_source.get(source_id)
            return self._torrents.get(info_hash) if info_hash else None

    def data_path(self, info_hash: str) -> Path:
        return self.store.save_path(info_hash)
