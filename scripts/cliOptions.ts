/**
 * `--name value` options of the npm scripts. A missing required option or a bad value exits with
 * code 2 and a message that names it, followed by the script's usage line; so does an option the
 * script never read, once it calls done() (a typo must not start a long run on defaults). --help
 * prints the usage.
 */
export class CliOptions {
  constructor(
    private readonly script: string,
    private readonly usage: string,
    private readonly argv: readonly string[] = process.argv,
  ) {
    if (argv.includes('--help') || argv.includes('-h')) {
      console.log(`usage: ${usage}`);
      process.exit(0);
    }
  }

  /** argv positions of the options read and their values. */
  private readonly used = new Set<number>();

  fail(message: string): never {
    console.error(`${this.script}: ${message}\nusage: ${this.usage}`);
    process.exit(2);
  }

  /** The value after --name, or null when the option is absent. */
  text(name: string): string | null {
    const i = this.argv.indexOf(`--${name}`);
    if (i < 0) return null;
    const value = this.argv[i + 1];
    // A value may start with -- when it holds several words (--server-args "--workers 2").
    if (value === undefined || (value.startsWith('--') && !value.includes(' '))) this.fail(`--${name} needs a value`);
    this.used.add(i).add(i + 1);
    return value;
  }

  /** A positive number; required when there is no fallback. */
  number(name: string, fallback?: number): number {
    return this.finite(name, fallback, (v) => v > 0, 'a positive number');
  }

  /** A number that may be 0 (a count or an offset: --join 0, --steady-from-s 0); required when there is no fallback. */
  nonNegative(name: string, fallback?: number): number {
    return this.finite(name, fallback, (v) => v >= 0, '0 or a positive number');
  }

  private finite(name: string, fallback: number | undefined, ok: (v: number) => boolean, what: string): number {
    const text = this.text(name);
    if (text === null) return fallback ?? this.fail(`--${name} is required`);
    const value = Number(text);
    if (!Number.isFinite(value) || !ok(value)) this.fail(`--${name} must be ${what}, but is ${text}`);
    return value;
  }

  /** After every option is read: an option the script does not know fails. */
  done(): void {
    const unknown = this.argv.find((a, i) => i >= 2 && a.startsWith('--') && !this.used.has(i));
    if (unknown !== undefined) this.fail(`unknown option ${unknown}`);
  }
}
