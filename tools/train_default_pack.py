#!/usr/bin/python3
"""Train the default pack (DEFAULT-PACK.md): stage 1 the text-only base, stage 2 the Expotion
control adaptor with the base frozen. Seeded, resumable (checkpoints every --save-every steps and
at the end; rerun the same command to continue), progress with loss and ETA.

Needs Debian's python3-torch (apt-get install -y python3-torch python3-onnx); runs on the CPU
in bfloat16 autocast (Debian's torch has a generic BLAS: fp32 is 40-80x slower), or on a CUDA GPU
where torch sees one (--device; tools/train_on_gpu.sh is the shipped pack's run).

    npm run data:symbolic -- --hours 400 --seed 1 --steps 320 --out data/symbolic
    MALLOC_MMAP_THRESHOLD_=4000000000 MALLOC_TRIM_THRESHOLD_=8000000000 MALLOC_TOP_PAD_=1000000000 \\
      /usr/bin/python3 tools/train_default_pack.py --stage base --data data/symbolic --out runs/default --steps 6000
    /usr/bin/python3 tools/train_default_pack.py --stage adaptor --data data/symbolic --out runs/default --steps 2500
    /usr/bin/python3 tools/export_default_pack.py --run runs/default --data data/symbolic

Checkpoints: OUT/base.pt and OUT/adaptor.pt (model, optimiser, step, RNG); OUT/{stage}.log.
"""
import argparse
import json
import math
import os
import queue
import sys
import threading
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from expotion_model import CTRL, Decoder, TextEncoder  # noqa: E402

# Live, the tokens of step t must be complete when step t starts to sound, so decoder position
# t + 3 (the lead's delay) is run then, with the controls of that moment: position j sees the
# controls of step j - LAG. Training aligns them the same way.
LAG = 3
STEPS_PER_BAR = 16  # 16th-note steps; clips start on a bar


def default_config(meta):
    return dict(
        streams=meta["streams"], vocab=meta["tokenVocab"]["size"], pad=meta["tokenVocab"]["padId"],
        d=256, layers=4, heads=8, ffn=1024,
        text_vocab=meta["text"]["vocabSize"], text_d=128, text_layers=2, text_heads=4, text_ffn=256,
        ctrl_hidden=48, window=16, seq=256, lag=LAG,
    )


class Data:
    """Clip-major arrays written by `npm run data:symbolic`, memory-mapped."""

    def __init__(self, root, split):
        with open(os.path.join(root, "meta.json")) as f:
            self.meta = json.load(f)
        self.steps = self.meta["steps"]
        k = self.meta["streams"]
        c = self.meta["controls"]["size"]
        if c != CTRL:
            raise SystemExit(f"{root}/meta.json: controls.size must be {CTRL}, but is {c}")
        self.tokens = np.memmap(os.path.join(root, f"{split}.tokens.u8"), dtype=np.uint8, mode="r").reshape(-1, self.steps, k)
        self.controls = np.memmap(os.path.join(root, f"{split}.controls.f32"), dtype=np.float32, mode="r").reshape(-1, self.steps, c)
        self.text = np.memmap(os.path.join(root, f"{split}.text.i32"), dtype=np.int32, mode="r").reshape(self.tokens.shape[0], -1)
        self.clips = self.tokens.shape[0]

    def batch(self, rng, size, cfg, clips=None, starts=None, bar_starts=0.0):
        seq, k, pad, w = cfg["seq"], cfg["streams"], cfg["pad"], cfg["window"]
        if clips is None:
            clips = rng.integers(0, self.clips, size)
            starts = rng.integers(0, self.steps - seq + 1, size)
            # Live streams start on a bar: some crops do too, so the model learns a bar's first step.
            on_bar = rng.random(size) < bar_starts
            starts = np.where(on_bar, starts - starts % STEPS_PER_BAR, starts)
        clips, starts = np.asarray(clips), np.asarray(starts)
        tok = self.tokens[clips[:, None], starts[:, None] + np.arange(seq)[None, :]]  # [B, L, K] (one gather: batches feed a GPU)
        b = len(clips)
        positions = seq + k - 1
        delayed = np.full((b, k, positions), pad, dtype=np.int64)
        for j in range(k):
            delayed[:, j, j:j + seq] = tok[:, :, j]
        inputs = np.concatenate([np.full((b, k, 1), pad, dtype=np.int64), delayed[:, :, :-1]], axis=2)
        # Control frames: clip steps start - LAG - w + 1 .. start + positions - 1 - LAG (clamped), so that
        # position j's window is frames j .. j + w - 1 and its newest frame is step j - LAG.
        first = starts[:, None] - cfg["lag"] - (w - 1) + np.arange(positions + w - 1)[None, :]
        idx = np.clip(first, 0, self.steps - 1)  # [B, F]
        ctrl = np.ascontiguousarray(self.controls[clips[:, None], idx], dtype=np.float32)  # [B, F, C]
        text = np.asarray(self.text[clips], dtype=np.int64)
        width = max(1, int((text != 0).sum(1).max()))
        text = text[:, :width]
        return (torch.from_numpy(inputs), torch.from_numpy(delayed), torch.from_numpy(ctrl),
                torch.from_numpy(text), torch.from_numpy((text != 0).astype(np.int64)))


