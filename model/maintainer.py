"""The maintainer nodes ``A`` and ``B``, their incarnations and their operators
(``maintainer/recoverable.go`` ``recoverDispatcherHandler``; ``maintainer/operator/operator_move.go``
for the restart operator, a move whose origin and destination are the DM's node;
``coordinator/operator/operator_move.go`` for maintainer moves).

A move is stop-then-start, as Go's ``MoveMaintainerOperator`` does it: the current maintainer
becomes ``removing`` (it still answers requests and drives its operators), then stops (it drops
every event; its operators vanish unsent), and only then does the destination start and send its
bootstrap. ``maintainer_overlap`` (a knob, off in every preset) starts the destination at the
move instead: the question "what if the old one lingers". A maintainer's epoch is the changefeed
epoch: a move keeps it unless ``switch_changes_epoch`` (a hypothetical: Go never does this).

Operators do not send anything when they are created: ``operator_send`` (the operator
controller's poll) sends the operator's current command, and keeps re-sending it while its phase
is unchanged.
"""

from __future__ import annotations

from functools import cache

from .channels import behind, pop, same_command, send
from .state import (
    ABSENT,
    ACCEPTED,
    ALIVE,
    BOOTSTRAP,
    BUDGET_EXHAUSTED,
    CMD_CREATE,
    CMD_MERGE,
    CMD_REMOVE,
    DOWN,
    FAILED,
    HEARTBEAT,
    OPERATOR_KINDS,
    PHASE_ADD,
    PHASE_REMOTE,
    PHASE_REMOVE,
    REMOVING,
    REMOVING_KINDS,
    RESTART,
    RUNNING,
    STATUSES,
    SPAN_ELSEWHERE,
    SPAN_LOCAL,
    SPAN_MISSING,
    SPAN_READDED,
    STOPPED,
    SCHED_A,
    SCHED_B,
    SUPERSEDED,
    TO_A,
    TO_B,
    Answer,
    Bootstrap,
    Command,
    Maintainer,
    Operator,
    Response,
    build,
    maintainer_args,
    memo,
    put,
    responses_of,
    schedule_of,
    spend,
    to_maintainer,
    with_channels,
    with_fallback,
    with_initialized,
    with_maintainers_budget,
    with_maintainers_channels,
    with_maintainers_channels_budget,
    with_maintainers_ghost,
    with_maintainers_spans,
    with_maintainers_spans_channels,
    with_operators,
    with_operators_attempts,
    with_remote_restarts,
    with_restarted_de,
    with_restarts,
    with_status,
)

MERGE_TARGET = OPERATOR_KINDS.index("merge_target")
ADD = OPERATOR_KINDS.index("add")
# operators that finish on a Working(D) from the DM's node: the restart in its add phase and
# the kinds that never remove the instance (add, move_dest, merge_target)
WAITS_FOR_WORKING = frozenset(OPERATOR_KINDS.index(k) for k in ("add", "move_dest", "merge_target"))
LIVE = (ALIVE, REMOVING)  # an incarnation that handles events
RESTART_ADDING = Operator(kind=RESTART, phase=PHASE_ADD)
ADDED = Operator(kind=ADD, phase=0)  # what the basic scheduler adds for an absent span


def alive(s) -> int | None:
    """The node whose maintainer is ``alive`` (the coordinator's current one), or ``None``
    while a move or a failover is between stopping the origin and starting the destination."""
    for m, maintainer in enumerate(s.maintainers):
        if maintainer.status == ALIVE:
            return m
    return None


def handles_events(maintainer) -> bool:
    """``Maintainer.HandleEvent`` runs: alive or removing (a stopped one drops every event)."""
    return maintainer.status in LIVE


@cache  # one shared record per value: a stopped incarnation appears in most states after a move
def blank(status: int, epoch: int, n: int, incarnation: int) -> Maintainer:
    """An uninitialized incarnation with no operators, attempts or restarts for ``n`` dispatchers."""
    return Maintainer(status=status, initialized=False, epoch=epoch, operators=((),) * n, attempts=(0,) * n,
                      restarted_de=(0,) * n, incarnation=incarnation)


