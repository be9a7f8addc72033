/**
 * Server configuration: every limit is a named option with a documented default.
 * `npm start` reads flags and environment variables (flags win); tests call createServer()
 * with a partial config.
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { instrumentsSchema } from '../protocol/messages.js';
import { defaultPack } from './generation/index.js';
import { LEAD_DEFAULTS } from './session/leadController.js';

const isPort = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 65535;

const ConfigSchema = z
  .object({
    /** Interface to listen on. Loopback by default: a performer's laptop or a kiosk serves itself. */
    host: z.string().min(1).default('127.0.0.1'),
    /** TCP port; 0 picks a free one (tests). */
    port: z.number().int().min(0).max(65535).default(8080),
    /** Pack used when a client's hello names none; by default the shipped neural pack (teacher where it is missing). */
    pack: z.string().regex(/^[a-z0-9._-]{1,64}$/).optional(),
    /**
     * Who plays symbolic packs' notes when a client's hello does not say: "soundfont" (sampled
     * General MIDI instruments) or "synth" (the built-in synthesiser). Unset: each pack's manifest
     * decides (`codec.instruments`), else the built-in synthesiser.
     */
    instruments: instrumentsSchema.optional(),
    /** Sessions beyond this are refused (close 1013) so running sessions never degrade. */
    maxSessions: z.number().int().min(1).max(1000).default(8),
    /** Generation worker threads (a pool sized to the cores). */
    workers: z.number().int().min(1).max(64).default(Math.max(1, availableParallelism())),
    /**
     * Lead margin (ms): generation of a chunk starts this long, plus the listener's output latency
     * and the recent p95 generation time, before its first sample is heard. Grows after underruns.
     */
    leadMs: z.number().min(5).max(2000).default(LEAD_DEFAULTS.marginMs),
    /**
     * Fit the lead's margin to each listener: from the arrival slack its playback reports give
     * (protocol 2), the margin becomes what its chunks took of it lately plus a reserve
     * (leadController.ts); `leadMs` until then, and for clients that do not report it. Off: `leadMs` always.
     */
    leadFit: z.boolean().default(LEAD_DEFAULTS.fitMargin),
    /** Upper bound for the adaptive lead (ms). */
    maxLeadMs: z.number().min(10).max(5000).default(LEAD_DEFAULTS.maxLeadMs),
    /**
     * The lead also covers the slowest render lately, held and sinking 0.25 ms/s, counted up to
     * this much (ms); 0 = off. A stall that recurs every minute or two on a shared machine is then
     * covered the next time, for several ms of latency on a quiet machine (1 session, 20 s: p95 +8).
     */
    leadHoldMs: z.number().min(0).max(1000).default(LEAD_DEFAULTS.peakCapMs),
    /** Audio chunk size in sample frames (1024 at 48 kHz = 21.3 ms). */
    chunkFrames: z.number().int().min(128).max(48000).default(1024),
    /**
     * Beat prediction: lock the generator's grid to the performer's motion beat, extrapolated by
     * the pipeline latency, so onsets are heard on their beats. Off: the grid runs free.
     */
    beatPrediction: z.boolean().default(true),
    /**
     * Batch the decoder steps of a worker's sessions (packs whose decoder takes one past length
     * per row, such as the default pack: server/generation/lm/stepBatcher.ts). Off: every step
     * runs alone (for comparison).
     */
    decoderBatching: z.boolean().default(true),
    /** Control step for resampling controls onto the generator's clock (ms). */
    controlStepMs: z.number().min(5).max(200).default(20),
    /** Origins allowed besides the server's own (same-origin is always allowed). '*' allows any. */
    allowedOrigins: z.array(z.string().min(1).max(500)).max(100).default([]),
    /**
     * Host names (the Host header, without port) this server answers to; anything else gets 403,
     * so a DNS-rebinding page cannot reach it. Default: the loopback names, the bind address and,
     * when bound to every interface, this machine's addresses and host name. '*' allows any.
     */
    allowedHosts: z.array(z.string().min(1).max(253)).max(100).optional(),
    /**
     * Behind a reverse proxy (nginx) on loopback: take the client address from the last
     * X-Forwarded-For entry, but only for connections from a loopback address.
     */
    trustProxy: z.boolean().default(false),
    /**
     * With trustProxy: addresses of proxies on other machines (nginx in front of several hosts)
     * whose X-Forwarded-For is trusted as well; loopback is always trusted.
     */
    trustedProxies: z.array(z.string().regex(/^[0-9a-fA-F:.]{2,64}$/, 'must be an IP address')).max(100).default([]),
    /**
     * A full server (maxSessions, or maxSessionsPerAddress for that address): 'close' accepts the
     * WebSocket and closes it with 1013 and a reason the browser can read; '503' refuses the
     * upgrade with HTTP 503, so a proxy in front (nginx's proxy_next_upstream http_503) tries
     * the next process.
     */
    whenFull: z.enum(['close', '503']).default('close'),
    /** Sessions at once from one client address (a venue's NAT may need more). */
    maxSessionsPerAddress: z.number().int().min(1).max(1000).default(4),
    /** A session that sends nothing (no frames, no reports) for this long is closed with 4003 (ms). */
    idleTimeoutMs: z.number().int().min(1000).max(24 * 3600 * 1000).default(60_000),
    /** Longest session (ms); 0 means no limit. Beyond it the session is closed with 4004. */
    maxSessionMs: z.number().int().min(0).max(7 * 24 * 3600 * 1000).default(0),
    /** A chunk the generator has not delivered within this time ends the session with 1011 (ms). */
    renderTimeoutMs: z.number().int().min(100).max(600_000).default(5000),
    /** Where session recordings go when a client asks for one; null (the default) disables recording. */
    recordDir: z.string().min(1).nullable().default(null),
    /** Largest recording per session (bytes on disk); beyond it the recording stops, the music goes on. */
    recordMaxBytes: z.number().int().min(1024 * 1024).max(2 ** 40).default(512 * 1024 * 1024),
    /** Longest recording per session (minutes). */
    recordMaxMinutes: z.number().min(0.1).max(24 * 60).default(30),
    /** Recordings stop (and none start) while the record folder's disk has less free space than this (bytes). */
    recordMinFreeBytes: z.number().int().min(0).max(2 ** 50).default(1024 * 1024 * 1024),
    /** Serve /metrics on this port on 127.0.0.1 as well; on the main port it answers loopback clients only. null: no extra port. */
    metricsPort: z.number().int().min(0).max(65535).nullable().default(null),
    /** A client must send hello within this time (ms) or is closed with 4002. */
    helloTimeoutMs: z.number().int().min(100).max(60000).default(5000),
    /** Largest WebSocket message accepted (bytes); larger closes the connection with 1009. */
    maxPayloadBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(64 * 1024),
    /** New WebSocket connections per second from one address (sustained) ... */
    maxConnectionsPerSecond: z.number().min(0.1).max(10000).default(20),
    /** ... and the burst allowed above it. Beyond both, upgrades get HTTP 429 (a reconnect storm). */
    connectionBurst: z.number().int().min(1).max(100000).default(100),
    /** Per-connection message rate limit (messages per second, sustained) ... */
    maxMessagesPerSecond: z.number().min(1).max(10000).default(120),
    /** ... and the burst allowed above it. Exceeding both closes the connection with 4008. */
    messageBurst: z.number().int().min(1).max(100000).default(240),
    /** Generation pauses while more than this many bytes wait in a session's send buffer. */
    maxBufferedBytes: z.number().int().min(16 * 1024).max(256 * 1024 * 1024).default(1024 * 1024),
    /** A client whose send buffer stays full this long is closed with 4009 (ms). */
    slowConsumerTimeoutMs: z.number().int().min(100).max(600000).default(10000),
    /** Controls snapshots for the UI are sent at most this often (ms). */
    controlsIntervalMs: z.number().int().min(20).max(10000).default(100),
    /** Session stats (latency, RTF, lead) are sent this often (ms). */
    statsIntervalMs: z.number().int().min(100).max(60000).default(1000),
    /** Clock ping interval once synchronised (ms); the first pings go faster. */
    pingIntervalMs: z.number().int().min(100).max(60000).default(2000),
    /**
     * Scene captions (server/scene/README.md): how often each session's scene imaginer decides
     * whether the music changed character (ms); 0 sends no scene messages.
     */
    sceneIntervalMs: z
      .number()
      .int()
      .min(0)
      .max(600000)
      .refine((ms) => ms === 0 || ms >= 250, { message: 'must be 0 (off) or at least 250' })
      .default(4000),
    /** External captioning service (http/https URL) asked for each new scene; null uses only the built-in imaginer. */
    sceneHookUrl: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//i.test(u), { message: 'must be an http or https URL' })
      .nullable()
      .default(null),
    /** The hook must answer completely within this time (ms), or the built-in caption is shown. */
    sceneHookTimeoutMs: z.number().int().min(50).max(60000).default(3000),
    /** Seconds of the session's latest audio sent to the hook. */
    sceneHookSeconds: z.number().min(1).max(30).default(5),
    /** OSC out (UDP `host:port`, server/osc/): controls, notes, beats and scene captions of every session. null: none. */
    oscTarget: z
      .string()
      .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253}):\d{1,5}$/, 'must be host:port')
      .refine((t) => isPort(Number(t.slice(t.lastIndexOf(':') + 1))), { message: 'port must be 1..65535' })
      .nullable()
      .default(null),
    /** How often each session's controls go out over OSC (messages per control per second); 0: none. */
    oscControlsHz: z.number().min(0).max(200).default(30),
    /** pino log level. */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict();

