import { Redis } from 'ioredis';
import { withoutSecret, type RedisTarget } from './redis-url';

/**
 * A connection to the workbench's Redis. ioredis retries forever on its own; each kind of error is said once (not
 * once per retry), with the password taken out of the message.
 */
export function connectRedis(target: RedisTarget, log: (line: string) => void): Redis {
  const connection = new Redis(target.options);
  const secret = target.options.password;
  let lastMessage = '';
  connection.on('error', (error: Error) => {
    const message = withoutSecret(error.message, secret);
    if (message !== lastMessage) log(`Redis at ${target.shown}: ${message} (retrying)`);
    lastMessage = message;
  });
  return connection;
}
