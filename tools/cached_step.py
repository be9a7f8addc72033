#!/usr/bin/python3
"""The default pack's cached decoder step in the form it is exported in: the same function as
tools/expotion_model.py's Decoder.run_newkv, written for onnxruntime, where at this model's size
a step is many small nodes (the training form's graph ran 340 per step, this one 277) and some
tensors moved for nothing: a cached step 9-10% faster at one session and at eight (bench/decoderBatch.ts
with both exports interleaved, 2026-12-05).

- the four streams' embeddings: one table, one Gather, one ReduceSum (was 4 Gathers, 4 slices, 3 Adds);
- positions: a constant sinusoid table gathered at past + arange(s) (was ~15 nodes recomputing
  the frequencies and angles every step), one past length per row (decoder.pastLength "per-row");
- q, k and v of a layer: one MatMul and a Split;
- the control adaptor: attention in the control features' space (see CachedStep.__init__), the
  1/sqrt(dh) scale folded into the keys and the per-head gate into the values, every layer's
  control query in one MatMul (was ~20 nodes per layer, some over [T, s, W, d] tensors);
- the four heads: one MatMul and a reshape (was 4 MatMuls, 4 Unsqueezes and a Concat).

Only float rounding differs from run_newkv (check_equivalence, run by tools/export_default_pack.py
at every export: max |difference| of the logits ~1e-5).

Needs Debian's python3-torch (apt-get install -y python3-torch).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from build_test_packs import NEG, merge_heads, sinusoids, split_heads
from expotion_model import CTRL


class CachedStep(nn.Module):
    def __init__(self, dec):
        super().__init__()
        cfg = dec.cfg
        d, heads = cfg["d"], dec.heads
        dh = d // heads
        self.dec = dec  # layer norms, output and cross projections, FFNs, control projection: as trained
        self.d, self.heads, self.dh = d, heads, dh
        self.streams, self.vocab = dec.K, dec.vocab
        self.adaptor = dec.adaptor
        with torch.no_grad():
            self.register_buffer("embed", torch.cat([e.weight for e in dec.embed]).clone())  # [K * (V + 1), d]
            self.register_buffer("embed_offsets", (torch.arange(dec.K) * (dec.vocab + 1)).reshape(1, dec.K, 1))
            self.register_buffer("positions", sinusoids(torch.arange(cfg["seq"]), d))  # [maxPositions, d]
            self.register_buffer("heads_out", torch.cat([h.weight for h in dec.heads_out]).t().contiguous())  # [d, K * V]
            self.qkv = nn.ParameterList(nn.Parameter(torch.cat([l.q.weight, l.k.weight, l.v.weight]).t().contiguous(), requires_grad=False) for l in dec.layers)
            if self.adaptor:
                # Each layer's control attention in the control features' own space (ch + W wide):
                # with hc_aug = [h_ctrl | one-hot of the window slot] [W, ch + W], a layer's keys are
                # hc_aug @ [ctrl_k ; lag @ ctrl_k] and its values hc_aug @ [ctrl_v ; lag @ ctrl_v],
                # so scores = (q @ keys_w^T) @ hc_aug^T and output = (probs @ hc_aug) @ values_w per
                # head: small matmuls, and no [T, s, W, d] keys or values to build and transpose.
                self.window = cfg["window"]
                keys, values = [], []
                for l in dec.layers:
                    k_w = l.ctrl_k.weight.t() / math.sqrt(dh)  # [ch, d], the 1/sqrt(dh) folded in
                    v_w = l.ctrl_v.weight.t() * l.gate.repeat_interleave(dh)[None, :]  # the per-head gate folded in
                    k_aug = torch.cat([k_w, l.lag @ k_w])  # [ch + W, d]
                    v_aug = torch.cat([v_w, l.lag @ v_w])
                    keys.append(k_aug.reshape(-1, heads, dh).permute(1, 2, 0).contiguous())  # [H, dh, ch + W]
                    values.append(v_aug.reshape(-1, heads, dh).permute(1, 0, 2).contiguous())  # [H, ch + W, dh]
                self.ctrl_keys = nn.ParameterList(nn.Parameter(k, requires_grad=False) for k in keys)
                self.ctrl_values = nn.ParameterList(nn.Parameter(v, requires_grad=False) for v in values)
                self.register_buffer("slots", torch.eye(self.window))
                self.register_buffer("ctrl_q", torch.cat([l.ctrl_q.weight.t() for l in dec.layers], dim=1).contiguous())  # [ch, L * d]

    def forward(self, input_ids, enc_mask, past_length, past, enc_kv, control):
        """input_ids [T * K, s]; enc_mask [T, S]; past_length int64 [R] (R = T, or 1 for every row);
        past[i] = (key, value) [T, H, capacity, dh]; enc_kv[i] = (key, value) [T, H, S, dh];
        control [T, s, W * 15] -> logits [T * K, s, V], the new positions' (key, value) per layer."""
        dec = self.dec
        t = enc_mask.shape[0]
        s = input_ids.shape[1]
        d, heads, dh = self.d, self.heads, self.dh
        x = F.embedding(input_ids.reshape(t, self.streams, s) + self.embed_offsets, self.embed).sum(dim=1)  # [T, s, d]
        pos = past_length[:, None] + torch.arange(s, device=x.device)[None, :]  # [R, s]
        x = x + F.embedding(pos, self.positions)
        cap = past[0][0].shape[2]
        past_bias = ((torch.arange(cap, device=x.device)[None, :] >= past_length[:, None]).to(torch.float32) * NEG)[:, None, None, :]  # [R, 1, 1, cap]
        n = torch.arange(s, device=x.device)
        new_bias = (n[None, :] > n[:, None]).to(torch.float32) * NEG
        enc_bias = (1.0 - enc_mask[:, None, None, :].to(torch.float32)) * NEG
        if self.adaptor:
            w = self.window
            h_ctrl = dec.control_hidden(control.reshape(t, s, w, CTRL))  # [T, s, W, ch]
            hc_aug = torch.cat([h_ctrl, self.slots.expand(t, s, w, w)], dim=-1)[:, :, None]  # [T, s, 1, W, ch + W]
            hc_aug_t = hc_aug.transpose(-1, -2)
            ctrl_q = torch.matmul(h_ctrl[:, :, w - 1], self.ctrl_q).reshape(t, s, len(dec.layers), d).permute(2, 0, 1, 3)  # [L, T, s, d]
        presents = []
        for i, l in enumerate(dec.layers):
            q, k, v = torch.matmul(l.ln1(x), self.qkv[i]).split(d, dim=-1)
            qh = split_heads(q, heads)
            k = split_heads(k, heads)
            v = split_heads(v, heads)
            scale = math.sqrt(dh)
            s_past = torch.matmul(qh, past[i][0].transpose(-1, -2)) / scale + past_bias
            s_new = torch.matmul(qh, k.transpose(-1, -2)) / scale + new_bias
            probs = torch.softmax(torch.cat([s_past, s_new], dim=-1), dim=-1)
            a = merge_heads(torch.matmul(probs[..., :cap], past[i][1]) + torch.matmul(probs[..., cap:], v))  # [T, s, d]
            if self.adaptor:
                cq = (q + ctrl_q[i]).reshape(t, s, heads, 1, dh)
                c_probs = torch.softmax(torch.matmul(torch.matmul(cq, self.ctrl_keys[i]), hc_aug_t), dim=-1)  # [T, s, H, 1, W]
                a = a + torch.matmul(torch.matmul(c_probs, hc_aug), self.ctrl_values[i]).reshape(t, s, d)
            x = x + l.o(a)
            h = l.ln2(x)
            cq_x = split_heads(l.cq(h), heads)
            enc = torch.softmax(torch.matmul(cq_x, enc_kv[i][0].transpose(-1, -2)) / scale + enc_bias, dim=-1)
            x = x + l.co(merge_heads(torch.matmul(enc, enc_kv[i][1])))
            x = x + l.fc2(F.gelu(l.fc1(l.ln3(x))))
            presents.append((k, v))
        logits = torch.matmul(dec.final(x), self.heads_out).reshape(t, s, self.streams, self.vocab).transpose(1, 2)  # [T, K, s, V]
        return logits.reshape(t * self.streams, s, self.vocab), presents


