"""``tinygrad-vn demo``: the main job.

Seed 000 recomputed by the engine beside the note's numbers, the chain rule the engine applied,
the seed 000 feedforward and backward graphs drawn to files, and seed 004's network learning.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .arguments import positive_int


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo", help="seed 000 computed, explained and drawn by the engine; seed 004 trained",
        description="Recompute every number of seed 000 (the 1-2-1 network computed by hand) with the "
                    "engine and print it beside the note's value, print the chain rule the engine applied, "
                    "draw the feedforward and backward graphs, then train seed 004's 2-3-4-1 network.")
    parser.add_argument("--epochs", type=positive_int, default=1500, help="seed 004 training epochs (default 1500)")
    parser.add_argument("--out", default="runs/demo", help="folder for the graph pictures (default runs/demo)")
    parser.add_argument("--format", choices=("svg", "png", "pdf"), default="svg", help="picture format (default svg)")
    parser.add_argument("--lang", choices=("en", "vi"), default="en", help="language of the explanation")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print both walk-throughs; exit 1 if an engine value disagrees with the note.

    ``--out`` is created and checked writable before anything is computed (a user error otherwise).
    """
    from tinygrad_vn import seeds
    from tinygrad_vn.train import prepare_output_folder

    prepare_output_folder(args.out, "--out")

    print("Seed 000: 'Neural network calculates by hand', second record x = 0.5, y = 0.5")
    print(f"{'quantity':<14}{'engine':>12}{'note':>10}  agree")
    step = seeds.seed000_step(seeds.seed000_network(), 0.5, 0.5)
    disagreements = 0
    for name, printed in seeds.SEED000_PRINTED.items():
        value = step.values[name]
        agree = abs(value - printed) <= 5e-4
        disagreements += not agree
        print(f"{name:<14}{value:>12.5f}{printed:>10g}  {'yes' if agree else 'NO'}")
    model = seeds.seed000_network()
    before = seeds.seed000_mean_loss(model)
    x, y = seeds.seed000_records()
    for xi, yi in zip(x[:, 0], y[:, 0]):
        seeds.seed000_step(model, float(xi), float(yi))
    print(f"One epoch over the three scaled records: mean loss J {before:.4f} -> {seeds.seed000_mean_loss(model):.4f}")

    print("\nWhat backward did, written out by tg.explain (tinygrad-vn explain --example seed000):\n")
    print(_seed000_explanation(args.lang), end="")
    print("\nThe feedforward and backward graphs (tinygrad-vn graph --example seed000):")
    for line in _draw_seed000(args.format, Path(args.out)):
        print(f"  {line}")

    print(f"\nSeed 004: 2-3-4-1 sigmoid network on Learn/Sleep -> Is_Pass, {args.epochs} epochs")
    run004 = seeds.train_seed004(epochs=args.epochs)
    last = len(run004.losses) - 1
    marks = sorted({epoch for epoch in (0, 1, 10, 100, last // 2, last) if epoch <= last})
    for epoch in marks:
        print(f"  epoch {epoch + 1:>5}: loss {run004.losses[epoch]:.4f}")
    print(f"  training accuracy: {run004.accuracy:.1%}")
    if disagreements:
        print(f"\n{disagreements} value(s) disagree with the note")
    return 1 if disagreements else 0


def _seed000_explanation(lang: str) -> str:
    from tinygrad_vn import explain

    from .examples import build_example

    example = build_example("seed000")
    return str(explain(example.loss, example.model, lang=lang))


def _draw_seed000(fmt: str, out: Path) -> list[str]:
    """Render both seed 000 graphs; without `dot`, write DOT text instead and say how to get pictures."""
    from tinygrad_vn import viz

    from .graph import write_graphs

    try:
        return [str(p) for p in write_graphs("seed000", "", fmt, out)]
    except viz.GraphvizNotFoundError as err:
        paths = [str(p) for p in write_graphs("seed000", "", "dot", out)]
        return [*paths, f"(DOT text only: {err})"]
