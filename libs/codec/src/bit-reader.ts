/** MSB-first bit reader with Exp-Golomb codes (H.264 §9.1), over an RBSP. */
export class BitReaderError extends Error {
  constructor(reason: string) {
    super(`bitstream: ${reason}`);
    this.name = 'BitReaderError';
  }
}

export class BitReader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  get bitsLeft(): number {
    return this.buf.byteLength * 8 - this.pos;
  }

  bit(): number {
    if (this.pos >= this.buf.byteLength * 8) throw new BitReaderError('read past the end');
    const b = (this.buf[this.pos >> 3] >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return b;
  }

  bool(): boolean {
    return this.bit() === 1;
  }

  /** Up to 32 bits as an unsigned number. */
  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }

  skip(n: number): void {
    if (n > this.bitsLeft) throw new BitReaderError('skip past the end');
    this.pos += n;
  }

  /** ue(v). */
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      if (++zeros > 31) throw new BitReaderError('Exp-Golomb code longer than 32 bits');
    }
    return 2 ** zeros - 1 + this.bits(zeros);
  }

  /** se(v). */
  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -k / 2;
  }
}
