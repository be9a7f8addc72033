#!/usr/bin/python3
"""Export the trained default pack (tools/train_default_pack.py) to the MusicGen ONNX contract:
models/expotion-small/ (base + Expotion adaptor, control_features) and models/expotion-small-base/
(the text-only base, for comparison), each with text_encoder.onnx, the decoder (exported as one
graph with an `If` on use_cache_branch, then split by tools/split_decoder.py into
decoder_model.onnx + decoder_with_past_newkv.onnx over one decoder_weights.bin), tokenizer.json, manifest.json, and reference.json: PyTorch's logits on a fixed input, which
test/generation/defaultPack.test.ts checks onnxruntime reproduces.

Needs Debian's python3-torch and python3-onnx (apt-get install -y python3-torch python3-onnx):

    /usr/bin/python3 tools/export_default_pack.py --run runs/default --data data/symbolic [--models models]

The ONNX model code is tools/build_test_packs.py's (NoPast / WithPast wrappers, merge_decoders);
the model is tools/expotion_model.py's, exported in fp32.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import build_test_packs as b  # noqa: E402
from expotion_model import CTRL, Decoder, TextEncoder  # noqa: E402
from cached_step import CachedStep, check_equivalence  # noqa: E402
import split_decoder  # noqa: E402

NAME = "expotion-small"
BASE_NAME = NAME + "-base"
STYLES = ["pop", "funk", "house", "hip-hop", "ambient", "cinematic", "rock", "bossa"]
REFERENCE_PROMPT = "a happy funk groove with slap bass"
FP16_MIN = 1024  # initializers with at least this many values are stored in float16


def set_shapes(cfg, window):
    b.K, b.VOCAB, b.PAD = cfg["streams"], cfg["vocab"], cfg["pad"]
    b.D, b.HEADS, b.LAYERS, b.FFN = cfg["d"], cfg["heads"], cfg["layers"], cfg["ffn"]
    b.DH = cfg["d"] // cfg["heads"]
    b.TEXT_D = cfg["text_d"]
    b.CTRL = CTRL * window


def manifest(name, description, cfg, adaptor, source, sampling):
    m = {
        "format": "expotion-pack",
        "formatVersion": 1,
        "name": name,
        "kind": "musicgen",
        "description": description,
        "licence": "CC0-1.0 (trained from scratch on the teacher's procedurally generated data)",
        "source": source,
        "files": {"tokenizer": "tokenizer.json", "textEncoder": "text_encoder.onnx", "decoder": split_decoder.FIRST, "decoderWithPast": split_decoder.WITH_PAST},
        "audio": {"sampleRate": 48000, "channels": 2, "stepsPerSecond": 8},
        "tokens": {"codebooks": cfg["streams"], "vocabSize": cfg["vocab"], "padTokenId": cfg["pad"], "bosTokenId": cfg["pad"],
                   "delays": list(range(cfg["streams"])), "validRanges": [[0, 64], [64, 98], [98, 196], [196, 246]]},
        "text": {"hiddenSize": cfg["text_d"], "maxTokens": 32},
        "decoder": {"layout": "split", "layers": cfg["layers"], "heads": cfg["heads"], "headDim": cfg["d"] // cfg["heads"], "maxPositions": cfg["seq"],
                    "kvOutputs": "new", "pastLength": "per-row"},
        "codec": {"type": "symbolic-synth", "vocabulary": 1, "presets": STYLES},
        "sampling": sampling,
    }
    if adaptor:
        m["controls"] = {"version": 1, "size": CTRL, "window": cfg["window"]}
        # The shipped pack plays sampled General MIDI instruments (npm run bench:soundfont).
        m["codec"]["instruments"] = "soundfont"
    return m


def round_to_fp16(*modules):
    """Rounds the weights that store_fp16 will store in half precision, so that the fp32 model, the
    ONNX files and the reference logits all hold the same numbers."""
    with torch.no_grad():
        for m in modules:
            for prm in m.parameters():
                if prm.numel() >= FP16_MIN:
                    prm.copy_(prm.half().float())


def store_fp16(model):
    """Stores large float initializers that float16 holds exactly (the weights, rounded by
    round_to_fp16; not the sinusoid table) as float16 behind a Cast to float (top-level nodes,
    which onnxruntime folds back into fp32 constants at load): half the file size, fp32 arithmetic."""
    g = model.graph
    casts = []
    keep = []
    for init in g.initializer:
        arr = numpy_helper.to_array(init)
        if init.data_type == onnx.TensorProto.FLOAT and arr.size >= FP16_MIN and np.array_equal(arr.astype(np.float16).astype(np.float32), arr):
            half = numpy_helper.from_array(arr.astype(np.float16), init.name + "_fp16")
            keep.append(half)
            casts.append(helper.make_node("Cast", [half.name], [init.name], to=onnx.TensorProto.FLOAT, name="fp16_weight_" + init.name))
        else:
            keep.append(init)
    del g.initializer[:]
    g.initializer.extend(keep)
    nodes = casts + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(model)
    return model


def reference(text_enc, dec, tokenizer_ids, cfg, adaptor):
    """Logits of a full pass over 8 positions from the start column, for one fixed input."""
    g = torch.Generator().manual_seed(7)
    s = 8
    ids = torch.full((cfg["streams"], s), cfg["pad"], dtype=torch.int64)
    ranges = [[0, 64], [64, 98], [98, 196], [196, 246]]
    for k in range(cfg["streams"]):
        for q in range(1 + k, s):
            ids[k, q] = torch.randint(ranges[k][0], ranges[k][1], (1,), generator=g).item()
    text = torch.tensor([tokenizer_ids], dtype=torch.int64)
    mask = torch.ones_like(text)
    ctrl = torch.rand((1, s, cfg["window"], CTRL), generator=g)
    ctrl[..., 0] = ctrl[..., 0] * 2 - 1  # valence in [-1, 1]
    ctrl[..., 13] = 60 + 120 * ctrl[..., 13]  # tempo in BPM
    ctrl = ctrl.reshape(1, s, cfg["window"] * CTRL)
    with torch.no_grad():
        hidden = text_enc(text, mask)
        logits, _ = dec.run(ids, mask, None, dec.cross_kv(hidden), ctrl if adaptor else None)
    out = {"prompt": REFERENCE_PROMPT, "textIds": tokenizer_ids, "inputIds": ids.reshape(-1).tolist(), "positions": s,
           "logits": [round(x, 5) for x in logits.reshape(-1).tolist()], "logitsShape": list(logits.shape)}
    if adaptor:
        out["controlFeatures"] = [round(x, 6) for x in ctrl.reshape(-1).tolist()]
    return out


class CachedNewKv(torch.nn.Module):
    """The cached branch of the merged decoder with decoder.kvOutputs "new" and decoder.pastLength
    "per-row": past tensors of any capacity, past_sequence_length [T] (or [1]: every row) valid
    positions in; present.{i}.decoder.* = the new positions' K/V only, present.{i}.encoder.* =
    empty placeholders (as the public export). Traced from tools/cached_step.py's inference form."""

    def __init__(self, dec, adaptor):
        super().__init__()
        self.dec = dec
        self.step = CachedStep(dec).eval()
        self.adaptor = adaptor

    def forward(self, input_ids, encoder_attention_mask, past_sequence_length, *rest):
        layers = len(self.dec.layers)
        flat = rest[:4 * layers]
        control = rest[4 * layers] if self.adaptor else None
        past = [(flat[4 * i], flat[4 * i + 1]) for i in range(layers)]
        enc_kv = [(flat[4 * i + 2], flat[4 * i + 3]) for i in range(layers)]
        logits, presents = self.step(input_ids, encoder_attention_mask, past_sequence_length, past, enc_kv, control)
        out = [logits]
        heads = self.dec.heads
        dh = self.dec.cfg["d"] // heads
        for k, v in presents:
            placeholder = torch.zeros(0, heads, 1, dh)
            out += [k, v, placeholder, placeholder]
        return tuple(out)


