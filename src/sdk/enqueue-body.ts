// The JSON body of one enqueued event, checked against its schema first when
// the queue was given one: a bad payload fails here, with the same sentence
// dispatch would store on the run, and nothing is sent.
import { invalidRequest } from '../shared/errors.ts';
import type { EventSchemas } from '../shared/schema.ts';
import type { EnqueueOptions } from './options.ts';

export function enqueueBody(
  schemas: EventSchemas | undefined, name: string, props: unknown, options: EnqueueOptions = {}, path = 'props',
): Record<string, unknown> {
  const schema = schemas && Object.hasOwn(schemas, name) ? schemas[name] : undefined;
  const problems = schema ? schema.problems(props ?? {}, path) : [];
  if (problems.length) throw invalidRequest(problems.join(' '), problems);
  const { run_at, ...rest } = options;
  return {
    name,
    props: props ?? {},
    ...rest,
    ...(run_at !== undefined && { run_at: run_at instanceof Date ? run_at.toISOString() : run_at }),
  };
}
