/**
 * The token columns a stream has produced, by absolute sequence position, with the control
 * vector each position was fed with. Keeps a bounded window (enough to re-prime the cache and
 * to assemble frames that are not yet complete).
 */
export class TokenHistory {
  readonly codebooks: number;
  private readonly capacity: number;
  private start = 0;
  private readonly cols: Int32Array[] = [];
  private readonly ctrls: (Float32Array | null)[] = [];

  constructor(codebooks: number, capacity: number) {
    this.codebooks = codebooks;
    this.capacity = capacity;
  }

  /** Absolute position of the newest column (-1 when empty). */
  get newest(): number {
    return this.start + this.cols.length - 1;
  }

  get oldest(): number {
    return this.start;
  }

  push(column: Int32Array): void {
    if (column.length !== this.codebooks) throw new RangeError(`a column has ${this.codebooks} tokens, got ${column.length}`);
    this.cols.push(column);
    this.ctrls.push(null);
    while (this.cols.length > this.capacity) {
      this.cols.shift();
      this.ctrls.shift();
      this.start++;
    }
  }

  column(position: number): Int32Array {
    const c = this.cols[position - this.start];
    if (!c) throw new RangeError(`position ${position} is not held (held: ${this.start}..${this.newest})`);
    return c;
  }

  token(position: number, codebook: number): number {
    return this.column(position)[codebook]!;
  }

  setControls(position: number, controls: Float32Array): void {
    this.column(position);
    this.ctrls[position - this.start] = controls;
  }

  controls(position: number): Float32Array | null {
    this.column(position);
    return this.ctrls[position - this.start] ?? null;
  }
}
