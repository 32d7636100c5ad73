"""``report --html``: a self-contained page whose charts show in headless Chromium."""

import re
import shutil
import subprocess

import pytest

from im4talkin.report import svg
from im4talkin.store.db import Store

from .seed import seed_full

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _page(cli, tmp_path, *args):
    seed_full(Store())
    path = tmp_path / "report.html"
    code, out, err = cli("report", "--learner", "ana", "--html", str(path), *args)
    assert code == 0, err
    return path, out


def test_the_page_is_self_contained(cli, tmp_path):
    path, out = _page(cli, tmp_path)
    html = path.read_text()
    assert "report with charts written to" in out
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", html)  # nothing fetched
    charts = re.findall(r'<figure class="chart"><svg', html)
    assert len(charts) >= 4  # turns per day, mistakes per 100 words, by kind, topics
    for caption in ("Turns per day", "Mistakes per 100 words, by week", "Mistakes by kind"):
        assert caption in html


def test_json_and_html_together(cli, tmp_path):
    import json

    path, out = _page(cli, tmp_path, "--json")
    assert json.loads(out)["learner"] == "ana" and path.exists()


def test_an_empty_history_page(cli, tmp_path):
    path = tmp_path / "empty.html"
    code, _, _ = cli("report", "--html", str(path))
    assert code == 0 and "No practice yet" in path.read_text()


def _colour_pixels(png, colour, tolerance=40):
    from PIL import Image

    image = Image.open(png).convert("RGB")
    target = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return sum(
        n
        for n, rgb in image.getcolors(maxcolors=1 << 20)
        if all(abs(a - b) <= tolerance for a, b in zip(rgb, target, strict=True))
    )


CHARTS_ONLY = (
    "<style>body * { visibility: hidden !important; }"
    " figure.chart svg, figure.chart svg * { visibility: visible !important; }</style>"
)
"""Hides everything but the charts (keeping the layout): table text shares their colours."""


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
def test_the_charts_show_in_headless_chromium(cli, tmp_path):
    pytest.importorskip("PIL", reason="Pillow reads the screenshot: pip install '.[test]'")
    page, _ = _page(cli, tmp_path)
    path = tmp_path / "charts.html"
    path.write_text(page.read_text().replace("</head>", CHARTS_ONLY + "</head>", 1))
    shot = tmp_path / "shot.png"
    proc = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=800,2400",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shot.exists(), proc.stderr[-2000:]
    from PIL import Image

    assert Image.open(shot).size == (800, 2400)
    # each chart's colour is drawn by the charts alone: lines and bars, not a blank page
    for colour in (svg.BLUE, svg.RED, svg.GREEN, svg.ORANGE):
        assert _colour_pixels(shot, colour) > 500, colour
