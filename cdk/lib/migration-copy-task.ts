import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

/**
 * An ECS copy pass whose task definition comes from the execution state: prepare destination registers
 * a copy task definition per migration, in a family of its own, with both instances' EFS volumes
 * mounted. The state machine may run the revisions of every migration's family (granted by the stack:
 * CopyTask.migrationRevisionsArn).
 */
export class MigrationCopyTask extends tasks.EcsRunTask {
  private readonly taskDefinitionPath: string;

  constructor(scope: Construct, id: string, taskDefinitionPath: string, props: tasks.EcsRunTaskProps) {
    super(scope, id, props);
    this.taskDefinitionPath = taskDefinitionPath;
  }

  protected override _renderTask(topLevelQueryLanguage?: sfn.QueryLanguage): any {
    const rendered = super._renderTask(topLevelQueryLanguage) as { Parameters: Record<string, unknown> };
    const { TaskDefinition: _stackRevision, ...parameters } = rendered.Parameters;
    return { ...rendered, Parameters: { ...parameters, 'TaskDefinition.$': this.taskDefinitionPath } };
  }
}
