import Redis from 'ioredis';

/** Every key and value in a Redis server (strings, hashes, sets, lists), as one text to search. */
export async function dumpRedis(url: string): Promise<string> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const out: string[] = [];
    for (const key of await redis.keys('*')) {
      const type = await redis.type(key);
      const value = type === 'string' ? await redis.get(key)
        : type === 'hash' ? JSON.stringify(await redis.hgetall(key))
          : type === 'set' ? JSON.stringify(await redis.smembers(key))
            : type === 'list' ? JSON.stringify(await redis.lrange(key, 0, -1))
              : type === 'zset' ? JSON.stringify(await redis.zrange(key, 0, -1)) : `<${type}>`;
      out.push(`${key} = ${value}`);
    }
    return out.join('\n');
  } finally {
    redis.disconnect();
  }
}
