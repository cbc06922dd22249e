"""Unit checks of the pure pieces: reporter batches, the DM's FAILED branch, labels, fields,
out-of-scope reasons, terminal states and quiescent self-loops."""

from __future__ import annotations

import json

from model import Action, RecoverModel, make_config
from model import channels, dm, sink
from model.scenario import load_scenario, replay
from model import maintainer
from model.state import (BOOTSTRAP, CMD_REMOVE, FAILED, RESP_A, SCHED_A, SUPERSEDED, TO_A, Answer, Bootstrap, Command,
                         Identity, Pending, Report, Request, Response, put)


def test_reporter_keeps_the_max_epoch_of_a_batch():
    batch = (Report(0, 3, 1), Report(1, 2, 1), Report(0, 5, 1), Report(0, 4, 1))
    assert sink.normalize(batch) == (Report(0, 5, 1), Report(1, 2, 1))


def test_reporter_ignores_epochs_not_above_the_reported_max():
    reported = (5, 0)
    assert sink.candidates(reported, (Report(0, 4, 1), Report(1, 1, 1))) == (Report(1, 1, 1),)
    assert sink.candidates(reported, (Report(0, 6, 1),)) == (Report(0, 6, 1),)
    assert sink.candidates(sink.clear(reported, 0), (Report(0, 1, 2),)) == (Report(0, 1, 2),)


def _with_pending_and_response(state, entry, answer):
    channels = put(state.channels, RESP_A, (Response(sender=0, answers=(answer,), incarnation=1),))
    return state._replace(dm=state.dm._replace(pending=(entry,)), reported=(1,), channels=channels)


def test_failed_answer_removes_the_matching_entry_and_clears_the_reporter():
    cfg = make_config("pr4139")
    state = RecoverModel(cfg).init_states()[0]
    entry = Pending(de=1, me=1, removed=False, handled=False, lifecycle=1)
    failed = _with_pending_and_response(state, entry, Answer(Identity(0, 1, 1, 1), FAILED))
    after = dm.dm_recv_response(failed, cfg, 0)
    assert after.dm.pending == ((),) and after.reported == (0,)
    mismatched = _with_pending_and_response(state, entry, Answer(Identity(0, 2, 1, 1), FAILED))
    assert dm.dm_recv_response(mismatched, cfg, 0).dm.pending == (entry,)


def test_an_uninitialized_maintainer_answers_nothing():
    """validateRequest: before its bootstrap finished a maintainer drops a request unanswered. The
    model delivers the bootstrap answer in the DM's step, so no behaviour reaches this branch
    (model.abstractions): it is checked on a state built by hand."""
    cfg = make_config("pr4139")
    state = RecoverModel(cfg).init_states()[0]
    request = Request(target=0, identities=(Identity(0, 1, 1, 1),))
    state = state._replace(channels=put(state.channels, TO_A, (request,)))
    uninitialized = state._replace(maintainers=put(state.maintainers, 0, state.maintainers[0]._replace(initialized=False)))
    after = maintainer.maintainer_recv_request(uninitialized, cfg, 0)
    assert after.channels[TO_A] == () and after.channels == uninitialized.channels[:TO_A] + ((),) + uninitialized.channels[TO_A + 1:]
    assert after.maintainers == uninitialized.maintainers
    answered = maintainer.maintainer_recv_request(state, cfg, 0)
    assert answered.channels[RESP_A] and answered.maintainers[0].operators[0]


def test_a_mismatched_identity_is_ignored():
    cfg = make_config("pr4139")
    state = RecoverModel(cfg).init_states()[0]
    entry = Pending(de=5, me=9, removed=False, handled=False, lifecycle=1)
    stale = _with_pending_and_response(state, entry, Answer(Identity(0, 4, 9, 1), SUPERSEDED))
    assert dm.dm_recv_response(stale, cfg, 0).dm.pending == (entry,)


def test_action_labels():
    assert str(Action("dml_fail", (("d", "d1"), ("lifecycle", 1)))) == "dml_fail(d=d1, lifecycle=1)"
    assert str(Action("dm_take_event")) == "dm_take_event"
    assert hash(Action("lose", (("channel", "requests"),))) == hash(Action("lose", (("channel", "requests"),)))


def test_initial_successors_and_quiescent_tick_is_a_self_loop():
    model = RecoverModel(make_config("pr4139"))
    init = model.init_states()[0]
    succ = model.successors(init)
    assert [str(a) for a, _ in succ] == ["dml_fail(d=d1, lifecycle=1, de=1)", "dm_resend_tick"]
    assert succ[1][1] is init
    assert not model.is_terminal(init)


def test_fallback_is_terminal_with_no_successors():
    model = RecoverModel(make_config("pr4139"))
    state = model.init_states()[0]._replace(fallback=1)
    assert model.is_terminal(state) and model.successors(state) == []
    assert model.observe(state)["fallback"] == "timeout"


def test_actor_and_go_function_come_from_the_table():
    model = RecoverModel(make_config("pr4139"))
    assert model.actor(Action("maintainer_recv_request", (("m", "B"),))) == "maintainer:B"
    assert model.actor(Action("hbc_send")) == "collector"
    assert "recoverTracker.add" in model.go_function(Action("dm_add_pending"))
    assert len(model.action_names()) == 24


def test_out_of_scope_reasons():
    model = RecoverModel(make_config("pr4139", {"timeout_fuse": "off"}))
    assert model.out_of_scope("move_maintainer") == "maintainer_moves=0"
    assert model.out_of_scope("dm_timeout_tick") == "timeout_fuse=off"
    assert model.out_of_scope("lose") == "no lossy channel"
    assert model.out_of_scope("dm_take_event") is None
    assert RecoverModel(make_config("pr4139", {"maintainer_moves": 1})).out_of_scope("move_maintainer") is None


