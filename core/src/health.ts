export type ComponentName = 'influx' | 'sql' | 'broker' | 'media' | 'web' | (string & {});

export interface ComponentHealth {
  status: 'up' | 'down';
  /** Why it is down (or a short note when up), safe to show to an operator. */
  reason?: string;
}

export type HealthCheck = () => Promise<ComponentHealth> | ComponentHealth;

export interface HealthReport {
  status: 'up' | 'down';
  components: Record<string, ComponentHealth>;
}

/** Collects one check per component; `/healthz` runs them all. */
export class HealthRegistry {
  readonly #checks = new Map<string, HealthCheck>();

  register(name: ComponentName, check: HealthCheck): void {
    this.#checks.set(name, check);
  }

  unregister(name: ComponentName): void {
    this.#checks.delete(name);
  }

  async report(timeoutMs = 2000): Promise<HealthReport> {
    const components: Record<string, ComponentHealth> = {};
    await Promise.all(
      [...this.#checks].map(async ([name, check]) => {
        components[name] = await runCheck(check, timeoutMs);
      }),
    );
    const status = Object.values(components).every((c) => c.status === 'up') ? 'up' : 'down';
    return { status, components };
  }
}

async function runCheck(check: HealthCheck, timeoutMs: number): Promise<ComponentHealth> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ComponentHealth>((resolve) => {
    timer = setTimeout(
      () => resolve({ status: 'down', reason: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([Promise.resolve().then(check), timeout]);
  } catch (err) {
    return { status: 'down', reason: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}