def export_merged_newkv(dec, work, adaptor):
    """decoder_model_merged.onnx with an engine-held cache: the contract's no-past graph and the
    new-K/V cached graph under one `If` on use_cache_branch, weights shared."""
    no_past, _ = b.export_decoders(dec, work, adaptor, with_past=False)
    t, s, S = 2, 3, 5
    torch.manual_seed(2)
    ids = torch.randint(0, b.VOCAB, (t * b.K, s))
    enc = torch.randn(t, S, b.TEXT_D)
    mask = torch.ones(t, S, dtype=torch.int64)
    ctrl = torch.randn(t, s, b.CTRL)
    with torch.no_grad():
        first = b.NoPast(dec)(ids, enc, mask, ctrl if adaptor else None)
    past = []
    for i in range(b.LAYERS):
        k, v, ek, ev = first[1 + 4 * i: 5 + 4 * i]
        pad = torch.zeros(t, b.HEADS, 2, b.DH)  # capacity 5 for a length of 3
        past += [torch.cat([k, pad], dim=2), torch.cat([v, pad], dim=2), ek, ev]
    ids1 = torch.randint(0, b.VOCAB, (t * b.K, 1))
    ctrl1 = torch.randn(t, 1, b.CTRL)
    length = torch.tensor([3], dtype=torch.int64)
    past_axes = {n: ({0: "batch_size", 2: "past_capacity"} if ".decoder." in n else {0: "batch_size", 2: "encoder_sequence_length_out"}) for n in b.past_names()}
    pres_axes = {n: ({0: "batch_size", 2: "decoder_sequence_length"} if ".decoder." in n else {}) for n in b.present_names()}
    ctrl_in = ["control_features"] if adaptor else []
    axes = {
        "input_ids": {0: "batch_size_x_codebooks", 1: "decoder_sequence_length"},
        "encoder_attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
        "past_sequence_length": {0: "past_length_rows"},
        "logits": {0: "batch_size_x_codebooks", 1: "decoder_sequence_length"},
        **past_axes, **pres_axes,
        **({"control_features": {0: "batch_size", 1: "decoder_sequence_length"}} if adaptor else {}),
    }
    cached = b.export(CachedNewKv(dec, adaptor), tuple([ids1, mask, length] + past + ([ctrl1] if adaptor else [])), os.path.join(work, "cached_newkv.onnx"),
                      ["input_ids", "encoder_attention_mask", "past_sequence_length"] + b.past_names() + ctrl_in, ["logits"] + b.present_names(), axes)
    return b.merge_decoders(no_past, cached)


