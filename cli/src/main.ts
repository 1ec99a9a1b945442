import { userInfo } from 'node:os';
import {
  ApiError,
  type AppConfig,
  createLogger,
  type Logger,
  loadConfig,
  StartupError,
} from '@ioc/core';
import { Command, InvalidArgumentError, Option } from 'commander';
import pretty from 'pino-pretty';
import { AdminChannel } from './admin-channel.js';
import { startBanner } from './banner.js';
import { withDemoTls } from './demo-tls.js';
import { DeviceCommand } from './device-command.js';
import { type ProcessRole, ROLES, startIocProcess } from './ioc-process.js';
import { TokenCommand } from './token-command.js';

/** Entry of the `ioc` command. Failures print one line (`ioc: ...`) and exit non-zero. */
export async function main(argv = process.argv): Promise<void> {
  const program = new Command('ioc')
    .description('Intelligent Operations Centre (Trung tâm điều hành thông minh)')
    .option('-c, --config <file>', 'configuration file (default ./ioc.config.json, or IOC_CONFIG)')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('start')
    .description(
      'run the IOC: all services in this process, with a managed InfluxDB unless INFLUX_URL is set',
    )
    .option('--demo', 'also run the demo-province simulators and create demo accounts')
    .addOption(
      new Option('--only <roles>', `comma-separated subset of ${ROLES.join(',')}`).argParser(
        parseRoles,
      ),
    )
    .action(async (options: { demo?: boolean; only?: ProcessRole[] }) => {
      const configured = configure(program, options.demo ? { demo: true } : {});
      // The demo serves MQTT over TLS too, with a self-signed certificate made on first start.
      const config = configured.demo ? await withDemoTls(configured) : configured;
      await runServer(config, options.only ?? [...ROLES]);
    });

  const token = program.command('token').description('API tokens for scripts and integrators');
  token
    .command('create')
    .description('create an API token (printed once; stored hashed)')
    .requiredOption('--role <role>', 'admin, ioc-operator, room-operator, viewer or service')
    .option('--name <name>', 'what the token is for')
    .option('--expires-days <days>', 'expire after this many days', parsePositiveInt)
    .option('--json', 'print JSON')
    .action(
      async (options: { role: string; name?: string; expiresDays?: number; json?: boolean }) => {
        const created = await tokens(program).create(options);
        if (options.json)
          print({
            id: created.info.id,
            name: created.info.name,
            role: created.info.role,
            token: created.token,
            expiresAt: created.info.expiresAt,
          });
        else
          print(
            `${created.token}\n(id ${created.info.id}, role ${created.info.role}; shown only once)`,
          );
      },
    );
  token
    .command('list')
    .description('list API tokens')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const list = await tokens(program).list();
      if (options.json) return print(list);
      for (const t of list) {
        print(`${t.id}  ${t.role.padEnd(13)} ${t.revokedAt ? 'revoked' : 'active '}  ${t.name}`);
      }
    });
  token
    .command('revoke <id>')
    .description('revoke an API token')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const info = await tokens(program).revoke(id);
      print(options.json ? info : `revoked ${info.id} (${info.name})`);
    });

  const device = program.command('device').description('field devices: catalogue, provisioning');
  device
    .command('types')
    .description('the device catalogue: types, metrics, units, valid ranges')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const types = await devices(program).types();
      if (options.json) return print(types);
      for (const t of types) {
        const metrics = t.metrics.map((m) => `${m.key} (${m.unitDisplay ?? m.unit})`).join(', ');
        print(`${t.id.padEnd(16)} ${t.name.vi} / ${t.name.en}: ${metrics}`);
      }
    });
  device
    .command('add')
    .description('provision a device; prints its secret once')
    .requiredOption('--id <id>', 'device id (MQTT username): letters, digits, . _ -')
    .requiredOption('--type <type>', 'device type id (see `ioc device types`)')
    .requiredOption('--unit <code>', 'administrative unit code, e.g. 20194')
    .option('--name <name>', 'display name')
    .option('--sector <sector>', "sector (default: the type's)")
    .option('--lat <lat>', 'latitude (WGS84)', parseFloat)
    .option('--lon <lon>', 'longitude (WGS84)', parseFloat)
    .option('--json', 'print JSON')
    .action(
      async (options: {
        id: string;
        type: string;
        unit: string;
        name?: string;
        sector?: string;
        lat?: number;
        lon?: number;
        json?: boolean;
      }) => {
        const { json, ...input } = options;
        const { device: created, secret } = await devices(program).add(input);
        if (json) print({ id: created.id, secret });
        else print(`${created.id}  secret: ${secret}\n(shown only once; stored hashed)`);
      },
    );
  device
    .command('list')
    .description('list devices')
    .option('--type <type>', 'only this type')
    .option('--unit <code>', 'only this unit and the units under it')
    .option('--sector <sector>', 'only this sector')
    .option('--json', 'print JSON')
    .action(async (options: { type?: string; unit?: string; sector?: string; json?: boolean }) => {
      const { json, ...filter } = options;
      const page = await devices(program).list(filter);
      if (json) return print(page.devices);
      for (const d of page.devices) {
        print(
          `${d.id.padEnd(24)} ${d.type.padEnd(16)} ${d.unit.padEnd(6)} ${d.revokedAt ? 'revoked' : d.enabled ? 'enabled' : 'disabled'}  ${d.name}`,
        );
      }
      print(`${page.total} device(s)`);
    });
  device
    .command('rotate <id>')
    .description("replace a device's secret; prints the new one once")
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const rotated = await devices(program).rotate(id);
      print(options.json ? rotated : `${rotated.id}  secret: ${rotated.secret}`);
    });
  device
    .command('revoke <id>')
    .description('revoke a device for good (it can no longer connect)')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const revoked = await devices(program).revoke(id);
      print(options.json ? revoked : `revoked ${revoked.id}`);
    });
  device
    .command('import <file>')
    .description('bulk import from a .csv (id,name,type,unit,sector,lat,lon,tags) or .json file')
    .option('--dry-run', 'check every row, create nothing')
    .option('--json', 'print JSON')
    .action(async (file: string, options: { dryRun?: boolean; json?: boolean }) => {
      const report = await devices(program).import(file, options.dryRun ?? false);
      if (options.json) print(report);
      else {
        for (const d of report.created) print(`${d.id}  secret: ${d.secret}`);
        for (const e of report.errors)
          print(`row ${e.row}${e.id ? ` (${e.id})` : ''}: ${e.code}: ${e.message}`);
        print(
          `${report.dryRun ? 'would create' : 'created'} ${report.dryRun ? report.accepted.length : report.created.length}, ${report.errors.length} row(s) with errors`,
        );
      }
      if (report.errors.length > 0) process.exitCode = 1;
    });

  try {
    await program.parseAsync(argv);
  } catch (err) {
    exitWith(err);
  }
}

