import type { Logger } from '@ioc/core';
import type { DeviceRegistry } from '@ioc/devices';
import type { DemoFleet } from './fleet.js';
import { type MqttFleetOptions, MqttFleetSimulator } from './mqtt-fleet.js';

export interface DemoFleetRunnerOptions {
  fleet: DemoFleet;
  registry: DeviceRegistry;
  /** Where the demo devices' secrets are kept. */
  dataDir: string;
  logger: Logger;
  /** Everything the simulator needs but the devices, which provisioning yields. */
  simulator: Omit<MqttFleetOptions, 'devices' | 'logger'>;
}

export type DemoFleetState = 'provisioning' | 'running' | 'failed' | 'stopped';

/**
 * Brings the demo fleet up in the background: provisioning (on a first start, a scrypt hash
 * per device: ~17 s for 300 on 2 cores) must not hold up the IOC's start, and a stop during
 * it must not wait for all of it (it stops after the current batch).
 */
export class DemoFleetRunner {
  readonly #options: DemoFleetRunnerOptions;
  readonly #abort = new AbortController();
  #state: DemoFleetState = 'provisioning';
  #simulator: MqttFleetSimulator | undefined;
  #error: Error | undefined;
  /** Resolves with the running simulator, or undefined when provisioning failed or was stopped. */
  readonly ready: Promise<MqttFleetSimulator | undefined>;

  constructor(options: DemoFleetRunnerOptions) {
    this.#options = options;
    this.ready = this.#run();
  }

  get state(): DemoFleetState {
    return this.#state;
  }

  get simulator(): MqttFleetSimulator | undefined {
    return this.#simulator;
  }

  /** One line for the health check. */
  describe(): string {
    const size = this.#options.fleet.devices.length;
    switch (this.#state) {
      case 'provisioning':
        return `provisioning ${size} demo MQTT devices`;
      case 'running':
        return `${this.#simulator?.connectedCount ?? 0}/${this.#simulator?.size ?? 0} MQTT devices connected`;
      case 'failed':
        return `demo MQTT devices failed: ${this.#error?.message}`;
      default:
        return 'demo MQTT devices stopped';
    }
  }

  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#abort.abort(new Error('the simulators are stopping'));
    await this.ready;
    await this.#simulator?.stop();
    this.#state = 'stopped';
  }

  async #run(): Promise<MqttFleetSimulator | undefined> {
    const { fleet, registry, dataDir, logger } = this.#options;
    try {
      const report = await fleet.ensureProvisioned(registry, {
        dataDir,
        logger,
        signal: this.#abort.signal,
      });
      logger.info(
        {
          devices: report.credentials.length,
          created: report.created,
          rotated: report.rotated,
          reused: report.reused,
          skipped: report.skipped.length,
          ms: report.elapsedMs,
        },
        'demo MQTT devices provisioned',
      );
      if (this.#abort.signal.aborted) return undefined;
      const simulator = new MqttFleetSimulator({
        ...this.#options.simulator,
        devices: report.credentials,
        logger,
      });
      this.#simulator = simulator;
      this.#state = 'running';
      simulator.start();
      return simulator;
    } catch (err) {
      if (this.#abort.signal.aborted) return undefined;
      this.#error = err as Error;
      this.#state = 'failed';
      logger.error({ err }, 'the demo MQTT devices could not be provisioned');
      return undefined;
    }
  }
}
