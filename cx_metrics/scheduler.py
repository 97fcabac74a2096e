"""Scheduled delivery inside the dashboard: one background thread per server process sends the digests that are due
and runs the alert rules (the same :func:`cx_metrics.digest.send.send_due` and
:func:`cx_metrics.alerts.evaluate.run` that `cx digest --send-due` and `cx alerts run` call from cron).

Why in the dashboard: DuckDB lets one process write a file only while no other process has it open, and the
dashboard holds its file for as long as it runs, so a cron job could never write its delivery records then. The
dashboard's own connection can (:meth:`cx_metrics.db.SharedDatabase.writing`), and only when there is work: each tick
first asks, in a read section, whether a subscription is due, a message waits for an attempt or a rule has a new
period, so an idle dashboard never switches its connection to read-write (which would shut `cx` readers out).

Idempotency is the outbox's: a digest is one message per subscription and schedule slot, an alert one per event
and recipient (dedupe keys checked in the writing process), so a tick and a cron run of the same hour, whichever
comes first, send nothing twice; DuckDB's single writer serialises them.

The heartbeat is a small JSON file beside the database (``<database>.delivery.json``: pid, interval, last beat,
last run, what it sent, the last error). The Digests page shows it (:func:`status`); the CLI reads it when it finds
the file held by a dashboard, to say "that dashboard delivers" instead of failing. A file, not a table: it can be read
while the dashboard writes (DuckDB lets nobody read a file a process writes), and beating costs the dashboard no
switch to read-write every minute.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from cx_metrics import db, spark
from cx_metrics.alerts import evaluate
from cx_metrics.config import Settings
from cx_metrics.delivery import outbox
from cx_metrics.delivery.secrets import load_secrets
from cx_metrics.digest import send

log = logging.getLogger(__name__)

#: a run (digests rendered, messages sent) may take this long before its heartbeat counts as stuck
LONG_RUN = dt.timedelta(minutes=30)


def heartbeat_path(settings: Settings) -> Path:
    return settings.db_path.with_name(settings.db_path.name + ".delivery.json")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Heartbeat:
    """What the dashboard's scheduler last wrote beside the database."""

    pid: int
    interval: float
    beat_at: dt.datetime
    running_since: dt.datetime | None
    last_run: dt.datetime | None
    last_lines: tuple[str, ...]
    last_error: str

    def alive(self, now: dt.datetime | None = None) -> bool:
        """Beating: idle and heard from within two intervals (and a minute), or in a run shorter than LONG_RUN."""
        at = now or _now()
        if self.running_since is not None:
            return at - self.running_since <= LONG_RUN
        return at - self.beat_at <= dt.timedelta(seconds=2 * self.interval + 60)


def read_heartbeat(settings: Settings) -> Heartbeat | None:
    """The heartbeat file, or None when there is none or it cannot be read."""
    try:
        raw = json.loads(heartbeat_path(settings).read_text(encoding="utf-8"))

        def when(key: str) -> dt.datetime | None:
            return dt.datetime.fromisoformat(raw[key]) if raw.get(key) else None

        beat = when("beat_at")
        if beat is None:
            return None
        return Heartbeat(pid=int(raw["pid"]), interval=float(raw["interval"]), beat_at=beat,
                         running_since=when("running_since"), last_run=when("last_run"),
                         last_lines=tuple(str(x) for x in raw.get("last_lines", [])),
                         last_error=str(raw.get("last_error") or ""))
    except (OSError, ValueError, KeyError, TypeError):
        return None


