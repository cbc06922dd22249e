"""The maintainer incarnations ``A`` and ``B`` and their operators (``maintainer/recoverable.go``
``recoverDispatcherHandler``; ``maintainer/operator/operator_move.go`` for the restart operator,
a move whose origin and destination are the DM's node).

At most one incarnation is ``alive`` (the coordinator's current maintainer); after a move the
old one is ``removing``: it still answers requests and drives its operators until
``stop_maintainer``. A maintainer's epoch is the changefeed epoch: a move keeps it unless
``switch_changes_epoch``.
"""

from __future__ import annotations

from functools import cache

from .channels import pop, send
from .state import (
    ABSENT,
    ACCEPTED,
    ALIVE,
    BOOTSTRAP,
    BUDGET_EXHAUSTED,
    CMD_CREATE,
    CMD_REMOVE,
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
    SPAN_ELSEWHERE,
    SPAN_LOCAL,
    SPAN_MISSING,
    STOPPED,
    SUPERSEDED,
    Answer,
    Bootstrap,
    Command,
    Maintainer,
    Operator,
    Response,
    maintainer_args,
    put,
    responses_of,
    schedule_of,
    to_maintainer,
    with_channels,
    with_fallback,
    with_maintainers,
    with_operators,
)


def current(s) -> int:
    """The alive incarnation (there is always exactly one)."""
    return 0 if s.maintainers[0].status == ALIVE else 1


@cache  # one shared record per value: stop_maintainer fires in most states after a move
def blank(status: int, epoch: int, n: int) -> Maintainer:
    """An uninitialized incarnation with no operators, attempts or restarts for ``n`` dispatchers."""
    return Maintainer(status=status, initialized=False, epoch=epoch, operators=((),) * n, attempts=(0,) * n,
                      restarted_de=(0,) * n)


# --- move_maintainer(to) ---------------------------------------------------------------------


def move_maintainer_args(s, cfg):
    if s.budget.moves >= cfg.maintainer_moves:
        return ()
    to = 1 - current(s)
    return ((to,),) if s.maintainers[to].status in (ABSENT, STOPPED) else ()


def move_maintainer(s, cfg, to):
    """The coordinator moves the maintainer: the current one becomes ``removing``, ``to``
    starts uninitialized with the changefeed epoch (bumped with ``switch_changes_epoch``) and
    sends its bootstrap to the DM's node. (the coordinator's maintainer move and the new
    ``Maintainer``'s bootstrap request; the model sends only what the DM reads)"""
    old = current(s)
    epoch = s.maintainers[old].epoch + (1 if cfg.switch_changes_epoch else 0)
    channels = send(s.channels, BOOTSTRAP, Bootstrap(sender=to, epoch=epoch), cfg)
    if channels is None:
        return None
    maintainers = put(s.maintainers, old, s.maintainers[old]._replace(status=REMOVING))
    return s._replace(
        maintainers=put(maintainers, to, blank(ALIVE, epoch, cfg.dispatchers)),
        channels=channels,
        budget=s.budget._replace(moves=s.budget.moves + 1),
    )


# --- stop_maintainer(m) ----------------------------------------------------------------------


def stop_maintainer_args(s, cfg):
    a, b = s.maintainers
    return maintainer_args(a.status == REMOVING, b.status == REMOVING)


def stop_maintainer(s, cfg, m):
    """A removing maintainer stops: its operators and restart attempts are gone and the
    requests queued for it are dropped. (``Maintainer.Close`` / maintainer removal)"""
    stopped = blank(STOPPED, s.maintainers[m].epoch, cfg.dispatchers)
    return with_channels(with_maintainers(s, put(s.maintainers, m, stopped)), put(s.channels, to_maintainer(m), ()))


# --- add_operator(d, kind) -------------------------------------------------------------------


def add_operator_args(s, cfg):
    if s.budget.other_operators >= cfg.other_operator_limit:
        return
    maintainer = s.maintainers[current(s)]
    if not maintainer.initialized:
        return
    kinds = kind_indices(cfg.other_operators)
    for d in range(cfg.dispatchers):
        if maintainer.operators[d] or s.spans[d] != SPAN_LOCAL:
            continue
        for kind in kinds:
            yield (d, kind)


@cache  # called with the config's other_operators for every state
def kind_indices(names: tuple) -> tuple:
    return tuple(OPERATOR_KINDS.index(kind) for kind in names)


def add_operator(s, cfg, d, kind):
    """Another operator for D appears at the current maintainer. Kinds that take the span off
    this node (move, split, merge_source) send Remove(D) now and finish on Stopped(D); the
    others never touch the instance and finish on the next Working(D).
    (``operator.Controller.AddOperator`` with a move / split / merge / add operator)"""
    m = current(s)
    channels = s.channels
    if kind in REMOVING_KINDS:
        channels = send(channels, schedule_of(m), Command(op=CMD_REMOVE, d=d, by_restart=False), cfg)
        if channels is None:
            return None
    maintainer = s.maintainers[m]
    maintainer = maintainer._replace(operators=put(maintainer.operators, d, Operator(kind=kind, phase=0)))
    return s._replace(
        maintainers=put(s.maintainers, m, maintainer),
        channels=channels,
        budget=s.budget._replace(other_operators=s.budget.other_operators + 1),
    )


# --- maintainer_recv_request(m) --------------------------------------------------------------