def loss_of(text_enc, dec, batch, cfg, drop=None):
    inputs, targets, ctrl, text, mask = batch
    hidden = text_enc(text, mask)
    if drop is not None:  # classifier-free guidance: some rows get the null condition
        keep = (~drop).to(hidden.dtype)[:, None, None]
        hidden = hidden * keep
        mask = mask * (~drop).to(mask.dtype)[:, None]
    logits = dec(inputs, hidden, mask, ctrl)  # [B, K, S, V]
    valid = targets != cfg["pad"]
    per = F.cross_entropy(logits.float().reshape(-1, cfg["vocab"]), targets.clamp(max=cfg["vocab"] - 1).reshape(-1), reduction="none").reshape(targets.shape)
    per = per * valid
    by_stream = per.sum((0, 2)) / valid.sum((0, 2)).clamp(min=1)
    return per.sum() / valid.sum(), by_stream


class Prefetch:
    """Makes the next training batches in a thread while a GPU runs the step (the same sequence; a
    checkpoint's RNG state is then a few batches ahead, so a resumed run skips those)."""

    def __init__(self, make, depth=4):
        self.make = make
        self.queue = queue.Queue(depth)
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            self.queue.put(self.make())

    def __call__(self):
        return self.queue.get()


def to_device(batch, device):
    return tuple(x.to(device, non_blocking=True) for x in batch)


def lr_at(step, total, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    t = (step - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))