def start(s, cfg, m: int, epoch: int):
    """A new incarnation on node ``m``, uninitialized, sends its bootstrap to the DM's node.
    (``Manager.onAddMaintainerRequest``, ``NewMaintainer``, ``Bootstrapper.HandleNodesChange``)"""
    incarnation = s.maintainers[m].incarnation + 1
    maintainers = put(s.maintainers, m, blank(ALIVE, epoch, cfg.dispatchers, incarnation))
    # Bootstrap(sender, epoch, incarnation, waits, term), its term counting this start
    bootstrap = build(Bootstrap, (m, epoch, incarnation, 0, bootstrap_term(maintainers, cfg)))
    channels = send(s.channels, BOOTSTRAP, behind(s.channels, m, bootstrap), cfg)
    return with_maintainers_channels(s, maintainers, channels)


def bootstrap_term(maintainers: tuple, cfg) -> int:
    """Under ``bootstrap_term``, the changefeed's maintainer starts so far (every start adds one
    incarnation on some node, and no other starts while a maintainer is alive, so it is the same
    for a start and its re-sends); 0 otherwise, so the field adds no states."""
    return sum(maintainer.incarnation for maintainer in maintainers) if cfg.bootstrap_term else 0


def start_successor(s, cfg, gone: int):
    """After ``gone`` stopped or crashed: if no maintainer is alive, the coordinator starts one
    on the other node (the move's destination, or the failover target), unless that node is
    down. (``MoveMaintainerOperator.Schedule`` once the origin is stopped; ``OnNodeRemove``)"""
    other = 1 - gone
    if alive(s) is not None or s.maintainers[other].status not in (ABSENT, STOPPED):
        return s
    epoch = s.maintainers[gone].epoch + (1 if cfg.switch_changes_epoch else 0)
    return start(s, cfg, other, epoch)


def stopped_record(s, cfg, m: int, status: int) -> Maintainer:
    maintainer = s.maintainers[m]
    return blank(status, maintainer.epoch, cfg.dispatchers, maintainer.incarnation)


# --- move_maintainer(to) ---------------------------------------------------------------------


def move_maintainer_args(s, cfg):
    if s.budget.moves >= cfg.maintainer_moves:
        return ()
    old = alive(s)
    # Maintainer.onRemoveMaintainer ignores a non-cascade remove before bootstrap
    if old is None or not s.maintainers[old].initialized:
        return ()
    to = 1 - old
    return ((to,),) if s.maintainers[to].status in (ABSENT, STOPPED) else ()


def move_maintainer(s, cfg, to):
    """The coordinator moves the maintainer to node ``to``: the current one becomes
    ``removing`` and keeps handling events until ``stop_maintainer``; ``to`` starts only then.
    With ``maintainer_overlap`` ``to`` starts now, beside the removing one.
    (``MoveMaintainerOperator.Schedule``: ``RemoveMaintainerRequest(cascade=false)`` to the
    origin; ``Maintainer.onRemoveMaintainer`` sets ``removing``)"""
    old = 1 - to
    s = with_maintainers_budget(s, put(s.maintainers, old, with_status(s.maintainers[old], REMOVING)),
                                spend(s.budget, "moves"))
    if cfg.maintainer_overlap:
        epoch = s.maintainers[old].epoch + (1 if cfg.switch_changes_epoch else 0)
        s = start(s, cfg, to, epoch)
    return s


# --- stop_maintainer(m) ----------------------------------------------------------------------


def stop_maintainer_args(s, cfg):
    a, b = s.maintainers
    return maintainer_args(a.status == REMOVING, b.status == REMOVING)


def stop_maintainer(s, cfg, m):
    """A removing maintainer stops: it drops every event from now on, the requests queued for it
    are gone, and its operators vanish with what they never sent (``Maintainer.Close`` cancels
    the operator controller; no PostFinish, no message). Then the destination starts (Go's
    order), unless ``maintainer_overlap`` started it already. (``tryCloseChangefeed``,
    ``scheduleState=Stopped``, ``HandleEvent``'s stopped check, ``Manager.Run`` closing it,
    ``MoveMaintainerOperator.Check`` seeing the origin not working)"""
    s = with_maintainers_channels(s, put(s.maintainers, m, stopped_record(s, cfg, m, STOPPED)),
                                  put(s.channels, to_maintainer(m), ()))
    return start_successor(s, cfg, m)


# --- crash_maintainer(m) ---------------------------------------------------------------------


