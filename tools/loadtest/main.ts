import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { accountsCacheFile, provisionAccounts, userName } from './accounts';
import { primeReturningDevices, runConnect } from './connect.workload';
import { type DiskFlushProbe, startDiskFlushProbe } from './disk-flush-probe';
import { type GroupKind, isOnlineUser, planGroups } from './groups.plan';
import { ensureGroups } from './groups.setup';
import { runGroups } from './groups.workload';
import { envVar, gatewayEnv, RedisWatch, serviceEnviron } from './hop-events';
import { hostPort, isLoopbackUrl } from './loopback';
import { ImageUploadLoad, makePhoto, uploadersFor } from './image-uploads';
import { runPairs } from './pairs.workload';
import { TableWriteStats } from './pg-stats';
import { analyzeDueTables, refreshPlannerStats } from './planner-stats';
import { checkRates, type PresenceLayout, planPresence } from './presence.plan';
import { runPresence, setupPresence } from './presence.workload';
import { formatMachineProbe, probeMachine } from './machine-probe';
import { appendJsonLine, formatSyncTable, recordMachine } from './report';
import { whileRunning } from './schedule';
import { seedConversations } from './seed-conversations';
import { runSync } from './sync.workload';
import type { StackProcessFilter } from './process-stats';
import { WorkerPool } from './worker-pool';

/**
 * `npm run loadtest -- <pairs|images|connect|sync|groups|presence> [options]`: a load generator for a
 * running Parley stack on this machine. See docs/LOADTEST.md for the workloads, every option and
 * every reported column.
 */
