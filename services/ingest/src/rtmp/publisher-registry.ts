/**
 * Who publishes what. Ingest asks the registry before accepting a publish so a key has one
 * publisher at a time. The in-memory implementation serves one process; the distributed one
 * (Redis leases, SET NX PX, renewed) replaces it without touching the session code.
 */
export interface PublisherRegistry {
  /** Takes `stream` for `owner`; false when someone else holds it. */
  claim(stream: string, owner: string): Promise<boolean>;
  /** Releases `stream` when `owner` still holds it. */
  release(stream: string, owner: string): Promise<void>;
  /** Next generation of `stream` (1 on the first publish), so consumers can tell publishes apart. */
  nextGeneration(stream: string): Promise<number>;
}

export class InMemoryPublisherRegistry implements PublisherRegistry {
  private readonly owners = new Map<string, string>();
  private readonly generations = new Map<string, number>();

  async claim(stream: string, owner: string): Promise<boolean> {
    const current = this.owners.get(stream);
    if (current !== undefined && current !== owner) return false;
    this.owners.set(stream, owner);
    return true;
  }

  async release(stream: string, owner: string): Promise<void> {
    if (this.owners.get(stream) === owner) this.owners.delete(stream);
  }

  async nextGeneration(stream: string): Promise<number> {
    const next = (this.generations.get(stream) ?? 0) + 1;
    this.generations.set(stream, next);
    return next;
  }
}
