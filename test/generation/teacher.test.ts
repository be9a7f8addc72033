import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readPrompt } from '../../server/generation/symbolic/prompt.js';
import { Rng } from '../../server/generation/rng.js';
import { STYLE_NAMES, type StyleName } from '../../server/generation/symbolic/styleNames.js';
import { STYLE_PRESETS, checkStylePreset } from '../../server/generation/symbolic/stylePresets.js';
import type { ComposedStep, ComposerControls } from '../../server/generation/symbolic/stepSource.js';
import { TeacherComposer } from '../../server/generation/symbolic/teacher.js';
import { chordName, inScale, isChordInKey, SCALE_STEPS, pc } from '../../server/generation/symbolic/theory.js';
import { decodeStep, isValidToken } from '../../server/generation/symbolic/tokens.js';
import { composerControls, mean } from './helpers.js';

function compose(style: StyleName, seed: number, bars: number, controlsAt: (step: number) => ComposerControls, prompt: string = style): ComposedStep[] {
  const composer = new TeacherComposer({ seed, prompt: readPrompt(prompt) });
  const out: ComposedStep[] = [];
  for (let s = 0; s < bars * 16; s++) out.push(composer.next(controlsAt(s)));
  return out;
}

/** A wandering performer: every control drifts, valence swings hard enough to flip the mode. */
function wandering(seed: number): (step: number) => ComposerControls {
  const rng = new Rng(seed);
  let c = composerControls();
  return (step) => {
    if (step % 8 === 0) {
      c = {
        valence: Math.sin(step / 50 + seed) * 1.1,
        energy: Math.min(1, Math.max(0, c.energy + (rng.next() - 0.5) * 0.4)),
        handHeight: Math.min(1, Math.max(0, c.handHeight + (rng.next() - 0.5) * 0.5)),
        armOpenness: rng.next(),
        presence: step % 400 < 40 ? 0.1 : 1,
        beatStrength: rng.next() < 0.3 ? 0.9 : 0,
      };
    }
    return c;
  };
}

test('style templates are well formed', () => {
  for (const style of STYLE_NAMES) checkStylePreset(STYLE_PRESETS[style]);
});

test('tokens are always in their stream ranges and decode to what was composed', () => {
  for (const style of STYLE_NAMES) {
    for (const step of compose(style, 11, 24, wandering(3))) {
      step.tokens.forEach((id, s) => assert.ok(isValidToken(s, id), `${style}: stream ${s} token ${id}`));
      assert.deepEqual(decodeStep(step.tokens), step.event);
    }
  }
});

test('notes in key: bass and lead pitches in the scale, chords diatonic or listed borrowed ones', () => {
  let modeChanges = 0;
  let onsets = 0;
  for (const style of STYLE_NAMES) {
    for (const seed of [1, 2, 3]) {
      let lastMode = '';
      for (const s of compose(style, seed, 40, wandering(seed * 7))) {
        if (lastMode !== '' && s.mode !== lastMode) {
          modeChanges++;
          assert.equal(s.stepInBar, 0, 'mode changes only at a bar start');
        }
        lastMode = s.mode;
        const where = `${style} seed ${seed} bar ${s.bar}.${s.stepInBar} key ${s.keyRoot} ${s.mode}`;
        for (const ev of [s.event.bass, s.event.lead]) {
          if (ev.type !== 'note') continue;
          onsets++;
          assert.ok(inScale(ev.pitch, s.keyRoot, s.mode), `${where}: pitch ${ev.pitch} not in scale`);
        }
        const h = s.event.harmony;
        if (h.type === 'chord') {
          assert.ok(isChordInKey(h, s.keyRoot, s.mode), `${where}: chord ${chordName(h)} not in key`);
          assert.deepEqual({ root: h.root, quality: h.quality }, s.chord);
        }
      }
    }
  }
  assert.ok(modeChanges > 10, `the wandering performer flips the mode (${modeChanges} times)`);
  assert.ok(onsets > 1000);
});

test('the tonic and chord roots sit on scale degrees; a V7 in minor is allowed, a bVII in major is not', () => {
  assert.ok(isChordInKey({ root: 7, quality: '7' }, 0, 'minor'));
  assert.ok(isChordInKey({ root: 5, quality: 'min' }, 0, 'major'));
  assert.ok(!isChordInKey({ root: 10, quality: 'maj' }, 0, 'major'));
  assert.ok(!isChordInKey({ root: 1, quality: 'maj' }, 0, 'minor'));
  assert.deepEqual(SCALE_STEPS.minor.map((x) => pc(x + 9)), [9, 11, 0, 2, 4, 5, 7]);
});

