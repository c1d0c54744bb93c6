"""Backward, step by step: ``tg.viz.animate`` and ``tinygrad-vn animate``.

The frames are checked against the engine's own backward pass (``dag.run_backward`` and ``.grad``);
the page is opened in headless Chromium (where ``.ci/setup`` installed it) and stepped through with
its buttons, the arrow keys and the slider.
"""

from __future__ import annotations

import re
import shutil
import struct
import tempfile

import numpy as np
import pytest

import tinygrad_vn as tg
from tinygrad_vn import animate as animation_module
from tinygrad_vn import dag, nn, phrases
from tinygrad_vn.cli import main
from tinygrad_vn.cli.examples import build_example
from tinygrad_vn.explain import describe_step

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz `dot` not installed")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def seed000():
    example = build_example("seed000")
    return example.loss, example.model


def reused_input():
    """x feeds three contributions: twice through x * x, once through + x."""
    x = tg.tensor([1.5, -2.0], requires_grad=True, name="x")
    return (x * x + x).sum(), x


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG")
    return struct.unpack(">II", data[16:24])


# ---------------------------------------------------------------------- the frames, without drawing


@pytest.mark.parametrize("example", ["seed000", "mlp"])
def test_frame_count_is_the_number_of_backward_steps_plus_one(example):
    built = build_example(example, "5,4,3")
    animation = animation_module.build(built.loss, model=built.model)
    steps, _ = dag.run_backward(dag.build(built.loss, model=built.model))
    assert animation.frame_count == len(steps) + 1 == len(animation.frames)
    assert [frame.step.op.name for frame in animation.frames[1:]] == [step.op.name for step in steps]


def test_frame_zero_is_the_seed_and_frame_k_shows_step_k_as_explain_writes_it():
    loss, model = seed000()
    animation = animation_module.build(loss, model=model)
    graph = dag.build(loss, model=model)
    steps, _ = dag.run_backward(graph)
    first = animation.frames[0]
    assert first.step is None and "dL = ∂L/∂L = 1" in first.lines[0]
    filled_at_zero = [g.node for g in animation.gradients.values() if g.at(0) is not None]
    assert filled_at_zero == [f"bg{graph.position[id(loss)]}"]
    for number, step in enumerate(steps, 1):
        assert animation.frames[number].title == f"Step {number} of {len(steps)}: {step.op.name}"
        expected = describe_step(graph, step, number)
        assert animation.frames[number].lines[:len(expected)] == expected


def test_the_last_frame_holds_the_engines_gradients():
    loss, model = seed000()
    animation = animation_module.build(loss, model=model)
    loss.backward(retain_graph=True)
    last = animation.frame_count - 1
    for name, parameter in model.named_parameters():
        gradient = animation.gradients[id(parameter)]
        _, state, values = gradient.at(last)
        assert state == "complete", name
        assert values == dag.format_array(parameter.grad.data).split("\n"), name


def test_a_gradient_fed_by_several_ops_is_a_partial_sum_until_its_last_contribution():
    loss, x = reused_input()
    animation = animation_module.build(loss)
    history = animation.gradients[id(x)].history
    assert [state for _, state, _ in history] == ["partial", "partial", "complete"]
    loss.backward(retain_graph=True)
    assert history[-1][2] == dag.format_array(x.grad.data).split("\n")
    notes = [line.strip() for frame in animation.frames for line in frame.lines if line.strip().startswith("dx ")]
    assert notes[-1] == "dx is complete: the sum of all 3 contributions"
    assert "dx so far: the sum of 1 of its 3 contributions" in notes


def test_each_frames_dot_highlights_its_op_and_greys_what_is_still_to_come():
    loss, model = seed000()
    animation = animation_module.build(loss, model=model)
    for number in range(animation.frame_count):
        lines = animation.dot(number).splitlines()
        current = [line.split()[0] for line in lines if animation_module.CURRENT_OP in line]
        expected = [f"bo{animation.frames[number].step.op.position}"] if number else []
        assert current == expected, number
        pending = [line for line in lines if 'class="gradient"' in line and "\\n?\"" in line]
        assert len(pending) == sum(g.at(number) is None for g in animation.gradients.values()), number


