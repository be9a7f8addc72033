#!/usr/bin/python3
"""Build the benchmark packs: a MusicGen-contract decoder with musicgen-small's shapes and random
weights (24 layers, d 1024, 16 heads, head dim 64, FFN 4096, vocab 2048, 4 codebooks, text d 768),
in fp32 and int8. Seeded and deterministic. Never committed (models/.bench/ is git-ignored);
`npm run bench:musicgen` runs this on demand.

Needs Debian's python3-torch and python3-onnx (apt-get install -y python3-torch python3-onnx),
~9 GB of RAM at the peak (8.5 GB measured; it waits until 10 GB are available), ~6 min on 2 idle
cores (15 min measured on 2 shared, busy ones), and 5.6 GB of disk:

    /usr/bin/python3 tools/build_bench_pack.py                 # writes models/.bench/
    /usr/bin/python3 tools/build_bench_pack.py --out DIR --wait-minutes 20

Packs written (the model code is tools/build_test_packs.py's, at the big shape):

- musicgen-small-shape        split layout as the public export (decoder_model.onnx +
                              decoder_with_past_model.onnx: present.* = past + new)
- musicgen-small-shape-newkv  the same weights; cached graph decoder_with_past_newkv.onnx returns
                              only the new step's K/V (decoder.kvOutputs "new"); the engine keeps
                              the cache (files other than that graph are links to the first pack)

Both carry `quantizedFiles` (int8 weights by graph rewrite, tools/quantize_int8.py), selected by the
loader's `quantized` option. The text encoder (1 layer, d 768) and the codec are small stand-ins:
the benchmark is about the decoder LM. maxPositions 1500 (30 s at 50 steps/s).
"""
import argparse
import json
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402

import build_test_packs as b  # noqa: E402
from quantize_int8 import quantize_file  # noqa: E402

BUILD_VERSION = 1
SEED = 20250706
NAME = "musicgen-small-shape"
NEWKV = NAME + "-newkv"
NEED_GB = 10


def set_shapes():
    b.K, b.VOCAB, b.PAD = 4, 2048, 2048
    b.D, b.HEADS, b.DH, b.LAYERS, b.FFN = 1024, 16, 64, 24, 4096
    b.MAX_POS = 1500
    b.TEXT_D, b.TEXT_HEADS, b.TEXT_LAYERS, b.TEXT_FFN = 768, 12, 1, 512


def mem_available_gb():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024 / 1024
    return 0.0


def wait_for_memory(minutes):
    deadline = time.time() + 60 * minutes
    while True:
        avail = mem_available_gb()
        if avail >= NEED_GB:
            return
        if time.time() > deadline:
            sys.exit(f"build_bench_pack: {avail:.1f} GB of RAM available, the export needs ~{NEED_GB} GB; try again later")
        print(f"build_bench_pack: {avail:.1f} GB of RAM available, waiting for {NEED_GB} GB ...", flush=True)
        time.sleep(30)


def step(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def build(out_root, wait_minutes):
    set_shapes()
    wait_for_memory(wait_minutes)
    torch.manual_seed(SEED)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    main_dir = os.path.join(out_root, NAME)
    newkv_dir = os.path.join(out_root, NEWKV)
    for d in (main_dir, newkv_dir):
        if os.path.exists(d):
            shutil.rmtree(d)
    tmp = main_dir + ".tmp"
    if os.path.exists(tmp):
        shutil.rmtree(tmp)
    os.makedirs(tmp)

    tok, text_vocab = b.tokenizer_json()
    with open(os.path.join(tmp, "tokenizer.json"), "w") as f:
        json.dump(tok, f, ensure_ascii=False, separators=(",", ":"))
    text_enc = b.TextEncoder(text_vocab).eval()
    ids = torch.randint(3, text_vocab, (1, 6))
    b.export(text_enc, (ids, torch.ones_like(ids)), os.path.join(tmp, "text_encoder.onnx"),
             ["input_ids", "attention_mask"], ["last_hidden_state"],
             {"input_ids": {0: "batch_size", 1: "encoder_sequence_length"}, "attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
              "last_hidden_state": {0: "batch_size", 1: "encoder_sequence_length"}})
    codes = torch.randint(0, b.VOCAB, (1, 1, b.K, 7))
    b.export(b.Codec().eval(), (codes,), os.path.join(tmp, "encodec_decode.onnx"), ["audio_codes"], ["audio_values"],
             {"audio_codes": {1: "batch_size", 3: "chunk_length"}, "audio_values": {0: "batch_size", 2: "num_samples"}})

    step("decoder: random weights at musicgen-small's shapes")
    with torch.no_grad():
        dec = b.Decoder(False).eval()
    step("exporting decoder_model.onnx, decoder_with_past_newkv.onnx, decoder_with_past_model.onnx (minutes; ~9 GB RAM peak)")
    b.export_decoders(dec, tmp, False, with_past=True, newkv=True)
    del dec
    quantized = {}
    for field, f in (("decoder", "decoder_model"), ("decoderWithPast", "decoder_with_past_model"), ("newkv", "decoder_with_past_newkv")):
        step(f"int8: {f}_quantized.onnx")
        quantize_file(os.path.join(tmp, f + ".onnx"), os.path.join(tmp, f + "_quantized.onnx"))
        quantized[field] = f + "_quantized.onnx"

    def write_manifest(dir_, name, kv_outputs):
        m = b.manifest(name, f"musicgen-small's decoder shapes, random weights ({'new K/V only cached graph' if kv_outputs else 'public export layout'}); benchmark only",
                       "split", False, [[0, b.VOCAB] for _ in range(b.K)], kv_outputs=kv_outputs,
                       quantized_files={"decoder": quantized["decoder"], "decoderWithPast": quantized["newkv" if kv_outputs else "decoderWithPast"]})
        m["licence"] = "CC0-1.0 (random weights, built by tools/build_bench_pack.py)"
        m["source"] = f"tools/build_bench_pack.py seed {SEED} version {BUILD_VERSION}"
        m["text"]["maxTokens"] = 256
        m["codec"]["contextFrames"] = 10
        m["sampling"] = {"guidanceScale": 3.0, "temperature": 1.0, "topK": 250}
        with open(os.path.join(dir_, "manifest.json"), "w") as f:
            json.dump(m, f, indent=2)
            f.write("\n")

    os.makedirs(newkv_dir)
    for f in os.listdir(tmp):
        if f.startswith("decoder_with_past_newkv"):
            os.rename(os.path.join(tmp, f), os.path.join(newkv_dir, f))
        elif not f.startswith("decoder_with_past_model"):
            os.symlink(os.path.join("..", NAME, f), os.path.join(newkv_dir, f))
    write_manifest(tmp, NAME, None)
    write_manifest(newkv_dir, NEWKV, "new")
    os.rename(tmp, main_dir)  # last: a complete main pack means a complete build
    for d in (main_dir, newkv_dir):
        print(f"wrote {d}: " + ", ".join(f"{f} {os.path.getsize(os.path.join(d, f)) / 1e6:.1f} MB" for f in sorted(os.listdir(d))))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=os.path.join(HERE, "..", "models", ".bench"))
    p.add_argument("--wait-minutes", type=float, default=20, help="how long to wait for enough free RAM")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    build(os.path.abspath(a.out), a.wait_minutes)


if __name__ == "__main__":
    sys.exit(main())