def crash_maintainer_args(s, cfg):
    if s.budget.crashes >= cfg.crashes:
        return ()
    a, b = s.maintainers
    return maintainer_args(a.status in LIVE, b.status in LIVE)


def crash_maintainer(s, cfg, m):
    """Node ``m`` crashes with its maintainer: the requests queued for it are gone, its operators
    vanish, and sends to it now fail (the message center drops the node). The coordinator
    fails over to the other node. (``MoveMaintainerOperator.OnNodeRemove`` on the node's removal;
    ``messageCenter.SendCommand`` returning target-not-found)"""
    s = with_maintainers_channels_budget(s, put(s.maintainers, m, stopped_record(s, cfg, m, DOWN)),
                                         put(s.channels, to_maintainer(m), ()), spend(s.budget, "crashes"))
    return start_successor(s, cfg, m)


# --- bootstrap_resend(m) ---------------------------------------------------------------------


def bootstrap_resend_args(s, cfg):
    a, b = s.maintainers
    waiting_a = a.status in LIVE and not a.initialized
    waiting_b = b.status in LIVE and not b.initialized
    if not (waiting_a or waiting_b):  # the common case: nothing waits for a bootstrap answer
        return ()
    queued = [bootstrap.sender for bootstrap in s.channels[BOOTSTRAP]]
    copies = cfg.bootstrap_copies
    return maintainer_args(waiting_a and queued.count(0) < copies, waiting_b and queued.count(1) < copies)


def bootstrap_resend(s, cfg, m):
    """An uninitialized maintainer sends its bootstrap request again (every 500 ms until the
    node answers, whether or not the last one arrived; ``bootstrap_copies`` bounds the copies on
    their way). (``Bootstrapper.handleResendMessage``)"""
    maintainer = s.maintainers[m]
    bootstrap = Bootstrap(sender=m, epoch=maintainer.epoch, incarnation=maintainer.incarnation,
                          term=bootstrap_term(s.maintainers, cfg))
    channels = send(s.channels, BOOTSTRAP, behind(s.channels, m, bootstrap), cfg)
    return with_channels(s, channels)


# --- add_operator(d, kind) -------------------------------------------------------------------


def add_operator_args(s, cfg):
    if s.budget.other_operators >= cfg.other_operator_limit:
        return
    m = alive(s)
    if m is None or not s.maintainers[m].initialized:
        return
    maintainer = s.maintainers[m]
    kinds = kind_indices(cfg.other_operators)
    for d in range(cfg.dispatchers):
        instance = s.instances[d]
        if maintainer.operators[d] or s.spans[d] != SPAN_LOCAL or not instance or instance.removing:
            continue
        for kind in kinds:
            # Go creates an operator that never removes the instance only for a span it is
            # bringing up: before the instance's first Working (the basic scheduler's add for an
            # absent span, a move's destination, a merge's new dispatcher)
            if kind not in WAITS_FOR_WORKING or not instance.working:
                yield (d, kind)


@cache  # called with the config's other_operators for every state
def kind_indices(names: tuple) -> tuple:
    return tuple(OPERATOR_KINDS.index(kind) for kind in names)


def add_operator(s, cfg, d, kind):
    """Another operator for D appears at the current maintainer. Kinds that take the span off
    this node (move, split, merge_source) will send Remove(D) and finish on a non-working
    status; the others never touch the instance and finish on a Working(D).
    (``operator.Controller.AddOperator`` with a move / split / merge / add operator)"""
    m = alive(s)
    maintainer = s.maintainers[m]
    maintainer = with_operators(maintainer, put(maintainer.operators, d, Operator(kind=kind, phase=0)))
    return with_maintainers_budget(s, put(s.maintainers, m, maintainer), spend(s.budget, "other_operators"))


# --- operator_send(m, d) ---------------------------------------------------------------------