def check_equivalence(dec, tolerance=1e-4):
    """CachedStep against Decoder.run_newkv on random inputs: one past length for every row, and
    one per row (each row against run_newkv alone at its length). Returns the largest difference."""
    step = CachedStep(dec).eval()
    cfg = dec.cfg
    heads, dh, layers = dec.heads, cfg["d"] // dec.heads, len(dec.layers)
    g = torch.Generator().manual_seed(5)
    t, s, cap, enc_len = 3, 2, 40, 7
    ids = torch.randint(0, dec.vocab, (t * dec.K, s), generator=g)
    mask = torch.ones(t, enc_len, dtype=torch.int64)
    mask[1, 5:] = 0
    past = [(torch.randn(t, heads, cap, dh, generator=g), torch.randn(t, heads, cap, dh, generator=g)) for _ in range(layers)]
    enc_kv = [(torch.randn(t, heads, enc_len, dh, generator=g), torch.randn(t, heads, enc_len, dh, generator=g)) for _ in range(layers)]
    control = None
    if dec.adaptor:
        control = torch.rand(t, s, cfg["window"] * CTRL, generator=g).reshape(t, s, cfg["window"], CTRL)
        control[..., 13] = 60 + 120 * control[..., 13]
        control = control.reshape(t, s, -1)
    worst = 0.0
    with torch.no_grad():
        length = torch.tensor([31])
        want, want_kv = dec.run_newkv(ids, mask, length, past, enc_kv, control)
        got, got_kv = step(ids, mask, length, past, enc_kv, control)
        worst = max(worst, (want - got).abs().max().item(), *((a - b).abs().max().item() for p, q in zip(want_kv, got_kv) for a, b in zip(p, q)))
        lengths = torch.tensor([12, 31, 40])
        got, _ = step(ids, mask, lengths, past, enc_kv, control)
        k = dec.K
        for r in range(t):
            rows = slice(r * k, (r + 1) * k)
            one, _ = dec.run_newkv(ids[rows], mask[r:r + 1], lengths[r:r + 1], [(a[r:r + 1], b[r:r + 1]) for a, b in past],
                                   [(a[r:r + 1], b[r:r + 1]) for a, b in enc_kv], None if control is None else control[r:r + 1])
            worst = max(worst, (one - got[rows]).abs().max().item())
    if worst > tolerance:
        raise SystemExit(f"CachedStep differs from Decoder.run_newkv by {worst:.2e} (> {tolerance:.0e})")
    return worst
