"""``troupe trace html``: a self-contained page, checked as text and in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from runtime.trace.html import embed_json
from tests.trace.conftest import ROOT, Demo, run_cli, write_demo_trace

CHROMIUM = "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None and not Path(CHROMIUM).exists(),
    reason="chromium is not installed (CI installs Debian's chromium in .ci/run)",
)


def _page(tmp_path: Path, demo: Demo, *extra: str) -> str:
    out = tmp_path / "page.html"
    result = run_cli("html", demo.path, *extra, "-o", out, "--json")
    assert result.rc == 0, result.err
    return out.read_text(encoding="utf-8")


def _script_json(page: str, element_id: str) -> object:
    match = re.search(
        rf'<script type="application/json" id="{element_id}">(.*?)</script>', page, re.S
    )
    assert match is not None
    return json.loads(match.group(1))


def test_page_is_self_contained(tmp_path: Path, demo: Demo) -> None:
    page = _page(tmp_path, demo, "e1")
    assert page.startswith("<!DOCTYPE html>")
    assert "http://" not in page and "https://" not in page
    assert "@import" not in page and "url(" not in page
    assert not re.search(r"<(link|img|iframe)\b", page)
    assert not re.search(r"<script[^>]*\bsrc=", page)


def test_page_embeds_actors_tasks_and_slices(tmp_path: Path, demo: Demo) -> None:
    page = _page(tmp_path, demo, "e1")
    meta = _script_json(page, "troupe-meta")
    assert isinstance(meta, dict)
    assert meta["execution"] == ROOT
    assert sorted(actor["path"] for actor in meta["actors"]) == sorted(demo.root_actors)
    assert {task["task"] for task in meta["tasks"]} == {
        "start",
        "fanout",
        "flaky",
        "check",
        "broken",
        "cleanup",
        "join_all",
        "sub",
    }
    flaky = next(task for task in meta["tasks"] if task["task"] == "flaky")
    assert (flaky["attempts"], flaky["action"], flaky["route"]) == (2, "core.flaky", 0)
    slices = _script_json(page, "troupe-slices")
    assert isinstance(slices, list)
    kinds = [row[3] for row in slices]
    assert kinds.count(1) == 8  # task runs
    assert kinds.count(2) == demo.items


def test_json_in_page_cannot_close_its_script_tag(tmp_path: Path) -> None:
    demo = write_demo_trace(tmp_path / "t.jsonl", other=False)
    evil = "</script><script>document.title='pwned'</script><!--"
    text = demo.path.read_text(encoding="utf-8").replace('"demo.yaml"', json.dumps(evil))
    demo.path.write_text(text, encoding="utf-8")
    page = _page(tmp_path, demo, "e1")
    assert page.count("</script>") == page.count("<script")
    meta = _script_json(page, "troupe-meta")
    assert isinstance(meta, dict) and meta["workflow"] == evil
    assert "</" not in embed_json({"a": "</b>"})


def test_html_task_filter_and_errors(tmp_path: Path, demo: Demo) -> None:
    page = _page(tmp_path, demo, "e1", "--task", "fanout")
    meta = _script_json(page, "troupe-meta")
    assert isinstance(meta, dict)
    assert meta["actors"][0]["path"] == "wf"
    assert {actor["path"] for actor in meta["actors"]} == {"wf", "wf/fanout@0"} | {
        f"wf/fanout@0/w{k}" for k in range(4)
    }
    assert run_cli("html", demo.path, "zz", "-o", tmp_path / "x.html").rc == 1
    assert run_cli("html", demo.path, "e1", "--status", "succeeded").rc == 1
    assert run_cli("html", demo.path, "-o", tmp_path / "y.html").rc == 2  # ambiguous


def _chromium(
    tmp_path: Path, page: Path, *args: str, fragment: str = ""
) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [
            shutil.which("chromium") or CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--window-size=1280,800",
            *args,
            page.as_uri() + fragment,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def png_rows(data: bytes, limit: int | None = None) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA non-interlaced PNG: (width, height, first ``limit`` rows)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, idat, header = 8, [], b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        offset += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0
    bpp = 4 if colour == 6 else 3
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    assert len(raw) == height * (stride + 1)
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height if limit is None else min(limit, height)):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = prev[i]
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                upleft = prev[i - bpp] if i >= bpp else 0
                p = left + up - upleft
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upleft)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else upleft
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, rows


@needs_chromium
@pytest.mark.timeout(120)
def test_page_renders_one_row_per_actor_without_errors(tmp_path: Path, demo: Demo) -> None:
    page = tmp_path / "page.html"
    assert run_cli("html", demo.path, "e1", "-o", page).rc == 0
    result = _chromium(tmp_path, page, "--dump-dom", "--enable-logging=stderr", "--v=0")
    dom = result.stdout
    title = re.search(r"<title>(.*?)</title>", dom)
    assert title is not None, result.stderr[-2000:]
    assert title.group(1) == f"ok:{len(demo.root_actors)}"
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    assert not [line for line in console if "Uncaught" in line or "rror" in line], console
    rows = re.findall(r'<div class="row[^"]*" data-actor="([^"]*)"', dom)
    assert sorted(rows) == sorted(demo.root_actors)
    assert rows[0] == "wf"
    # workers are grouped right under their task's row
    at = rows.index("wf/fanout@0")
    assert rows[at + 1 : at + 5] == [f"wf/fanout@0/w{k}" for k in range(4)]


def _cells(dom: str) -> dict[str, str]:
    details = dom[dom.index('id="details-body"') :]
    return dict(re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td></tr>", details))


@needs_chromium
@pytest.mark.timeout(120)
def test_clicking_an_item_bar_shows_its_task_details(tmp_path: Path, demo: Demo) -> None:
    page = tmp_path / "page.html"
    assert run_cli("html", demo.path, "e1", "-o", page).rc == 0
    html = page.read_text(encoding="utf-8")
    meta = _script_json(html, "troupe-meta")
    slices = _script_json(html, "troupe-slices")
    assert isinstance(meta, dict) and isinstance(slices, list)
    w1 = [actor["path"] for actor in meta["actors"]].index("wf/fanout@0/w1")
    (item,) = [row for row in slices if row[0] == w1 and row[3] == 2 and row[7] == 5]
    middle = item[1] + item[2] / 2
    result = _chromium(tmp_path, page, "--dump-dom", fragment=f"#actor=wf/fanout@0/w1&t={middle}")
    cells = _cells(result.stdout)
    assert cells["Task"] == "fanout"
    assert cells["Action"] == "core.http"
    assert cells["Status"] == "succeeded"
    assert cells["Attempts"] == "1"
    assert cells["Route"] == "0"
    assert cells["Items"] == "8 done, 0 failed of 8"
    assert (cells["Item"], cells["Worker"]) == ("5", "w1")
    assert 'class="row kind-item selected" data-actor="wf/fanout@0/w1"' in result.stdout


@needs_chromium
@pytest.mark.timeout(120)
def test_selecting_a_task_row_shows_attempts_and_route(tmp_path: Path, demo: Demo) -> None:
    page = tmp_path / "page.html"
    assert run_cli("html", demo.path, "e1", "-o", page).rc == 0
    cells = _cells(_chromium(tmp_path, page, "--dump-dom", fragment="#actor=wf/flaky@0").stdout)
    assert (cells["Task"], cells["Attempts"], cells["Retries"]) == ("flaky", "2", "1")
    assert (cells["Action"], cells["Duration"], cells["Route"]) == ("core.flaky", "90.0ms", "0")


@needs_chromium
@pytest.mark.timeout(120)
def test_a_script_error_shows_in_the_title(tmp_path: Path, demo: Demo) -> None:
    page = tmp_path / "page.html"
    assert run_cli("html", demo.path, "e1", "-o", page).rc == 0
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace('id="troupe-meta">{', 'id="troupe-meta">{oops'), "utf-8")
    result = _chromium(tmp_path, page, "--dump-dom", "--enable-logging=stderr", "--v=0")
    title = re.search(r"<title>(.*?)</title>", result.stdout)
    assert title is not None and title.group(1).startswith("error:")
    assert "Uncaught" in result.stderr


@needs_chromium
@pytest.mark.timeout(120)
def test_page_screenshot_is_not_blank(tmp_path: Path, demo: Demo) -> None:
    page = tmp_path / "page.html"
    shot = tmp_path / "shot.png"
    assert run_cli("html", demo.path, "e1", "-o", page).rc == 0
    result = _chromium(tmp_path, page, f"--screenshot={shot}")
    assert shot.exists(), result.stderr[-2000:]
    width, height, rows = png_rows(shot.read_bytes(), limit=200)
    assert (width, height) == (1280, 800)
    colours: set[bytes] = set()
    for row in rows:
        bpp = len(row) // width
        colours.update(row[i : i + 3] for i in range(0, len(row), bpp))
    # header, labels, bars and the background: far more than one colour
    assert len(colours) > 10


@needs_chromium
@pytest.mark.timeout(120)
def test_page_of_a_large_execution_renders(tmp_path: Path) -> None:
    demo = write_demo_trace(tmp_path / "big.jsonl", items=2000, other=False)
    page = tmp_path / "page.html"
    assert run_cli("html", demo.path, "-o", page).rc == 0
    dom = _chromium(tmp_path, page, "--dump-dom").stdout
    assert f"<title>ok:{len(demo.root_actors)}</title>" in dom


EVIL_TASK = "</script><script>document.title='pwned';alert(1)</script>"


def _evil_task_page(tmp_path: Path) -> tuple[Path, str, int]:
    """The demo page with the task ``check`` renamed to a script-closing string."""
    demo = write_demo_trace(tmp_path / "t.jsonl", other=False)
    text = demo.path.read_text(encoding="utf-8")
    assert '"check"' in text
    text = text.replace('"check"', json.dumps(EVIL_TASK)).replace(
        '"wf/check@0"', json.dumps(f"wf/{EVIL_TASK}@0"))
    demo.path.write_text(text, encoding="utf-8")
    page = tmp_path / "page.html"
    assert run_cli("html", demo.path, "e1", "-o", page).rc == 0
    return page, page.read_text(encoding="utf-8"), len(demo.root_actors)


def test_a_task_named_like_a_closing_script_tag_is_only_data(tmp_path: Path) -> None:
    _, html, _ = _evil_task_page(tmp_path)
    # the page's own script tags only: the user's "</script>" never appears as markup
    assert html.count("</script>") == html.count("<script") == 4
    assert "alert(1)" in html and "<script>document.title='pwned'" not in html
    meta = _script_json(html, "troupe-meta")
    assert isinstance(meta, dict)
    assert EVIL_TASK in {task["task"] for task in meta["tasks"]}
    assert f"wf/{EVIL_TASK}@0" in {actor["path"] for actor in meta["actors"]}


@needs_chromium
@pytest.mark.timeout(120)
def test_a_task_named_like_a_closing_script_tag_renders_inert(tmp_path: Path) -> None:
    page, _, rows = _evil_task_page(tmp_path)
    result = _chromium(tmp_path, page, "--dump-dom", "--enable-logging=stderr", "--v=0")
    title = re.search(r"<title>(.*?)</title>", result.stdout)
    assert title is not None, result.stderr[-2000:]
    assert title.group(1) == f"ok:{rows}"  # the page's script ran to its end, no other did
    # the name is one row's text, not markup: no element of the user's was created
    assert len(re.findall(r'<div class="row[^"]*" data-actor="', result.stdout)) == rows
    assert result.stdout.count("<script") == 4