def maintainer_recv_request_args(s, cfg):
    channels = s.channels
    return maintainer_args(channels[to_maintainer(0)], channels[to_maintainer(1)])


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
    if s.spans[d] == SPAN_MISSING:
        return SUPERSEDED
    return ACCEPTED


def start_restart(s, cfg, m: int, identity):
    """A restart operator for D at ``m``: Remove(D) to this node, or, for a span that lives on
    another node, a restart there that the model does not follow. ``None`` while
    ``schedule[m]`` is full. (``NewRestartDispatcherOperator``, ``AddOperator``)"""
    d = identity.d
    channels = s.channels
    ghost = s.ghost._replace(restarts=put(s.ghost.restarts, d, s.ghost.restarts[d] + 1))
    if s.spans[d] == SPAN_ELSEWHERE:
        phase = PHASE_REMOTE
        ghost = ghost._replace(remote_restarts=ghost.remote_restarts + 1)
    else:
        phase = PHASE_REMOVE
        channels = send(channels, schedule_of(m), Command(op=CMD_REMOVE, d=d, by_restart=True), cfg)
        if channels is None:
            return None
    maintainer = s.maintainers[m]
    maintainer = maintainer._replace(
        operators=put(maintainer.operators, d, Operator(kind=RESTART, phase=phase)),
        attempts=put(maintainer.attempts, d, maintainer.attempts[d] + 1),
    )
    if cfg.maintainer_dedup:
        maintainer = maintainer._replace(restarted_de=put(maintainer.restarted_de, d, identity.de))
    return s._replace(maintainers=put(s.maintainers, m, maintainer), channels=channels, ghost=ghost)


def maintainer_recv_request(s, cfg, m):
    """The head of ``to_maintainer[m]``, answered identity by identity in the order of fact 7
    into ``responses[m]``: stale ``me`` -> SUPERSEDED; an operator for D -> RUNNING if it is a
    restart, else SUPERSEDED; budget spent -> FAILED, the changefeed error (fallback
    ``budget_exhausted``) and the rest of the batch unanswered; span missing -> SUPERSEDED;
    otherwise a restart operator and ACCEPTED. An uninitialized maintainer answers nothing.
    ``de`` is never read. (``Maintainer.onRecoverDispatcherRequest``,
    ``recoverDispatcherHandler.handle``, ``validateRequest``, ``tryRecoverDispatcher``,
    ``makeDecision``)"""
    c = to_maintainer(m)
    request = s.channels[c][0]
    s = with_channels(s, pop(s.channels, c))
    if not s.maintainers[m].initialized:
        return s
    answers = []
    seen = set()
    for identity in request.identities:
        if identity.d in seen:
            continue
        seen.add(identity.d)
        state = decide(s, cfg, m, identity)
        answers.append(Answer(identity=identity, state=state))
        if state == FAILED:
            s = with_fallback(s, BUDGET_EXHAUSTED)
            break
        if state == ACCEPTED:
            s = start_restart(s, cfg, m, identity)
            if s is None:
                return None
    channels = send(s.channels, responses_of(m), Response(sender=m, answers=tuple(answers)), cfg)
    return None if channels is None else with_channels(s, channels)


# --- maintainer_recv_status(m) ---------------------------------------------------------------


def maintainer_recv_status_args(s, cfg):
    heartbeat = s.channels[HEARTBEAT]
    return ((heartbeat[0].target,),) if heartbeat else ()


def maintainer_recv_status(s, cfg, m):
    """The head of ``heartbeat``, addressed to ``m``, drives m's operator for D (a stopped
    ``m`` drops it): a restart in its remove phase moves to its add phase on a non-working
    status and sends Create(D); in its add phase it finishes on Working(D). Move, split and
    merge_source finish on Stopped(D), leaving the span elsewhere or missing; the other kinds
    finish on Working(D). (``HeartBeatRequest`` handling, ``operator.Controller.UpdateOperatorStatus``,
    ``MoveDispatcherOperator.Check``)"""
    beat = s.channels[HEARTBEAT][0]
    channels = pop(s.channels, HEARTBEAT)
    maintainer = s.maintainers[m]
    d = beat.d
    operator = maintainer.operators[d] if maintainer.status != STOPPED else ()
    if not operator:
        return with_channels(s, channels)
    finished = False
    spans = s.spans
    if operator.kind == RESTART:
        if operator.phase == PHASE_REMOVE and not beat.working:
            channels = send(channels, schedule_of(m), Command(op=CMD_CREATE, d=d, by_restart=True), cfg)
            if channels is None:
                return None
            operator = operator._replace(phase=PHASE_ADD)
        elif operator.phase == PHASE_ADD and beat.working:
            finished = True
    elif operator.kind in REMOVING_KINDS:
        if not beat.working:
            finished = True
            spans = put(spans, d, SPAN_ELSEWHERE if OPERATOR_KINDS[operator.kind] == "move" else SPAN_MISSING)
    elif beat.working:
        finished = True
    if finished or operator is not maintainer.operators[d]:  # one the status does not move stays as it is
        maintainer = with_operators(maintainer, put(maintainer.operators, d, () if finished else operator))
        s = with_maintainers(s, put(s.maintainers, m, maintainer))
    if spans is not s.spans:
        s = s._replace(spans=spans)
    return with_channels(s, channels)
