/** The planner's errors: each ends in Error, sets `name` and carries its `cause`. */

/** The source root cannot be walked at all (missing, not a folder, not readable): there is nothing to plan. */
export class PartitionSurveyError extends Error {
  override readonly name = 'PartitionSurveyError';
  readonly sourceRoot: string;

  constructor(sourceRoot: string, cause: unknown) {
    super(`cannot survey ${sourceRoot}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.sourceRoot = sourceRoot;
  }
}

/**
 * The plan, as JSON, is larger than Step Functions takes as state input (256 KB): fewer partitions
 * (or shorter cut paths) are needed.
 */
export class PlanTooLargeError extends Error {
  override readonly name = 'PlanTooLargeError';
  readonly bytes: number;
  readonly limit: number;

  constructor(partitions: number, bytes: number, limit: number) {
    const fits = Math.max(1, Math.floor((partitions * limit) / bytes));
    super(
      `a plan of ${partitions} partitions takes ${bytes} bytes as JSON, more than the ${limit} a Step Functions state input takes; ` +
        `ask for fewer partitions (--max-partitions ${fits} or below should fit)`,
    );
    this.bytes = bytes;
    this.limit = limit;
  }
}
