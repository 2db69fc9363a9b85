"""``GET /metrics``: Prometheus text through ``prometheus-client``, one registry per app.

Measured as things happen (histograms): journal batch sizes and commit latency (the
engine's journal tells every commit, :meth:`runtime.engine.Engine.watch`), and action
durations by action and outcome (every attempt as it ends,
:meth:`runtime.engine.Engine.observe_attempts`). Read at each scrape (gauges): executions by
status (the store's counts), item workers busy and requests waiting for one (the process's
worker budget), each running execution's supervisor mailbox depth, the journal's totals.

Misuse: :meth:`Metrics.close` when the app stops (it stops the observers); attempt
observers are process-wide, so two apps in one process both count every attempt.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from runtime.engine import Engine
from runtime.status import Outcome, WorkflowStatus

__all__ = ["Metrics"]

BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096)
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
ACTION_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 1800.0)


class _Gauges(Collector):
    """What is read at each scrape."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        executions = GaugeMetricFamily("troupe_executions", "Executions in the store, by "
                                       "status", labels=["status"])
        counts = self.engine.counts()
        for status in WorkflowStatus:
            executions.add_metric([status.value], counts.get(status.value, 0))
        yield executions
        busy, limit, waiting = self.engine.worker_usage()
        yield GaugeMetricFamily("troupe_items_in_flight", "With-items item workers busy "
                                "(items running), across executions", value=busy)
        yield GaugeMetricFamily("troupe_item_worker_requests_waiting", "Requests for item "
                                "workers waiting for the worker budget", value=waiting)
        yield GaugeMetricFamily("troupe_item_worker_limit", "The worker budget's limit",
                                value=limit)
        depths = GaugeMetricFamily("troupe_supervisor_mailbox_depth", "Messages waiting in "
                                   "a running execution's supervisor mailbox",
                                   labels=["execution"])
        for execution_id, depth in sorted(self.engine.mailbox_depths().items()):
            depths.add_metric([execution_id], depth)
        yield depths
        stats = self.engine.journal_stats()
        yield CounterMetricFamily("troupe_journal_commits", "Journal transactions written",
                                  value=stats.commits)
        yield CounterMetricFamily("troupe_journal_entries", "Journal entries written",
                                  value=stats.entries)
        yield CounterMetricFamily("troupe_journal_failed_batches", "Journal batches that "
                                  "could not be written", value=stats.failed)


class Metrics:
    """The metrics of one app."""

    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.batch = Histogram("troupe_journal_batch_entries", "Entries per journal commit "
                               "(group commit batch size)", buckets=BATCH_BUCKETS,
                               registry=self.registry)
        self.commit = Histogram("troupe_journal_commit_seconds", "Seconds one journal "
                                "transaction took", buckets=LATENCY_BUCKETS,
                                registry=self.registry)
        self.actions = Histogram("troupe_action_duration_seconds", "Seconds an action "
                                 "attempt took, by action and outcome",
                                 ["action", "outcome"], buckets=ACTION_BUCKETS,
                                 registry=self.registry)
        self.registry.register(_Gauges(engine))
        self._stops = [engine.watch(self._committed), engine.observe_attempts(self._attempt)]

    def _committed(self, commit: Any) -> None:
        self.batch.observe(commit.entries)
        self.commit.observe(commit.seconds)

    def _attempt(self, action: str, seconds: float, outcome: Outcome) -> None:
        self.actions.labels(action, outcome.value).observe(seconds)

    def text(self) -> bytes:
        """The exposition text (blocking: it asks the engine)."""
        return bytes(generate_latest(self.registry))

    def close(self) -> None:
        """Stop observing."""
        for stop in self._stops:
            stop()
        self._stops = []
