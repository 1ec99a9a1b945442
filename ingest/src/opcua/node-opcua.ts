import type { Logger } from '@ioc/core';

/** The node-opcua module, loaded on first use (importing it takes a second or two). */
export type NodeOpcua = typeof import('node-opcua');

let loading: Promise<NodeOpcua> | undefined;

/**
 * Loads node-opcua and sends its console warnings and errors to the structured log
 * (process-wide: node-opcua's loggers are global).
 */
export function loadNodeOpcua(logger: Logger): Promise<NodeOpcua> {
  loading ??= import('node-opcua').then((opcua) => {
    const text = (args: unknown[]) =>
      args
        .map((a) => String(a))
        .join(' ')
        .trim();
    const log = logger.child({ source: 'node-opcua' });
    opcua.setWarningLogger((...args: unknown[]) => log.debug(text(args)));
    opcua.setErrorLogger((...args: unknown[]) => log.warn(text(args)));
    opcua.setDebugLogger((...args: unknown[]) => log.trace(text(args)));
    return opcua;
  });
  return loading;
}

/**
 * `nsu=<uri>;s=X` → `ns=<index>;s=X` with the server's namespace array (node-opcua's
 * services take namespace indexes); other forms pass through. Throws when the server does
 * not know the namespace.
 */
export function toIndexedNodeId(nodeId: string, namespaces: readonly string[]): string {
  const match = /^nsu=([^;]+);(.*)$/s.exec(nodeId);
  if (!match) return nodeId;
  const [, uri, identifier] = match as unknown as [string, string, string];
  const index = namespaces.indexOf(uri);
  if (index < 0) throw new Error(`the server has no namespace ${uri}`);
  return `ns=${index};${identifier}`;
}

/** `ns=<index>;s=X` → `nsu=<uri>;s=X`, which stays valid when the server renumbers namespaces. */
export function toUriNodeId(nodeId: string, namespaces: readonly string[]): string {
  const match = /^ns=(\d+);(.*)$/s.exec(nodeId);
  if (!match) return nodeId;
  const uri = namespaces[Number(match[1])];
  return uri ? `nsu=${uri};${match[2]}` : nodeId;
}
