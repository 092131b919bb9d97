"""The HTML report: self-contained, every section present, and rendered by a real browser.

The browser test opens the report in headless Chromium (Debian package ``chromium``), takes
a screenshot and dumps the DOM after load; a small script in the report marks on <body> how
many images decoded, which sections have a height and how wide the page is.
"""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from densitykit.data import read_table
from densitykit.report import SECTION_IDS, build_report, ellipse, write_report

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless browser test needs the 'chromium' binary "
    "(Debian: apt-get install -y chromium)",
)


@pytest.fixture(scope="module")
def report_path(tmp_path_factory):
    from sklearn.mixture import GaussianMixture

    rng = np.random.default_rng(0)
    n = 900
    x = rng.normal(size=n)
    df = pd.DataFrame({
        "flow <in>": 100 + 10 * x,
        "temp & level": 50 + 3 * x + rng.normal(size=n),
        "pressure": rng.gamma(3.0, size=n),
        "dp": rng.normal(size=n),
    })
    text = df.to_csv(index=False).replace("\n1", "\n!", 1)  # one bad cell
    table = read_table(io.StringIO(text), format="csv")
    data = table.data
    train, hold = data.iloc[:700], data.iloc[700:]
    gm = GaussianMixture(3, random_state=0).fit(train.to_numpy())
    synth = pd.DataFrame(gm.sample(700)[0], columns=data.columns)
    cands = pd.DataFrame({
        "candidate": ["gmm-1", "gmm-2", "gmm-3"],
        "family": ["gmm"] * 3,
        "n_components": [1, 2, 3],
        "heldout_loglik": [-9.0, -8.7, -8.6],
        "bic": [1e4, 9.8e3, 9.9e3],
        "chosen": [False, False, True],
    })
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(path, train, synth, holdout=hold, model=gm, candidates=cands,
                 cleaning=table.report, title="Test <report>")
    return path


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.imgs, self.urls, self.body = [], [], [], {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        for key in ("src", "href"):
            if key in a and not a[key].startswith(("#", "data:")):
                self.urls.append(a[key])
        if tag == "body":
            self.body = a


def _parse(text):
    p = _Collector()
    p.feed(text)
    return p


def test_report_is_self_contained(report_path):
    page = report_path.read_text(encoding="utf-8")
    p = _parse(page)
    assert list(SECTION_IDS) == [i for i in p.ids if i in SECTION_IDS]
    assert p.urls == []  # no external resource of any kind
    assert "http://" not in page and "https://" not in page
    # one histogram per column, three pairs... all embedded PNGs that decode
    assert len(p.imgs) >= 4 + 1 + 1 + 1
    for src in p.imgs:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    # names are escaped, the cleaning report is shown
    assert "Test &lt;report&gt;" in page and "flow &lt;in&gt;" in page
    assert "Kept 899 rows" in page
    assert 'name="viewport"' in page


def test_report_without_model_or_cleaning_keeps_every_section():
    rng = np.random.default_rng(1)
    page = build_report(rng.normal(size=(100, 1)), rng.normal(size=(100, 1)))
    assert all(f'<section id="{s}">' in page for s in SECTION_IDS)
    assert "Only one column" in page


def test_the_cleaning_section_says_how_text_outputs_are_written():
    rng = np.random.default_rng(2)
    def comma(v: float) -> str:
        return f"{v:.2f}".replace(".", ",")

    text = "Datum;Ausbeute;T\n" + "".join(
        f"{d % 28 + 1:02d}.01.2024;{comma(80 + rng.normal())}%;{comma(rng.normal())}\n"
        for d in range(60))
    table = read_table(io.StringIO(text), kinds="mixed", index=None)
    assert table.report.number_forms == {"Ausbeute": "0.00%"}
    page = build_report(table.data, table.data, cleaning=table.report)
    assert ("Text outputs are written as the table was: the dates of Datum in the form "
            "%d.%m.%Y; fields separated by ';'; decimal commas; percentages with "
            "their sign (Ausbeute).") in page
    table.report.text_marks["encoding"] = "cp1252"  # as a file saved by Excel gives it
    page = build_report(table.data, table.data, cleaning=table.report)
    assert "decimal commas; in Windows-1252 (cp1252); percentages" in page


def test_ellipse_matches_covariance():
    cov = np.array([[2.0, 0.8], [0.8, 1.0]])
    xy = ellipse(np.array([1.0, -1.0]), cov, n_std=1.0, n=400) - [1.0, -1.0]
    # every point is at Mahalanobis distance 1
    m = np.einsum("ni,ij,nj->n", xy, np.linalg.inv(cov), xy)
    np.testing.assert_allclose(m, 1.0, rtol=1e-10)


def _chromium(url, tmp_path, *extra):
    profile = tmp_path / f"profile{len(list(tmp_path.iterdir()))}"
    cmd = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--hide-scrollbars", f"--user-data-dir={profile}", *extra, url,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def _check_in_browser(path, tmp_path, width):
    url = path.as_uri()
    shot = tmp_path / f"shot{width}.png"
    out = _chromium(url, tmp_path, f"--window-size={width},1600", f"--screenshot={shot}")
    assert shot.exists(), out.stderr[-2000:]
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[1] == width
    assert pixels.std() > 0.01  # not a blank page

    out = _chromium(url, tmp_path, f"--window-size={width},1600", "--virtual-time-budget=10000",
                    "--dump-dom")
    body = _parse(out.stdout).body
    assert body, f"no DOM dumped: {out.stderr[-2000:]}"
    n_images = len(_parse(path.read_text(encoding="utf-8")).imgs)
    assert body.get("data-images-total") == str(n_images)
    assert body.get("data-images-ok") == str(n_images)
    assert body.get("data-images-loaded") == "true"
    assert body.get("data-sections-rendered", "").split() == list(SECTION_IDS)
    # responsive: nothing pushes the page wider than the window, on a laptop or a phone
    assert int(body["data-scroll-width"]) <= int(body["data-viewport-width"])


@needs_chromium
@pytest.mark.parametrize("width", [1280, 390])
def test_report_renders_in_headless_chromium(report_path, tmp_path, width):
    _check_in_browser(report_path, tmp_path, width)


@needs_chromium
def test_synth_report_renders_in_headless_chromium(tmp_path):
    from densitykit import Synthesizer

    rng = np.random.default_rng(3)
    x = rng.normal(size=500)
    df = pd.DataFrame({"a": x, "b": np.exp(x) + rng.normal(0, 0.2, 500),
                       "c": np.where(rng.random(500) < 0.5, 1.5, rng.normal(size=500))})
    model = Synthesizer(n_components=[1, 2, 3], bandwidths=[0.3], random_state=0).fit(df)
    path = model.report(tmp_path / "synth.html")
    page = path.read_text(encoding="utf-8")
    assert "Gaussian" in page and "criterion curve" in page
    assert "Measured on 100 test rows that took no part" in page
    assert not re.search(r">\s*-?(nan|inf)\s*<", page)  # no undefined number shown as one
    # figures carry at least two image pixels per screen pixel at the report's widths
    from densitykit.report._figures import DPI

    assert DPI >= 200
    for width in (1400, 390):
        _check_in_browser(path, tmp_path, width)


@needs_chromium
def test_browser_check_catches_a_broken_image(report_path, tmp_path):
    page = report_path.read_text(encoding="utf-8")
    broken = re.sub(r'src="data:image/png;base64,[^"]{20}', 'src="data:image/png;base64,AAAA',
                    page, count=1)
    bad = tmp_path / "bad.html"
    bad.write_text(broken, encoding="utf-8")
    out = _chromium(bad.as_uri(), tmp_path, "--virtual-time-budget=10000", "--dump-dom")
    body = _parse(out.stdout).body
    assert body.get("data-images-loaded") == "false"


def test_write_report_leaves_no_temporary_file(tmp_path):
    rng = np.random.default_rng(2)
    path = write_report(tmp_path / "r.html", rng.normal(size=(50, 2)), rng.normal(size=(50, 2)))
    assert [p.name for p in Path(tmp_path).iterdir()] == ["r.html"]
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_criterion_figure_gives_each_family_its_own_axis():
    from densitykit.report._figures import criterion_figure

    table = pd.DataFrame({
        "family": ["gmm", "gmm", "gmm", "kde", "kde"],
        "n_components": [1, 2, 4, 0, 0],
        "bandwidth": [np.nan, np.nan, np.nan, 0.45, 0.2],
        "heldout_loglik": [-3.0, -1.0, -2.0, 0.5, 0.1],
        "bic": [30.0, 20.0, 25.0, np.nan, np.nan],
        "detection_auc": [0.9, 0.8, 0.7, 0.75, 0.6],
        "chosen": [False, False, False, False, True],
    })
    main_axes = [ax for ax in criterion_figure(table).axes if ax.get_ylabel().startswith("held")]
    gmm_ax, kde_ax = main_axes
    np.testing.assert_array_equal(gmm_ax.lines[0].get_xdata(), [1, 2, 4])
    np.testing.assert_array_equal(kde_ax.lines[0].get_xdata(), [0.2, 0.45])  # sorted
    np.testing.assert_array_equal(kde_ax.lines[0].get_ydata(), [0.1, 0.5])
    assert kde_ax.lines[1].get_xdata()[0] == 0.2 and len(gmm_ax.lines) == 1  # the star
    # the second axis shows the detection AUC when there is one, else BIC
    fig = criterion_figure(table[table["family"] == "gmm"].drop(columns="detection_auc"))
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel().startswith("BIC")
    # without a bandwidth column every row goes on the components axis
    fig = criterion_figure(table.drop(columns="bandwidth"))
    assert len(fig.axes[0].lines[0].get_xdata()) == 5


def test_a_date_histogram_over_days_of_half_hours_draws_without_a_warning():
    """Three days of half-hourly stamps: matplotlib's date locator finds no interval for
    five ticks and warns; its fallback ticks are fine, and the warning is not the user's."""
    import warnings

    from densitykit.report import _figures

    stamps = pd.date_range("2024-03-01 06:00", periods=150, freq="30min")
    seconds = (stamps - pd.Timestamp("1970-01-01")).total_seconds().to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = _figures.histogram("Zeit", seconds, seconds[::-1], None, dates=True)
    assert png.startswith(b"\x89PNG")
