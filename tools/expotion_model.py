"""The default pack's model: a small MusicGen-style text-to-symbolic-music LM (the base) and the
Expotion control adaptor on top of it. Used by tools/train_default_pack.py (training, export).

Debian's python3-torch and python3-onnx (apt-get install -y python3-torch python3-onnx).

- Text encoder: T5-like (RMSNorm, bidirectional attention with mask, ReLU FFN) over the word
  vocabulary of the pack's tokenizer.json.
- Decoder (MusicGen's layout): the four streams' embeddings summed, sinusoidal positions offset
  by the past, causal self-attention with a KV cache, cross-attention to the projected text,
  four LM heads. One position = one 16th-note step under the delay pattern (stream k lags k).
- Adaptor (Expotion, causal): each position carries a window of the last `window` control
  vectors (oldest first, the newest last). They are normalised, projected (15 -> ctrl_hidden,
  shared), and every layer adds its own lag embedding and projects keys and values (ctrl_k,
  ctrl_v). The extra attention's query is the layer's (frozen) music query plus a control query
  from the newest frame (ctrl_q); its output joins the self-attention output before the frozen
  output projection through a per-head gate that starts at zero, so the adapted model starts
  out exactly as the base.

`cross_kv` and `run` have the signatures tools/build_test_packs.py's ONNX wrappers (NoPast,
WithPast) and merge_decoders expect, so the export reuses them.
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The building blocks the test packs use, shared (MusicGen's sinusoids, T5's RMSNorm, attention).
from build_test_packs import NEG, RMSNorm, attend, merge_heads, sinusoids, split_heads  # noqa: E402

CTRL = 15  # control vector v1 (protocol/controlVector.ts)
TEMPO = 13  # index of `tempo` (BPM 60..180); every other control is within [-1, 1]


class TextEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["text_d"]
        self.heads = cfg["text_heads"]
        self.embed = nn.Embedding(cfg["text_vocab"], d)
        self.layers = nn.ModuleList()
        for _ in range(cfg["text_layers"]):
            self.layers.append(nn.ModuleDict(dict(
                ln1=RMSNorm(d), q=nn.Linear(d, d, bias=False), k=nn.Linear(d, d, bias=False),
                v=nn.Linear(d, d, bias=False), o=nn.Linear(d, d, bias=False),
                ln2=RMSNorm(d), fc1=nn.Linear(d, cfg["text_ffn"], bias=False), fc2=nn.Linear(cfg["text_ffn"], d, bias=False))))
        self.final = RMSNorm(d)
        self.d = d

    def forward(self, input_ids, attention_mask):
        x = self.embed(input_ids) + sinusoids(torch.arange(input_ids.shape[1], device=input_ids.device), self.d)[None]
        bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * NEG
        for l in self.layers:
            h = l["ln1"](x)
            a = attend(split_heads(l["q"](h), self.heads), split_heads(l["k"](h), self.heads), split_heads(l["v"](h), self.heads), bias)
            x = x + l["o"](merge_heads(a))
            x = x + l["fc2"](F.relu(l["fc1"](l["ln2"](x))))
        return self.final(x)


class DecoderLayer(nn.Module):
    def __init__(self, cfg, adaptor):
        super().__init__()
        d, ffn = cfg["d"], cfg["ffn"]
        self.heads = cfg["heads"]
        self.ln1 = nn.LayerNorm(d)
        self.q, self.k, self.v, self.o = (nn.Linear(d, d, bias=False) for _ in range(4))
        self.ln2 = nn.LayerNorm(d)
        self.cq, self.ck, self.cv, self.co = (nn.Linear(d, d, bias=False) for _ in range(4))
        self.ln3 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, ffn)
        self.fc2 = nn.Linear(ffn, d)
        self.adaptor = adaptor
        if adaptor:
            ch = cfg["ctrl_hidden"]
            self.lag = nn.Parameter(torch.randn(cfg["window"], ch) * 0.02)
            self.ctrl_q = nn.Linear(ch, d, bias=False)
            self.ctrl_k = nn.Linear(ch, d, bias=False)
            self.ctrl_v = nn.Linear(ch, d, bias=False)
            self.gate = nn.Parameter(torch.zeros(self.heads))

    def control_attention(self, music_q, h_ctrl):
        """Streaming / export form. music_q [B, s, d]; h_ctrl [B, s, W, ch], each position's own
        window -> [B, H, s, Dh]. Broadcasts and sums (not batched 1 x W matmuls): plain in ONNX."""
        b, s, w, _ = h_ctrl.shape
        heads = self.heads
        dh = music_q.shape[-1] // heads
        q = (music_q + self.ctrl_q(h_ctrl[:, :, w - 1])).reshape(b, s, 1, heads, dh)
        kv_in = h_ctrl + self.lag
        k = self.ctrl_k(kv_in).reshape(b, s, w, heads, dh)
        v = self.ctrl_v(kv_in).reshape(b, s, w, heads, dh)
        probs = torch.softmax((q * k).sum(-1) / math.sqrt(dh), dim=2)  # [B, s, W, H]
        out = (probs.unsqueeze(-1) * v).sum(2)  # [B, s, H, Dh]
        return (out * self.gate[:, None]).transpose(1, 2)

    def control_attention_banded(self, music_q, h_frames, band):
        """Training form, the same function: h_frames [B, F, ch] are the control frames once each
        (F = positions + W - 1) and position s attends to frames s .. s + W - 1 (band [P, W]).
        Keys and values are projected once per frame (ctrl_k(h + lag) = ctrl_k(h) + ctrl_k(lag)),
        scores come from one matmul and a gather: ~20x faster than the window form on a CPU."""
        b, p, d = music_q.shape
        w = self.lag.shape[0]
        heads = self.heads
        dh = d // heads
        q = split_heads(music_q + self.ctrl_q(h_frames[:, w - 1:w - 1 + p]), heads)  # [B, H, P, Dh]
        kf = split_heads(self.ctrl_k(h_frames), heads)  # [B, H, F, Dh]
        vf = split_heads(self.ctrl_v(h_frames), heads)
        lag_k = self.ctrl_k(self.lag).reshape(w, heads, dh).permute(1, 2, 0)  # [H, Dh, W]
        lag_v = self.ctrl_v(self.lag).reshape(w, heads, dh).transpose(0, 1)  # [H, W, Dh]
        full = torch.matmul(q, kf.transpose(-1, -2))  # [B, H, P, F]
        idx = band.expand(b, heads, p, w)
        probs = torch.softmax((full.gather(-1, idx) + torch.matmul(q, lag_k)) / math.sqrt(dh), dim=-1)  # [B, H, P, W]
        spread = torch.zeros(full.shape, dtype=probs.dtype, device=full.device).scatter(-1, idx, probs)
        out = torch.matmul(spread, vf.to(spread.dtype)) + torch.matmul(probs, lag_v.to(probs.dtype))
        return out * self.gate[None, :, None, None]

    def forward(self, x, self_bias, past_k, past_v, enc_k, enc_v, enc_bias, ctrl):
        """ctrl: None, ("window", h_ctrl) or ("band", h_frames, band)."""
        h = self.ln1(x)
        q = self.q(h)
        k = split_heads(self.k(h), self.heads)
        v = split_heads(self.v(h), self.heads)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        a = attend(split_heads(q, self.heads), k, v, self_bias)
        if self.adaptor:
            a = a + (self.control_attention(q, ctrl[1]) if ctrl[0] == "window" else self.control_attention_banded(q, ctrl[1], ctrl[2]))
        x = x + self.o(merge_heads(a))
        h = self.ln2(x)
        x = x + self.co(merge_heads(attend(split_heads(self.cq(h), self.heads), enc_k, enc_v, enc_bias)))
        x = x + self.fc2(F.gelu(self.fc1(self.ln3(x))))
        return x, k, v


    def forward_newkv(self, x, past_bias, new_bias, past_k, past_v, enc_k, enc_v, enc_bias, ctrl):
        """Cached step over an engine-held cache of any capacity (kvOutputs "new"): attends to the
        past and the new K/V in two parts, without concatenating the past; returns only the new K/V."""
        h = self.ln1(x)
        q = self.q(h)
        qh = split_heads(q, self.heads)
        k = split_heads(self.k(h), self.heads)
        v = split_heads(self.v(h), self.heads)
        scale = math.sqrt(qh.shape[-1])
        s_past = torch.matmul(qh, past_k.transpose(-1, -2)) / scale + past_bias
        s_new = torch.matmul(qh, k.transpose(-1, -2)) / scale + new_bias
        probs = torch.softmax(torch.cat([s_past, s_new], dim=-1), dim=-1)
        cap = past_k.shape[2]
        a = torch.matmul(probs[..., :cap], past_v) + torch.matmul(probs[..., cap:], v)
        if self.adaptor:
            a = a + self.control_attention(q, ctrl[1])
        x = x + self.o(merge_heads(a))
        h = self.ln2(x)
        x = x + self.co(merge_heads(attend(split_heads(self.cq(h), self.heads), enc_k, enc_v, enc_bias)))
        x = x + self.fc2(F.gelu(self.fc1(self.ln3(x))))
        return x, k, v


class Decoder(nn.Module):
    def __init__(self, cfg, adaptor):
        super().__init__()
        d = cfg["d"]
        self.cfg = cfg
        self.K = cfg["streams"]
        self.vocab = cfg["vocab"]
        self.heads = cfg["heads"]
        self.embed = nn.ModuleList(nn.Embedding(self.vocab + 1, d) for _ in range(self.K))
        self.enc_proj = nn.Linear(cfg["text_d"], d)
        self.layers = nn.ModuleList(DecoderLayer(cfg, adaptor) for _ in range(cfg["layers"]))
        self.final = nn.LayerNorm(d)
        self.heads_out = nn.ModuleList(nn.Linear(d, self.vocab, bias=False) for _ in range(self.K))
        self.adaptor = adaptor
        if adaptor:
            center = torch.zeros(CTRL)
            scale = torch.ones(CTRL)
            center[TEMPO], scale[TEMPO] = 120.0, 60.0
            self.register_buffer("ctrl_center", center)
            self.register_buffer("ctrl_scale", scale)
            self.ctrl_proj = nn.Linear(CTRL, cfg["ctrl_hidden"])

    def adaptor_parameters(self):
        names = ("ctrl_proj", "lag", "ctrl_q", "ctrl_k", "ctrl_v", "gate")
        return [p for n, p in self.named_parameters() if any(part in names for part in n.split("."))]

    def cross_kv(self, enc_hidden):
        e = self.enc_proj(enc_hidden)
        return [(split_heads(l.ck(e), self.heads), split_heads(l.cv(e), self.heads)) for l in self.layers]

    def control_hidden(self, control):
        """control [..., 15] -> [..., ctrl_hidden]."""
        return self.ctrl_proj((control - self.ctrl_center) / self.ctrl_scale)

    def run(self, input_ids, enc_mask, past, enc_kv, control, frames=None):
        """control: [T, s, W * 15], each position's window (streaming, export); or for training
        frames [T, s + W - 1, 15], the same windows as one strip of frames (banded form)."""
        t = enc_mask.shape[0]
        s = input_ids.shape[1]
        ids = input_ids.reshape(t, self.K, s)
        x = self.embed[0](ids[:, 0])
        for k in range(1, self.K):
            x = x + self.embed[k](ids[:, k])
        past_len = past[0][0].shape[2] if past is not None else 0
        q_pos = torch.arange(s, device=x.device) + past_len
        x = x + sinusoids(q_pos, x.shape[-1])[None]
        k_pos = torch.arange(s + past_len, device=x.device)
        self_bias = (k_pos[None, :] > q_pos[:, None]).to(torch.float32) * NEG
        enc_bias = (1.0 - enc_mask[:, None, None, :].to(torch.float32)) * NEG
        ctrl = None
        if self.adaptor and frames is not None:
            w = self.cfg["window"]
            band = (torch.arange(s, device=x.device)[:, None] + torch.arange(w, device=x.device)[None, :])[None, None]
            ctrl = ("band", self.control_hidden(frames), band)
        elif self.adaptor:
            ctrl = ("window", self.control_hidden(control.reshape(t, s, self.cfg["window"], CTRL)))
        presents = []
        for i, l in enumerate(self.layers):
            pk, pv = past[i] if past is not None else (None, None)
            x, k, v = l(x, self_bias, pk, pv, enc_kv[i][0], enc_kv[i][1], enc_bias, ctrl)
            presents.append((k, v))
        x = self.final(x)
        logits = torch.stack([h(x) for h in self.heads_out], dim=1)  # [T, K, s, V]
        return logits.reshape(t * self.K, s, self.vocab), presents

    def run_newkv(self, input_ids, enc_mask, past_length, past, enc_kv, control):
        """Cached pass over a past of any capacity whose first `past_length` positions are valid."""
        t = enc_mask.shape[0]
        s = input_ids.shape[1]
        ids = input_ids.reshape(t, self.K, s)
        x = self.embed[0](ids[:, 0])
        for k in range(1, self.K):
            x = x + self.embed[k](ids[:, k])
        past_len = past_length[0]
        x = x + sinusoids(torch.arange(s, device=x.device) + past_len, x.shape[-1])[None]
        cap = past[0][0].shape[2]
        past_bias = (torch.arange(cap, device=x.device) >= past_len).to(torch.float32) * NEG
        n = torch.arange(s, device=x.device)
        new_bias = (n[None, :] > n[:, None]).to(torch.float32) * NEG
        enc_bias = (1.0 - enc_mask[:, None, None, :].to(torch.float32)) * NEG
        ctrl = ("window", self.control_hidden(control.reshape(t, s, self.cfg["window"], CTRL))) if self.adaptor else None
        presents = []
        for i, l in enumerate(self.layers):
            x, k, v = l.forward_newkv(x, past_bias, new_bias, past[i][0], past[i][1], enc_kv[i][0], enc_kv[i][1], enc_bias, ctrl)
            presents.append((k, v))
        x = self.final(x)
        logits = torch.stack([h(x) for h in self.heads_out], dim=1)
        return logits.reshape(t * self.K, s, self.vocab), presents

    def forward(self, tokens_in, enc_hidden, enc_mask, frames):
        """Training: tokens_in [B, K, S] (delayed, start column first), control frames [B, S + W - 1, 15]
        -> logits [B, K, S, V]."""
        b, _, s = tokens_in.shape
        logits, _ = self.run(tokens_in.reshape(b * self.K, s), enc_mask, None, self.cross_kv(enc_hidden), None, frames)
        return logits.reshape(b, self.K, s, self.vocab)