function configure(program: Command, overrides: Partial<AppConfig>): AppConfig {
  const file = program.opts<{ config?: string }>().config;
  const env = file ? { ...process.env, IOC_CONFIG: file } : process.env;
  return loadConfig({ env, overrides });
}

function adminChannel(program: Command): AdminChannel {
  return new AdminChannel(configure(program, {}), createLogger('warn', process.stderr as never));
}

function tokens(program: Command): TokenCommand {
  return new TokenCommand(adminChannel(program));
}

function devices(program: Command): DeviceCommand {
  return new DeviceCommand(adminChannel(program));
}

async function runServer(config: AppConfig, roles: ProcessRole[]): Promise<void> {
  const logger = serverLogger(config);
  logger.info({ roles, dataDir: config.dataDir, user: userInfo().username }, 'starting');
  const running = await startIocProcess(config, { roles, logger });
  process.stdout.write(`${startBanner(config, running)}\n`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    const force = setTimeout(() => {
      logger.error('services did not stop within 15 s; exiting');
      process.exit(1);
    }, 15_000);
    force.unref();
    running.stop(signal).then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGHUP', () => shutdown('SIGHUP'));
}

/** Human-readable logs on a terminal, JSON lines otherwise (or with IOC_LOG_FORMAT=json). */
function serverLogger(config: AppConfig): Logger {
  const format = process.env.IOC_LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json');
  if (format === 'pretty') {
    const stream = pretty({
      sync: true,
      colorize: true,
      translateTime: 'SYS:HH:MM:ss',
      ignore: 'pid,hostname,service',
    });
    return createLogger(config.log.level, stream);
  }
  return createLogger(config.log.level);
}

function parseRoles(value: string): ProcessRole[] {
  const roles = value
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length)
    throw new InvalidArgumentError(`unknown role ${unknown.join(', ')}; use ${ROLES.join(', ')}`);
  return roles as ProcessRole[];
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError('expected a whole number of days, at least 1');
  return n;
}

function print(value: unknown): void {
  process.stdout.write(
    typeof value === 'string' ? `${value}\n` : `${JSON.stringify(value, null, 2)}\n`,
  );
}

function exitWith(err: unknown): never {
  const code = (err as { code?: string }).code;
  if (typeof code === 'string' && code.startsWith('commander.')) {
    const exitCode = (err as { exitCode?: number }).exitCode ?? 2;
    process.exit(code === 'commander.helpDisplayed' || code === 'commander.version' ? 0 : exitCode);
  }
  if (err instanceof StartupError || err instanceof ApiError) {
    process.stderr.write(`ioc: ${err.message}\n`);
  } else {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(
      `ioc: unexpected error: ${message} (run with IOC_LOG_LEVEL=debug for details)\n`,
    );
  }
  process.exit(1);
}