def save_atomic(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def build(cfg, adaptor):
    torch.manual_seed(cfg["seed"])
    return TextEncoder(cfg), Decoder(cfg, adaptor)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stage", choices=["base", "adaptor"], required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, required=True, help="optimiser steps in this stage (the schedule's length)")
    p.add_argument("--minutes", type=float, default=None,
                   help="fit the stage into this wall time: after 150 steps the schedule's length becomes the steps that fit (at most --steps)")
    p.add_argument("--bar-starts", type=float, default=0.5, help="share of training crops that start on a bar")
    p.add_argument("--device", default="auto", help="cpu, cuda or auto (cuda where torch sees a GPU)")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=None, help="peak learning rate (base 1e-3, adaptor 3e-3)")
    p.add_argument("--text-dropout", type=float, default=0.15)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--save-every", type=int, default=200)
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--d", type=int, default=None)
    p.add_argument("--layers", type=int, default=None)
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    device = torch.device(args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu"))
    os.makedirs(args.out, exist_ok=True)
    train = Data(args.data, "train")
    valid = Data(args.data, "valid")
    ckpt_path = os.path.join(args.out, f"{args.stage}.pt")
    log = open(os.path.join(args.out, f"{args.stage}.log"), "a")

    def say(msg):
        print(msg, flush=True)
        log.write(msg + "\n")
        log.flush()

    resume = torch.load(ckpt_path, map_location="cpu", weights_only=False) if os.path.exists(ckpt_path) else None
    if resume is not None:
        cfg = resume["config"]
    elif args.stage == "base":
        cfg = default_config(train.meta)
        if args.d:
            cfg["d"], cfg["ffn"] = args.d, 4 * args.d
        if args.layers:
            cfg["layers"] = args.layers
        cfg["seed"] = args.seed
    else:
        base_path = os.path.join(args.out, "base.pt")
        if not os.path.exists(base_path):
            raise SystemExit(f"{base_path} not found: train the base first (--stage base)")
        cfg = dict(torch.load(base_path, map_location="cpu", weights_only=False)["config"])
    text_enc, dec = build(cfg, args.stage == "adaptor")

    if args.stage == "adaptor" and resume is None:
        base = torch.load(os.path.join(args.out, "base.pt"), map_location="cpu", weights_only=False)
        text_enc.load_state_dict(base["text"])
        missing, unexpected = dec.load_state_dict(base["decoder"], strict=False)
        assert not unexpected, unexpected
        say(f"adaptor: base loaded (step {base['step']}); new parameters: {len(missing)} tensors")
    if args.stage == "adaptor":
        for prm in list(text_enc.parameters()) + list(dec.parameters()):
            prm.requires_grad_(False)
        trainable = dec.adaptor_parameters()
        for prm in trainable:
            prm.requires_grad_(True)
    else:
        trainable = list(text_enc.parameters()) + list(dec.parameters())
    n_train = sum(x.numel() for x in trainable)
    n_all = sum(x.numel() for x in list(text_enc.parameters()) + list(dec.parameters()))
    text_enc.to(device)
    dec.to(device)
    say(f"stage {args.stage}: config {json.dumps(cfg)} on {device}")
    say(f"parameters: {n_train:,} trainable, {n_all - n_train:,} frozen, {n_all:,} total")

    peak = args.lr or (1e-3 if args.stage == "base" else 3e-3)
    decay = [x for x in trainable if x.dim() >= 2]
    no_decay = [x for x in trainable if x.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.02}, {"params": no_decay, "weight_decay": 0.0}], lr=peak, betas=(0.9, 0.95))
    step = 0
    schedule = args.steps  # the schedule's length; --minutes may shorten it once, after 150 steps
    rng = np.random.default_rng(cfg["seed"] + (0 if args.stage == "base" else 1000))
    if resume is not None:
        text_enc.load_state_dict(resume["text"])
        dec.load_state_dict(resume["decoder"])
        opt.load_state_dict(resume["optimizer"])
        step = resume["step"]
        schedule = resume.get("schedule", schedule)
        rng.bit_generator.state = resume["numpy_rng"]
        torch.set_rng_state(resume["torch_rng"])
        say(f"resumed at step {step}")

    # Fixed validation batches (same every time, so the numbers compare).
    vrng = np.random.default_rng(12345)
    vclips = vrng.integers(0, valid.clips, 4 * args.batch)
    vstarts = vrng.integers(0, valid.steps - cfg["seq"] + 1, 4 * args.batch)

    def evaluate():
        text_enc.eval()
        dec.eval()
        total, streams, n = 0.0, torch.zeros(cfg["streams"]), 0
        with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16):
            for i in range(0, len(vclips), args.batch):
                b = to_device(valid.batch(None, 0, cfg, vclips[i:i + args.batch], vstarts[i:i + args.batch]), device)
                loss, by = loss_of(text_enc, dec, b, cfg)
                total += loss.item()
                streams += by.float().cpu()
                n += 1
        text_enc.train()
        dec.train()
        return total / n, (streams / n).tolist()

    def checkpoint():
        save_atomic({"config": cfg, "text": text_enc.state_dict(), "decoder": dec.state_dict(), "optimizer": opt.state_dict(),
                     "step": step, "schedule": schedule, "numpy_rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(), "stage": args.stage}, ckpt_path)

    if step == 0:
        v, vs = evaluate()
        say(f"step 0 valid loss {v:.4f} streams {' '.join(f'{x:.3f}' for x in vs)}")
    text_enc.train(args.stage == "base")
    dec.train()
    def next_batch():
        return (train.batch(rng, args.batch, cfg, bar_starts=args.bar_starts),
                torch.from_numpy(rng.random(args.batch) < args.text_dropout))

    if device.type == "cuda":
        next_batch = Prefetch(next_batch)
    t0 = time.time()
    done_here = 0
    running = None
    while step < schedule:
        if done_here == 50:
            t50 = time.time()
        if args.minutes and done_here == 150 and resume is None:  # the rate past the first steps' warm-up
            fits = step + int((args.minutes * 60 - (time.time() - t0)) * 100 / (time.time() - t50))
            schedule = max(step + 1, min(schedule, fits))
            say(f"--minutes {args.minutes}: schedule of {schedule} steps")
        elif args.minutes and time.time() - t0 > args.minutes * 60 * 1.1:
            schedule = step + 1
            say(f"--minutes {args.minutes}: out of time, stopping at step {schedule}")
        for g in opt.param_groups:
            g["lr"] = lr_at(step, schedule, peak, 200 if args.stage == "base" else 100)
        batch, drop = next_batch()
        batch, drop = to_device(batch, device), drop.to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16):
            loss, by = loss_of(text_enc, dec, batch, cfg, drop)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        opt.step()
        step += 1
        done_here += 1
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if step % 25 == 0 or step == schedule:
            rate = done_here / (time.time() - t0)
            eta = (schedule - step) / rate
            extra = ""
            if args.stage == "adaptor":
                gates = torch.stack([l.gate.detach().abs().mean() for l in dec.layers])
                extra = " |gate| " + " ".join(f"{g:.3f}" for g in gates.tolist())
            say(f"step {step}/{schedule} loss {running:.4f} ({' '.join(f'{x:.3f}' for x in by.tolist())}) lr {opt.param_groups[0]['lr']:.2e} "
                f"{rate:.2f} steps/s ETA {eta / 60:.1f} min{extra}")
        if step % args.save_every == 0 or step == schedule:
            checkpoint()
        if step % args.eval_every == 0 or step == schedule:
            v, vs = evaluate()
            say(f"step {step} valid loss {v:.4f} streams {' '.join(f'{x:.3f}' for x in vs)}")
    checkpoint()
    say("done")


if __name__ == "__main__":
    main()
