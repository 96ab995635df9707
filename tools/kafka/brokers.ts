export const DEFAULT_KAFKA_BROKERS = '127.0.0.1:9092';

/** KAFKA_BROKERS as the services read it: comma-separated host:port list. */
export function parseBrokers(value: string | readonly string[] | undefined): string[] {
  const list = typeof value === 'string' ? value.split(',') : [...(value ?? [])];
  const brokers = list.map((b) => b.trim()).filter((b) => b.length > 0);
  for (const b of brokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(b)) throw new Error(`KAFKA_BROKERS: "${b}" is not host:port`);
  }
  return brokers.length > 0 ? brokers : [DEFAULT_KAFKA_BROKERS];
}