@cache  # one shared record per value: operator_send_args asks for it in most states
def operator_command(operator, d: int, incarnation: int):
    """The message the operator's ``Schedule()`` sends now, or ``None``: a restart's Remove(D)
    or Create(D) by phase; Remove(D) for
    move, split and merge_source; Create(D) for add and move_dest; the merge request for
    merge_target."""
    kind = operator.kind
    if kind == RESTART:
        if operator.phase == PHASE_REMOVE:
            return Command(op=CMD_REMOVE, d=d, by_restart=True, incarnation=incarnation)
        if operator.phase == PHASE_ADD:
            return Command(op=CMD_CREATE, d=d, by_restart=True, incarnation=incarnation)
        return None  # PHASE_REMOTE: its commands go to another node
    if kind in REMOVING_KINDS:
        return Command(op=CMD_REMOVE, d=d, by_restart=False, incarnation=incarnation)
    if kind == MERGE_TARGET:
        return Command(op=CMD_MERGE, d=d, by_restart=False, incarnation=incarnation)
    return Command(op=CMD_CREATE, d=d, by_restart=False, incarnation=incarnation)  # add, move_dest


def answer_on_its_way(heartbeat: tuple, statuses: tuple, d: int, command) -> bool:
    """A status of D is still queued on ``heartbeat`` (for a merge request, also a Working of D
    on ``statuses``, the status loop's channel, where the DM pushes its answer): the DM's answer
    to a command sent before, addressed to the maintainer the DM knows, which need not be the
    sender. The 10 s send throttle outlasts the DM's answer (a heartbeat within 200 ms), so a
    re-send never overtakes it (see ``model.abstractions``); without this, a DM that knows
    another maintainer would let the sender re-send without end."""
    return status_of_queued(heartbeat, d) or (command.op == CMD_MERGE and status_of_queued(statuses, d))


def status_of_queued(queue: tuple, d: int) -> bool:
    """A status of D is in ``queue`` (a loop: cheaper than ``any`` over a generator)."""
    for status in queue:
        if status.d == d:
            return True
    return False


def on_its_way(queue: tuple, command) -> bool:
    """``command`` (or a copy of it at another place on the wire) is in ``queue``."""
    for k in queue:
        if same_command(command, k):
            return True
    return False


def operator_send_args(s, cfg):
    channels = s.channels
    return sendable(s.maintainers, channels[SCHED_A], channels[SCHED_B], channels[HEARTBEAT], channels[STATUSES])


@memo  # the states share few of these values, and hashing them is cheaper than the scan
def sendable(maintainers: tuple, schedule_a: tuple, schedule_b: tuple, heartbeat: tuple, statuses: tuple) -> tuple:
    """``operator_send``'s enabled args, from the maintainers and the queues it reads."""
    out = []
    for m, maintainer in enumerate(maintainers):
        operators = maintainer.operators
        # most states hold no operator: that test comes first (it is the cheapest)
        if not any(operators) or maintainer.status not in LIVE or not maintainer.initialized:
            continue
        queued = schedule_b if m else schedule_a  # schedule_of(m)
        for d, operator in enumerate(operators):
            if operator:
                command = operator_command(operator, d, maintainer.incarnation)
                # a re-send while the same command is still on its way changes nothing
                if (command is not None and not on_its_way(queued, command)
                        and not answer_on_its_way(heartbeat, statuses, d, command)):
                    out.append((m, d))
    return tuple(out)


def operator_send(s, cfg, m, d):
    """The operator controller polls m's operator for D and sends its current command to the
    DM's node; while the phase is unchanged it sends it again (every 10 s in Go).
    (``operator.Controller.Execute``, ``MoveDispatcherOperator.Schedule``, ``sendThrottler``)"""
    maintainer = s.maintainers[m]
    command = operator_command(maintainer.operators[d], d, maintainer.incarnation)
    return with_channels(s, send(s.channels, schedule_of(m), behind(s.channels, m, command), cfg))


# --- maintainer_recv_request(m) --------------------------------------------------------------


def maintainer_recv_request_args(s, cfg):
    channels = s.channels
    return maintainer_args(channels[TO_A], channels[TO_B])  # to_maintainer(0), to_maintainer(1)


def decide(s, cfg, m: int, identity):
    """Fact 7: the answer to one identity, without side effects (``tryRecoverDispatcher``)."""
    maintainer = s.maintainers[m]
    d = identity.d
    if identity.me != maintainer.epoch:
        return SUPERSEDED
    operator = maintainer.operators[d]
    if operator:
        return RUNNING if operator.kind == RESTART else SUPERSEDED
    if cfg.maintainer_dedup and identity.de <= maintainer.restarted_de[d]:
        return SUPERSEDED  # that failure was restarted already: a late or repeated request
    if maintainer.attempts[d] >= cfg.restart_budget:
        return FAILED
    if s.spans[d] in (SPAN_MISSING, SPAN_READDED):
        return SUPERSEDED  # GetTaskByID finds no span of that dispatcher ID
    return ACCEPTED