def test_fields_are_flat_and_keep_records_whole():
    model = RecoverModel(make_config("pr4139"))
    state = model.init_states()[0]
    (_, failed), = [(a, s) for a, s in model.successors(state) if a.name == "dml_fail"]
    fields = model.fields(failed)
    assert fields["dispatchers.d1.blocked"] is True
    assert fields["channels.events"] == [[{"d": "d1", "de": 1, "lifecycle": 1}]]
    assert fields["dm.reported.d1"] == 1
    assert "dm.pending.d1" not in fields


def _first_state_with(model, wanted, limit=20000):
    """Breadth-first from the initial state: the path (labels) to the first state whose
    successors satisfy ``wanted``, and those successors."""
    start = model.init_states()[0]
    paths, queue = {start: ()}, [start]
    for state in queue:  # grows as it goes: a FIFO queue
        assert len(paths) < limit, "no such state within the limit"
        succs = model.successors(state)
        if wanted(succs):
            return paths[state], succs
        for action, nxt in succs:
            if nxt not in paths:
                paths[nxt] = paths[state] + (action,)
                queue.append(nxt)
    raise AssertionError("no such state")


def test_each_resend_order_has_its_own_label():
    """With resend_order=any, each order of a resent batch is its own transition; the label
    names the order, so traces show it and a scenario step can pick it."""
    model = RecoverModel(make_config("pr4139", {"dispatchers": 2, "resend_order": "any"}))
    resends = lambda succs: [a for a, _ in succs if a.name == "dm_resend_tick"]  # noqa: E731
    path, succs = _first_state_with(model, lambda succs: len(resends(succs)) >= 2)
    assert sorted(map(str, resends(succs))) == ["dm_resend_tick(order=d1 d2)", "dm_resend_tick(order=d2 d1)"]
    steps = [{"action": a.name, **dict(a.args)} for a in path] + [{"action": "dm_resend_tick", "order": "d2 d1"}]
    trace = replay(load_scenario(json.dumps({"config": {"dispatchers": 2, "resend_order": "any"}, "steps": steps})))
    assert str(trace[-1][0]) == "dm_resend_tick(order=d2 d1)"
    # the default (ascending) order keeps the plain label
    _, succs = _first_state_with(RecoverModel(make_config("pr4139", {"dispatchers": 2})),
                                 lambda succs: bool(resends(succs)))
    assert [str(a) for a in resends(succs)] == ["dm_resend_tick"]


def test_wire_order_holds_a_command_and_a_bootstrap_behind_the_responses_sent_before_them():
    """A command or bootstrap of node A counts the responses of A still ahead of it (``waits``);
    handling or losing one counts down, a duplicate counts up, and the DM takes it at zero."""
    cfg = make_config("pr4139", {"lossy": "responses", "duplicating": "responses", "maintainer_moves": 1})
    state = RecoverModel(cfg).init_states()[0]
    response = Response(sender=0, answers=(), incarnation=1)
    state = state._replace(channels=put(state.channels, RESP_A, (response,)))
    command = channels.behind(state.channels, 0, Command(op=CMD_REMOVE, d=0, by_restart=True, incarnation=1))
    bootstrap = channels.behind(state.channels, 0, Bootstrap(sender=0, epoch=1, incarnation=2))
    assert command.waits == bootstrap.waits == 1
    state = state._replace(channels=put(put(state.channels, SCHED_A, (command,)), BOOTSTRAP, (bootstrap,)))
    model = RecoverModel(cfg)
    held = {str(action).split("(")[0] for action, _ in model.successors(state)}
    assert "dm_recv_schedule" not in held and "dm_recv_bootstrap" not in held
    # only the response at the head of A's stream may be lost, not the command queued behind it
    lossy_cfg = make_config("pr4139", {"lossy": "responses,schedule"})
    assert list(channels.lose_args(state, lossy_cfg)) == [(RESP_A,)]
    doubled = channels.duplicate(state, cfg, RESP_A)
    assert doubled.channels[SCHED_A][0].waits == doubled.channels[BOOTSTRAP][0].waits == 2
    lost = channels.lose(doubled, cfg, RESP_A)
    assert lost.channels[SCHED_A][0].waits == 1
    handled = dm.dm_recv_response(lost, cfg, 0)
    assert handled.channels[SCHED_A][0].waits == handled.channels[BOOTSTRAP][0].waits == 0
    free = {str(action).split("(")[0] for action, _ in model.successors(handled)}
    assert {"dm_recv_schedule", "dm_recv_bootstrap"} <= free
    # a command sent later than the response waits for nothing; the same command again is queued already
    later = channels.behind(handled.channels, 0, command._replace(waits=0))
    assert later.waits == 0 and channels.same_command(later, command)


def test_a_setter_is_replace_by_position():
    """``state.setter`` writes each field count out by hand (speed): every count must still be
    ``_replace`` of those fields, with the record's own type."""
    from model.state import Dm, Instance, setter

    instance = Instance(de=1, first_de=1, working=True, blocked=False, removing=False, lifecycle=1, restarted=False)
    fields = ("de", "blocked", "lifecycle", "restarted")
    values = (4, True, 3, True)
    for count in range(1, len(fields) + 1):
        updated = setter(Instance, *fields[:count])(instance, *values[:count])
        assert type(updated) is Instance
        assert updated == instance._replace(**dict(zip(fields[:count], values[:count])))
    dm_record = Dm(maintainer=0, epoch=1, pending=((),), held=(), incarnation=1)
    assert setter(Dm, "term", "maintainer")(dm_record, 2, 1) == dm_record._replace(term=2, maintainer=1)
