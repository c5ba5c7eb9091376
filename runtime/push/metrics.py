"""Prometheus metrics of the receiver, in a registry of its own (one per app, so tests do not share counters)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _QueueDepth(Collector):
    """Events waiting in each connector's queue, read at scrape time."""

    def __init__(self, depths: Mapping[str, Callable[[], int]]) -> None:
        self.depths = depths

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "gemini_sync_push_queued_events", "Events in the queue, not yet drained by a run", labels=["connector"]
        )
        for name, depth in sorted(self.depths.items()):
            family.add_metric([name], depth())
        yield family


class PushMetrics:
    def __init__(self, depths: Mapping[str, Callable[[], int]]) -> None:
        self.registry = CollectorRegistry()
        self.accepted = Counter(
            "gemini_sync_push_events_accepted",
            "Events accepted and queued durably",
            ["connector"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "gemini_sync_push_events_rejected",
            "Events rejected at the door (their request may still have been accepted)",
            ["connector"],
            registry=self.registry,
        )
        self.requests = Counter(
            "gemini_sync_push_requests",
            "Push requests answered, by status code",
            ["connector", "code"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "gemini_sync_push_request_duration_seconds",
            "Time from receiving a push request to answering it (includes the fsync)",
            ["connector"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_QueueDepth(depths))
