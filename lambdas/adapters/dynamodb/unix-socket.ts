import { Agent, type AgentOptions, type ClientRequestArgs } from 'node:http';
import { createConnection } from 'node:net';
import type { Duplex } from 'node:stream';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

/**
 * Names the Unix domain socket a process reaches the embedded runtime's state store through (the local
 * runtime sets it for the copy task it starts as a child process). Unset on AWS.
 */
export const DYNAMODB_SOCKET_ENV = 'SMIG_DYNAMODB_SOCKET';

/**
 * The host the SDK is pointed at when it talks over a Unix socket: only the signature and the Host
 * header see it, the connection goes to the socket.
 */
const SOCKET_ENDPOINT = 'http://localhost';

/**
 * HTTP over a Unix domain socket. The embedded runtime's store listens on a socket file inside the data
 * folder rather than on a TCP port, so the file system's permissions decide who may connect: a TCP port
 * on 127.0.0.1 is open to every local user.
 */
export class UnixSocketAgent extends Agent {
  readonly socketPath: string;

  constructor(socketPath: string, options: AgentOptions = {}) {
    super({ keepAlive: true, ...options });
    this.socketPath = socketPath;
  }

  /**
   * Every connection, whatever host and port the request names, goes to the socket. The socket is
   * returned, not passed to the callback: the agent takes a returned socket as created, and a connect
   * error reaches the request through it.
   */
  override createConnection(_options: ClientRequestArgs): Duplex {
    return createConnection(this.socketPath);
  }
}

/**
 * The SDK configuration that reaches a store over this Unix socket. Each call builds its own agent, so
 * destroying one client (which destroys its agent) leaves the others' connections alone.
 */
export function unixSocketClientConfig(socketPath: string): Pick<DynamoDBClientConfig, 'endpoint' | 'requestHandler'> {
  return { endpoint: SOCKET_ENDPOINT, requestHandler: { httpAgent: new UnixSocketAgent(socketPath) } };
}

/**
 * The store's client configuration from a process's environment: over the Unix socket `SMIG_DYNAMODB_SOCKET`
 * names when set (the local runtime's copy task), else the SDK's standard configuration (AWS).
 */
export function dynamoClientConfigFromEnv(env: NodeJS.ProcessEnv): DynamoDBClientConfig {
  const socketPath = env[DYNAMODB_SOCKET_ENV]?.trim();
  return socketPath ? unixSocketClientConfig(socketPath) : {};
}
