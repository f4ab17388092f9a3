/**
 * Who publishes what. Ingest asks the registry before accepting a publish so a key has one
 * publisher at a time. StorePublisherRegistry implements it with leases in the state store
 * (memory in one process, Redis when distributed).
 */
export interface PublisherRegistry {
  /** Takes `stream` for `owner`; false when someone else holds it. */
  claim(stream: string, owner: string): Promise<boolean>;
  /** Releases `stream` when `owner` still holds it. */
  release(stream: string, owner: string): Promise<void>;
  /** Next generation of `stream` (1 on the first publish), so consumers can tell publishes apart. */
  nextGeneration(stream: string): Promise<number>;
}
