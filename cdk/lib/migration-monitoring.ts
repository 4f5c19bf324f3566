import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { COPY_FAULT_WAIT, EVENT_SOURCE } from '../../lambdas/core/events/migration-event.ts';
import { COPY_FAULT_RETRY } from '../../lambdas/core/workflow-limits.ts';
import { METRICS_NAMESPACE, MetricName, SERVICE_NAME } from '../../lambdas/handlers/telemetry.ts';

/**
 * Exit codes of the copy container that are not failures: 0 done, 143 stopped by SIGTERM, which is
 * how migration_cancel (ECS StopTask) ends a copy (copy-task/README.md).
 */
export const COPY_EXIT_CODES_NOT_FAILED: readonly number[] = [0, 143];

/** The execution statuses after which the workflow's own paths may not have run: the ended-execution cleanup's. */
export const ENDED_EXECUTION_STATUSES: readonly string[] = ['ABORTED', 'TIMED_OUT', 'FAILED'];

export interface MigrationMonitoringProps {
  /** The migration state machine: its failed, aborted and timed-out executions raise alarms and are cleaned up after. */
  readonly stateMachine: sfn.IStateMachine;
  /**
   * Invoked with the "Step Functions Execution Status Change" event of every execution of `stateMachine`
   * that was aborted, timed out or failed (lambdas/handlers/execution-ended.ts): it cleans up the
   * migration the execution's own states left (idempotent; a migration already ended is left alone).
   */
  readonly executionEnded: lambda.IFunction;
  /** The copy tasks' cluster: a copy task of it that stops with a failure exit code raises an alarm. */
  readonly copyCluster: ecs.ICluster;
  /** The copy container's name in the task definition. */
  readonly copyContainerName: string;
  /** The API's TOKEN authorizer: its failures (not its refusals) raise an alarm. */
  readonly authorizer: lambda.IFunction;
  /** The key the alarm topic is encrypted with; its policy must let CloudWatch use it (OperationsKey). */
  readonly topicKey: kms.IKey;
  /**
   * Where copy task failures are forwarded, as the ECS events they are, besides being counted.
   * @default - not forwarded: the rule counts them with no target but the bus's own metrics
   */
  readonly failureEventBus?: events.IEventBus;
  /**
   * The bus the migrations' events are put on (MigrationEvents): a rule on it counts the copy fault waits
   * (COPY_FAULT_WAIT events) for the `CopyFaultWaits` alarm.
   * @default - `failureEventBus` (the stack forwards copy task failures to the migrations' bus); with neither,
   * no copy fault alarm
   */
  readonly migrationEventBus?: events.IEventBus;
  /**
   * An address that gets the alarm notifications by email (it must confirm the subscription).
   * @default - no subscription: subscribe to the topic yourself
   */
  readonly alarmEmail?: string;
  /**
   * The alarms' evaluation period.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
}

/**
 * The alarms an operator of share-migration needs, all notifying one encrypted SNS topic (and clearing
 * it when they recover):
 *
 * - failed executions: the state machine's `ExecutionsFailed` (AWS/States). A migration that failed and
 *   was cleaned up ends in the "Migration failed" Fail state; a request the first state rejects counts too.
 * - aborted and timed-out executions: `ExecutionsAborted` and `ExecutionsTimedOut`. Neither runs the
 *   workflow's cleanup; an EventBridge rule on the execution status change events (ABORTED, TIMED_OUT,
 *   FAILED) invokes the ended-execution cleanup, which restores the source and ends the migration.
 * - failed copy tasks: an EventBridge rule on the default bus matches "ECS Task State Change" events of
 *   the copy cluster's tasks that stopped with a copy container exit code other than 0 and 143
 *   (cancelled), or that failed to start, and forwards them to the share-migration bus; the alarm
 *   counts the rule's `TriggeredRules` (AWS/Events). Chosen over a metric filter on the copy logs: the
 *   exit code is the copy task's contract, its log lines are not, and a task that never started logs nothing.
 * - migrations waiting out copy faults: a copy pass the platform kept stopping past its retry ladder waits
 *   the fault out instead of going to cleanup (workflow-copy-faults.ts), publishing a COPY_FAULT_WAIT event at
 *   every wait (every COPY_FAULT_RETRY.PARK_SECONDS); a rule on the migrations' bus matches them and the alarm
 *   counts its `TriggeredRules` over a period longer than that wait, so it stays in alarm while any
 *   migration waits, and clears a period after the last wait.
 * - authorizer errors: the authorizer's Lambda `Errors` less its `TokenRejected` metric. Refusing a
 *   token is how a TOKEN authorizer answers 401 (it throws "Unauthorized", which Lambda counts as an
 *   error); what is left is the authorizer failing to decide (the token secret unreadable or malformed,
 *   a timeout), which API Gateway answers with 500 to every caller.
 */
export class MigrationMonitoring extends Construct {
  readonly topic: sns.Topic;
  readonly failedExecutionsAlarm: cloudwatch.Alarm;
  readonly abortedExecutionsAlarm: cloudwatch.Alarm;
  readonly timedOutExecutionsAlarm: cloudwatch.Alarm;
  readonly executionEndedRule: events.Rule;
  readonly copyTaskFailureRule: events.Rule;
  readonly failedCopyTasksAlarm: cloudwatch.Alarm;
  readonly authorizerErrorsAlarm: cloudwatch.Alarm;
  readonly copyFaultWaitRule?: events.Rule;
  readonly copyFaultWaitsAlarm?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: MigrationMonitoringProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'share-migration alarms',
      masterKey: props.topicKey,
      enforceSSL: true,
    });
    if (props.alarmEmail !== undefined) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    this.failedExecutionsAlarm = this.alarm('FailedExecutions', {
      metric: props.stateMachine.metricFailed({ period, statistic: cloudwatch.Stats.SUM }),
      alarmDescription: 'share-migration: a migration execution failed (see the migration record and the state machine log)',
    });

    this.abortedExecutionsAlarm = this.alarm('AbortedExecutions', {
      metric: props.stateMachine.metricAborted({ period, statistic: cloudwatch.Stats.SUM }),
      alarmDescription: 'share-migration: a migration execution was stopped (console or API) before it finished; the ended-execution cleanup restores the source',
    });
    this.timedOutExecutionsAlarm = this.alarm('TimedOutExecutions', {
      metric: props.stateMachine.metricTimedOut({ period, statistic: cloudwatch.Stats.SUM }),
      alarmDescription: 'share-migration: a migration execution timed out; the ended-execution cleanup restores the source',
    });
    this.executionEndedRule = new events.Rule(this, 'ExecutionsEnded', {
      description: 'share-migration: executions aborted, timed out or failed: clean up the migration they left',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [props.stateMachine.stateMachineArn], status: [...ENDED_EXECUTION_STATUSES] },
      },
      // EventBridge retries a failed delivery for up to a day; the function's own async retries cover its errors.
      targets: [new targets.LambdaFunction(props.executionEnded, { retryAttempts: 8, maxEventAge: Duration.hours(24) })],
    });

    this.copyTaskFailureRule = new events.Rule(this, 'CopyTaskFailures', {
      description: 'share-migration: copy tasks that stopped with a failure exit code or failed to start',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: {
          clusterArn: [props.copyCluster.clusterArn],
          lastStatus: ['STOPPED'],
          $or: [
            { containers: { name: [props.copyContainerName], exitCode: [{ 'anything-but': [...COPY_EXIT_CODES_NOT_FAILED] }] } },
            { stopCode: ['TaskFailedToStart'] },
          ],
        },
      },
      targets: props.failureEventBus === undefined ? [] : [new targets.EventBus(props.failureEventBus)],
    });
    this.failedCopyTasksAlarm = this.alarm('FailedCopyTasks', {
      metric: new cloudwatch.Metric({
        namespace: 'AWS/Events',
        metricName: 'TriggeredRules',
        dimensionsMap: { RuleName: this.copyTaskFailureRule.ruleName },
        statistic: cloudwatch.Stats.SUM,
        period,
      }),
      alarmDescription: 'share-migration: a copy task stopped with a failure exit code or could not start (its ECS event is on the share-migration bus)',
    });

    const migrationEventBus = props.migrationEventBus ?? props.failureEventBus;
    if (migrationEventBus !== undefined) {
      this.copyFaultWaitRule = new events.Rule(this, 'CopyFaultWaitEvents', {
        description: 'share-migration: copy passes waiting out infrastructure faults (the platform keeps stopping their tasks)',
        eventBus: migrationEventBus,
        eventPattern: { source: [EVENT_SOURCE], detailType: [COPY_FAULT_WAIT] },
      });
      // One event a wait: a period of two waits holds at least one while a migration still waits.
      const waitPeriod = Duration.seconds(Math.max(period.toSeconds(), 2 * COPY_FAULT_RETRY.PARK_SECONDS));
      this.copyFaultWaitsAlarm = this.alarm('CopyFaultWaits', {
        metric: new cloudwatch.Metric({
          namespace: 'AWS/Events',
          metricName: 'TriggeredRules',
          dimensionsMap: { EventBusName: migrationEventBus.eventBusName, RuleName: this.copyFaultWaitRule.ruleName },
          statistic: cloudwatch.Stats.SUM,
          period: waitPeriod,
        }),
        alarmDescription: 'share-migration: a migration waits out an infrastructure fault (its copy task keeps being stopped by the platform); see copy_fault in GET /v2/migrations/{id}',
      });
    }

    this.authorizerErrorsAlarm = this.alarm('AuthorizerErrors', {
      metric: new cloudwatch.MathExpression({
        label: 'authorizer failures (errors other than refused tokens)',
        expression: 'FILL(errors, 0) - FILL(rejected, 0)',
        usingMetrics: {
          errors: props.authorizer.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
          rejected: new cloudwatch.Metric({
            namespace: METRICS_NAMESPACE,
            metricName: MetricName.TOKEN_REJECTED,
            dimensionsMap: { service: SERVICE_NAME },
            statistic: cloudwatch.Stats.SUM,
            period,
          }),
        },
        period,
      }),
      alarmDescription: 'share-migration: the API authorizer failed to decide (token secret unreadable or malformed, timeout): callers get 500',
    });
  }

  /** An alarm on one or more in a period, notifying the topic when it fires and when it clears. */
  private alarm(id: string, props: { readonly metric: cloudwatch.IMetric; readonly alarmDescription: string }): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric: props.metric,
      alarmDescription: props.alarmDescription,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    alarm.addOkAction(new actions.SnsAction(this.topic));
    return alarm;
  }
}
