import { Logger } from '@aws-lambda-powertools/logger';

/** Structured JSON logs; POWERTOOLS_LOG_LEVEL sets the level (the local runtime and tests lower it). */
export function createLogger(component: string): Logger {
  return new Logger({ serviceName: 'share-migration', persistentKeys: { component } });
}
