"""The page against `backprop-lab serve --workers 2`: build, step, Play, Pause work as with one
worker, and both workers, asked directly, see the network exactly as the page shows it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.multiproc.pinned import PinnedClient, worker_pids
from tests.servers import AppServer

from .conftest import VIEWPORT
from .support import Lab

pytestmark = pytest.mark.e2e

LOSS_POINTS = "document.querySelector('[data-testid=\"loss-plot\"]').dataset.points"
L = 2  # sizes 2,3,2


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    server = AppServer(Path(tmp_path_factory.mktemp("two-workers")), {"BACKPROP_PERSIST": "0"}, workers=2)
    server.start()
    yield server
    server.close()


@pytest.fixture
def lab_on_two_workers(browser: Browser, two_workers: AppServer) -> Iterator[Lab]:
    context = browser.new_context(base_url=f"http://127.0.0.1:{two_workers.port}", viewport=VIEWPORT, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    lab = Lab(page)
    yield lab
    context.close()
    assert not lab.errors, f"errors in the page: {lab.errors}"


def test_build_step_play_pause_on_two_workers(lab_on_two_workers: Lab, two_workers: AppServer) -> None:
    assert two_workers.process is not None
    pids = worker_pids(two_workers.process.pid)
    assert len(pids) == 2, pids
    direct = PinnedClient(two_workers.port, pids)
    lab = lab_on_two_workers
    page = lab.page
    lab.open("?ds=xor&sizes=2,3,2&act=tanh&seed=4&eta=0.5&bs=16")
    for _ in range(L):
        page.keyboard.press("f")
    for _ in range(L):
        page.keyboard.press("b")
    lab.wait_stage(2 * L)
    page.keyboard.press("u")
    lab.wait_stage(2 * L + 1)
    expect(page.get_by_test_id("status")).to_contain_text("step 1")
    shown = lab.values("W-")
    for pid in pids:
        status, net = direct.request(pid, "GET", f"/networks/{lab.network_id}")
        assert status == 200 and net["step"] == 1
        assert {f"W-{k}-{i}-{j}": w for k, W in enumerate(net["W"], 1) for i, row in enumerate(W)
                for j, w in enumerate(row)} == shown  # fmt: skip

    page.wait_for_function("window.__perf.plotsReady !== null")
    page.keyboard.press(" ")
    expect(page.get_by_test_id("btn-play")).to_have_attribute("aria-pressed", "true")
    page.wait_for_function(f"Number({LOSS_POINTS}) >= 5", timeout=30_000)
    page.get_by_test_id("btn-play").click()
    expect(page.get_by_test_id("btn-play")).to_have_attribute("aria-pressed", "false")
    page.wait_for_timeout(300)
    points = int(page.evaluate(LOSS_POINTS))
    page.wait_for_timeout(500)
    assert int(page.evaluate(LOSS_POINTS)) == points, "training stopped when paused"
    for pid in pids:
        status, net = direct.request(pid, "GET", f"/networks/{lab.network_id}")
        assert status == 200 and net["epoch"] == points
    expect(page.get_by_test_id("timeline")).to_contain_text(f"trained to epoch {points}")
    assert sorted(set(direct.served_by)) == pids
    direct.close()