def start_restart(s, cfg, m: int, identity):
    """A restart operator for D at ``m`` in its remove phase (it sends nothing yet), or, for a
    span that lives on another node, a restart there that the model does not follow.
    (``NewRestartDispatcherOperator``, ``AddOperator``)"""
    d = identity.d
    ghost = with_restarts(s.ghost, put(s.ghost.restarts, d, s.ghost.restarts[d] + 1))
    if s.spans[d] == SPAN_ELSEWHERE:
        phase = PHASE_REMOTE
        ghost = with_remote_restarts(ghost, ghost.remote_restarts + 1)
    else:
        phase = PHASE_REMOVE
    operator = Operator(kind=RESTART, phase=phase)
    maintainer = s.maintainers[m]
    maintainer = with_operators_attempts(maintainer, put(maintainer.operators, d, operator),
                                         put(maintainer.attempts, d, maintainer.attempts[d] + 1))
    if cfg.maintainer_dedup:
        maintainer = with_restarted_de(maintainer, put(maintainer.restarted_de, d, identity.de))
    return with_maintainers_ghost(s, put(s.maintainers, m, maintainer), ghost)


def maintainer_recv_request(s, cfg, m):
    """The head of ``to_maintainer[m]``, answered identity by identity in the order of fact 7
    into ``responses[m]``: stale ``me`` -> SUPERSEDED; an operator for D -> RUNNING if it is a
    restart, else SUPERSEDED; budget spent -> FAILED, the changefeed error (fallback
    ``budget_exhausted``) and the rest of the batch unanswered; no span of that ID ->
    SUPERSEDED; otherwise a restart operator and ACCEPTED. The answer goes out at once; the
    operator's Remove(D) later (``operator_send``). An uninitialized maintainer answers
    nothing. ``de`` is never read (but by ``maintainer_dedup``).
    (``Maintainer.onRecoverDispatcherRequest``, ``recoverDispatcherHandler.handle``,
    ``validateRequest``, ``tryRecoverDispatcher``, ``makeDecision``)"""
    c = to_maintainer(m)
    request = s.channels[c][0]
    channels = pop(s.channels, c)  # (the state takes the channels once, at the end)
    if not s.maintainers[m].initialized:
        return with_channels(s, channels)
    answers = []
    seen = set()
    for identity in request.identities:
        if identity.d in seen:
            continue
        seen.add(identity.d)
        state = decide(s, cfg, m, identity)
        answers.append(build(Answer, (identity, state)))  # (identity, state)
        if state == FAILED:
            s = with_fallback(s, BUDGET_EXHAUSTED)
            break
        if state == ACCEPTED:
            s = start_restart(s, cfg, m, identity)
    response = build(Response, (m, tuple(answers), s.maintainers[m].incarnation))  # (sender, answers, incarnation)
    channels = send(channels, responses_of(m), response, cfg)
    return None if channels is None else with_channels(s, channels)


# --- maintainer_recv_status(m) ---------------------------------------------------------------


def maintainer_recv_status_args(s, cfg):
    heartbeat = s.channels[HEARTBEAT]
    return ((heartbeat[0].target,),) if heartbeat else ()