const USAGE = `usage: npm run loadtest -- <pairs|images|connect|sync|groups|presence> [options]

common:
  --gateways URLS          comma-separated gateway HTTP URLs (default http://127.0.0.1:3000,http://127.0.0.1:3001)
  --users N                test users lt_<prefix>_<n> (pairs: 1000; connect: min(connections, 1000);
                           presence: 10000)
  --user-prefix P          run prefix of the usernames (default a; presence: p, so it can run beside
                           pairs)
  --workers N              generator processes (default 2)
  --out FILE               append one JSON line per step
  --login-concurrency N    password log-ins in flight while provisioning (default 8)
  --kafka-port N[,N...]    which Kafka brokers' processes to report, together (default: KAFKA_BROKERS', else each)
pairs:
  --rate R | --rates R1,R2 offered msgs/s; with --rates, steps up until a step fails (default 500)
  --duration S             seconds per step (default 30)
  --drain S                seconds to wait for acks and deliveries after each step (default 10)
  --warmup S               first run S seconds at the first rate, reported but not judged (default 0):
                           conversations get created, caches and JITs warm up
  --p99-limit-ms MS        a step fails when delivery p99 exceeds this (default 250)
  --lag-limit-ms MS        the generator "fell behind" when its send-lag p99 exceeds this (default 50)
  --partners K             each user writes to K fixed partners only (default 0: any other user)
  --text-length N          characters per message, 24-200 (default 60)
  --no-sync                skip the sync-until-done a real client does after hello
  --no-accepted            sends ask for the ack alone (\`accepted: false\`): no \`accepted\` frame per
                           message, as from a client that does not show that state
  --no-cursors             devices do not report delivered cursors (no cursor records, no receipts):
                           what the receipts path costs, against a run with it
  --no-analyze             during and after the seeding (connect), after the warm-up and between
                           steps, do not ANALYZE the stack's database (done only when the server
                           runs without autovacuum; see docs/LOADTEST.md)
  --database-url URL       the stack's database (default: the first gateway's DATABASE_URL;
                           loopback only)
  --no-disk-probe          do not time the disk's flushes through each step (an 8 kB write and
                           fdatasync every 100 ms in .data/loadtest: what a commit waits for)
images (pairs, each judged rate run twice: alone, then with photo uploads beside it):
  every pairs option, and
  --uploads-per-s U        photo uploads per second beside the second run of each rate (default 1),
                           each then sent as an image message; own users lt_<prefix>img_<n>
  --photo-kb K             the photo's size, a JPEG of about K KB (default 3000)
connect:
  --connections C          idle authenticated sockets to open (default 10000)
  --connect-concurrency N  connects in flight per worker (default 100)
  --connect-rate R         target connects/s over all workers (default 0: as fast as possible)
  --hold S                 seconds to hold the sockets before measuring memory and closing (default 5)
  --settle S               seconds at the start of the hold left out of its CPU figure (default 5,
                           at most half the hold)
  --conversations K        each user holds about K 1:1 conversations, seeded once through the
                           send path (default 0); each socket's first sync then has K states
  --no-sync                open sockets without the first sync a real client does after hello
  --returning              measure returning devices: every device first connects, syncs and
                           closes (not measured); the measured ramp reconnects them, each first
                           round summing up the conversations it holds (without it: new devices)
  --direct                 (any workload) devices open their sockets directly on their gateway
                           with the access token in the upgrade, as the client library does: no
                           directory round unless a gateway answers 421 (without it: every
                           socket first asks the directory for a ticket)
sync (a benchmark of sync v2; users = --conversations + 1):
  --conversations N        conversations the reader's device holds (default 1000)
  --seed-messages N        messages each conversation holds at least (default 10; seeded once)
  --behind N               messages written to the reader while it is away (default 10000)
  --behind-conversations K over this many of its conversations (default 50)
  --repeat N               syncs measured in agreement (default 5)
groups (G groups or channels of S members; users lt_<prefix>_0 .. G*S-1, group g = users g*S..):
  --kind group|channel     groups (every online member writes) or channels (admins post, the
                           others read) (default group)
  --groups G               groups (default 10)
  --members S              members per group, 2-1024 for a group, 2-100000 for a channel (default 50)
  --online N               members per group holding a socket during the run (default S); the
                           others only exist (registered, never logged in)
  --admins K               channel admins who post (the creator and the next K-1 members, default 1)
  --rate R | --rates R1,R2 offered group messages/s over all groups (default 20)
  --duration, --drain, --warmup, --p99-limit-ms, --lag-limit-ms, --text-length, --no-sync,
  --no-accepted, --no-cursors
                           as for pairs (--p99-limit-ms judges the per-recipient delivery p99)
  --idle S                 seconds of the idle stack (sockets open, nothing sent) measured before
                           the steps, for CPU per message above idle (default 5; 0: none)
  --no-redis-watch         do not subscribe to the delivery channels (no Redis publish counts)
  --redis-url URL          the stack's Redis (default: the first gateway's REDIS_URL, else
                           redis://127.0.0.1:6379/0)
  --cluster-id ID          the stack's PARLEY_CLUSTER_ID (default: the first gateway's, else
                           stack-<lowest gateway port>)
presence (C users on a ring, each watching the K nearest; one socket each, all in the foreground):
  --users C                connected users (default 10000)
  --watch K                users each one watches, 1-100 (default 20)
  --conversations N        1:1 conversations each user holds with the next users on the ring and
                           types in (default 1; made once through the send path)
  --change-rate F          state toggles per user per second (default 0.01): a user goes to the
                           background and comes back --away seconds later (two toggles)
  --away S                 seconds in the background per cycle (default 10: past the offline grace)
  --typing-rate R          typing signals per second over all users (default 100)
  --duration S             seconds of the measured step (default 30)
  --warmup S               an unmeasured step first (default 0)
  --drain S                seconds counted after each step (default --away + 3)
  --idle S                 seconds of the idle stack measured before the steps (default 5; 0: none)
  --storm N                after the steps, drop N users' sockets at once and reconnect them, then
                           count the changes published and pushed per user (default 0: no storm)
  --storm-settle S         seconds counted after the last device is back (default: presence's
                           PRESENCE_OFFLINE_GRACE_MS + 5 s)
  --connect-concurrency N  devices connected, set up or reconnected at once per worker (default 100)
  --no-sync, --no-redis-watch, --redis-url, --cluster-id   as for groups
  --database-url URL       the stack's database, for user_presence's write counts (default:
                           presence's DATABASE_URL; loopback only)
  --ready-file FILE        written when the measured step starts (to start another load beside it)
`;