def export_pack(name, description, text_enc, dec, cfg, adaptor, data, models, source, sampling, text_ids):
    out = os.path.join(models, name)
    print(f"{name}: the exported cached step against the training form: max |difference| {check_equivalence(dec):.1e}")
    work = tempfile.mkdtemp(prefix=name + "-")
    try:
        ids = torch.randint(3, cfg["text_vocab"], (1, 6))
        b.export(text_enc, (ids, torch.ones_like(ids)), os.path.join(work, "text_encoder.onnx"), ["input_ids", "attention_mask"], ["last_hidden_state"],
                 {"input_ids": {0: "batch_size", 1: "encoder_sequence_length"}, "attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
                  "last_hidden_state": {0: "batch_size", 1: "encoder_sequence_length"}})
        merged = export_merged_newkv(dec, work, adaptor)
        os.makedirs(out, exist_ok=True)
        for f in os.listdir(out):
            os.remove(os.path.join(out, f))
        merged = store_fp16(merged)
        split_decoder.split(merged, out, cfg["streams"])  # the If costs a tenth of a cached step at this size
        b.save(store_fp16(onnx.load(os.path.join(work, "text_encoder.onnx"))), os.path.join(out, "text_encoder.onnx"))
        shutil.copy(os.path.join(data, "tokenizer.json"), out)
        with open(os.path.join(out, "manifest.json"), "w") as f:
            json.dump(manifest(name, description, cfg, adaptor, source, sampling), f, indent=2)
            f.write("\n")
        with open(os.path.join(out, "reference.json"), "w") as f:
            json.dump(reference(text_enc, dec, text_ids, cfg, adaptor), f, separators=(",", ":"))
            f.write("\n")
    finally:
        shutil.rmtree(work)
    print(f"wrote {out}: " + ", ".join(f"{f} {os.path.getsize(os.path.join(out, f)) / 1e6:.2f} MB" for f in sorted(os.listdir(out))))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True, help="the training folder (base.pt, adaptor.pt)")
    p.add_argument("--data", required=True, help="the data folder (tokenizer.json)")
    p.add_argument("--models", default=os.path.join(HERE, "..", "models"))
    p.add_argument("--text-ids", required=True, help=f"JSON ids of {REFERENCE_PROMPT!r} by the pack's tokenizer (the TS side encodes it)")
    p.add_argument("--guidance", type=float, default=1.5, help="classifier-free guidance scale (1.5 measured best here: eval:default -- --guidance G)")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--top-k", type=int, default=64)
    args = p.parse_args()
    torch.set_num_threads(2)
    text_ids = json.loads(args.text_ids)
    base = torch.load(os.path.join(args.run, "base.pt"))
    adapted = torch.load(os.path.join(args.run, "adaptor.pt"))
    cfg = adapted["config"]
    sampling = {"guidanceScale": args.guidance, "temperature": args.temperature, "topK": args.top_k}
    set_shapes(cfg, cfg["window"])
    torch.manual_seed(1)

    text_enc = TextEncoder(cfg).eval()
    text_enc.load_state_dict(adapted["text"])
    dec = Decoder(cfg, True).eval()
    dec.load_state_dict(adapted["decoder"])
    round_to_fp16(text_enc, dec)
    n_adaptor = sum(x.numel() for x in dec.adaptor_parameters())
    n_all = sum(x.numel() for x in dec.parameters()) + sum(x.numel() for x in text_enc.parameters())
    src = (f"tools/train_default_pack.py: base {base['step']} steps, adaptor {adapted['step']} steps "
           f"({n_adaptor:,} adaptor parameters trained, {n_all - n_adaptor:,} frozen); tools/export_default_pack.py")
    export_pack(NAME, "The default pack: a small Expotion (text-conditioned symbolic MusicGen + gated control adaptor, "
                f"{n_all / 1e6:.1f} M parameters) trained on the teacher; drums, bass, chords and a lead on a 16th-note grid "
                "following the performer's face and body, played by the built-in synthesiser.",
                text_enc, dec, cfg, True, args.data, args.models, src, sampling, text_ids)

    b.CTRL = CTRL  # unused without the adaptor
    base_text = TextEncoder(cfg).eval()
    base_text.load_state_dict(base["text"])
    base_dec = Decoder(cfg, False).eval()
    base_dec.load_state_dict(base["decoder"])
    round_to_fp16(base_text, base_dec)
    export_pack(BASE_NAME, "The default pack's text-only base (no control adaptor), for comparison: follows the prompt, not the performer.",
                base_text, base_dec, cfg, False, args.data, args.models, f"tools/train_default_pack.py: base {base['step']} steps; tools/export_default_pack.py",
                sampling, text_ids)


if __name__ == "__main__":
    main()
