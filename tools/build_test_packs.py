#!/usr/bin/python3
"""Build the tiny MusicGen-contract test packs under models/ (seeded, deterministic).

Uses Debian's python3-torch and python3-onnx only:
    apt-get install -y python3-torch python3-onnx
    /usr/bin/python3 tools/build_test_packs.py              # writes models/tiny-*/
    /usr/bin/python3 tools/build_test_packs.py --out DIR    # somewhere else

Packs (same tensor names, dtypes and layouts as the public musicgen-small ONNX export, see
../shared/design/MUSICGEN-ONNX.md; only the sizes are tiny):

- tiny-musicgen        merged decoder (decoder_model_merged.onnx, `If` on use_cache_branch)
- tiny-musicgen-split  the same weights as two graphs (decoder_model.onnx + decoder_with_past_model.onnx)
- tiny-expotion        merged decoder with the gated, zero-initialised control adaptor
                       (extra input control_features [T, s, C]); gates set non-zero.
- tiny-musicgen-newkv  the weights of tiny-musicgen, split layout with the "new K/V only" cached
                       graph (decoder.kvOutputs "new", see new_kv_doc below), plus an int8 file
                       set (quantizedFiles; tools/quantize_int8.py) for the loader's `quantized`
                       option.

tools/build_bench_pack.py reuses this file's model code at musicgen-small's shapes (benchmark).

Like the public export, the with-past branch does NOT recompute cross-attention K/V: it returns
empty placeholders of shape [0, H, 1, Dh] as present.{i}.encoder.*, so a loader that feeds them
back on the next step fails (inside the `If`), exactly as with the real files.
"""
import argparse
import copy
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from quantize_int8 import quantize_file  # noqa: E402

SEED = 20250705
OPSET = 17

# Sizes (MusicGen: K 4, vocab 2048, d 1024, 24 layers, 16 heads, Dh 64, text d 768, hop 640 @ 32 kHz).
K = 4
VOCAB = 64  # codebook size; pad = bos = VOCAB
PAD = VOCAB
D = 64
HEADS = 4
DH = D // HEADS
LAYERS = 2
FFN = 128
MAX_POS = 256
TEXT_D = 32
TEXT_HEADS = 2
TEXT_LAYERS = 2
TEXT_FFN = 64
CTRL = 15  # control vector v1 (protocol/controlVector.ts)
CTRL_HIDDEN = 16
SAMPLE_RATE = 32000
HOP = 640
CODEC_D = 32
NEG = -1e9

WORDS = (
    "a an the and with of in on for to at by into over under from slow fast calm tense happy sad dark bright "
    "warm cold soft loud gentle heavy light dreamy epic upbeat chill lofi ambient cinematic pop rock funk house "
    "jazz hip hop bossa nova techno disco classical folk piano guitar bass drums synth strings pad lead violin "
    "cello flute brass choir organ bells beat groove melody rhythm chords song music track tune loop sunrise "
    "sunset night rain storm ocean coast city market chase drive forest mountain space dream dance party "
    "morning evening love joy fear hope energy mood scene film movie game"
).split()


def sinusoids(positions, dim):
    """Sinusoidal positions as MusicGen's decoder uses them: [cos | sin] halves."""
    half = dim // 2
    freq = torch.exp(torch.arange(half, dtype=torch.float32, device=positions.device) * -(math.log(10000.0) / (half - 1)))
    ang = positions.to(torch.float32)[:, None] * freq[None, :]
    return torch.cat([torch.cos(ang), torch.sin(ang)], dim=1)


class RMSNorm(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + 1e-6) * self.weight


def split_heads(x, heads):
    b, s, d = x.shape
    return x.reshape(b, s, heads, d // heads).transpose(1, 2)


def merge_heads(x):
    b, h, s, dh = x.shape
    return x.transpose(1, 2).reshape(b, s, h * dh)


def attend(q, k, v, bias):
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1]) + bias
    return torch.matmul(torch.softmax(scores, dim=-1), v)


# ---------------------------------------------------------------------------------------------
# Text encoder (T5-like: RMSNorm, bidirectional self-attention with mask, ReLU FFN)


