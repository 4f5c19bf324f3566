/**
 * EventBridge Scheduler's firing, played by the rehearsal: the schedule as the API created it in the
 * emulator, its target role's trust policy checked for scheduler.amazonaws.com, and the target called
 * with that role's credentials: StartExecution of the state machine with the schedule's input, through
 * the IAM gate, as Scheduler's universal target does (no execution name: Step Functions makes one).
 */
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { assumeRole, type AwsClientConfig } from '../aws/admin.ts';
import type { DeployedRole } from '../aws/provision.ts';
import type { IamGate } from '../iam/iam-gate.ts';
import { checkTrust } from '../iam/trust.ts';
import { sessionArn } from '../lambda/lambda-functions.ts';

export interface ScheduleFiringOptions {
  readonly admin: AwsClientConfig;
  readonly gate: IamGate;
  readonly roles: ReadonlyMap<string, DeployedRole>;
  readonly stateMachineArn: string;
  readonly groupName: string;
}

export class ScheduleFiring {
  private readonly options: ScheduleFiringOptions;

  constructor(options: ScheduleFiringOptions) {
    this.options = options;
  }

  /** Fires the schedule now; resolves with the execution ARN Step Functions answered. */
  async fire(scheduleName: string): Promise<string> {
    const { admin, gate } = this.options;
    const schedule = await new SchedulerClient(admin).send(new GetScheduleCommand({ Name: scheduleName, GroupName: this.options.groupName }));
    const target = schedule.Target;
    if (!target?.RoleArn || !target.Arn) throw new Error(`Schedule ${scheduleName} has no target role or ARN`);
    const role = [...this.options.roles.values()].find((candidate) => candidate.arn === target.RoleArn);
    if (!role) throw new Error(`Schedule ${scheduleName} targets with role ${target.RoleArn}, which is not a role of the template`);
    if (!(await checkTrust(gate, role, 'scheduler.amazonaws.com', { 'aws:SourceArn': schedule.Arn ?? '', 'aws:SourceAccount': admin.region && schedule.Arn ? schedule.Arn.split(':')[4]! : '' })).allowed) throw new Error(`EventBridge Scheduler cannot assume ${role.arn}`);
    const credentials = await assumeRole(admin, role.arn, `scheduler-${scheduleName}`);
    gate.registerCaller(credentials.accessKeyId, { kind: 'scheduler', name: scheduleName, roleLogicalId: role.logicalId, roleArn: role.arn, sessionArn: sessionArn(role.arn, `scheduler-${scheduleName}`) });
    // Scheduler's universal target for states:StartExecution: the target ARN is the state machine.
    if (target.Arn !== this.options.stateMachineArn) throw new Error(`Schedule ${scheduleName} targets ${target.Arn}, not the stack's state machine`);
    const sfn = new SFNClient({ endpoint: gate.endpoint, region: admin.region, credentials, maxAttempts: 1 });
    const out = await sfn.send(new StartExecutionCommand({ stateMachineArn: target.Arn, input: target.Input }));
    return out.executionArn!;
  }
}
