"""The CPM network's plan-order shortcut: when every link runs from an earlier task to a
later one, Kahn's min-heap order is the plan order (pmo_xl.engine.cpm._network)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine.cpm import CpmTask, _kahn, _network, schedule
from pmo_xl.engine.links import Link


@st.composite
def networks(draw):
    n = draw(st.integers(1, 25))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60))
    return n, pairs


@given(networks())
@settings(max_examples=200, deadline=None)
def test_plan_order_is_kahns_order_on_forward_links(spec):
    n, pairs = spec
    tasks = [CpmTask(i + 1, float(i % 4)) for i in range(n)]
    for a, b in pairs:
        if a < b:
            tasks[b].links.append(Link(a + 1))
    net = _network(tasks)
    assert net.order == _kahn(n, net.outgoing, net.incoming) == list(range(n))


@given(networks())
@settings(max_examples=200, deadline=None)
def test_any_links_order_is_kahns(spec):
    n, pairs = spec
    tasks = [CpmTask(i + 1, float(i % 4)) for i in range(n)]
    for a, b in pairs:
        if a != b and all(link.pred != a + 1 for link in tasks[b].links):
            tasks[b].links.append(Link(a + 1))
    net = _network(tasks)
    if not net.cycles:
        assert net.order == _kahn(n, net.outgoing, net.incoming)
    assert len(schedule(tasks).tasks) == n
