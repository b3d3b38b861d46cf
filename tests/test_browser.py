"""The explorer in a real browser (issue 21): Debian's Chromium, driven by Playwright (which downloads no browser of its own),
opens `gazekit explore` (Voila) and a tutorial in JupyterLab 4, moves a slider, and checks that the figure's picture changed
within the time stated below. Screenshots go into each test's temporary folder.

Skipped, with the reason, where Chromium or Playwright is absent (`.ci/run` installs Chromium, so CI runs them)."""
import base64, hashlib, io, json, os, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="no system Chromium (apt-get install chromium): the real-browser tests need it"),
              pytest.mark.xdist_group("browser")]     # one process runs them all: the module's fixtures are made once
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright; it uses the system Chromium)")

REPO = Path(__file__).resolve().parents[1]
FIRST_FIGURE_S = 240     # the page, its kernel and the first figure (a tutorial runs all its cells first)
REDRAW_S = 10            # a slider moved: the new picture is in the page within this time


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        # no background connections (this machine's network is closed: Chromium's attempts are refused, many at a time)
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                                                              "--disable-background-networking", "--disable-component-update",
                                                              "--disable-sync"])
        yield b
        b.close()


def _pixels(src: str) -> np.ndarray:
    "The picture of an <img> whose src is a data: URL, decoded."
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("RGB"))


def _move_slider(page, container, label: str):
    "Drag the handle of the slider labelled `label` inside `container` a third of its track to the left."
    slider = container.locator(".widget-slider", has=page.locator(".widget-label", has_text=label)).first
    handle = slider.locator(".noUi-handle").first
    track = slider.locator(".noUi-target").first
    hb, tb = handle.bounding_box(), track.bounding_box()
    x, y = hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2
    page.mouse.move(x, y); page.mouse.down()
    page.mouse.move(x - tb["width"] / 3, y, steps=8); page.mouse.up()


def _slider_changes_figure(page, img, container, label: str, shots: Path, name: str) -> float:
    "Move the slider; return the seconds until the picture changed (fails past REDRAW_S); screenshots before and after."
    before = img.get_attribute("src")
    page.screenshot(path=str(shots / f"{name}-before.png"), full_page=True)
    t0 = time.perf_counter()
    _move_slider(page, container, label)
    while img.get_attribute("src") == before:             # the output widget puts a new <img> in place: ask the locator again each time
        assert time.perf_counter() - t0 < REDRAW_S, f"the picture did not change within {REDRAW_S} s of the slider's move"
        page.wait_for_timeout(50)
    dt = time.perf_counter() - t0
    page.screenshot(path=str(shots / f"{name}-after.png"), full_page=True)
    a, b = _pixels(before), _pixels(img.get_attribute("src"))
    assert a.std() > 10 and b.std() > 10, "a blank picture"                   # a real figure, not an empty frame
    assert a.shape != b.shape or np.abs(a.astype(int) - b.astype(int)).mean() > 0.5, "the picture did not change"
    return dt


def test_gazekit_explore_in_chromium(browser, tmp_path):
    from gazekit.explore import serve
    p, url = serve(tmp_path / "app", port=0, n=3, source_kwargs=dict(n_train=4, n_test=3))
    try:
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(url, wait_until="commit", timeout=FIRST_FIGURE_S * 1000)   # Voila streams the page while its kernel runs the cell
        img = page.locator(".widget-output img, .jp-OutputArea-output img").first
        img.wait_for(timeout=FIRST_FIGURE_S * 1000)
        dt = _slider_changes_figure(page, img, page, "sigma", tmp_path, "explore")
        print(f"gazekit explore: the figure changed {dt:.2f} s after the slider moved (screenshots in {tmp_path})")
        page.close()
    finally:
        p.terminate(); p.wait(10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


def _wait_for_idle_kernel(base: str, token: str, lab, tmp_path: Path, timeout: float):
    "Poll the server's REST API until one of its kernels is idle (fails with the server's log past `timeout` s)."
    t0 = time.time()
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/kernels?token={token}", timeout=2) as r:
                if any(k.get("execution_state") == "idle" for k in json.load(r)): return
        except OSError: pass
        assert lab.poll() is None and time.time() - t0 < timeout, \
            f"no idle kernel after {timeout} s; the server's log ends:\n" + (tmp_path / "jupyterlab.log").read_text()[-2000:]
        time.sleep(0.5)


def test_tutorial_explorer_in_jupyterlab(browser, tmp_path):
    nb = REPO / "nbs" / "tutorials" / "01_gaze_to_masks.ipynb"
    if not nb.exists(): pytest.skip(f"{nb} is not there")
    work = tmp_path / "lab"; work.mkdir()
    shutil.copy(nb, work / nb.name)
    port, token = _free_port(), "gazekit-test"
    env = {**os.environ, "GAZEKIT_FAST": "1", "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    log = open(tmp_path / "jupyterlab.log", "wb")
    lab = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
                            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}", "--allow-root"],
                           stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        base, t0 = f"http://127.0.0.1:{port}", time.time()
        while True:
            try: urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2).close(); break
            except OSError:
                assert lab.poll() is None and time.time() - t0 < 120, (tmp_path / "jupyterlab.log").read_text()[-2000:]
                time.sleep(0.5)
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(f"{base}/lab/tree/{nb.name}?token={token}", timeout=120_000)
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=120_000)
        _wait_for_idle_kernel(base, token, lab, tmp_path, 120)                     # the server says its kernel has started
        # and the page knows it: JupyterLab writes the status into the page (visible in the status bar, or only for
        # screen readers in the toolbar, depending on the version and the window), so wait for it to be there, not seen
        page.get_by_text("Idle", exact=False).first.wait_for(state="attached", timeout=120_000)
        page.locator(".jp-Notebook").first.click()
        page.keyboard.press("Escape")
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        cell = page.locator(".jp-Notebook .jp-CodeCell", has_text="# the explorer").first
        img = cell.locator(".jp-OutputArea img").first
        try: img.wait_for(timeout=FIRST_FIGURE_S * 1000)
        except Exception:
            page.screenshot(path=str(tmp_path / "jupyterlab-no-figure.png"), full_page=True); raise
        cell.scroll_into_view_if_needed()
        dt = _slider_changes_figure(page, img, cell, "sigma", tmp_path, "jupyterlab")
        print(f"JupyterLab: the tutorial's explorer changed {dt:.2f} s after the slider moved (screenshots in {tmp_path})")
        page.close()
    finally:
        lab.terminate(); lab.wait(20); log.close()
