import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { TokenDocumentError, type TokenDocumentSource } from '../../core/auth/hashed-token-registry.ts';

/** The token document kept as the JSON string of a Secrets Manager secret (its current version). */
export class SecretTokenSource implements TokenDocumentSource {
  private readonly client: SecretsManagerClient;
  private readonly secretId: string;

  constructor(client: SecretsManagerClient, secretId: string) {
    if (!secretId) throw new Error('SecretTokenSource: secretId is required (the ARN of the token secret)');
    this.client = client;
    this.secretId = secretId;
  }

  async read(): Promise<unknown> {
    const { SecretString } = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
    if (SecretString === undefined) throw new TokenDocumentError(`The token secret ${this.secretId} has no SecretString: store the JSON document as text`);
    try {
      return JSON.parse(SecretString) as unknown;
    } catch (error) {
      throw new TokenDocumentError(`The token secret ${this.secretId} is not JSON (${(error as Error).message})`, { cause: error });
    }
  }
}
