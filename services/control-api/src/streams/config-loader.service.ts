import { HttpException, Injectable } from '@nestjs/common';
import { StreamBody } from './stream-body';
import { StreamsService } from './streams.service';

export interface LoadResult {
  name: string | null;
  status: 'created' | 'updated' | 'failed';
  reason?: string;
}

/**
 * Loads many streams at once (POST /api/config/streams and config.json at boot): each entry
 * is validated and saved on its own, so one bad entry does not stop the others.
 */
@Injectable()
export class ConfigLoaderService {
  constructor(private readonly streams: StreamsService) {}

  async load(entries: readonly unknown[]): Promise<LoadResult[]> {
    const results: LoadResult[] = [];
    for (const entry of entries) {
      const name = entry && typeof entry === 'object' && typeof (entry as { name?: unknown }).name === 'string'
        ? String((entry as { name: string }).name).slice(0, 64) : null;
      const parsed = StreamBody.safeParse(entry);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        results.push({ name, status: 'failed', reason: `${issue.path.join('.') || '(entry)'}: ${issue.message}` });
        continue;
      }
      try {
        const { action } = await this.streams.save(parsed.data, true);
        results.push({ name: parsed.data.name, status: action });
      } catch (err) {
        results.push({ name, status: 'failed', reason: err instanceof HttpException ? err.message : 'could not be saved' });
      }
    }
    return results;
  }
}