export type ServerConfig = z.infer<typeof ConfigSchema> & { pack: string };
export type ServerConfigInput = z.input<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates a partial config and fills in defaults; throws ConfigError naming the bad option. */
export function resolveConfig(input: ServerConfigInput = {}): ServerConfig {
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  if (parsed.data.leadMs > parsed.data.maxLeadMs) {
    throw new ConfigError(`invalid configuration: leadMs (${parsed.data.leadMs}) exceeds maxLeadMs (${parsed.data.maxLeadMs})`);
  }
  return { ...parsed.data, pack: parsed.data.pack ?? defaultPack() };
}

/** Flag name (--max-sessions), environment variable, config key and how to parse it. */
const OPTIONS: readonly { flag: string; env: string; key: keyof ServerConfig; parse: 'string' | 'number' | 'list' | 'nullable' | 'nullableNumber' | 'boolean' }[] = [
  { flag: 'host', env: 'HOST', key: 'host', parse: 'string' },
  { flag: 'port', env: 'PORT', key: 'port', parse: 'number' },
  { flag: 'pack', env: 'EXPOTION_PACK', key: 'pack', parse: 'string' },
  { flag: 'instruments', env: 'EXPOTION_INSTRUMENTS', key: 'instruments', parse: 'string' },
  { flag: 'max-sessions', env: 'EXPOTION_MAX_SESSIONS', key: 'maxSessions', parse: 'number' },
  { flag: 'workers', env: 'EXPOTION_WORKERS', key: 'workers', parse: 'number' },
  { flag: 'lead-ms', env: 'EXPOTION_LEAD_MS', key: 'leadMs', parse: 'number' },
  { flag: 'lead-fit', env: 'EXPOTION_LEAD_FIT', key: 'leadFit', parse: 'boolean' },
  { flag: 'max-lead-ms', env: 'EXPOTION_MAX_LEAD_MS', key: 'maxLeadMs', parse: 'number' },
  { flag: 'lead-hold-ms', env: 'EXPOTION_LEAD_HOLD_MS', key: 'leadHoldMs', parse: 'number' },
  { flag: 'chunk-frames', env: 'EXPOTION_CHUNK_FRAMES', key: 'chunkFrames', parse: 'number' },
  { flag: 'beat-prediction', env: 'EXPOTION_BEAT_PREDICTION', key: 'beatPrediction', parse: 'boolean' },
  { flag: 'decoder-batching', env: 'EXPOTION_DECODER_BATCHING', key: 'decoderBatching', parse: 'boolean' },
  { flag: 'allowed-origins', env: 'EXPOTION_ALLOWED_ORIGINS', key: 'allowedOrigins', parse: 'list' },
  { flag: 'allowed-hosts', env: 'EXPOTION_ALLOWED_HOSTS', key: 'allowedHosts', parse: 'list' },
  { flag: 'trust-proxy', env: 'EXPOTION_TRUST_PROXY', key: 'trustProxy', parse: 'boolean' },
  { flag: 'trusted-proxies', env: 'EXPOTION_TRUSTED_PROXIES', key: 'trustedProxies', parse: 'list' },
  { flag: 'when-full', env: 'EXPOTION_WHEN_FULL', key: 'whenFull', parse: 'string' },
  { flag: 'max-sessions-per-address', env: 'EXPOTION_MAX_SESSIONS_PER_ADDRESS', key: 'maxSessionsPerAddress', parse: 'number' },
  { flag: 'idle-timeout-ms', env: 'EXPOTION_IDLE_TIMEOUT_MS', key: 'idleTimeoutMs', parse: 'number' },
  { flag: 'max-session-ms', env: 'EXPOTION_MAX_SESSION_MS', key: 'maxSessionMs', parse: 'number' },
  { flag: 'render-timeout-ms', env: 'EXPOTION_RENDER_TIMEOUT_MS', key: 'renderTimeoutMs', parse: 'number' },
  { flag: 'record-dir', env: 'EXPOTION_RECORD_DIR', key: 'recordDir', parse: 'nullable' },
  { flag: 'record-max-bytes', env: 'EXPOTION_RECORD_MAX_BYTES', key: 'recordMaxBytes', parse: 'number' },
  { flag: 'record-max-minutes', env: 'EXPOTION_RECORD_MAX_MINUTES', key: 'recordMaxMinutes', parse: 'number' },
  { flag: 'record-min-free-bytes', env: 'EXPOTION_RECORD_MIN_FREE_BYTES', key: 'recordMinFreeBytes', parse: 'number' },
  { flag: 'metrics-port', env: 'EXPOTION_METRICS_PORT', key: 'metricsPort', parse: 'nullableNumber' },
  { flag: 'scene-interval-ms', env: 'EXPOTION_SCENE_INTERVAL_MS', key: 'sceneIntervalMs', parse: 'number' },
  { flag: 'scene-hook-url', env: 'EXPOTION_SCENE_HOOK_URL', key: 'sceneHookUrl', parse: 'nullable' },
  { flag: 'scene-hook-timeout-ms', env: 'EXPOTION_SCENE_HOOK_TIMEOUT_MS', key: 'sceneHookTimeoutMs', parse: 'number' },
  { flag: 'scene-hook-seconds', env: 'EXPOTION_SCENE_HOOK_SECONDS', key: 'sceneHookSeconds', parse: 'number' },
  { flag: 'osc-target', env: 'EXPOTION_OSC_TARGET', key: 'oscTarget', parse: 'nullable' },
  { flag: 'osc-controls-hz', env: 'EXPOTION_OSC_CONTROLS_HZ', key: 'oscControlsHz', parse: 'number' },
  { flag: 'log-level', env: 'LOG_LEVEL', key: 'logLevel', parse: 'string' },
];