def maintainer_recv_status(s, cfg, m):
    """The head of ``heartbeat``, addressed to ``m`` (dropped unless m handles events and is
    initialized; with ``incarnation_ids`` also when addressed to an earlier incarnation on that
    node), drives m's operator for D: a restart in its remove phase moves to its add
    phase on a non-working status; in its add phase it finishes on Working(D). Move, split and
    merge_source finish on a non-working status, leaving the span elsewhere or missing; the
    other kinds finish on Working(D). A Working(D) from a dispatcher ID m does not know (its
    span was split, merged or re-added under a new ID) and with no operator gets a bare
    Remove(D). A non-working status of a replicating span with no operator changes nothing in
    Go (the span stays "replicating" with no dispatcher); with ``absent_on_stopped`` the span
    becomes absent and the basic scheduler adds it back. (``Maintainer.onHeartbeatRequest``,
    ``Controller.HandleStatus``, ``operator.Controller.UpdateOperatorStatus``,
    ``MoveDispatcherOperator.Check``; the knob: ``span.Controller.UpdateStatus``,
    ``MarkSpanAbsent``, ``BasicScheduler``)"""
    beat = s.channels[HEARTBEAT][0]
    channels = pop(s.channels, HEARTBEAT)  # (the state is built once, at the end)
    maintainer = s.maintainers[m]
    if not handles_events(maintainer) or not maintainer.initialized:
        return with_channels(s, channels)
    if cfg.incarnation_ids and beat.incarnation != maintainer.incarnation:
        return with_channels(s, channels)  # addressed to an earlier incarnation on this node
    d = beat.d
    if cfg.maintainer_dedup and beat.working and beat.de - 1 > maintainer.restarted_de[d]:
        # an instance created at epoch de works: every failure below de is an older instance's
        maintainer = with_restarted_de(maintainer, put(maintainer.restarted_de, d, beat.de - 1))
    operator = maintainer.operators[d]
    spans = s.spans
    if not operator:
        if beat.working and spans[d] in (SPAN_MISSING, SPAN_READDED):
            bare = Command(op=CMD_REMOVE, d=d, by_restart=False, incarnation=maintainer.incarnation)
            if not on_its_way(channels[schedule_of(m)], bare):
                channels = send(channels, schedule_of(m), behind(channels, m, bare), cfg)
        elif not beat.working and cfg.absent_on_stopped and spans[d] == SPAN_LOCAL:
            # the replicating span's dispatcher stopped with no operator: absent, and the basic
            # scheduler adds it back (here, on the DM's node)
            maintainer = with_operators(maintainer, put(maintainer.operators, d, ADDED))
    else:
        maintainer, spans = driven(maintainer, spans, d, beat.working)
    maintainers = s.maintainers if maintainer == s.maintainers[m] else put(s.maintainers, m, maintainer)
    return with_maintainers_spans_channels(s, maintainers, spans, channels)


@memo  # the states share few of these values: hashing them is cheaper than rebuilding them
def driven(maintainer, spans: tuple, d: int, working: bool) -> tuple:
    """The maintainer and the span places after a status of D, working or not, drives the
    maintainer's operator for D (``Controller.HandleStatus``, ``MoveDispatcherOperator.Check``)."""
    operator = maintainer.operators[d]
    finished = False
    if operator.kind == RESTART:
        if operator.phase == PHASE_REMOVE and not working:
            operator = RESTART_ADDING
        elif operator.phase == PHASE_ADD and working:
            finished = True
    elif operator.kind in REMOVING_KINDS:
        if not working:
            finished = True
            spans = put(spans, d, SPAN_ELSEWHERE if OPERATOR_KINDS[operator.kind] == "move" else SPAN_MISSING)
    elif working:
        finished = True
    if finished or operator is not maintainer.operators[d]:  # one the status does not move stays as it is
        maintainer = with_operators(maintainer, put(maintainer.operators, d, () if finished else operator))
    return maintainer, spans


# --- the bootstrap answer (read by the orchestrator's step) ----------------------------------


def finish_bootstrap(s, cfg, m: int):
    """Maintainer ``m`` learns the DM's dispatchers from the bootstrap answer: every reported
    one is replicating with no operator, whatever its state (a removing one too); a span it
    thought local that the DM did not report is re-added under a new dispatcher ID, outside the
    model. ``m`` is initialized. With ``maintainer_dedup`` the answer also carries each
    instance's creation epoch, which m remembers as for a Working status.
    (``FinishBootstrap``, ``AddWorkingSpans``, ``AddNewTable``)"""
    spans = tuple(SPAN_READDED if place == SPAN_LOCAL and not instance else place
                  for place, instance in zip(s.spans, s.instances))
    maintainer = with_initialized(s.maintainers[m], True)
    if cfg.maintainer_dedup:
        maintainer = with_restarted_de(maintainer, tuple(
            max(known, instance.first_de - 1) if instance else known
            for known, instance in zip(maintainer.restarted_de, s.instances)))
    return with_maintainers_spans(s, put(s.maintainers, m, maintainer), spans)
