import { parseOffset, partitionLag, topicLag, totalLag } from './offset-arithmetic';

describe('offset arithmetic', () => {
  describe('parseOffset', () => {
    it('parses Kafka decimal strings, including the -1 marker', () => {
      expect(parseOffset('0')).toBe(0);
      expect(parseOffset('12345')).toBe(12345);
      expect(parseOffset('-1')).toBe(-1);
    });

    it('rejects garbage and offsets beyond 2^53', () => {
      expect(() => parseOffset('')).toThrow('not a Kafka offset');
      expect(() => parseOffset('1.5')).toThrow('not a Kafka offset');
      expect(() => parseOffset('9007199254740993')).toThrow('exceeds 2^53');
    });
  });

  describe('partitionLag', () => {
    it('is end - committed when the group has committed', () => {
      expect(partitionLag(7, 0, 10)).toBe(3);
      expect(partitionLag(10, 0, 10)).toBe(0);
    });

    it('counts every retained record when the group never committed', () => {
      expect(partitionLag(null, 4, 10)).toBe(6);
      expect(partitionLag(-1, 0, 0)).toBe(0);
    });

    it('counts only retained records when the commit is older than the log start', () => {
      expect(partitionLag(2, 5, 10)).toBe(5);
    });

    it('is never negative (committed past the end after a topic was recreated)', () => {
      expect(partitionLag(50, 0, 10)).toBe(0);
    });

    it('rejects impossible offsets', () => {
      expect(() => partitionLag(-5, 0, 1)).toThrow('invalid committed offset');
      expect(() => partitionLag(0, 5, 4)).toThrow('below log start');
    });
  });

  describe('topicLag', () => {
    it('joins end offsets with committed offsets, sorted by partition, and sums the lag', () => {
      const lag = topicLag(
        'parley.account.events.v1',
        [
          { partition: 2, low: '0', high: '4' },
          { partition: 0, low: '0', high: '10' },
          { partition: 1, low: '3', high: '3' },
        ],
        [
          { partition: 0, offset: '8' },
          { partition: 1, offset: '-1' },
        ],
      );
      expect(lag).toEqual({
        topic: 'parley.account.events.v1',
        lag: 6,
        partitions: [
          { partition: 0, committed: 8, start: 0, end: 10, lag: 2 },
          { partition: 1, committed: null, start: 3, end: 3, lag: 0 },
          { partition: 2, committed: null, start: 0, end: 4, lag: 4 },
        ],
      });
    });

    it('totals lag over topics', () => {
      const a = topicLag(
        'a',
        [{ partition: 0, low: '0', high: '5' }],
        [{ partition: 0, offset: '1' }],
      );
      const b = topicLag('b', [{ partition: 0, low: '0', high: '2' }], []);
      expect(totalLag([a, b])).toBe(6);
      expect(totalLag([])).toBe(0);
    });
  });
});