/** Config from command-line flags (`--port 9000` or `--port=9000`) and environment variables. */
export function configFromArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ServerConfig {
  const raw: Record<string, unknown> = {};
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') throw new ConfigError(usage());
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new ConfigError(`unexpected argument ${JSON.stringify(arg)}\n${usage()}`);
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new ConfigError(`--${m[1]} needs a value`);
    flags.set(m[1]!, value);
  }
  for (const name of flags.keys()) {
    if (!OPTIONS.some((o) => o.flag === name)) throw new ConfigError(`unknown option --${name}\n${usage()}`);
  }
  for (const o of OPTIONS) {
    const text = flags.get(o.flag) ?? env[o.env];
    if (text === undefined) continue;
    if (o.parse === 'nullableNumber' && (text === '' || text === 'off')) {
      raw[o.key] = null;
    } else if (o.parse === 'number' || o.parse === 'nullableNumber') {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw new ConfigError(`--${o.flag} (${o.env}) must be a number, got ${JSON.stringify(text)}`);
      raw[o.key] = n;
    } else if (o.parse === 'list') {
      raw[o.key] = text.split(',').map((s) => s.trim()).filter(Boolean);
    } else if (o.parse === 'boolean') {
      if (!['on', 'off', 'true', 'false'].includes(text)) throw new ConfigError(`--${o.flag} (${o.env}) must be on or off, got ${JSON.stringify(text)}`);
      raw[o.key] = text === 'on' || text === 'true';
    } else if (o.parse === 'nullable') {
      raw[o.key] = text === '' || text === 'off' ? null : text;
    } else {
      raw[o.key] = text;
    }
  }
  return resolveConfig(raw as ServerConfigInput);
}

export function usage(): string {
  return [
    'usage: npm start -- [options]   (each option can also be set by its environment variable)',
    ...OPTIONS.map((o) => `  --${o.flag.padEnd(16)} ${o.env}`),
  ].join('\n');
}
