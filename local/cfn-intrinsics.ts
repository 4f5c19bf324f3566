/**
 * CloudFormation intrinsics of a synthesized template, resolved the way a deploy would resolve them,
 * with the physical ids a given environment chooses: the local runtime's names in region `local`, or the
 * AWS rehearsal's resources in its emulator. Covers what the CDK emits: Ref, Fn::GetAtt, Fn::Join,
 * Fn::Sub, Fn::Select, Fn::Split, Fn::GetAZs, and the pseudo parameters.
 */

/** A template, as far as intrinsics need it. */
export interface IntrinsicTemplate {
  readonly Resources: Readonly<Record<string, { readonly Type: string }>>;
  readonly Parameters?: Readonly<Record<string, { readonly Default?: unknown }>>;
}

/** Where the template is "deployed": pseudo parameters and the physical ids of its resources. */
export interface IntrinsicEnvironment {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly stackName: string;
  /** `Ref` of a resource. */
  ref(logicalId: string, type: string, env: IntrinsicEnvironment): unknown;
  /** `Fn::GetAtt` of a resource. */
  getAtt(logicalId: string, attribute: string, type: string, env: IntrinsicEnvironment): unknown;
  /** A parameter's value. @default - its Default */
  parameter?(name: string): unknown;
  /** `Fn::GetAZs`. @default - zones a, b and c of the region */
  availabilityZones?(): readonly string[];
}

export class IntrinsicResolver {
  private readonly template: IntrinsicTemplate;
  private readonly env: IntrinsicEnvironment;

  constructor(template: IntrinsicTemplate, env: IntrinsicEnvironment) {
    this.template = template;
    this.env = env;
  }

  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [key, argument] = entries[0]!;
      if (key === 'Ref') return this.ref(String(argument));
      if (key.startsWith('Fn::')) return this.fn(key, argument);
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, this.resolve(item)]));
  }

  private fn(name: string, argument: unknown): unknown {
    switch (name) {
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(argument) ? argument : String(argument).split('.');
        return this.getAtt(String(logicalId), String(attribute));
      }
      case 'Fn::Join': {
        const [separator, parts] = argument as [string, unknown];
        return (this.resolve(parts) as unknown[]).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = argument as [unknown, unknown];
        return (this.resolve(list) as unknown[])[Number(this.resolve(index))];
      }
      case 'Fn::Split': {
        const [separator, text] = argument as [string, unknown];
        return String(this.resolve(text)).split(separator);
      }
      case 'Fn::GetAZs':
        return this.env.availabilityZones?.() ?? ['a', 'b', 'c'].map((zone) => `${this.env.region}${zone}`);
      case 'Fn::Sub': {
        const [text, variables] = typeof argument === 'string' ? [argument, {}] : (argument as [string, Record<string, unknown>]);
        return text.replace(/\$\{([^}!]+)\}/g, (_, variable: string) => {
          if (variable in variables) return String(this.resolve(variables[variable]));
          const [logicalId, attribute] = variable.split('.');
          return String(attribute === undefined ? this.ref(variable) : this.getAtt(logicalId!, attribute));
        });
      }
      default:
        throw new Error(`Cannot resolve ${name}`);
    }
  }

  private ref(name: string): unknown {
    switch (name) {
      case 'AWS::Partition':
        return this.env.partition;
      case 'AWS::Region':
        return this.env.region;
      case 'AWS::AccountId':
        return this.env.account;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.env.stackName;
      case 'AWS::StackId':
        return `arn:${this.env.partition}:cloudformation:${this.env.region}:${this.env.account}:stack/${this.env.stackName}/${this.env.stackName}`;
      case 'AWS::NotificationARNs':
        return [];
      case 'AWS::NoValue':
        return undefined;
    }
    const parameter = this.template.Parameters?.[name];
    if (parameter !== undefined) return this.env.parameter ? this.env.parameter(name) : parameter.Default;
    return this.env.ref(name, this.resourceType(name), this.env);
  }

  private getAtt(logicalId: string, attribute: string): unknown {
    return this.env.getAtt(logicalId, attribute, this.resourceType(logicalId), this.env);
  }

  private resourceType(logicalId: string): string {
    const resource = this.template.Resources[logicalId];
    if (resource === undefined) throw new Error(`The template has no resource ${logicalId}`);
    return resource.Type;
  }
}

/** The ARN a resource of this type would have if its physical id were `name`. */
export function defaultResourceArn(name: string, type: string, env: IntrinsicEnvironment): string {
  const [, service = 'unknown', kind = 'resource'] = type.split('::');
  const scope = `${env.region}:${env.account}`;
  const { partition } = env;
  switch (type) {
    case 'AWS::Lambda::Function':
      return `arn:${partition}:lambda:${scope}:function:${name}`;
    case 'AWS::StepFunctions::StateMachine':
      return `arn:${partition}:states:${scope}:stateMachine:${name}`;
    case 'AWS::ECS::TaskDefinition':
      return `arn:${partition}:ecs:${scope}:task-definition/${name}:1`;
    case 'AWS::IAM::Role':
      return `arn:${partition}:iam::${env.account}:role/${name}`;
    case 'AWS::Logs::LogGroup':
      return `arn:${partition}:logs:${scope}:log-group:${name}:*`;
    default:
      return `arn:${partition}:${service.toLowerCase()}:${scope}:${kebab(kind)}/${name}`;
  }
}

function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
