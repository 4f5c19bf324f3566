/**
 * The synthesized template as if CloudFormation had deployed it into the emulator: every resource gets
 * the physical id a deploy would give it (a name, an ARN, an id the emulator chose), and any part of the
 * template resolves against those ids.
 */
import { defaultResourceArn, IntrinsicResolver, type IntrinsicEnvironment } from '../../local/cfn-intrinsics.ts';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
  readonly DependsOn?: string | readonly string[];
}

export interface CfnTemplate {
  readonly Resources: Readonly<Record<string, CfnResource>>;
  readonly Parameters?: Readonly<Record<string, { readonly Type?: string; readonly Default?: unknown }>>;
  readonly Outputs?: Readonly<Record<string, { readonly Value: unknown }>>;
}

/** What a deployed resource answers to Ref and Fn::GetAtt. */
export interface PhysicalResource {
  readonly ref: unknown;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

export interface RehearsalEnvironment {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  readonly stackName: string;
}

export class RehearsalStack {
  readonly template: CfnTemplate;
  readonly environment: RehearsalEnvironment;
  private readonly physical = new Map<string, PhysicalResource>();
  private readonly parameters: Readonly<Record<string, unknown>>;
  private readonly resolver: IntrinsicResolver;

  constructor(template: CfnTemplate, environment: RehearsalEnvironment, parameters: Readonly<Record<string, unknown>> = {}) {
    this.template = template;
    this.environment = environment;
    this.parameters = parameters;
    const env: IntrinsicEnvironment = {
      ...environment,
      ref: (logicalId, type) => this.physical.get(logicalId)?.ref ?? this.defaultRef(logicalId, type),
      getAtt: (logicalId, attribute, type) => this.getAtt(logicalId, attribute, type),
      parameter: (name) => this.parameters[name] ?? this.template.Parameters?.[name]?.Default,
    };
    this.resolver = new IntrinsicResolver(template, env);
  }

  /** Resolves intrinsics against the physical ids known so far. */
  resolve<T = unknown>(value: unknown): T {
    return this.resolver.resolve(value) as T;
  }

  /** Records what the emulator made of a resource. */
  deployed(logicalId: string, resource: PhysicalResource): void {
    this.physical.set(logicalId, resource);
  }

  resource(logicalId: string): CfnResource {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`The template has no resource ${logicalId}`);
    return resource;
  }

  /** Every resource of a type, in template order. */
  resourcesOf(type: string): [string, CfnResource][] {
    return Object.entries(this.template.Resources).filter(([, resource]) => resource.Type === type);
  }

  /** The physical name CloudFormation would generate: `<stack>-<logical id>`, cut to a service's limit. */
  generatedName(logicalId: string, limit = 64): string {
    return `${this.environment.stackName}-${logicalId}`.slice(0, limit);
  }

  ref(logicalId: string): unknown {
    return this.resolve({ Ref: logicalId });
  }

  arn(logicalId: string): string {
    return String(this.resolve({ 'Fn::GetAtt': [logicalId, 'Arn'] }));
  }

  private defaultRef(logicalId: string, type: string): unknown {
    const properties = this.template.Resources[logicalId]?.Properties ?? {};
    const named = (key: string, limit?: number): string => (typeof properties[key] === 'string' ? (properties[key] as string) : this.generatedName(logicalId, limit));
    switch (type) {
      case 'AWS::IAM::Role':
        return named('RoleName');
      case 'AWS::Lambda::Function':
        return named('FunctionName');
      case 'AWS::DynamoDB::Table':
        return named('TableName', 255);
      case 'AWS::Logs::LogGroup':
        return named('LogGroupName', 512);
      case 'AWS::Events::EventBus':
        return named('Name');
      case 'AWS::ECS::Cluster':
        return named('ClusterName', 255);
      case 'AWS::StepFunctions::StateMachine':
        return defaultResourceArn(named('StateMachineName', 80), type, this.intrinsicEnvironment());
      case 'AWS::Scheduler::ScheduleGroup':
        return named('Name');
      case 'AWS::SNS::Topic':
        return `arn:${this.environment.partition}:sns:${this.environment.region}:${this.environment.account}:${named('TopicName', 256)}`;
      case 'AWS::EC2::SecurityGroup':
        return `sg-${hexOf(logicalId, 17)}`;
      case 'AWS::ApiGateway::RestApi':
        return hexOf(logicalId, 10);
      case 'AWS::SSM::Parameter':
        return named('Name', 2048);
      default:
        return logicalId;
    }
  }

  private getAtt(logicalId: string, attribute: string, type: string): unknown {
    const deployed = this.physical.get(logicalId)?.attributes?.[attribute];
    if (deployed !== undefined) return deployed;
    const ref = String(this.physical.get(logicalId)?.ref ?? this.defaultRef(logicalId, type));
    const { partition, region, account } = this.environment;
    if (attribute === 'Arn') {
      switch (type) {
        case 'AWS::DynamoDB::Table':
          return `arn:${partition}:dynamodb:${region}:${account}:table/${ref}`;
        case 'AWS::Events::EventBus':
          return `arn:${partition}:events:${region}:${account}:event-bus/${ref}`;
        case 'AWS::ECS::Cluster':
          return `arn:${partition}:ecs:${region}:${account}:cluster/${ref}`;
        case 'AWS::Scheduler::ScheduleGroup':
          return `arn:${partition}:scheduler:${region}:${account}:schedule-group/${ref}`;
        case 'AWS::StepFunctions::StateMachine':
        case 'AWS::SNS::Topic':
          return ref;
        default:
          return defaultResourceArn(ref, type, this.intrinsicEnvironment());
      }
    }
    if (type === 'AWS::StepFunctions::StateMachine' && attribute === 'Name') return ref.split(':').at(-1);
    if (type === 'AWS::EC2::SecurityGroup' && attribute === 'GroupId') return ref;
    if (type === 'AWS::ApiGateway::RestApi' && attribute === 'RootResourceId') return hexOf(`${logicalId}/root`, 10);
    return `${ref}.${attribute}`;
  }

  private intrinsicEnvironment(): IntrinsicEnvironment {
    return { ...this.environment, ref: () => undefined, getAtt: () => undefined };
  }
}

/** A stable hex id from a name (fake physical ids of resources the emulator does not hold). */
function hexOf(name: string, length: number): string {
  let hash = 2166136261;
  let out = '';
  for (let round = 0; out.length < length; round++) {
    for (const char of `${round}:${name}`) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
    out += hash.toString(16).padStart(8, '0');
  }
  return out.slice(0, length);
}