class Scheduler:
    """The delivery thread of one process and database file; :func:`start` makes at most one."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.interval = settings.delivery_interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cx-delivery", daemon=True)
        self._alerts_seen: tuple[int, tuple[tuple[int, dt.date], ...]] | None = None
        self._last_run: dt.datetime | None = None
        self._last_lines: list[str] = []
        self._last_error = ""
        self.ticks = 0
        self.runs = 0

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread (tests; a server shutting down) and remove this process's heartbeat."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        beat = read_heartbeat(self.settings)
        if beat is not None and beat.pid == os.getpid():
            heartbeat_path(self.settings).unlink(missing_ok=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception as exc:
                self._last_error = f"{_now():%Y-%m-%d %H:%M} UTC: {exc}"
                log.exception("scheduled delivery failed; retried in %.0f s", self.interval)
                self._beat(None)
            self._stop.wait(self.interval)

    def _beat(self, running_since: dt.datetime | None) -> None:
        path = heartbeat_path(self.settings)
        data = {"pid": os.getpid(), "interval": self.interval, "beat_at": _now().isoformat(),
                "running_since": running_since.isoformat() if running_since else None,
                "last_run": self._last_run.isoformat() if self._last_run else None,
                "last_lines": self._last_lines, "last_error": self._last_error}
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(data), encoding="utf-8")
            tmp.replace(path)  # atomic: a reader sees the old beat or the new one
        except OSError:
            log.warning("could not write the delivery heartbeat %s", path, exc_info=True)

    def _work(self, now: dt.datetime) -> tuple[bool, tuple[int, tuple[tuple[int, dt.date], ...]] | None]:
        """(digests or messages due, the alert rules' pending work when it is new), read in a read section."""
        with spark.database(self.settings).reading() as conn:
            digests = bool(send.due(conn, now)) or outbox.has_due(conn, now)
            todo = evaluate.pending(conn)
            seen = (db.data_version(conn), todo) if todo else None
        # a rule whose pending period yielded nothing to save would be pending again: not run twice on the same data
        return digests, (seen if seen is not None and seen != self._alerts_seen else None)

    def tick(self, now: dt.datetime | None = None) -> bool:
        """One round: when there is work, run the alert rules and send what is due in a write section. True when it
        ran (and so wrote)."""
        self.ticks += 1
        at = now or _now()
        self._beat(None)
        digests, alerts = self._work(at)
        if not digests and alerts is None:
            return False
        started = _now()
        self._beat(started)
        secrets = load_secrets()
        lines: list[str] = []
        try:
            with spark.database(self.settings).writing() as conn:
                if alerts is not None:
                    lines += evaluate.run(conn, self.settings, secrets, now=now, deliver=False).lines()
                    self._alerts_seen = alerts
                lines += send.send_due(conn, self.settings, secrets, now=now).lines()
        finally:
            self._last_run = started
        self.runs += 1
        self._last_lines, self._last_error = lines, ""
        log.info("scheduled delivery: %s", "; ".join(line.strip() for line in lines))
        self._beat(None)
        return True


_schedulers: dict[Path, Scheduler] = {}
_lock = threading.Lock()


def start(settings: Settings) -> Scheduler | None:
    """Start this process's delivery thread for the settings' database, once (later calls, from any thread, return
    the running one); None when ``[delivery] in_dashboard`` is off. On the Spark engine the digests and alerts are
    computed from the lake, and what delivery records (outbox, alert state and events) is kept in the DuckDB file,
    as the pages' state is (README: Mixed mode)."""
    if not settings.delivery_in_dashboard:
        return None
    with _lock:
        found = _schedulers.get(settings.db_path)
        if found is not None and found.thread.is_alive():
            return found
        found = _schedulers[settings.db_path] = Scheduler(settings)
        found.thread.start()
        atexit.register(found.stop, 0)  # a stopped server leaves no heartbeat (without waiting for a run to end)
        return found


def running(settings: Settings) -> Scheduler | None:
    """This process's delivery thread for the settings' database, when it runs."""
    with _lock:
        found = _schedulers.get(settings.db_path)
    return found if found is not None and found.thread.is_alive() else None


@dataclass(frozen=True)
class DeliveryStatus:
    """Who sends a database's due digests and runs its alert rules, as the dashboard process asking sees it."""

    #: this process delivers (its thread runs), beating or not
    delivers: bool
    #: delivering and heard from recently: nothing for anyone to do
    healthy: bool
    #: one paragraph: who delivers, or why nobody does and what to do
    summary: str
    beat: Heartbeat | None = None
    #: when the thread looks again (idle: last beat + interval); None while a run is under way or nobody delivers
    next_check: dt.datetime | None = None


_CRON_BLOCKED = ("While this dashboard has the database open, `cx digest --send-due` and `cx alerts run` from cron "
                 "cannot write to it either: they exit 1 and say so.")


def status(settings: Settings, now: dt.datetime | None = None) -> DeliveryStatus:
    """Whether this dashboard process delivers (its heartbeat: last check, last run, next check, last error and
    what the last run sent), or who must, in words for the Digests page."""
    at = now or _now()
    if not settings.delivery_in_dashboard:
        return DeliveryStatus(False, False, (
            "This dashboard does not deliver: `[delivery] in_dashboard = false` in cx.toml (or "
            f"CX_DELIVERY_IN_DASHBOARD). {_CRON_BLOCKED} Let cron send while the dashboard is stopped, or set "
            "`in_dashboard = true` and restart it with `make run`."))
    thread = running(settings)
    if thread is None:
        return DeliveryStatus(False, False, (
            "This dashboard does not deliver: it was started without app.py (as `streamlit run dashboard.py`), and "
            f"app.py is what starts the delivery thread. {_CRON_BLOCKED} Restart it with `make run` (or "
            "`streamlit run app.py`)."))
    every = f"every {thread.interval:.0f} s"
    beat = read_heartbeat(settings)
    if beat is None or beat.pid != os.getpid():
        return DeliveryStatus(True, True, f"This dashboard sends the due digests and runs the alert rules itself, "
                                          f"{every}; its first check is under way.", None, None)
    if not beat.alive(at):
        since = beat.running_since or beat.beat_at
        return DeliveryStatus(True, False, (
            f"This dashboard's delivery thread has not reported since {since:%Y-%m-%d %H:%M} UTC (it checks {every}): "
            "it may be stuck, and nothing is sent meanwhile. Restart the dashboard; its log says what the thread was "
            "doing."), beat, None)
    if beat.running_since is not None:
        return DeliveryStatus(True, True, (
            f"This dashboard sends the due digests and runs the alert rules itself, {every}: a run is under way "
            f"since {beat.running_since:%H:%M:%S} UTC. No cron job is needed while it runs."), beat, None)
    return DeliveryStatus(True, True, (
        f"This dashboard sends the due digests and runs the alert rules itself, {every}. No cron job is needed "
        "while it runs; keep the cron lines for when it is stopped."), beat,
        beat.beat_at + dt.timedelta(seconds=beat.interval))


def stop_all() -> None:
    """Stop every delivery thread of this process (tests)."""
    with _lock:
        running = list(_schedulers.values())
        _schedulers.clear()
    for scheduler in running:
        scheduler.stop()


def describe_holder(settings: Settings, holder: db.LockHolder, command: str) -> tuple[int, str]:
    """What `cx digest --send-due` / `cx alerts run` say when ``holder`` (a dashboard) has the file: (exit code,
    message). 0 when that dashboard's scheduler is beating: it delivers; 1 otherwise, with what to do."""
    beat = read_heartbeat(settings)
    where = f"the dashboard (process {holder.pid})" if holder.pid else "the dashboard"
    if beat is not None and beat.pid == holder.pid and beat.alive():
        last = (f"; its last run was at {beat.last_run:%Y-%m-%d %H:%M} UTC" if beat.last_run else
                "; nothing has been due since it started")
        error = f". Its last attempt failed: {beat.last_error}" if beat.last_error else ""
        return 0, (f"{settings.db_path} is open in {where}, which sends the due digests and runs the alert rules "
                   f"itself every {beat.interval:.0f} s{last}{error}. `{command}` has nothing to do while it runs; "
                   "see what was sent with `cx outbox list`.")
    if beat is not None and beat.pid == holder.pid:
        stuck = f"it may be stuck: {beat.last_error}" if beat.last_error else "it may be stuck"
        return 1, (f"{settings.db_path} is open in {where}, whose delivery scheduler has not reported since "
                   f"{beat.beat_at:%Y-%m-%d %H:%M} UTC ({stuck}), so `{command}` cannot write to the database. "
                   "Restart the dashboard; its log says what the scheduler was doing.")
    if not settings.delivery_in_dashboard:
        why = "its delivery is off ([delivery] in_dashboard = false in cx.toml, or CX_DELIVERY_IN_DASHBOARD)"
    else:
        why = "it does not send due digests itself (started without app.py, or before this version)"
    return 1, (f"{settings.db_path} is open in {where}, and {why}, so `{command}` cannot write to the database. "
               "Set [delivery] in_dashboard = true in cx.toml and restart the dashboard with `make run` (it then "
               "delivers itself), or schedule this command for when the dashboard is stopped.")