class TextEncoder(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.embed = nn.Embedding(vocab, TEXT_D)
        self.layers = nn.ModuleList()
        for _ in range(TEXT_LAYERS):
            self.layers.append(nn.ModuleDict(dict(
                ln1=RMSNorm(TEXT_D), q=nn.Linear(TEXT_D, TEXT_D, bias=False), k=nn.Linear(TEXT_D, TEXT_D, bias=False),
                v=nn.Linear(TEXT_D, TEXT_D, bias=False), o=nn.Linear(TEXT_D, TEXT_D, bias=False),
                ln2=RMSNorm(TEXT_D), fc1=nn.Linear(TEXT_D, TEXT_FFN, bias=False), fc2=nn.Linear(TEXT_FFN, TEXT_D, bias=False))))
        self.final = RMSNorm(TEXT_D)

    def forward(self, input_ids, attention_mask):
        x = self.embed(input_ids)
        s = input_ids.shape[1]
        pos = sinusoids(torch.arange(s), TEXT_D)
        x = x + pos[None]
        bias = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * NEG
        for l in self.layers:
            h = l["ln1"](x)
            a = attend(split_heads(l["q"](h), TEXT_HEADS), split_heads(l["k"](h), TEXT_HEADS), split_heads(l["v"](h), TEXT_HEADS), bias)
            x = x + l["o"](merge_heads(a))
            x = x + l["fc2"](F.relu(l["fc1"](l["ln2"](x))))
        return self.final(x)


# ---------------------------------------------------------------------------------------------
# Decoder LM (MusicGen-like: K summed embeddings, sinusoidal positions offset by the past length,
# causal self-attention with KV cache, cross-attention to the projected text, K LM heads)


class DecoderLayer(nn.Module):
    def __init__(self, with_adaptor):
        super().__init__()
        self.ln1 = nn.LayerNorm(D)
        self.q, self.k, self.v, self.o = (nn.Linear(D, D) for _ in range(4))
        self.ln2 = nn.LayerNorm(D)
        self.cq, self.ck, self.cv, self.co = (nn.Linear(D, D) for _ in range(4))
        self.ln3 = nn.LayerNorm(D)
        self.fc1 = nn.Linear(D, FFN)
        self.fc2 = nn.Linear(FFN, D)
        self.with_adaptor = with_adaptor
        if with_adaptor:
            # Expotion adaptor, causal over control frames. Single-key attention over the current
            # control frame reduces to its value projection; earlier frames reach later steps
            # through the self-attention cache. Gate starts at zero in training (set below).
            self.ctrl_v = nn.Linear(CTRL_HIDDEN, D)
            self.ctrl_o = nn.Linear(D, D)
            self.gate = nn.Parameter(torch.zeros(1))

    def forward(self, x, self_bias, past_k, past_v, enc_k, enc_v, enc_bias, ctrl):
        h = self.ln1(x)
        k = split_heads(self.k(h), HEADS)
        v = split_heads(self.v(h), HEADS)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        x = x + self.o(merge_heads(attend(split_heads(self.q(h), HEADS), k, v, self_bias)))
        if self.with_adaptor:
            x = x + self.gate * self.ctrl_o(torch.tanh(self.ctrl_v(ctrl)))
        h = self.ln2(x)
        x = x + self.co(merge_heads(attend(split_heads(self.cq(h), HEADS), enc_k, enc_v, enc_bias)))
        x = x + self.fc2(F.gelu(self.fc1(self.ln3(x))))
        return x, k, v

    def forward_newkv(self, x, past_bias, new_bias, past_k, past_v, enc_k, enc_v, enc_bias, ctrl):
        """Self-attention over the cache in two parts (past, new) instead of concatenating the past
        with the new K/V: no copy of the past inside the graph, and only the new K/V go out."""
        h = self.ln1(x)
        q = split_heads(self.q(h), HEADS)
        k = split_heads(self.k(h), HEADS)
        v = split_heads(self.v(h), HEADS)
        scale = math.sqrt(DH)
        s_past = torch.matmul(q, past_k.transpose(-1, -2)) / scale + past_bias
        s_new = torch.matmul(q, k.transpose(-1, -2)) / scale + new_bias
        probs = torch.softmax(torch.cat([s_past, s_new], dim=-1), dim=-1)
        cap = past_k.shape[2]
        a = torch.matmul(probs[..., :cap], past_v) + torch.matmul(probs[..., cap:], v)
        x = x + self.o(merge_heads(a))
        if self.with_adaptor:
            x = x + self.gate * self.ctrl_o(torch.tanh(self.ctrl_v(ctrl)))
        h = self.ln2(x)
        x = x + self.co(merge_heads(attend(split_heads(self.cq(h), HEADS), enc_k, enc_v, enc_bias)))
        x = x + self.fc2(F.gelu(self.fc1(self.ln3(x))))
        return x, k, v


class Decoder(nn.Module):
    def __init__(self, with_adaptor):
        super().__init__()
        self.embed = nn.ModuleList(nn.Embedding(VOCAB + 1, D) for _ in range(K))
        self.enc_proj = nn.Linear(TEXT_D, D)
        self.layers = nn.ModuleList(DecoderLayer(with_adaptor) for _ in range(LAYERS))
        self.final = nn.LayerNorm(D)
        self.heads = nn.ModuleList(nn.Linear(D, VOCAB, bias=False) for _ in range(K))
        self.with_adaptor = with_adaptor
        if with_adaptor:
            self.ctrl_proj = nn.Linear(CTRL, CTRL_HIDDEN)

    def cross_kv(self, enc_hidden):
        e = self.enc_proj(enc_hidden)
        return [(split_heads(l.ck(e), HEADS), split_heads(l.cv(e), HEADS)) for l in self.layers]

    def run(self, input_ids, enc_mask, past, enc_kv, control):
        t = enc_mask.shape[0]
        s = input_ids.shape[1]
        ids = input_ids.reshape(t, K, s)
        x = self.embed[0](ids[:, 0])
        for k in range(1, K):
            x = x + self.embed[k](ids[:, k])
        past_len = past[0][0].shape[2] if past is not None else 0
        q_pos = torch.arange(s) + past_len
        x = x + sinusoids(q_pos, D)[None]
        k_pos = torch.arange(s + past_len)
        self_bias = (k_pos[None, :] > q_pos[:, None]).to(torch.float32) * NEG
        enc_bias = (1.0 - enc_mask[:, None, None, :].to(torch.float32)) * NEG
        ctrl = None
        if self.with_adaptor:
            ctrl = torch.tanh(self.ctrl_proj(control))
        presents = []
        for i, l in enumerate(self.layers):
            pk, pv = (past[i] if past is not None else (None, None))
            x, k, v = l(x, self_bias, pk, pv, enc_kv[i][0], enc_kv[i][1], enc_bias, ctrl)
            presents.append((k, v))
        x = self.final(x)
        logits = torch.stack([h(x) for h in self.heads], dim=1)  # [T, K, s, V]
        return logits.reshape(t * K, s, VOCAB), presents

    def run_newkv(self, input_ids, enc_mask, past_length, past, enc_kv, control):
        """Cached pass over a past of any capacity whose first `past_length` positions are valid."""
        t = enc_mask.shape[0]
        s = input_ids.shape[1]
        ids = input_ids.reshape(t, K, s)
        x = self.embed[0](ids[:, 0])
        for k in range(1, K):
            x = x + self.embed[k](ids[:, k])
        past_len = past_length[0]
        q_pos = torch.arange(s) + past_len
        x = x + sinusoids(q_pos, D)[None]
        cap = past[0][0].shape[2]
        past_bias = (torch.arange(cap) >= past_len).to(torch.float32) * NEG  # [cap]: capacity beyond the length
        n = torch.arange(s)
        new_bias = (n[None, :] > n[:, None]).to(torch.float32) * NEG  # [s, s] causal among the new positions
        enc_bias = (1.0 - enc_mask[:, None, None, :].to(torch.float32)) * NEG
        ctrl = None
        if self.with_adaptor:
            ctrl = torch.tanh(self.ctrl_proj(control))
        presents = []
        for i, l in enumerate(self.layers):
            x, k, v = l.forward_newkv(x, past_bias, new_bias, past[i][0], past[i][1], enc_kv[i][0], enc_kv[i][1], enc_bias, ctrl)
            presents.append((k, v))
        x = self.final(x)
        logits = torch.stack([h(x) for h in self.heads], dim=1)
        return logits.reshape(t * K, s, VOCAB), presents


class NoPast(nn.Module):
    """decoder_model.onnx: the first step (no cache); returns decoder and encoder K/V."""

    def __init__(self, dec):
        super().__init__()
        self.dec = dec

    def forward(self, input_ids, encoder_hidden_states, encoder_attention_mask, control_features=None):
        enc_kv = self.dec.cross_kv(encoder_hidden_states)
        logits, presents = self.dec.run(input_ids, encoder_attention_mask, None, enc_kv, control_features)
        out = [logits]
        for (k, v), (ek, ev) in zip(presents, enc_kv):
            out += [k, v, ek, ev]
        return tuple(out)


class WithPast(nn.Module):
    """decoder_with_past_model.onnx: cached steps. Encoder K/V come in; placeholders go out."""

    def __init__(self, dec):
        super().__init__()
        self.dec = dec

    def forward(self, input_ids, encoder_attention_mask, *rest):
        n = 4 * LAYERS
        flat = rest[:n]
        control = rest[n] if len(rest) > n else None
        past = [(flat[4 * i], flat[4 * i + 1]) for i in range(LAYERS)]
        enc_kv = [(flat[4 * i + 2], flat[4 * i + 3]) for i in range(LAYERS)]
        logits, presents = self.dec.run(input_ids, encoder_attention_mask, past, enc_kv, control)
        out = [logits]
        for k, v in presents:
            placeholder = torch.zeros(0, HEADS, 1, DH)
            out += [k, v, placeholder, placeholder]
        return tuple(out)


new_kv_doc = """
The "new K/V only" cached graph (manifest decoder.kvOutputs "new"; this project's extension, for
speed on CPU): inputs as decoder_with_past_model.onnx plus `past_sequence_length` int64 [1];
past_key_values.{i}.decoder.* may be longer than that (preallocated capacity, the rest is
masked); outputs `logits` and `present_new.{i}.decoder.key|value` [T, H, s, Dh], the K/V of the
s new positions only. The engine keeps the cache and appends them: nothing proportional to the
past is concatenated in the graph or copied out of onnxruntime each step.
"""


class WithPastNewKv(nn.Module):
    def __init__(self, dec):
        super().__init__()
        self.dec = dec

    def forward(self, input_ids, encoder_attention_mask, past_sequence_length, *rest):
        n = 4 * LAYERS
        flat = rest[:n]
        control = rest[n] if len(rest) > n else None
        past = [(flat[4 * i], flat[4 * i + 1]) for i in range(LAYERS)]
        enc_kv = [(flat[4 * i + 2], flat[4 * i + 3]) for i in range(LAYERS)]
        logits, presents = self.dec.run_newkv(input_ids, encoder_attention_mask, past_sequence_length, past, enc_kv, control)
        out = [logits]
        for k, v in presents:
            out += [k, v]
        return tuple(out)


def present_new_names():
    names = []
    for i in range(LAYERS):
        names += [f"present_new.{i}.decoder.key", f"present_new.{i}.decoder.value"]
    return names


def export_with_past_newkv(dec, path, adaptor, first_outputs):
    """Exports WithPastNewKv; `first_outputs` are NoPast's outputs for 2 rows and 3 positions."""
    t = 2
    past = []
    for i in range(LAYERS):
        k, v, ek, ev = first_outputs[1 + 4 * i: 5 + 4 * i]
        pad = torch.zeros(t, HEADS, 2, DH)  # capacity 5 for a length of 3
        past += [torch.cat([k, pad], dim=2), torch.cat([v, pad], dim=2), ek, ev]
    ids1 = torch.randint(0, VOCAB, (t * K, 1))
    mask = torch.ones(t, first_outputs[3].shape[2], dtype=torch.int64)
    ctrl1 = torch.randn(t, 1, CTRL)
    length = torch.tensor([3], dtype=torch.int64)
    past_axes = {}
    for n in past_names():
        past_axes[n] = {0: "batch_size", 2: "past_capacity"} if ".decoder." in n else {0: "batch_size", 2: "encoder_sequence_length_out"}
    ctrl_in = ["control_features"] if adaptor else []
    axes = {
        "input_ids": {0: "batch_size_x_codebooks", 1: "decoder_sequence_length"},
        "encoder_attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
        "logits": {0: "batch_size_x_codebooks", 1: "decoder_sequence_length"},
        **past_axes,
        **({"control_features": {0: "batch_size", 1: "decoder_sequence_length"}} if adaptor else {}),
        **{n: {0: "batch_size", 2: "decoder_sequence_length"} for n in present_new_names()},
    }
    return export(WithPastNewKv(dec), tuple([ids1, mask, length] + past + ([ctrl1] if adaptor else [])), path,
                  ["input_ids", "encoder_attention_mask", "past_sequence_length"] + past_names() + ctrl_in,
                  ["logits"] + present_new_names(), axes)


def present_names():
    names = []
    for i in range(LAYERS):
        names += [f"present.{i}.decoder.key", f"present.{i}.decoder.value", f"present.{i}.encoder.key", f"present.{i}.encoder.value"]
    return names


def past_names():
    names = []
    for i in range(LAYERS):
        names += [f"past_key_values.{i}.decoder.key", f"past_key_values.{i}.decoder.value",
                  f"past_key_values.{i}.encoder.key", f"past_key_values.{i}.encoder.value"]
    return names


def export(module, args, path, input_names, output_names, dynamic_axes):
    torch.onnx.export(module, args, path, input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=True)
    model = onnx.load(path)
    for o in model.graph.output:
        if o.name == "logits":
            # The public export pins the vocabulary dimension; so do we.
            o.type.tensor_type.shape.dim[2].Clear()
            o.type.tensor_type.shape.dim[2].dim_value = VOCAB
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return model


def export_decoders(dec, out_dir, adaptor, with_past=True, newkv=False):
    """decoder_model.onnx and (with_past) decoder_with_past_model.onnx in out_dir; with newkv also
    decoder_with_past_newkv.onnx (new_kv_doc). Returns the loaded models (None where not built)."""
    t, s, S = 2, 3, 5
    ids = torch.randint(0, VOCAB, (t * K, s))
    enc = torch.randn(t, S, TEXT_D)
    mask = torch.ones(t, S, dtype=torch.int64)
    ctrl = torch.randn(t, s, CTRL)
    ctrl_in = ["control_features"] if adaptor else []
    ctrl_axes = {"control_features": {0: "batch_size", 1: "decoder_sequence_length"}} if adaptor else {}
    pres_axes = {}
    for n in present_names():
        pres_axes[n] = {0: "batch_size", 2: "past_decoder_sequence_length + 1"} if ".decoder." in n else {0: "batch_size", 2: "encoder_sequence_length_out"}
    common_axes = {
        "input_ids": {0: "batch_size_x_codebooks", 1: "decoder_sequence_length"},
        "encoder_attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
        "logits": {0: "batch_size_x_codebooks", 1: "decoder_sequence_length"},
    }
    no_past_path = os.path.join(out_dir, "decoder_model.onnx")
    no_past = export(
        NoPast(dec), (ids, enc, mask, ctrl) if adaptor else (ids, enc, mask), no_past_path,
        ["input_ids", "encoder_hidden_states", "encoder_attention_mask"] + ctrl_in, ["logits"] + present_names(),
        {**common_axes, "encoder_hidden_states": {0: "batch_size", 1: "encoder_sequence_length"}, **ctrl_axes, **pres_axes})
    with torch.no_grad():
        first = NoPast(dec)(ids, enc, mask, ctrl if adaptor else None)
    past = list(first[1:])
    ids1 = torch.randint(0, VOCAB, (t * K, 1))
    ctrl1 = torch.randn(t, 1, CTRL)
    past_axes = {}
    for n in past_names():
        past_axes[n] = {0: "batch_size", 2: "past_decoder_sequence_length"} if ".decoder." in n else {0: "batch_size", 2: "encoder_sequence_length_out"}
    with_past_path = os.path.join(out_dir, "decoder_with_past_model.onnx")
    pres_axes_wp = {n: ({0: "batch_size", 2: "past_decoder_sequence_length + 1"} if ".decoder." in n else {}) for n in present_names()}
    if newkv:
        # Separate RNG stream so that adding the variant leaves the other packs byte-identical.
        state = torch.get_rng_state()
        torch.manual_seed(SEED + 1)
        del no_past  # the big (benchmark) shape: keep one model in memory at a time
        export_with_past_newkv(dec, os.path.join(out_dir, "decoder_with_past_newkv.onnx"), adaptor, first)
        torch.set_rng_state(state)
        no_past = None
    if not with_past:
        return no_past, None
    with_past = export(
        WithPast(dec), tuple([ids1, mask] + past + ([ctrl1] if adaptor else [])), with_past_path,
        ["input_ids", "encoder_attention_mask"] + past_names() + ctrl_in, ["logits"] + present_names(),
        {**common_axes, **past_axes, **ctrl_axes, **pres_axes_wp})
    return no_past, with_past


# ---------------------------------------------------------------------------------------------
# Merging the two decoders under an `If` on use_cache_branch, weights deduplicated (as Optimum's
# merge_decoders does).


def merge_decoders(no_past, with_past):
    shared = {}
    initializers = []

    def branch(graph, prefix):
        rename = {}
        for init in graph.initializer:
            arr = numpy_helper.to_array(init)
            key = hashlib.sha1(repr((init.data_type, tuple(init.dims))).encode() + arr.tobytes()).hexdigest()
            if key not in shared:
                shared[key] = f"shared_weight_{len(shared)}"
                t = numpy_helper.from_array(arr, shared[key])
                initializers.append(t)
            rename[init.name] = shared[key]
        outer = {i.name for i in graph.input}
        nodes = []
        for node in graph.node:
            n = copy.deepcopy(node)
            n.name = prefix + n.name
            for j, name in enumerate(n.input):
                if name in rename:
                    n.input[j] = rename[name]
                elif name and name not in outer:
                    n.input[j] = prefix + name
            for j, name in enumerate(n.output):
                if name:
                    n.output[j] = prefix + name
            nodes.append(n)
        produced = {name for node in nodes for name in node.output}
        outputs = []
        for o in graph.output:
            if prefix + o.name not in produced:
                # An output that is an initializer or an input (e.g. a folded placeholder).
                source = rename.get(o.name, o.name)
                nodes.append(helper.make_node("Identity", [source], [prefix + o.name], name=prefix + "identity_" + o.name))
            vi = copy.deepcopy(o)
            vi.name = prefix + o.name
            # Branch outputs of an If must not pin shapes that differ between branches.
            vi.type.tensor_type.ClearField("shape")
            outputs.append(vi)
        return helper.make_graph(nodes, prefix + "graph", [], outputs)

    then_graph = branch(with_past.graph, "with_past_")
    else_graph = branch(no_past.graph, "no_past_")
    inputs = {}
    for g in (no_past.graph, with_past.graph):
        for i in g.input:
            inputs.setdefault(i.name, i)
    use_cache = helper.make_tensor_value_info("use_cache_branch", TensorProto.BOOL, [1])
    order = ["input_ids", "encoder_hidden_states", "encoder_attention_mask", "past_sequence_length"] + past_names() + ["control_features"]
    merged_inputs = [inputs[n] for n in order if n in inputs] + [use_cache]
    outputs = []
    for o in no_past.graph.output:
        vi = copy.deepcopy(o)
        if vi.name.endswith(".encoder.key") or vi.name.endswith(".encoder.value"):
            # Empty placeholders on cached steps: only the rank is fixed.
            vi.type.tensor_type.ClearField("shape")
            for _ in range(4):
                vi.type.tensor_type.shape.dim.add()
        outputs.append(vi)
    node = helper.make_node("If", ["use_cache_branch"], [o.name for o in outputs], name="optimum::if",
                            then_branch=then_graph, else_branch=else_graph)
    graph = helper.make_graph([node], "merged_decoder", merged_inputs, outputs, initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="expotion-live tools/build_test_packs.py")
    model.ir_version = no_past.ir_version
    onnx.checker.check_model(model)
    return model


# ---------------------------------------------------------------------------------------------
# Codec: EnCodec-decoder-like convolutional net, hop 640 at 32 kHz. Codes -> summed codebook
# embeddings -> causal frame-level conv (k=3) -> overlap-add upsampling (transposed conv,
# Hann-windowed partials, kernel 2*hop, stride hop) -> sample-level smoothing conv (k=33).
# Receptive field: about 3.5 frames left, half a frame + 16 samples right (within one hop, so a
# crossfade of one hop covers every sample that lacks its right context).


class Codec(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.ModuleList(nn.Embedding(VOCAB, CODEC_D) for _ in range(K))
        self.conv = nn.Conv1d(CODEC_D, CODEC_D, 3)  # causal: padded on the left in forward
        self.up = nn.ConvTranspose1d(CODEC_D, 1, kernel_size=2 * HOP, stride=HOP, padding=HOP // 2, bias=False)
        self.smooth = nn.Conv1d(1, 1, 33, padding=16)
        with torch.no_grad():
            n = torch.arange(2 * HOP, dtype=torch.float32)
            hann = 0.5 - 0.5 * torch.cos(2 * math.pi * n / (2 * HOP))
            for c in range(CODEC_D):
                f = 110.0 * (c + 1) * (1.0 + 0.01 * c)
                self.up.weight[c, 0] = hann * torch.sin(2 * math.pi * f * n / SAMPLE_RATE) / (1 + 0.3 * c)
            w = torch.hann_window(35)[1:-1]
            self.smooth.weight[0, 0] = w / w.sum()
            self.smooth.bias.zero_()

    def forward(self, audio_codes):
        codes = audio_codes[0]  # [B, K, F]
        x = self.embed[0](codes[:, 0])
        for k in range(1, K):
            x = x + self.embed[k](codes[:, k])
        x = torch.tanh(self.conv(F.pad(x.transpose(1, 2), (2, 0))))
        y = self.smooth(self.up(x))
        return torch.tanh(0.5 * y)


# ---------------------------------------------------------------------------------------------
# Tokenizer: a T5-style Unigram tokenizer.json (Hugging Face tokenizers format) over a word
# vocabulary: Metaspace pre-tokenizer, `</s>` appended, unknown pieces -> <unk>.


def tokenizer_json():
    letters = "abcdefghijklmnopqrstuvwxyz0123456789"
    vocab = [["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0]]
    for w in WORDS:
        vocab.append(["\u2581" + w, -5.0])
    vocab.append(["\u2581", -8.0])
    for c in letters:
        vocab.append([c, -12.0])
    for c in letters:
        if c not in WORDS:
            vocab.append(["\u2581" + c, -12.0])
    added = [
        {"id": 0, "content": "<pad>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True},
        {"id": 1, "content": "</s>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True},
        {"id": 2, "content": "<unk>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True},
    ]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"}]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "WhitespaceSplit"},
            {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}]},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "special_tokens": {"</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]}},
        },
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": 2, "vocab": vocab, "byte_fallback": False},
    }, len(vocab)


# ---------------------------------------------------------------------------------------------


def manifest(name, description, layout, adaptor, ranges, kv_outputs=None, quantized_files=None):
    files = {"tokenizer": "tokenizer.json", "textEncoder": "text_encoder.onnx", "codec": "encodec_decode.onnx"}
    if layout == "merged":
        files["decoderMerged"] = "decoder_model_merged.onnx"
    else:
        files["decoder"] = "decoder_model.onnx"
        files["decoderWithPast"] = "decoder_with_past_newkv.onnx" if kv_outputs == "new" else "decoder_with_past_model.onnx"
    m = {
        "format": "expotion-pack",
        "formatVersion": 1,
        "name": name,
        "kind": "musicgen",
        "description": description,
        "test": True,  # a pack for tests: hidden from users' pack lists (/packs without ?all=1, ready.packs)
        "licence": "CC0-1.0 (random weights, built by tools/build_test_packs.py)",
        "source": f"tools/build_test_packs.py seed {SEED}",
        "files": files,
        "audio": {"sampleRate": SAMPLE_RATE, "channels": 1, "stepsPerSecond": SAMPLE_RATE / HOP},
        "tokens": {"codebooks": K, "vocabSize": VOCAB, "padTokenId": PAD, "bosTokenId": PAD, "delays": list(range(K)), "validRanges": ranges},
        "text": {"hiddenSize": TEXT_D, "maxTokens": 64},
        "decoder": {"layout": layout, "layers": LAYERS, "heads": HEADS, "headDim": DH, "maxPositions": MAX_POS},
        "codec": {"type": "encodec-onnx", "hop": HOP, "contextFrames": 6, "crossfadeSamples": 640},
        "sampling": {"guidanceScale": 3.0, "temperature": 1.0, "topK": 16},
    }
    if kv_outputs:
        m["decoder"]["kvOutputs"] = kv_outputs
    if quantized_files:
        m["quantizedFiles"] = quantized_files
    if adaptor:
        m["controls"] = {"version": 1, "size": CTRL}
    return m


def save(model, path):
    onnx.save(model, path)


def build(models_dir):
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    tok, text_vocab = tokenizer_json()
    text_enc = TextEncoder(text_vocab).eval()
    plain = Decoder(False).eval()
    expotion = Decoder(True).eval()
    with torch.no_grad():
        # The Expotion variant shares the base weights (frozen LM + adaptor on top).
        expotion.load_state_dict(plain.state_dict(), strict=False)
        for l in expotion.layers:
            l.gate.fill_(0.8)
            l.ctrl_v.weight.mul_(4.0)
            l.ctrl_o.weight.mul_(4.0)
        for dec in (plain, expotion):
            for h in dec.heads:
                h.weight.mul_(6.0)  # peakier distributions than init, like a trained LM
    codec = Codec().eval()

    work = tempfile.mkdtemp(prefix="tiny-packs-")
    try:
        shared = os.path.join(work, "shared")
        os.makedirs(shared)
        ids = torch.randint(3, text_vocab, (1, 6))
        export(text_enc, (ids, torch.ones_like(ids)), os.path.join(shared, "text_encoder.onnx"),
               ["input_ids", "attention_mask"], ["last_hidden_state"],
               {"input_ids": {0: "batch_size", 1: "encoder_sequence_length"}, "attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
                "last_hidden_state": {0: "batch_size", 1: "encoder_sequence_length"}})
        codes = torch.randint(0, VOCAB, (1, 1, K, 7))
        export(codec, (codes,), os.path.join(shared, "encodec_decode.onnx"), ["audio_codes"], ["audio_values"],
               {"audio_codes": {1: "batch_size", 3: "chunk_length"}, "audio_values": {0: "batch_size", 2: "num_samples"}})
        with open(os.path.join(shared, "tokenizer.json"), "w") as f:
            json.dump(tok, f, ensure_ascii=False, indent=None, separators=(",", ":"))

        full_range = [[0, VOCAB] for _ in range(K)]
        packs = [
            ("tiny-musicgen", "Tiny random-weight MusicGen-contract pack (merged decoder) for tests", "merged", plain, False, full_range),
            ("tiny-musicgen-split", "Tiny random-weight MusicGen-contract pack (split decoder) for tests", "split", plain, False, full_range),
            ("tiny-expotion", "Tiny random-weight Expotion pack (control adaptor, narrowed ranges) for tests", "merged", expotion, True,
             [[0, 64], [0, 48], [8, 64], [0, 32]]),
        ]
        for name, desc, layout, dec, adaptor, ranges in packs:
            tmp = os.path.join(work, name + "-dec")
            os.makedirs(tmp)
            no_past, with_past = export_decoders(dec, tmp, adaptor)
            out = os.path.join(models_dir, name)
            os.makedirs(out, exist_ok=True)
            for f in os.listdir(out):
                os.remove(os.path.join(out, f))
            if layout == "merged":
                save(merge_decoders(no_past, with_past), os.path.join(out, "decoder_model_merged.onnx"))
            else:
                shutil.copy(os.path.join(tmp, "decoder_model.onnx"), out)
                shutil.copy(os.path.join(tmp, "decoder_with_past_model.onnx"), out)
            for f in ("text_encoder.onnx", "encodec_decode.onnx", "tokenizer.json"):
                shutil.copy(os.path.join(shared, f), out)
            with open(os.path.join(out, "manifest.json"), "w") as f:
                json.dump(manifest(name, desc, layout, adaptor, ranges), f, indent=2)
                f.write("\n")
            print(f"wrote {out}: " + ", ".join(f"{f} {os.path.getsize(os.path.join(out, f))} B" for f in sorted(os.listdir(out))))

        # Last, so that the packs above do not depend on it: tiny-musicgen's weights with the
        # "new K/V only" cached graph, and int8 copies of both decoders.
        name = "tiny-musicgen-newkv"
        tmp = os.path.join(work, name + "-dec")
        os.makedirs(tmp)
        export_decoders(plain, tmp, False, with_past=False, newkv=True)
        out = os.path.join(models_dir, name)
        os.makedirs(out, exist_ok=True)
        for f in os.listdir(out):
            os.remove(os.path.join(out, f))
        quantized = {}
        for field, f in (("decoder", "decoder_model"), ("decoderWithPast", "decoder_with_past_newkv")):
            shutil.copy(os.path.join(tmp, f + ".onnx"), out)
            quantize_file(os.path.join(tmp, f + ".onnx"), os.path.join(out, f + "_quantized.onnx"))
            quantized[field] = f + "_quantized.onnx"
        for f in ("text_encoder.onnx", "encodec_decode.onnx", "tokenizer.json"):
            shutil.copy(os.path.join(shared, f), out)
        with open(os.path.join(out, "manifest.json"), "w") as f:
            desc = "Tiny random-weight MusicGen-contract pack, cached graph returning only the new K/V (engine-held cache), int8 file set, for tests"
            json.dump(manifest(name, desc, "split", False, full_range, kv_outputs="new", quantized_files=quantized), f, indent=2)
            f.write("\n")
        print(f"wrote {out}: " + ", ".join(f"{f} {os.path.getsize(os.path.join(out, f))} B" for f in sorted(os.listdir(out))))
    finally:
        shutil.rmtree(work)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
    args = p.parse_args()
    build(os.path.abspath(args.out))


if __name__ == "__main__":
    sys.exit(main())
