"""Renders the performer corpus's fake-camera clips from one still photo (developer tool, run by
scripts/performers/makeCorpus.ts; needs Debian's python3-skimage, which ships the photo).

The photo: skimage's astronaut.png (NASA portrait of Eileen Collins, public domain). It is never
committed; the clips are rendered to a temporary folder and only the tracked landmarks are kept.

Each clip is a .y4m (320x240, 30 fps, 4:2:0, what Chromium's fake camera and WebCodecs read) and a
.json with its ground truth: tempo, the times of each beat and gesture, and what moved. Motions:
  nod      the head region pitches down on each beat (a smooth warp around the nose: the nose
           moves down against the forehead and chin, as in a real nod), body still
  bob      the whole upper body moves down on each beat
  swaybob  a bob on each beat and a sideways sway over two beats
  still    nothing moves: only sensor noise (what remains is the detectors' own jitter)
  talker   the jaw opens and closes at syllable pace and the head drifts, with no beat
  walk     the person walks in from the right, stands, and walks out to the left
Usage: render_clips.py OUT_DIR [--seconds 8] [--seed 1]
"""
import argparse
import json
import os

import numpy as np
from scipy.ndimage import gaussian_filter1d, map_coordinates
from skimage import data

FPS = 30
W, H = 320, 240
# The camera sees this much of the photo (source pixels, 4:3) from its top-left corner.
VIEW_W, VIEW_H = 512, 384
SCALE = VIEW_W / W
# Landmarks of the photo (source pixels): nose tip and mouth, for the head and jaw warps.
NOSE = (226.0, 118.0)
MOUTH = (226.0, 160.0)
BACKGROUND = np.array([107, 122, 138], dtype=np.float32)  # the empty wall beyond the photo
# The photo sits in a wider canvas so the person can walk out of view.
PAD_X = 420


def beat_envelope(t, bpm, first_beat):
    """1 at each beat, falling smoothly to 0 half a beat later: the shape of a nod or a bob."""
    phase = ((t - first_beat) * bpm / 60.0) % 1.0
    return (0.5 + 0.5 * np.cos(2 * np.pi * phase)) ** 2


def smooth_noise(rng, n, sigma_frames):
    x = gaussian_filter1d(rng.standard_normal(n), sigma_frames, mode="wrap")
    return x / (np.abs(x).max() + 1e-9)