const LIMITS = {
  users: 100_000,
  connections: 200_000,
  rate: 200_000,
  durationS: 3600,
  drainS: 600,
  workers: 32,
  holdS: 600,
  /** groups: expected deliveries per step (each socket keeps a bit per seq it was given). */
  deliveriesPerStep: 50_000_000,
};

function fail(message: string): never {
  process.stderr.write(`loadtest: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function int(
  value: string | undefined,
  fallback: number,
  name: string,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max)
    fail(`--${name} must be a number in [${min}, ${max}]`);
  return n;
}

/** `--kafka-port 9092` or `9092,9093,9094` (a cluster), else KAFKA_PORT, else KAFKA_BROKERS' ports. */
function kafkaPortsFromEnv(explicit: string | undefined): number[] | undefined {
  const list = (raw: string, name: string) => {
    const ports = raw.split(',').map((p) => Number(p.trim()));
    if (!ports.every((p) => Number.isInteger(p) && p > 0 && p < 65536)) {
      fail(`${name} must be a port or a comma-separated list of ports`);
    }
    return ports;
  };
  if (explicit) return list(explicit, '--kafka-port');
  if (process.env.KAFKA_PORT) return list(process.env.KAFKA_PORT, 'KAFKA_PORT');
  const ports = (process.env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => Number(b.split(':')[1]))
    .filter((p) => Number.isInteger(p));
  return ports.length > 0 ? ports : undefined;
}

/** How many replicas of session, presence and storage the load tool looks for (+100 each). */
const MAX_REPLICAS = 10;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      gateways: { type: 'string', default: 'http://127.0.0.1:3000,http://127.0.0.1:3001' },
      users: { type: 'string' },
      'user-prefix': { type: 'string' },
      workers: { type: 'string' },
      out: { type: 'string' },
      'login-concurrency': { type: 'string' },
      'kafka-port': { type: 'string' },
      rate: { type: 'string' },
      rates: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      drain: { type: 'string' },
      'p99-limit-ms': { type: 'string' },
      'lag-limit-ms': { type: 'string' },
      partners: { type: 'string' },
      'text-length': { type: 'string' },
      'no-sync': { type: 'boolean', default: false },
      returning: { type: 'boolean', default: false },
      'no-accepted': { type: 'boolean', default: false },
      'no-analyze': { type: 'boolean', default: false },
      connections: { type: 'string' },
      'connect-concurrency': { type: 'string' },
      'connect-rate': { type: 'string' },
      hold: { type: 'string' },
      settle: { type: 'string' },
      conversations: { type: 'string' },
      'seed-messages': { type: 'string' },
      behind: { type: 'string' },
      'behind-conversations': { type: 'string' },
      repeat: { type: 'string' },
      kind: { type: 'string', default: 'group' },
      groups: { type: 'string' },
      members: { type: 'string' },
      online: { type: 'string' },
      admins: { type: 'string' },
      idle: { type: 'string' },
      'no-cursors': { type: 'boolean', default: false },
      'no-disk-probe': { type: 'boolean', default: false },
      direct: { type: 'boolean', default: false },
      'no-redis-watch': { type: 'boolean', default: false },
      'redis-url': { type: 'string' },
      'cluster-id': { type: 'string' },
      watch: { type: 'string' },
      'change-rate': { type: 'string' },
      'typing-rate': { type: 'string' },
      away: { type: 'string' },
      storm: { type: 'string' },
      'storm-settle': { type: 'string' },
      'database-url': { type: 'string' },
      'ready-file': { type: 'string' },
      'uploads-per-s': { type: 'string' },
      'photo-kb': { type: 'string' },
      password: { type: 'string', default: 'loadtest-password-not-a-secret' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const command = positionals[0];
  // `images` is `pairs` with photo uploads beside every other step.
  const images = command === 'images';
  const workload = images ? 'pairs' : command;
  if (
    workload !== 'pairs' &&
    workload !== 'connect' &&
    workload !== 'sync' &&
    workload !== 'groups' &&
    workload !== 'presence'
  )
    fail('the workload must be pairs, images, connect, sync, groups or presence');
  const uploadsPerS = images ? int(values['uploads-per-s'], 1, 'uploads-per-s', 0.1, 20) : 0;
  const photoKb = images ? int(values['photo-kb'], 3000, 'photo-kb', 10, 9000) : 0;

  const gateways = values.gateways
    .split(',')
    .map((g) => g.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  if (gateways.length === 0) fail('--gateways is empty');
  for (const g of gateways) if (!isLoopbackUrl(g)) fail(`refusing a non-loopback target: ${g}`);
  const prefix = values['user-prefix'] ?? (workload === 'presence' ? 'p' : 'a');
  if (!/^[A-Za-z0-9]{1,16}$/.test(prefix)) fail('--user-prefix must be 1-16 letters or digits');
  const workers = int(values.workers, 2, 'workers', 1, LIMITS.workers);
  const connections =
    workload === 'connect'
      ? int(values.connections, 10_000, 'connections', 1, LIMITS.connections)
      : 0;
  const syncConversations =
    workload === 'sync' ? int(values.conversations, 1000, 'conversations', 1, 10_000) : 0;
  const connectConversations =
    workload === 'connect' ? int(values.conversations, 0, 'conversations', 0, 190) : 0;
  const kind = values.kind as GroupKind;
  if (kind !== 'group' && kind !== 'channel') fail('--kind must be group or channel');
  let layout: ReturnType<typeof planGroups> | undefined;
  if (workload === 'groups') {
    const members = int(values.members, 50, 'members', 2, kind === 'group' ? 1024 : 100_000);
    try {
      layout = planGroups({
        kind,
        groups: int(values.groups, 10, 'groups', 1, LIMITS.users),
        members,
        online: int(values.online, members, 'online', 2, members),
        admins: int(values.admins, 1, 'admins', 1, members - 1),
      });
    } catch (error) {
      fail(error instanceof Error ? error.message : String(error));
    }
    if (layout.groups * layout.members > LIMITS.users)
      fail(`--groups x --members must be at most ${LIMITS.users} users`);
    if (layout.groups * layout.online > LIMITS.connections)
      fail(`--groups x --online must be at most ${LIMITS.connections} sockets`);
  }
  const users =
    workload === 'sync'
      ? syncConversations + 1
      : layout
        ? layout.groups * layout.members
        : int(
            values.users,
            workload === 'connect'
              ? Math.min(connections, 1000)
              : workload === 'presence'
                ? 10_000
                : 1000,
            'users',
            workload === 'pairs' || workload === 'presence' ? 2 : 1,
            workload === 'presence' ? Math.min(LIMITS.users, LIMITS.connections) : LIMITS.users,
          );
  if (users < workers && workload === 'pairs') fail('--users must be at least --workers');
  const rates = (values.rates ?? values.rate ?? (layout ? '20' : '500'))
    .split(',')
    .map((r) => int(r.trim(), 0, 'rate', 1, LIMITS.rate));
  const durationS = int(values.duration, 30, 'duration', 1, LIMITS.durationS);
  let presenceLayout: PresenceLayout | undefined;
  const awayS = int(values.away, 10, 'away', 1, 600);
  const changeRate = int(values['change-rate'], 0.01, 'change-rate', 0, 1);
  const typingRate = int(values['typing-rate'], 100, 'typing-rate', 0, 10_000);
  if (workload === 'presence') {
    try {
      presenceLayout = planPresence({
        users,
        watch: int(values.watch, Math.min(20, users - 1), 'watch', 1, 100),
        conversations: int(
          values.conversations,
          Math.min(1, Math.floor((users - 1) / 2)),
          'conversations',
          0,
          50,
        ),
      });
    } catch (error) {
      fail(error instanceof Error ? error.message : String(error));
    }
    const checked = checkRates(presenceLayout, changeRate, typingRate, awayS);
    if (checked.error) fail(checked.error);
    if (checked.warning) process.stderr.write(`loadtest: warning: ${checked.warning}\n`);
  }
  // presence: the rest of its options, checked before anything connects.
  const presenceDrainS = int(values.drain, awayS + 3, 'drain', 0, LIMITS.drainS);
  const presenceStorm = workload === 'presence' ? int(values.storm, 0, 'storm', 0, users) : 0;
  const stormSettleS =
    values['storm-settle'] === undefined
      ? undefined
      : int(values['storm-settle'], 0, 'storm-settle', 0, 600);
  const idleS = int(values.idle, 5, 'idle', 0, 600);
  const warmupS = int(values.warmup, 0, 'warmup', 0, LIMITS.durationS);
  const lagLimitMs = int(values['lag-limit-ms'], 50, 'lag-limit-ms', 1, 600_000);
  const connectConcurrency = int(
    values['connect-concurrency'],
    100,
    'connect-concurrency',
    1,
    5000,
  );
  if (values['database-url'] && !isLoopbackUrl(values['database-url']))
    fail('refusing a non-loopback --database-url');
  if (layout) {
    const perStep = Math.max(...rates) * durationS * (layout.online - 1);
    if (perStep > LIMITS.deliveriesPerStep)
      fail(
        `a step would expect ${perStep} deliveries (rate x duration x (online - 1)); at most ${LIMITS.deliveriesPerStep}`,
      );
  }

  const log = (line: string) =>
    process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const usernames = Array.from({ length: users }, (_, n) => userName(prefix, n));
  const cacheFile = accountsCacheFile(process.cwd(), prefix, gateways[0]);
  log(
    `${workload}: ${users} users (lt_${prefix}_0..${users - 1}) on ${gateways.join(', ')}; ${workers} workers`,
  );
  // Before the stack is busy: the speed of the machine every figure below was taken on.
  const machine = await probeMachine();
  recordMachine(machine);
  process.stdout.write(`${formatMachineProbe(machine)}\n`);
  if (layout?.kind === 'channel') {
    const perAdmin = Math.max(...rates) / (layout.groups * layout.senders);
    if (perAdmin > 20)
      log(
        `warning: ${perAdmin.toFixed(1)} posts/s per admin is over the gateway's default send budget (SEND_RATE_PER_SOCKET 20/s): raise --admins or --groups`,
      );
  }
  // Sockets end with the access token they were opened with: tokens must outlive the run.
  const plannedS =
    workload === 'connect'
      ? 300 + Number(values.hold ?? 5)
      : workload === 'presence'
        ? 300 +
          idleS +
          (warmupS > 0 ? 2 : 1) * presenceDrainS +
          warmupS +
          durationS +
          (presenceStorm > 0 ? 120 + (stormSettleS ?? 10) : 0)
        : Number(values.warmup ?? 0) +
          (values.rates ?? values.rate ?? '20').split(',').length *
            (images ? 2 : 1) *
            (Number(values.duration ?? 30) + Number(values.drain ?? 10)) +
          120;
  const groupsLayout = layout;
  const { accounts, stats } = await provisionAccounts({
    usernames,
    gateways,
    cacheFile,
    concurrency: int(values['login-concurrency'], 8, 'login-concurrency', 1, 256),
    password: values.password,
    minRemainingMs: plannedS * 1000,
    // groups: offline members need only exist (one password hash each, not two).
    registerOnly: groupsLayout
      ? new Set(usernames.filter((_, n) => !isOnlineUser(groupsLayout, n)))
      : undefined,
    log,
  });
  const shortest = Math.min(...accounts.map((a) => a.expiresAt)) - Date.now();
  if (shortest < plannedS * 1000) {
    log(
      `warning: access tokens expire in ${Math.round(shortest / 1000)} s, before this run ends (~${plannedS} s); ` +
        "sockets are closed (4002) at their token's expiry: raise JWT_ACCESS_TTL_SECONDS on the stack for runs this long",
    );
  }
  log(
    `accounts ready in ${(stats.elapsedMs / 1000).toFixed(1)} s: ${stats.cached} cached, ${stats.refreshed} refreshed, ${stats.loggedIn} logged in (${stats.registered} new); cache ${cacheFile}`,
  );

  // groups: the groups (or channels) exist before any member's socket opens.
  let conversationIds: string[] = [];
  if (groupsLayout) {
    const online = groupsLayout.online;
    conversationIds = await ensureGroups({
      gateways,
      layout: groupsLayout,
      prefix,
      usernames,
      creatorOf: (g) => accounts[g * online],
      log,
    });
  }

  if (workload === 'sync') {
    const behindConversations = int(
      values['behind-conversations'],
      Math.min(50, syncConversations),
      'behind-conversations',
      1,
      syncConversations,
    );
    const report = await runSync({
      gateways,
      accounts,
      conversations: syncConversations,
      seedMessages: int(values['seed-messages'], 10, 'seed-messages', 1, 1000),
      behind: int(values.behind, 10_000, 'behind', 0, 1_000_000),
      behindConversations,
      repeat: int(values.repeat, 5, 'repeat', 1, 100),
      log,
    });
    process.stdout.write(`${formatSyncTable(report)}\n`);
    if (values.out) appendJsonLine(values.out, report);
    return 0;
  }

  const gatewayPorts = gateways.map((g) => Number(hostPort(g).split(':')[1]));
  const base = Math.min(...gatewayPorts);
  const pool = new WorkerPool(workers);
  const processFilter: StackProcessFilter = {
    gatewayPorts,
    servicePorts: Array.from({ length: MAX_REPLICAS }, (_, r) =>
      [10, 11, 12].map((offset) => base + offset + 100 * r),
    ).flat(),
    kafkaPorts: kafkaPortsFromEnv(values['kafka-port']),
    generatorPids: [process.pid],
  };
  const stop = () => {
    log('interrupted: closing sockets');
    void pool.close().then(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  let redisWatch: RedisWatch | undefined;
  let db: TableWriteStats | undefined;
  let beside: ImageUploadLoad | undefined;
  let diskProbe: DiskFlushProbe | undefined;
  try {
    const devicesPerAccount = workload === 'connect' ? Math.ceil(connections / users) : 1;
    const perWorkerConnections = new Array<number>(workers).fill(0);
    if (workload === 'connect') {
      for (let k = 0; k < connections; k++) perWorkerConnections[(k % users) % workers]++;
    }
    await pool.start(
      accounts,
      {
        gateways,
        usernames,
        userPrefix: prefix,
        runTag: `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`,
        devicesPerAccount,
        connectConcurrency,
        connectRate: int(values['connect-rate'], 0, 'connect-rate', 0, 100_000) / workers,
        syncOnConnect: !values['no-sync'],
        partners:
          groupsLayout || presenceLayout ? 0 : int(values.partners, 0, 'partners', 0, users - 1),
        ...(presenceLayout
          ? {
              presence: {
                userIds: accounts.map((a) => a.userId),
                watch: presenceLayout.watch,
                conversations: presenceLayout.conversations,
              },
            }
          : {}),
        ...(groupsLayout
          ? {
              groups: {
                kind: groupsLayout.kind,
                conversationIds,
                online: groupsLayout.online,
                senders: groupsLayout.senders,
              },
            }
          : {}),
        reportCursors: !values['no-cursors'],
        directConnect: values.direct,
      },
      (w, slice) => (workload === 'connect' ? perWorkerConnections[w] : slice.length),
    );
    processFilter.generatorPids.push(...pool.pids);

    /** The planner statistics, unless `--no-analyze`: the stack's database, when it is found. */
    const stackDatabaseUrl = () =>
      values['database-url'] ?? gatewayEnv(gatewayPorts[0])?.databaseUrl;
    /** After the warm-up or the seeding. */
    const analyzeStack = values['no-analyze']
      ? undefined
      : () => refreshStackPlannerStats(stackDatabaseUrl(), log);
    /** Between a ladder's steps: what autovacuum would have analyzed again by then. */
    const analyzeDue = values['no-analyze']
      ? undefined
      : () => analyzeStackDueTables(stackDatabaseUrl(), log);

    if (workload === 'connect') {
      // While it seeds: what autovacuum would analyze as the tables grow, so the services'
      // prepared statements leave the plans they made for empty tables (the seeding is not
      // measured; on a server without autovacuum it otherwise runs on those plans throughout).
      await whileRunning(
        seedConversations(gateways, accounts, connectConversations, log),
        SEEDING_ANALYZE_EVERY_MS,
        analyzeDue,
      );
      // A seeded database is as new to the planner as a warmed-up one (the pairs' warm-up).
      if (connectConversations > 0) await analyzeStack?.();
      const returning = values.returning && !values['no-sync'];
      if (returning) await primeReturningDevices(pool, log);
      const report = await runConnect(pool, {
        devices: returning ? 'returning' : 'new',
        users,
        connections,
        holdS: int(values.hold, 5, 'hold', 0, LIMITS.holdS),
        settleS: int(values.settle, 5, 'settle', 0, LIMITS.holdS),
        gateways,
        out: values.out,
        processFilter,
        log,
      });
      return report.connected > 0 ? 0 : 1;
    }

    const sockets = groupsLayout ? accounts.length : users;
    const t0 = Date.now();
    const connected = await pool.connect();
    const ok = connected.reduce((s, r) => s + r.connected, 0);
    const errors = connected.flatMap((r) => Object.entries(r.errors).map(([c, n]) => `${c}:${n}`));
    log(
      `connected ${ok}/${sockets} users in ${((Date.now() - t0) / 1000).toFixed(1)} s${errors.length ? ` (errors ${errors.join(' ')})` : ''}`,
    );
    if (ok < 2) throw new Error('fewer than two users connected');
    const traceUrls = [
      ...gateways,
      ...processFilter.servicePorts.map((port) => `http://127.0.0.1:${port}`),
    ];
    /** The options `pairs` and `groups` take alike (their open-loop steps). */
    const openLoop = {
      rates,
      durationS,
      drainS: int(values.drain, 10, 'drain', 0, LIMITS.drainS),
      warmupS,
      p99LimitMs: int(values['p99-limit-ms'], 250, 'p99-limit-ms', 1, 600_000),
      lagLimitMs,
      textLength: int(values['text-length'], 60, 'text-length', 24, 200),
      acceptedFrames: !values['no-accepted'],
      gateways,
      out: values.out,
      processFilter,
      traceUrls,
      log,
      afterWarmup: analyzeStack,
      betweenSteps: analyzeDue,
    };

    if ((groupsLayout || presenceLayout) && !values['no-redis-watch']) {
      const env = gatewayEnv(gatewayPorts[0]);
      const redisUrl =
        values['redis-url'] ?? env?.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
      const clusterId = values['cluster-id'] ?? env?.clusterId ?? `stack-${base}`;
      try {
        redisWatch = await RedisWatch.open(redisUrl, clusterId, { presence: !!presenceLayout });
        log(
          `watching the ${presenceLayout ? 'presence and delivery' : 'delivery'} channels of cluster ${clusterId} on ${redisUrl}`,
        );
      } catch (error) {
        log(
          `warning: no Redis publish counts (${error instanceof Error ? error.message : String(error)})`,
        );
      }
    }
    if (presenceLayout) {
      const setup = await setupPresence(pool, { concurrency: connectConcurrency, log });
      if (setup.ready < 2) throw new Error('fewer than two devices set up');
      const presenceEnv = serviceEnviron('presence', base + 11);
      const graceSetting = Number(
        (presenceEnv && envVar(presenceEnv, 'PRESENCE_OFFLINE_GRACE_MS')) ?? 5000,
      );
      const graceMs = Number.isFinite(graceSetting) && graceSetting >= 0 ? graceSetting : 5000;
      const databaseUrl =
        values['database-url'] ?? (presenceEnv && envVar(presenceEnv, 'DATABASE_URL'));
      try {
        if (!databaseUrl) throw new Error("presence's DATABASE_URL not found: pass --database-url");
        db = await TableWriteStats.open(databaseUrl, 'user_presence');
        log(`counting user_presence writes (pg_stat_user_tables) on ${hostPort(databaseUrl)}`);
      } catch (error) {
        log(
          `warning: no database write counts (${error instanceof Error ? error.message : String(error)})`,
        );
      }
      if (presenceDrainS < awayS)
        log(
          `warning: --drain ${presenceDrainS} is shorter than --away ${awayS}: the last cycles come back at the drain's end`,
        );
      const { steps } = await runPresence(pool, {
        layout: presenceLayout,
        userIds: accounts.map((a) => a.userId),
        changeRate,
        typingRate,
        awayS,
        durationS,
        warmupS,
        afterWarmup: analyzeStack,
        drainS: presenceDrainS,
        idleS,
        storm: presenceStorm,
        stormSettleS: stormSettleS ?? Math.ceil(graceMs / 1000) + 5,
        graceMs,
        concurrency: connectConcurrency,
        lagLimitMs,
        gateways,
        out: values.out,
        processFilter,
        traceUrls,
        redis: redisWatch,
        db,
        readyFile: values['ready-file'],
        log,
      });
      return steps.length > 0 ? 0 : 1;
    }
    if (groupsLayout) {
      const reports = await runGroups(pool, {
        ...openLoop,
        layout: groupsLayout,
        redis: redisWatch,
        idleS,
      });
      return reports.length > 0 ? 0 : 1;
    }
    if (images) {
      beside = await openImageUploads({
        gateways,
        prefix,
        perS: uploadsPerS,
        photoKb,
        plannedS,
        password: values.password,
        log,
      });
    }
    if (!values['no-disk-probe']) diskProbe = await startDiskFlushProbe(log);
    await runPairs(pool, { ...openLoop, users, beside, diskProbe });
    return 0;
  } finally {
    await diskProbe?.stop();
    beside?.close();
    await redisWatch?.close();
    await db?.close();
    await pool.close();
  }
}

/**
 * After the warm-up: the planner statistics autovacuum would have given the stack's database by
 * now, when its server runs without autovacuum (planner-stats.ts). Reported, never fatal.
 */
async function refreshStackPlannerStats(
  url: string | undefined,
  log: (line: string) => void,
): Promise<void> {
  if (!url) {
    log("warning: no ANALYZE: the gateway's DATABASE_URL was not found (pass --database-url)");
    return;
  }
  try {
    const done = await refreshPlannerStats(url);
    log(
      done === 'analyzed'
        ? `analyzed the database on ${hostPort(url)} (its server runs without autovacuum)`
        : `the database on ${hostPort(url)} runs autovacuum: no ANALYZE`,
    );
  } catch (error) {
    log(`warning: no ANALYZE (${error instanceof Error ? error.message : String(error)})`);
  }
}

/**
 * Between steps: ANALYZE the tables autovacuum would have analyzed again by now, when the server
 * runs without it (planner-stats.ts). Logged when it analyzed something; never fatal.
 */
async function analyzeStackDueTables(
  url: string | undefined,
  log: (line: string) => void,
): Promise<void> {
  if (!url) return; // refreshStackPlannerStats warned of it after the warm-up, if one ran
  try {
    const done = await analyzeDueTables(url);
    if (done !== 'autovacuum on' && done.analyzed.length > 0) {
      log(`analyzed what autovacuum would have by now: ${done.analyzed.join(', ')}`);
    }
  } catch (error) {
    log(`warning: no ANALYZE (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** How often the seeding's tables are looked at for an ANALYZE (`connect --conversations`). */
const SEEDING_ANALYZE_EVERY_MS = 5_000;

/** `images`: the uploader and recipient accounts (cached like the others) and their sockets. */
async function openImageUploads(options: {
  gateways: string[];
  prefix: string;
  perS: number;
  photoKb: number;
  plannedS: number;
  password: string;
  log: (line: string) => void;
}): Promise<ImageUploadLoad> {
  const { gateways, log } = options;
  const prefix = `${options.prefix}img`;
  const uploaders = uploadersFor(options.perS);
  const { accounts } = await provisionAccounts({
    usernames: Array.from({ length: uploaders + 1 }, (_, n) => userName(prefix, n)),
    gateways,
    cacheFile: accountsCacheFile(process.cwd(), prefix, gateways[0]),
    concurrency: 4,
    password: options.password,
    minRemainingMs: options.plannedS * 1000,
    log,
  });
  const photo = await makePhoto(options.photoKb * 1024);
  log(
    `images: ${options.perS} uploads/s of a ${Math.round(photo.length / 1024)} KB JPEG from ${uploaders} users (lt_${prefix}_0..${uploaders - 1}) to lt_${prefix}_${uploaders}`,
  );
  return ImageUploadLoad.open({
    gateways,
    uploaders: accounts.slice(0, uploaders),
    recipient: accounts[uploaders],
    photo,
    perS: options.perS,
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`loadtest: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