def test_a_big_graph_is_refused_without_a_model_and_collapsed_by_module_with_one():
    x = tg.tensor([[0.5, -0.5]], requires_grad=True)
    h = x
    for _ in range(animation_module.MAX_OPS // 2 + 1):
        h = (h * 1.01).tanh()
    with pytest.raises(ValueError, match="more than the 300 an animation draws one by one: pass model="):
        animation_module.build(h.sum())
    model = nn.Sequential(*[nn.Linear(2, 2) for _ in range(animation_module.MAX_OPS // 2 + 1)])
    model.fuse = False
    loss = model(tg.tensor([[0.5, -0.5]])).sum()
    animation = animation_module.build(loss, model=model)
    assert animation.collapsed and len(animation.graph.ops) > animation_module.MAX_OPS
    assert "each module is drawn as one box" in " ".join(animation.frames[0].lines)
    assert animation.frame_count == len(animation.graph.ops) + 1
    assert sum(node.startswith("bm") for node in animation.op_steps) == len(model)


@pytest.mark.parametrize(("options", "message"), [
    ({"lang": "fr"}, "lang must be one of"),
    ({"collapse": "layer"}, "collapse must be None or 'module'"),
    ({"collapse": "module"}, "collapse='module' needs model="),
    ({"delay_ms": 5}, "delay_ms must be"),
    ({"precision": 0}, "precision must be"),
])
def test_bad_options_are_refused_naming_what_is_wrong(options, message):
    loss, _ = reused_input()
    with pytest.raises(ValueError, match=re.escape(message)):
        animation_module.build(loss, **options)


def test_a_loss_without_gradient_is_refused():
    with pytest.raises(ValueError, match="needs a gradient"):
        animation_module.build(tg.tensor([1.0, 2.0]).sum())


def test_an_unknown_format_is_refused(tmp_path):
    loss, _ = reused_input()
    with pytest.raises(ValueError, match="format must be one of"):
        tg.viz.animate(loss, tmp_path / "steps.mp4")


def test_gif_without_pillow_says_how_to_install_it(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pillow(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("No module named 'PIL'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pillow)
    loss, _ = reused_input()
    with pytest.raises(animation_module.PillowNotFoundError, match="pip install"):
        tg.viz.animate(loss, tmp_path / "steps.gif")
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------------- the pictures


@needs_dot
def test_the_page_is_one_self_contained_file(tmp_path):
    loss, model = seed000()
    [written] = tg.viz.animate(loss, tmp_path / "backprop", model=model)
    assert written == str(tmp_path / "backprop.html")
    page = (tmp_path / "backprop.html").read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page and "//" + "www" not in page
    assert not re.search(r"""\b(src|href)\s*=""", page), "the page must load nothing from outside itself"
    assert page.count("<svg") == 2 and "<script>" in page
    data = re.search(r'<script type="application/json" id="animation-data">(.*?)</script>', page, re.S).group(1)
    import json

    assert len(json.loads(data)["frames"]) == animation_module.build(loss, model=model).frame_count


@needs_dot
def test_a_few_hundred_ops_give_a_small_page(tmp_path):
    x = tg.tensor([[0.5, -0.5]], requires_grad=True)
    h = x
    for _ in range(99):
        h = (h * 1.01 + 0.1).tanh()
    [written] = tg.viz.animate(h.sum(), tmp_path / "deep.html")
    size = len((tmp_path / "deep.html").read_bytes())
    assert written == str(tmp_path / "deep.html")
    assert size < 3_000_000, f"a 300-op page should stay small, got {size} bytes"


@needs_dot
def test_the_page_in_vietnamese_has_no_english_phrase_of_the_table(tmp_path):
    loss, model = seed000()
    tg.viz.animate(loss, tmp_path / "vi.html", model=model, lang="vi")
    page = (tmp_path / "vi.html").read_text(encoding="utf-8")
    assert 'lang="vi"' in page and "Lan truyền ngược từng bước" in page
    assert phrases.english_left_in(page, "vi") == []


@needs_dot
def test_png_frames_are_numbered_one_per_frame_and_laid_out_alike(tmp_path):
    loss, model = seed000()
    written = tg.viz.animate(loss, tmp_path / "frames" / "seed.png", model=model)
    count = animation_module.build(loss, model=model).frame_count
    assert written == [str(tmp_path / "frames" / f"seed_{n:03d}.png") for n in range(count)]
    sizes = {png_size((tmp_path / "frames" / f"seed_{n:03d}.png").read_bytes()) for n in range(count)}
    assert len(sizes) == 1


@needs_dot
def test_gif_has_one_picture_per_frame(tmp_path):
    image = pytest.importorskip("PIL.Image", reason="Pillow is not installed")
    loss, _ = reused_input()
    [written] = tg.viz.animate(loss, tmp_path / "steps.gif", delay_ms=300)
    with image.open(written) as gif:
        assert gif.n_frames == animation_module.build(loss).frame_count
        assert gif.info["duration"] == 300


# ---------------------------------------------------------------------- the command


@needs_dot
def test_command_writes_the_page_of_an_example(tmp_path, capsys):
    assert main(["animate", "--example", "mlp", "--layers", "4,3,2", "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out.split() == [str(tmp_path / "mlp_backprop.html")]
    assert "<svg" in (tmp_path / "mlp_backprop.html").read_text(encoding="utf-8")


@needs_dot
def test_command_writes_png_frames(tmp_path, capsys):
    assert main(["animate", "--format", "png", "--out", str(tmp_path), "--lang", "vi"]) == 0
    printed = capsys.readouterr().out.split()
    loss, model = seed000()
    count = animation_module.build(loss, model=model).frame_count
    assert printed == [str(tmp_path / f"seed000_backprop_{n:03d}.png") for n in range(count)]
    assert len({png_size((tmp_path / name).read_bytes()) for name in printed}) == 1


@pytest.mark.parametrize("arguments", [["--example", "seed999"], ["--format", "mp4"], ["--delay", "soon"]])
def test_command_refuses_bad_arguments_with_one_error_line(arguments, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["animate", *arguments])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if "error:" in line] == [err.strip().splitlines()[-1]]
    assert "Traceback" not in err


def test_command_refuses_an_unwritable_out_folder_with_one_error_line(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("in the way")
    assert main(["animate", "--out", str(blocker)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"tinygrad-vn animate: error: --out {blocker} is a file, not a folder"


def test_command_refuses_a_bad_delay_with_one_error_line(tmp_path, capsys):
    assert main(["animate", "--out", str(tmp_path), "--delay", "1"]) == 1
    assert capsys.readouterr().err.startswith("tinygrad-vn animate: error: delay_ms must be")


def test_command_help_comes_from_the_phrase_table_in_both_languages(capsys):
    for lang in ("en", "vi"):
        with pytest.raises(SystemExit):
            main(["animate", "--lang", lang, "--help"])
        out = capsys.readouterr().out
        assert phrases.phrase("commands.help", lang) in out
        assert phrases.phrase("animate.cli_format", lang) in " ".join(out.split())
        assert phrases.english_left_in(out, lang) == []
    assert out.startswith("cách dùng: tinygrad-vn animate")


# ---------------------------------------------------------------------- the page in a browser


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("Chromium and its driver are not installed (Debian: apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="tinygrad-vn-chromium-")
    for argument in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     f"--user-data-dir={profile}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def page_state(driver):
    """What the page shows now, read from its DOM: frame, highlighted ops, and each gradient node's texts."""
    return driver.execute_script("""
        var texts = {};
        document.querySelectorAll('#backward g.node.gradient').forEach(function (g) {
            texts[g.id] = Array.from(g.querySelectorAll('text')).slice(2).map(function (t) { return t.textContent; })
                .filter(function (t) { return t !== ''; });
        });
        return {frame: Number(document.body.getAttribute('data-frame')),
                current: Array.from(document.querySelectorAll('#backward g.node.current')).map(function (g) {
                    return g.id; }),
                forward: Array.from(document.querySelectorAll('#forward g.node.current')).length,
                title: document.getElementById('frame-title').textContent,
                gradients: texts};
    """)


def expected_state(loss, model, frame):
    """What frame ``frame`` should show, from the engine's own backward steps and gradients."""
    graph = dag.build(loss, model=model)
    steps, _ = dag.run_backward(graph)
    sums = {id(loss): np.ones_like(loss.data)}
    for step in steps[:frame]:
        for parent, grad, needed in zip(step.op.ctx.parents, step.input_grads, step.op.ctx.needs_input_grad):
            if needed and grad is not None and parent.requires_grad:
                sums[id(parent)] = sums.get(id(parent), 0) + np.asarray(grad)
    gradients = {}
    for tensor in graph.tensors:
        if tensor.requires_grad:
            node = f"bg{graph.position[id(tensor)]}"
            gradients[node] = dag.format_array(sums[id(tensor)]).split("\n") if id(tensor) in sums else ["?"]
    current = [f"bo{steps[frame - 1].op.position}"] if frame else []
    return current, gradients


def test_stepping_through_the_page_in_chromium(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    if shutil.which("dot") is None:
        pytest.skip("graphviz `dot` not installed")
    loss, model = seed000()
    [written] = tg.viz.animate(loss, tmp_path / "seed000.html", model=model)
    browser.get(f"file://{written}")
    steps = len(dag.run_backward(dag.build(loss, model=model))[0])

    def check(frame):
        state = page_state(browser)
        current, gradients = expected_state(loss, model, frame)
        assert state["frame"] == frame
        assert state["current"] == current, frame
        assert state["gradients"] == gradients, frame
        assert state["title"] == animation_module.build(loss, model=model).frames[frame].title

    check(0)
    browser.find_element(By.ID, "next").click()
    check(1)
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
    check(2)
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_LEFT)
    check(3)
    browser.find_element(By.ID, "previous").click()
    check(2)
    browser.find_element(By.ID, "step-slider").send_keys(Keys.END)
    check(steps)
    browser.find_element(By.ID, "next").click()
    check(steps)
    browser.find_element(By.ID, "step-slider").send_keys(Keys.HOME, Keys.ARROW_RIGHT)
    check(1)
    assert not browser.find_element(By.ID, "forward").is_displayed()
    browser.find_element(By.ID, "show-forward").click()
    assert browser.find_element(By.ID, "forward").is_displayed()
    assert page_state(browser)["forward"] == 1


def test_a_gradient_fed_twice_fills_in_as_a_partial_sum_in_chromium(browser, tmp_path):
    if shutil.which("dot") is None:
        pytest.skip("graphviz `dot` not installed")
    loss, x = reused_input()
    [written] = tg.viz.animate(loss, tmp_path / "reused.html")
    browser.get(f"file://{written}")
    node = f"bg{dag.build(loss).position[id(x)]}"
    classes = []
    for frame in range(animation_module.build(loss).frame_count):
        browser.execute_script(f"var s = document.getElementById('step-slider'); s.value = {frame};"
                               "s.dispatchEvent(new Event('input'));")
        assert page_state(browser)["gradients"] == expected_state(loss, None, frame)[1], frame
        classes.append(browser.execute_script(f"return document.getElementById('{node}').getAttribute('class')"))
    assert ["partial" in c.split() for c in classes] == [False, False, True, False]
    assert "complete" in classes[-1].split()
