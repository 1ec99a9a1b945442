import type { AppConfig } from '@ioc/core';
import type { RunningIocProcess } from './ioc-process.js';

/** What a person needs after `ioc start`: where everything is and how to sign in. */
export function startBanner(config: AppConfig, running: RunningIocProcess): string {
  const lines = ['', 'IOC đang chạy / IOC is running', ''];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(26)} ${value}`);
  if (running.webUrl) {
    const base = config.web.publicUrl ?? running.webUrl;
    row('Ứng dụng / App', `${base}/`);
    row('API (OpenAPI)', `${base}/api/docs`);
    row('Sức khỏe / Health', `${base}/healthz`);
  }
  if (running.mqttUrl) {
    const ws = running.webUrl ? `, ${running.webUrl.replace(/^http/, 'ws')}/mqtt` : '';
    row('MQTT', `${running.mqttUrl}${ws}`);
    if (config.mqtt.tls) {
      const host = running.mqttUrl.replace(/^mqtt:\/\/|:\d+$/g, '');
      row(
        'MQTT TLS',
        `mqtts://${host}:${config.mqtt.tlsPort} (certificate ${config.mqtt.tls.certFile})`,
      );
    }
  }
  row(
    'InfluxDB',
    `${running.influxUrl} (${running.influxManaged ? 'managed' : 'external'}, db ${config.influx.database})`,
  );
  if (config.demo)
    row('OPC-UA (mô phỏng / demo)', `opc.tcp://127.0.0.1:${config.simulators.opcua.port}`);
  lines.push('', 'Tài khoản / Accounts');
  if (running.admin.password) {
    row('admin (quản trị)', `password: ${running.admin.password}`);
    lines.push('  ^ shown only now; it is stored hashed. Keep it safe.');
  } else if (running.admin.created) {
    row('admin (quản trị)', 'password from IOC_ADMIN_PASSWORD / auth.adminPassword');
  } else {
    row('admin (quản trị)', 'password set at first start (printed then, or IOC_ADMIN_PASSWORD)');
  }
  for (const account of running.demoAccounts) {
    row(`${account.username} (${account.role}, demo)`, `password: ${account.password}`);
  }
  lines.push(
    '',
    'API token: npx ioc token create --role admin --json',
    'Ctrl-C dừng tất cả / stops everything.',
    '',
  );
  return lines.join('\n');
}
