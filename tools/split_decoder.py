#!/usr/bin/python3
"""Split a merged decoder (an `If` on use_cache_branch, decoder.kvOutputs "new") into the split
layout: decoder_model.onnx (the no-past branch) and decoder_with_past_newkv.onnx (the cached
branch, its new K/V renamed present_new.{i}.decoder.*, the encoder placeholders dropped), both
reading their weights from one shared external file, decoder_weights.bin, so the pack holds the
weights once.

Why: for a decoder this small, onnxruntime's `If` is a tenth of a cached step (the default pack,
one step, guidance batch 2, past 200: 2.05 ms merged, 1.84 ms without the `If`, the logits
identical), and a step is what every session pays eight times a second. Both graphs also get
constant reshape targets (tools/static_reshapes.py), another tenth.

Needs Debian's python3-onnx (apt-get install -y python3-onnx) and node (tools/static_reshapes.py):

    /usr/bin/python3 tools/split_decoder.py models/expotion-small [models/expotion-small-base]

rewrites each pack in place (decoder_model_merged.onnx -> the three files; manifest.json's
decoder.layout "split" and its files). tools/export_default_pack.py calls split() directly.
"""
import json
import os
import sys

import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from static_reshapes import needed_nodes, static_reshapes  # noqa: E402

FIRST = "decoder_model.onnx"
WITH_PAST = "decoder_with_past_newkv.onnx"
WEIGHTS = "decoder_weights.bin"
EXTERNAL_MIN_BYTES = 1024  # smaller initializers stay inside each graph
ALIGN = 4096  # offsets on page boundaries, so onnxruntime may map the file rather than copy it


def _branch(merged, name):
    node = next(n for n in merged.graph.node if n.op_type == "If")
    return next(a.g for a in node.attribute if a.name == name)


def _graph(merged, branch, renames, name):
    """A standalone graph of one branch: the top-level nodes it reads (weight casts), its nodes, its
    outputs renamed (branch name -> new name; branch outputs not in `renames` are dropped)."""
    top = merged.graph
    outer = [n for n in top.node if n.op_type != "If"]
    nodes = [onnx.NodeProto() for _ in outer + list(branch.node)]
    for dst, src in zip(nodes, outer + list(branch.node)):
        dst.CopyFrom(src)
    for n in nodes:
        n.output[:] = [renames.get(o, o) for o in n.output]
        n.input[:] = [renames.get(i, i) for i in n.input]
    outputs = []
    for o in branch.output:
        if o.name in renames:
            v = onnx.ValueInfoProto()
            v.CopyFrom(o)
            v.name = renames[o.name]
            outputs.append(v)
    nodes, needed = needed_nodes(nodes, [o.name for o in outputs])
    inputs = [i for i in top.input if i.name in needed]
    inits = [t for t in list(top.initializer) + list(branch.initializer) if t.name in needed]
    g = onnx.helper.make_graph(nodes, name, inputs, outputs, initializer=inits)
    model = onnx.helper.make_model(g, opset_imports=merged.opset_import)
    model.ir_version = merged.ir_version
    return model


def _externalise(models, weights_path):
    """Moves the large initializers of `models` into one file, each tensor once (shared by name)."""
    placed = {}
    with open(weights_path, "wb") as f:
        for model in models:
            for t in model.graph.initializer:
                if t.name not in placed:
                    data = numpy_helper.to_array(t).tobytes()
                    if len(data) < EXTERNAL_MIN_BYTES:
                        continue
                    pad = (-f.tell()) % ALIGN
                    f.write(b"\0" * pad)
                    placed[t.name] = (f.tell(), len(data))
                    f.write(data)
                offset, length = placed[t.name]
                name, dims, dtype = t.name, list(t.dims), t.data_type
                t.Clear()
                t.name = name
                t.dims[:] = dims
                t.data_type = dtype
                t.data_location = onnx.TensorProto.EXTERNAL
                for k, v in (("location", os.path.basename(weights_path)), ("offset", str(offset)), ("length", str(length))):
                    e = t.external_data.add()
                    e.key, e.value = k, v


def split(merged, out_dir, codebooks):
    """Writes FIRST, WITH_PAST and WEIGHTS for a merged model (an onnx.ModelProto) into out_dir,
    each graph's reshape targets made constant (tools/static_reshapes.py)."""
    top_out = [o.name for o in merged.graph.output]  # logits, present.{i}.{decoder,encoder}.{key,value}
    first_branch = _branch(merged, "else_branch")
    first = _graph(merged, first_branch, dict(zip((b.name for b in first_branch.output), top_out)), "decoder")
    cached_branch = _branch(merged, "then_branch")
    # The cached branch's new self-attention K/V; its encoder outputs are placeholders, dropped.
    renames = {b.name: t.replace("present.", "present_new.", 1) for b, t in zip(cached_branch.output, top_out) if t == "logits" or ".decoder." in t}
    cached = _graph(merged, cached_branch, renames, "decoder_with_past")
    for model in (first, cached):
        static_reshapes(model, codebooks)
    _externalise([first, cached], os.path.join(out_dir, WEIGHTS))
    onnx.save(first, os.path.join(out_dir, FIRST))
    onnx.save(cached, os.path.join(out_dir, WITH_PAST))


def split_pack(pack_dir):
    """Rewrites a pack with a merged decoder into the split layout, in place."""
    manifest_path = os.path.join(pack_dir, "manifest.json")
    with open(manifest_path) as f:
        m = json.load(f)
    if m["decoder"]["layout"] != "merged" or m["decoder"].get("kvOutputs") != "new":
        raise SystemExit(f"{pack_dir}: needs decoder.layout \"merged\" with kvOutputs \"new\"")
    merged_path = os.path.join(pack_dir, m["files"]["decoderMerged"])
    split(onnx.load(merged_path), pack_dir, m["tokens"]["codebooks"])
    os.remove(merged_path)
    m["files"] = {k: v for k, v in m["files"].items() if k != "decoderMerged"}
    m["files"]["decoder"] = FIRST
    m["files"]["decoderWithPast"] = WITH_PAST
    m["decoder"]["layout"] = "split"
    with open(manifest_path, "w") as f:
        json.dump(m, f, indent=2)
        f.write("\n")
    sizes = ", ".join(f"{n} {os.path.getsize(os.path.join(pack_dir, n)) / 1e6:.2f} MB" for n in (FIRST, WITH_PAST, WEIGHTS))
    print(f"{pack_dir}: {sizes}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    for d in sys.argv[1:]:
        split_pack(d)