def to_y4m_frame(rgb):
    r, g, b = [rgb[..., i].astype(np.float32) for i in range(3)]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = (-0.168736 * r - 0.331264 * g + 0.5 * b + 128).reshape(H // 2, 2, W // 2, 2).mean(axis=(1, 3))
    v = (0.5 * r - 0.418688 * g - 0.081312 * b + 128).reshape(H // 2, 2, W // 2, 2).mean(axis=(1, 3))
    return b"FRAME\n" + b"".join(np.clip(np.rint(p), 0, 255).astype(np.uint8).tobytes() for p in (y, u, v))


class Renderer:
    def __init__(self, photo):
        h, w, _ = photo.shape
        self.canvas = np.empty((h, w + 2 * PAD_X, 3), dtype=np.float32)
        self.canvas[:] = BACKGROUND
        self.canvas[:, PAD_X : PAD_X + w] = photo.astype(np.float32)
        gy, gx = np.mgrid[0:H, 0:W].astype(np.float32)
        self.gx, self.gy = gx * SCALE, gy * SCALE  # output pixel -> photo pixel (before motion)

    def frame(self, dx=0.0, dy=0.0, head_down=0.0, jaw_open=0.0, noise=None):
        """The camera frame with the person moved by (dx, dy) photo pixels, the head pitched down
        by `head_down` pixels at the nose and the jaw opened by `jaw_open` pixels."""
        sx = self.gx - dx
        sy = self.gy - dy
        if head_down:
            w = np.exp(-(((sx - NOSE[0]) / 60.0) ** 2 + ((sy - NOSE[1]) / 62.0) ** 2))
            sy = sy - head_down * w
        if jaw_open:
            below = np.clip((sy - (MOUTH[1] - 6)) / 10.0, 0, 1)  # only the lip and jaw move
            w = np.exp(-(((sx - MOUTH[0]) / 34.0) ** 2 + ((sy - (MOUTH[1] + 14)) / 26.0) ** 2)) * below
            sy = sy - jaw_open * w
        coords = [sy, sx + PAD_X]
        out = np.stack([map_coordinates(self.canvas[..., c], coords, order=1, mode="nearest") for c in range(3)], axis=-1)
        if noise is not None:
            out = out + noise
        return np.clip(out, 0, 255)


def motions(kind, n, rng):
    """Per-frame motion parameters and the clip's ground truth."""
    t = np.arange(n) / FPS
    zero = np.zeros(n)
    if kind in ("nod", "bob", "swaybob"):
        bpm = {"nod": 108.0, "bob": 120.0, "swaybob": 95.0}[kind]  # none at 100, the tempo control's value before a lock
        first = 0.25
        env = beat_envelope(t, bpm, first)
        beats = [first + k * 60.0 / bpm for k in range(int((t[-1] - first) * bpm / 60.0) + 1)]
        truth = {"periodic": True, "tempoBpm": bpm, "firstBeatMs": first * 1000, "beatTimesMs": [b * 1000 for b in beats],
                 "gestureTimesMs": [b * 1000 for b in beats]}
        if kind == "nod":
            truth["gesture"] = "head pitches down on each beat (nose 12 px of 512 down against forehead and chin)"
            return dict(dx=zero, dy=zero, head_down=12.0 * env, jaw_open=zero), truth
        sway = 18.0 * np.sin(np.pi * (t - first) * bpm / 60.0) if kind == "swaybob" else zero
        truth["gesture"] = "upper body moves down 14 px of 384 on each beat" + (", sways 18 px sideways over two beats" if kind == "swaybob" else "")
        return dict(dx=sway, dy=14.0 * env, head_down=zero, jaw_open=zero), truth
    if kind == "still":
        return dict(dx=zero, dy=zero, head_down=zero, jaw_open=zero), {"periodic": False, "gesture": "none: a still person, sensor noise only", "gestureTimesMs": []}
    if kind == "talker":
        # Syllables at irregular intervals (120-380 ms), jaw open 6-12 px; the head drifts slowly.
        jaw = np.zeros(n)
        onsets = []
        s = 0.3
        while s < t[-1]:
            onsets.append(s)
            i0, i1 = int(s * FPS), min(n, int((s + 0.16) * FPS) + 1)
            jaw[i0:i1] = np.maximum(jaw[i0:i1], rng.uniform(6, 12) * np.sin(np.linspace(0, np.pi, i1 - i0)))
            s += rng.uniform(0.12, 0.38) + (rng.uniform(0.3, 0.7) if rng.random() < 0.15 else 0)  # and pauses between phrases
        return (dict(dx=6.0 * smooth_noise(rng, n, 20), dy=4.0 * smooth_noise(rng, n, 16), head_down=5.0 * smooth_noise(rng, n, 12), jaw_open=jaw),
                {"periodic": False, "gesture": "talking: jaw opens at irregular syllables, head drifts without a beat", "gestureTimesMs": [o * 1000 for o in onsets]})
    if kind == "walk":
        # Off-screen right, walks in (1.5-3.5 s), stands, walks out left (5-7 s), gone. Steps bob 3 px.
        off = VIEW_W + 140.0
        key_t = [0.0, 1.5, 3.5, 5.0, 7.0, t[-1] + 1]
        key_x = [off, off, 0.0, 0.0, -off, -off]
        dx = np.interp(t, key_t, key_x)
        walking = ((t > 1.5) & (t < 3.5)) | ((t > 5.0) & (t < 7.0))
        step = 3.0 * np.abs(np.sin(np.pi * t * 1.8)) * walking
        return (dict(dx=dx, dy=step, head_down=zero, jaw_open=zero),
                {"periodic": False, "gesture": "walks in from the right 1.5-3.5 s, stands, walks out to the left 5-7 s (steps at 108/min bob 3 px)",
                 "gestureTimesMs": [1500, 3500, 5000, 7000]})
    raise ValueError(kind)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--clips", default="nod,bob,swaybob,still,talker,walk")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    renderer = Renderer(data.astronaut())
    n = int(round(a.seconds * FPS))
    for i, kind in enumerate(a.clips.split(",")):
        rng = np.random.default_rng(a.seed * 1000 + i)
        m, truth = motions(kind, n, rng)
        with open(os.path.join(a.out, f"{kind}.y4m"), "wb") as f:
            f.write(f"YUV4MPEG2 W{W} H{H} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
            for k in range(n):
                noise = rng.normal(0, 2.0, (H, W, 1)).astype(np.float32)  # sensor noise: every frame differs
                f.write(to_y4m_frame(renderer.frame(m["dx"][k], m["dy"][k], m["head_down"][k], m["jaw_open"][k], noise)))
        truth.update({"clip": kind, "seconds": n / FPS, "sourceFps": FPS, "width": W, "height": H,
                      "photo": "skimage astronaut.png (NASA portrait of Eileen Collins, public domain)"})
        with open(os.path.join(a.out, f"{kind}.json"), "w") as f:
            json.dump(truth, f, indent=1)
        print(f"rendered {kind}: {n} frames", flush=True)


if __name__ == "__main__":
    main()
