import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/** A string field that is there and equals `value`: a Choice on a missing path fails the execution. */
export function stringIs(path: string, value: string): sfn.Condition {
  return sfn.Condition.and(sfn.Condition.isPresent(path), sfn.Condition.stringEquals(path, value));
}

/** True only if the field is there and true: a Choice on a missing path fails the execution. */
export function isTrue(path: string): sfn.Condition {
  return sfn.Condition.and(sfn.Condition.isPresent(path), sfn.Condition.booleanEquals(path, true));
}
