"""What the embedded model can do on this machine: the floor under every completion's latency.

Measures llama.cpp directly (no server): prompt evaluation in the server's prefill steps and in
one large batch, and generation one token at a time, then says what that means for a
completion: the time to read a prompt the model has not seen (the cold case) for the prompt
sizes Goldcrest sends, and the time to write a first line. Also the machine's float32 matrix
multiply rate (NumPy), to tell a slow build from a slow machine: reading a prompt costs about
two floating-point operations per weight per token.

    python bench/bench_model_speed.py [--threads N] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from goldcrest.backends.embedded import PREFILL_STEP  # noqa: E402
from goldcrest.backends.model_files import ensure_default_model  # noqa: E402
from goldcrest.config import models_dir  # noqa: E402

TEXT = ROOT / "server" / "goldcrest" / "engine.py"  # any long source file
LINE_TOKENS = 10  # a typical first line of a suggestion


def _median_s(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import llama_cpp

    path = ensure_default_model(models_dir())
    llama = llama_cpp.Llama(model_path=str(path), n_ctx=4096, n_threads=args.threads, verbose=False)
    tokens = llama.tokenize(TEXT.read_text().encode())[:1100]
    base = 64
    llama.eval(tokens[:base])

    def read(count: int, step: int):
        def run() -> None:
            llama.n_tokens = base
            for at in range(base, base + count, step):
                llama.eval(tokens[at : min(at + step, base + count)])

        return run

    stepped = _median_s(read(256, PREFILL_STEP), args.repeats)
    batched = _median_s(read(512, 512), args.repeats)

    def write() -> None:
        llama.n_tokens = base
        for token in tokens[base : base + 20]:
            llama.eval([token])

    one = _median_s(write, args.repeats) / 20
    matrix = np.random.default_rng(0).random((2048, 2048), dtype=np.float32)
    flops = 2 * 2048**3 / _median_s(lambda: matrix @ matrix, args.repeats)
    step_rate, batch_rate = 256 / stepped, 512 / batched
    print(f"model {path.name}, {args.threads} threads")
    print(f"prompt: {step_rate:.1f} tokens/s in steps of {PREFILL_STEP}, {batch_rate:.1f} batched")
    print(f"generation: {1 / one:.1f} tokens/s ({1000 * one:.0f} ms a token)")
    print(f"float32 matrix multiply (NumPy): {flops / 1e9:.0f} GFLOP/s")
    for size in (100, 250, 500, 1000):
        cold = size / step_rate + LINE_TOKENS * one
        print(f"cold case, {size}-token prompt + a {LINE_TOKENS}-token line: {cold:.1f} s")
    spare = max(0.0, 1 - LINE_TOKENS * one) * step_rate
    print(
        f"a {LINE_TOKENS}-token line with the prompt already read: {LINE_TOKENS * one:.2f} s; "
        f"new prompt tokens that fit beside it within 1 s: {spare:.0f}"
    )


if __name__ == "__main__":
    main()