test('valence picks the mode: +1 major, -1 minor, with hysteresis at small values', () => {
  for (const style of STYLE_NAMES) {
    const happy = compose(style, 5, 8, () => composerControls({ valence: 1 }));
    assert.ok(happy.every((s) => s.mode === 'major'), `${style} smiling`);
    const sad = compose(style, 5, 8, () => composerControls({ valence: -1 }));
    assert.ok(sad.every((s) => s.mode === 'minor'), `${style} frowning`);
    // From a smile to a frown: minor from a bar start soon after, then it stays.
    const flip = compose(style, 5, 12, (step) => composerControls({ valence: step < 64 ? 1 : -1 }));
    const firstMinor = flip.findIndex((s) => s.mode === 'minor');
    assert.ok(firstMinor >= 64 && firstMinor <= 64 + 32 && firstMinor % 16 === 0, `${style}: minor from step ${firstMinor}`);
    assert.ok(flip.slice(firstMinor).every((s) => s.mode === 'minor'));
    // A faint wobble around neutral does not flip it every bar.
    const wobble = compose(style, 5, 16, (step) => composerControls({ valence: step % 32 < 16 ? 0.15 : -0.15 }));
    assert.equal(new Set(wobble.map((s) => s.mode)).size, 1, `${style}: no flips for +-0.15`);
  }
});

function onsetsPerBar(steps: ComposedStep[]): number {
  let n = 0;
  for (const s of steps) {
    for (let b = 0; b < 6; b++) if ((s.event.drums >> b) & 1) n++;
    if (s.event.bass.type === 'note') n++;
    if (s.event.lead.type === 'note') n++;
    if (s.event.harmony.type === 'chord') n++;
  }
  return (n * 16) / steps.length;
}

test('energy raises onset density (drums, bass, comp, lead) in every style', () => {
  for (const style of STYLE_NAMES) {
    const still = onsetsPerBar(compose(style, 9, 16, () => composerControls({ energy: 0.05 })));
    const dancing = onsetsPerBar(compose(style, 9, 16, () => composerControls({ energy: 0.95 })));
    assert.ok(dancing > 1.8 * still, `${style}: ${still.toFixed(1)} -> ${dancing.toFixed(1)} onsets per bar`);
  }
});

test('energy raises the lead\'s note density', () => {
  const leadNotes = (style: StyleName, energy: number): number =>
    compose(style, 9, 16, () => composerControls({ energy })).filter((s) => s.event.lead.type === 'note').length;
  for (const style of STYLE_NAMES) {
    const still = leadNotes(style, 0.05);
    const dancing = leadNotes(style, 0.95);
    assert.ok(dancing > 1.15 * still, `${style}: ${still} -> ${dancing} lead notes in 16 bars`);
  }
});

test('hand height moves the lead register: hands up, higher melody', () => {
  for (const style of STYLE_NAMES) {
    const leadPitches = (hand: number): number[] =>
      compose(style, 4, 16, () => composerControls({ handHeight: hand, energy: 0.6 }))
        .map((s) => (s.event.lead.type === 'note' ? s.event.lead.pitch : -1))
        .filter((p) => p >= 0);
    const low = mean(leadPitches(0));
    const high = mean(leadPitches(1));
    assert.ok(high - low > 12, `${style}: mean lead pitch ${low.toFixed(1)} -> ${high.toFixed(1)}`);
  }
});

test('presence 0 leaves only held pads; presence 1 plays everything', () => {
  for (const style of STYLE_NAMES) {
    const absent = compose(style, 2, 8, () => composerControls({ presence: 0, energy: 0.9 }));
    assert.ok(absent.every((s) => s.event.drums === 0 && s.event.bass.type === 'rest' && s.event.lead.type === 'rest'), style);
    const present = compose(style, 2, 8, () => composerControls({ presence: 1, energy: 0.9 }));
    assert.ok(present.some((s) => s.event.drums !== 0) && present.some((s) => s.event.lead.type === 'note'), style);
  }
});

test('a strong motion beat accents every quarter note', () => {
  for (const style of STYLE_NAMES) {
    const accent = STYLE_PRESETS[style].beatAccent;
    const steps = compose(style, 6, 8, () => composerControls({ beatStrength: 0.9, energy: 0.3 }));
    assert.ok(steps.filter((s) => s.stepInBar % 4 === 0).every((s) => (s.event.drums & accent) !== 0), style);
  }
});

test('form: verse and chorus sections alternate per phrase, fills only in a phrase\'s last bar', () => {
  const steps = compose('pop', 8, 32, () => composerControls({ energy: 0.8 }));
  const sections = [0, 8, 16, 24].map((bar) => steps[bar * 16]!.section);
  assert.deepEqual(sections, ['verse', 'chorus', 'verse', 'chorus']);
  assert.ok(steps.some((s) => s.fill));
  for (const s of steps) if (s.fill) assert.equal(s.bar % 8, 7);
});

test('a new prompt changes style at the next bar, keeping the key', () => {
  const composer = new TeacherComposer({ seed: 3, prompt: readPrompt('house') });
  const steps: ComposedStep[] = [];
  for (let s = 0; s < 40; s++) {
    if (s === 21) composer.setPrompt(readPrompt('calm ambient'));
    steps.push(composer.next(composerControls()));
  }
  assert.ok(steps.slice(0, 32).every((s) => s.style === 'house'));
  assert.ok(steps.slice(32).every((s) => s.style === 'ambient'));
  assert.equal(new Set(steps.map((s) => s.keyRoot)).size, 1);
});

test('same seed, same tokens; another seed, other tokens', () => {
  const a = compose('funk', 42, 8, wandering(1)).map((s) => s.tokens.join(','));
  const b = compose('funk', 42, 8, wandering(1)).map((s) => s.tokens.join(','));
  const c = compose('funk', 43, 8, wandering(1)).map((s) => s.tokens.join(','));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});
