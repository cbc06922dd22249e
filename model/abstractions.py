"""What the model abstracts, and where it departs from the first reading of the protocol (the Go
code of ``refs/pull/4139/head`` wins).

This module holds no code: it is the one place that says what the model leaves out, why, and why
that cannot change a verdict. ``docs/protocol.md`` describes the protocol as the model has it.

Abstractions
------------
- **One changefeed, one DM node, dispatchers d1..d3, maintainer nodes A and B.** Other DM nodes
  appear only as "the span lives elsewhere" (``spans``); what happens there is not followed. Redo
  dispatchers, the table-trigger dispatcher, the barrier and the balance schedulers are left out.
  The DM's node never crashes: every finding is about that DM, and a crash of its node closes it.
  Why no verdict changes: each left-out part only adds operators the model already has a kind for
  (``add_operator``), or acts on other nodes.
- **Time is ticks.** No clock: ``dm_resend_tick`` (5 s) and ``dm_timeout_tick`` (10 min pending
  timeout, checked every minute) may fire whenever the loop is free; the timeout fires for any
  pending entry (``firstSeen`` is not kept). The maintainer's attempt counter never resets (Go
  resets it after 10 healthy minutes; the model's budget is per incarnation, as in Go).
  An untimed model allows every order Go's timers allow, and more; where a verdict rests on a
  slow timer the README says so.
- **Operator re-sends never overtake the DM's answer.** Go re-sends an operator's command every
  10 s while its phase is unchanged; the DM answers a Remove within a heartbeat (200 ms). The
  model re-sends (``operator_send``) only when the same command is not on its way and no status
  of that dispatcher to that maintainer is (``maintainer.answer_on_its_way``). Without this the
  heartbeat channel grows without bound. A re-send while the instance is still removing is
  allowed (Go: a close slower than 10 s); ``tests/test_findings.py`` shows that no verdict rests
  on it.
- **The periodic heartbeat sends only news.** ``dm_heartbeat`` sends the part of a complete
  heartbeat that changes something at the maintainer the DM knows: a Working status an operator
  there waits for, and (with ``absent_on_stopped``) that a dispatcher is no longer listed. Every
  other status only refreshes a replication status the model does not hold.
- **The bootstrap answer is delivered in the DM's step.** ``dm_recv_bootstrap`` sets the DM's
  maintainer ID, answers with the DM's dispatchers, and the maintainer finishes its bootstrap in
  that step. In Go the maintainer finishes later; between the two it drops recover requests (they
  are resent: the entry stays unhandled) and statuses (it holds no operator yet; a lost Stopped
  is repeated by the complete heartbeat's news). So collapsing the window only removes delays.
  Its one code path, an uninitialized maintainer that answers nothing, is kept and unit-tested on
  a state built by hand.
- **A move is one stop-then-start, in two steps.** ``move_maintainer`` makes the origin
  ``removing``; ``stop_maintainer`` stops it and starts the destination in the same step (the
  coordinator adds it once it sees the origin stopped). Nothing can observe the new incarnation
  before its bootstrap reaches the DM, so starting it with the stop loses no interleaving. A
  crash (``crash_maintainer``) stops the node and starts the other one the same way.
- **slow_ticks (bound, default on).** The resend ticker fires only when no recover request or
  response is queued or in transit: the 5 s interval is taken to be longer than a round trip.
  Without it resends overtaking in-flight requests multiply the state space about twentyfold.
  Replaying a scenario uses Go's behaviour (off) unless the scenario sets it.
- **resend_order (bound, default sorted).** Go ranges over the tracker's map, so a resent batch
  may come in any order; ``resend_order=any`` makes every order a successor (and makes
  dispatchers interchangeable, ``model.symmetry``).
- **Atomic steps.** Each action is one atomic step of one goroutine: the recover loop's event
  handling is ``dm_take_event`` + ``dm_add_pending`` (the window N6/N7 live in), everything else
  one step. Go's locks make the finer interleavings equivalent for the tracker.
- **A reset adds one message.** ``reset(d)`` bumps the instance's dispatcher epoch; the messages
  stamped before keep theirs and one new message with the new epoch may fail later. More
  messages per epoch would only repeat what ``messages_per_instance`` already explores.
- **One message per failure.** A failed message carries one (D, de); the reporter's per-call
  batch dedupe (max de per D) is implemented (``sink.normalize``) and unit-tested, but a
  multi-dispatcher message is not generated.
- **Statuses reach the maintainer at first_event.** Go forwards a Working status to the
  maintainer from the status loop, after the recover clear, and also in the complete heartbeat;
  the model puts it on ``heartbeat`` at ``first_event``, which covers both orders.
- **Channel capacity is a bound** on the request path only (``requests``, ``to_maintainer.*``,
  ``responses.*``, which ticks could refill without end). A sender finding it full waits, which
  only delays: the chain ends at the DM's response handler, which never waits, so no cycle of
  waits can form. The reporter does not wait: a full ``events`` raises ``sink_error``
  (``events_capacity``, Go's 1024). A stopped maintainer's queued requests are dropped at the
  stop; its responses and schedule commands already sent stay in flight.
- **The changefeed fallback ends a behaviour.** FAILED raises ``budget_exhausted`` in the
  maintainer's step. In Go the maintainer only queues the error for its next status report, and
  the coordinator ignores it when the changefeed checkpoint advanced in that report; it then
  restarts the changefeed (closing every DM) after a backoff. The model takes the error as
  always acted on; that it can be ignored is noted in the README as not modelled.
- **Messages carry what Go's do, plus fields only a knob reads.** A Working status and the
  bootstrap answer carry the epoch an instance was created with (read by ``working_clears=
  newer_epoch`` and ``maintainer_dedup``); responses, schedule requests, heartbeats and the
  bootstrap carry the maintainer's incarnation (read by ``incarnation_ids``). Go's messages have
  neither; pr4139 and design never read them.

Where the first reading of the protocol and the Go code disagree
-----------------------------------------------------------------
1. Maintainer epoch. The first reading let a move bump the epoch (``switch_changes_epoch``) and
   used it as the evidence for A3. Go sets the DM's maintainer epoch once at creation; a bootstrap
   only changes the maintainer ID (an epoch mismatch is only logged); the epoch changes only when
   the changefeed restarts, which first closes every DM. The knob stays as a hypothetical row.
2. Answer first, commands later. The first reading sent Remove(D) in the step that answered
   ACCEPTED. Go answers at once; the operator controller sends the operator's commands on its
   poll and re-sends them while the phase is unchanged; a maintainer that stops first sends
   nothing more (``operator_send``).
3. Move order. The first reading started the new maintainer at the move, beside the removing one.
   Go's ``MoveMaintainerOperator`` adds the destination only once the origin is stopped; a stopped
   maintainer drops every event. ``maintainer_overlap`` keeps the old order as a hypothetical.
4. Statuses repeat. The first reading sent one Working per instance. Go's complete heartbeat
   reports every working dispatcher every 10 s (``dm_heartbeat``), and a re-sent merge request
   pushes a merged dispatcher's Working again (``dm_recv_schedule``).
5. Other operators. Go creates an operator that leaves the instance alone (add, move_dest,
   merge_target) only for a span it brings up, before the instance's first Working; an add or
   move_dest operator sends Create(D) (skipped by the DM while D is in its map).
6. Dispatcher epochs bump on every reset (``reset``), so one instance may report several epochs,
   and an older instance may report one at or above a newer instance's. ``drop_stale_reports``
   compares a report with the epoch the local instance was created with.
7. A new maintainer's bootstrap takes every dispatcher the DM lists as replicating, a removing
   one too, and re-adds a span the DM no longer lists under a new dispatcher ID (``spans``:
   ``readded``). A replicating span whose dispatcher then stops is not noticed (finding N9).
8. The collector's send to a crashed maintainer node fails after its retries and raises the
   changefeed fallback (``send_failure``, reachable through ``crash_maintainer``); a node that is
   up but runs no maintainer drops the request silently.
9. ``check_source`` compares node IDs: incarnations on one node (A, then B, then A again) look
   the same (``incarnation_ids``).
10. ``removeDispatcher``: a Remove for a dispatcher not in the map answers Stopped at once; a
    second Remove while one is under way is ignored; a Create for a dispatcher still in the map
    is skipped. Schedule requests are applied from any maintainer.
11. ``onDispatcherRemovedForRecover``: with no pending entry it clears the tracker and the
    reporter; with one it only marks it removed and keeps the reporter's memory.
12. ``tryRecoverDispatcher``: a span that lives on another node gets a restart operator there
    (ACCEPTED, ``attempts += 1``), a restart the DM's node never sees (``remote_restarts``).
13. Message order. The first model treated every channel as independent. Go gives each pair of
    nodes one command stream in send order, and the DM's node handles a recover response as it
    reads it, while schedule commands and bootstraps only enter queues there. The model keeps
    that order (``waits``, ``model.channels``): the DM cannot take a bootstrap or a command of
    node X before a response X sent earlier. A5 on design rested on that reordering (the second
    A's bootstrap before the first A's ACCEPTED); it holds now. The DM's node sends requests,
    heartbeats and the bootstrap answer to a maintainer from separate queues, so that direction
    stays independent, as in Go.
14. Bootstrap copies. The first model re-sent a bootstrap only once the last one was gone, and
    the DM took bootstraps in one global order. Go's bootstrapper re-sends every 500 ms until
    answered, each node's stream is separate, and the orchestrator takes any bootstrap: a copy
    delayed on B's stream past a move back to A binds the DM to B, where nothing runs, for good
    (finding N10; ``bootstrap_copies`` bounds the copies on their way).
15. The fuse's error. ``dm_timeout_tick`` raised the fallback at once. Go's DM reports the error
    in its heartbeats to the maintainer it knows; a node without a maintainer drops them. The
    tick now waits until the DM knows a node that runs one (``dm.error_delivered``), so in N10's
    state the fuse never fires, as in Go. ``send_failure`` and ``sink_error`` take the same
    route in Go but are still raised at once: each is raised in a step that does more, and only
    a DM bound to a dead node (N10's state, already violated) could lose them.

Where the model still allows less than Go (each could hide a violation; none is modelled yet)
-------------------------------------------------------------------------------------------
- **A request decided at arrival.** Go routes a request to whichever maintainer runs on the
  target node when it arrives; the model fixes the addressee at ``hbc_send`` and drops a
  request to a stopped incarnation at the stop, so a request of the first A's era cannot reach
  the second A after B handled a later one.
- **Stopped before Working.** The heartbeat sender batches statuses for 10 ms; Go can deliver an
  instance's Stopped before its Working. The model sends them in order.
- **A lost bootstrap is the oldest one on its way.** ``lose(bootstrap)`` drops the head of the
  one ``bootstrap`` channel, while ``dm_recv_bootstrap(from)`` may take any node's first: a
  younger bootstrap of the other node cannot be lost while the head is still on its way. Those
  states are not reached; a lost bootstrap only delays its maintainer (it re-sends until
  answered), but that this cannot change a verdict is not shown.
- **Merge requests on their own stream.** Go handles merge requests on a dynamic stream apart
  from Remove/Create, so they may reorder with commands of the same node; the model keeps
  ``CMD_MERGE`` in ``schedule.X`` order.
"""
