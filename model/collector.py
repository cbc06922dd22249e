"""The heartbeat collector's recover path (``HeartBeatCollector.sendRecoverDispatcherMessages``
in ``downstreamadapter/dispatchermanager/heartbeat_collector.go``): it takes requests from the
shared queue in order and sends each to the maintainer ID the request was addressed to.
"""

from __future__ import annotations

from .channels import pop, send
from .state import ABSENT, DOWN, REQUESTS, SEND_FAILURE, STOPPED, to_maintainer, with_channels, with_channels_fallback


def hbc_send_args(s, cfg):
    return ((),) if s.channels[REQUESTS] else ()


def hbc_send(s, cfg):
    """The head of ``requests``: to a live or removing maintainer it goes to that maintainer's
    ``to_maintainer`` channel; to a stopped one it is dropped silently (the node is up, the
    maintainer manager finds no maintainer); to a crashed node (or one that never ran a
    maintainer) ``SendCommand`` fails for its 10 s of retries and the changefeed fallback
    ``send_failure`` is raised.
    (``sendRecoverDispatcherMessages``, ``sendRecoverDispatcherRequestWithRetry``,
    ``Manager.dispatcherMaintainerMessage``)"""
    request = s.channels[REQUESTS][0]
    channels = pop(s.channels, REQUESTS)
    status = s.maintainers[request.target].status
    if status == STOPPED:
        return with_channels(s, channels)
    if status in (ABSENT, DOWN):
        return with_channels_fallback(s, channels, SEND_FAILURE)
    channels = send(channels, to_maintainer(request.target), request, cfg)
    return None if channels is None else with_channels(s, channels)
