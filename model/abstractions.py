"""What the model abstracts, and where it departs from PROTOCOL.md (the Go code wins).

This module holds no code: it is the one place that says what the model leaves out and why.

Abstractions
------------
- **One changefeed, one DM node (n1), dispatchers d1..d3, maintainer incarnations A and B.**
  Other nodes appear only as "the span lives elsewhere" (``spans``); what happens there is not
  followed. Redo dispatchers, the table-trigger dispatcher, merge/split mechanics and the
  basic scheduler re-adding an absent span are left out: the findings need none of them.
- **Time is ticks.** No clock: ``dm_resend_tick`` (5 s) and ``dm_timeout_tick`` (10 min
  pending timeout, checked every minute) may fire at any step the loop is free; the timeout
  fires for any pending entry (``firstSeen`` is not kept). The maintainer's attempt counter
  never resets (Go resets it after 10 healthy minutes).
- **slow_ticks (bound, default on).** The resend ticker fires only when no recover request or
  response is queued or in transit (``requests``, ``to_maintainer.*``, ``responses.*``): the
  5 s interval is taken to be longer than a round trip. Without it, resends overtaking
  in-flight requests multiply the state space about twentyfold; ``slow_ticks=off`` restores
  them, and ``duplicate`` on ``requests`` still produces two copies in flight. A replayed
  scenario starts from Go's values for this and the other search-only bounds
  (``model.scenario.REPLAY_BOUNDS``).
- **resend_order (bound, default sorted).** ``resendPendingRecoverRequests`` ranges over the
  tracker's map, so Go resends a batch in any order; the model lists it in ascending dispatcher
  order. The order matters downstream (the maintainer answers in order, queues Remove(D) in
  order, and a FAILED ends the batch). ``resend_order=any`` makes every order a successor; it is
  the setting under which dispatchers are interchangeable (``model.symmetry``).
- **Atomic steps.** Each action is one atomic step of one goroutine: the recover loop's event
  handling is ``dm_take_event`` + ``dm_add_pending`` (the window N6/N7 live in), everything
  else one step. Go's locks make the finer interleavings equivalent for the tracker.
- **One de per instance.** The event collector may bump ``dispatcherEpoch`` within an instance
  (a reset); the model gives each instance one ``de`` (``epoch_policy``).
- **One message per failure.** A failed message carries one (D, de); the reporter's per-call
  batch dedupe (max de per D) is implemented (``sink.normalize``) and unit-tested, but a
  multi-dispatcher message is not generated.
- **Operator messages are one-shot.** Go's operators resend Remove/Create until acknowledged and
  the periodic heartbeat re-reports statuses; the model sends each once, on non-lossy channels
  unless the config says otherwise.
- **Statuses reach the maintainer at first_event.** Go forwards a Working status to the
  maintainer from the status loop, after ``onDispatcherStatusForRecover``, and also in the
  periodic full heartbeat; the model puts it on ``heartbeat`` at ``first_event``, which covers
  both orders.
- **Channel capacity is a bound** on the request path only (``requests``, ``to_maintainer.*``,
  ``responses.*``, which ticks could refill without end). A sender finding it full waits (the
  step is not enabled), which only delays: the chain ends at the DM's response handler, which
  never waits, so no cycle of waits (deadlock) can form; the reporter does not wait: a full ``events`` raises
  ``sink_error`` (``events_capacity``, Go's 1024). A stopped maintainer's queued requests are
  dropped at ``stop_maintainer``; its responses and schedule commands already sent stay in
  flight.
- **The changefeed fallback ends a behaviour.** FAILED raises ``budget_exhausted`` in the
  maintainer's step (``Maintainer.onError``), so the DM never processes a FAILED entry in a
  behaviour; the DM's FAILED branch is still implemented (``dm.dm_recv_response``) and
  unit-tested on a state built by hand.

Where PROTOCOL.md and the Go code (refs/pull/4139/head) disagree, or PROTOCOL.md is silent
-------------------------------------------------------------------------------------------
1. ``downstreamadapter/dispatchermanager/dispatcher_manager_helper.go:removeDispatcher``: a
   Remove for a dispatcher not in the map answers a Stopped status at once. PROTOCOL.md does
   not say; the model does it (``dm_recv_schedule``), so a restart operator whose instance is
   already gone still advances to Create.
2. ``dispatcher_manager.go:collectComponentStatusWhenChanged``: the Working status reaches the
   maintainer through the status loop (after the clear) or the periodic heartbeat, not as a
   separate push by the dispatcher (PROTOCOL.md ``first_event``). Kept as PROTOCOL.md says,
   since the two independent channels cover both orders.
3. ``maintainer/recoverable.go:tryRecoverDispatcher``: a span that exists but lives on another
   node gets a restart operator there (origin = the span's node, not the requester): ACCEPTED,
   ``attempts += 1``, and a restart the DM's node never sees. PROTOCOL.md says "span missing or
   without node -> SUPERSEDED" only; the model answers ACCEPTED and counts
   ``remote_restarts`` (a ghost) for it.
4. ``maintainer/recoverable.go:tryRecoverDispatcher``: FAILED calls ``Maintainer.onError``
   and returns the entries so far; the response (with FAILED) is still sent. PROTOCOL.md fact 5
   says "only FAILED removes the entry": true in the DM's code, but the fallback raised with it
   ends the behaviour first (see above).
5. ``heartbeat_collector.go:sendRecoverDispatcherMessages``: a send failure raises the
   fallback only after retries fail, i.e. when the target node is unreachable. In the model the
   DM's maintainer ID always names an incarnation that existed, so ``send_failure`` (target
   ``absent``) is unreachable; a stopped maintainer's node is up and drops the request
   (maintainer manager finds no maintainer), as PROTOCOL.md says.
6. ``dispatcher_manager.go:onDispatcherRemovedForRecover``: with no pending entry it calls
   ``clearRecoverState`` (tracker remove + ``Reporter.Clear``), as PROTOCOL.md says; with one it
   only marks it removed and keeps the reporter's memory.
7. ``helper.go:SchedulerDispatcherRequestHandler.Handle``: schedule requests are applied from any
   maintainer; no check of the sender or its epoch (PROTOCOL.md is silent).
"""
