/** MSB-first bit writer with Exp-Golomb codes (H.264 §9.1): the inverse of BitReader. */
export class BitWriter {
  private readonly bytes: number[] = [];
  private current = 0;
  private used = 0;

  bit(b: number | boolean): this {
    this.current = (this.current << 1) | (b ? 1 : 0);
    if (++this.used === 8) {
      this.bytes.push(this.current);
      this.current = 0;
      this.used = 0;
    }
    return this;
  }

  /** Up to 32 bits of `value`, most significant first. */
  bits(n: number, value: number): this {
    for (let i = n - 1; i >= 0; i--) this.bit(Math.floor(value / 2 ** i) % 2);
    return this;
  }

  /** ue(v). */
  ue(value: number): this {
    const code = value + 1;
    const len = Math.floor(Math.log2(code));
    return this.bits(len, 0).bits(len + 1, code);
  }

  /** se(v). */
  se(value: number): this {
    return this.ue(value > 0 ? 2 * value - 1 : -2 * value);
  }

  /** rbsp_trailing_bits() (§7.3.2.11): a stop bit, then zeros to the byte boundary. */
  trailingBits(): this {
    this.bit(1);
    while (this.used !== 0) this.bit(0);
    return this;
  }

  /** The bytes written; the last one padded with zeros when it is partial. */
  finish(): Uint8Array {
    const out = this.bytes.slice();
    if (this.used > 0) out.push(this.current << (8 - this.used));
    return Uint8Array.from(out);
  }
}
