// Code handlers: built into the dispatch function, selected by a handler of
// kind 'code' whose target is the key here. The four arithmetic examples are
// the original app's events; each takes props { x: number, y: number }.
import type { Json } from '../../src/shared/validate.ts';

export interface HandlerContext {
  /** The event's id. */
  id: number;
  name: string;
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number;
  /** Aborted when the handler's timeout passes. */
  signal: AbortSignal;
}

/** A code handler: returns the event's result, or throws to fail the attempt. */
export type CodeHandler = (props: Record<string, Json>, ctx: HandlerContext) => Json | Promise<Json>;

/** Reads props.x and props.y, refusing anything that is not a finite number ("23" included). */
function operands(props: Record<string, Json>): { x: number; y: number } {
  for (const key of ['x', 'y'] as const) {
    const v = props[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new TypeError(`props.${key} must be a finite number, got ${v === undefined ? 'nothing' : JSON.stringify(v)}.`);
    }
  }
  return { x: props.x as number, y: props.y as number };
}

export const codeHandlers: Record<string, CodeHandler> = {
  Addition: (props) => {
    const { x, y } = operands(props);
    return x + y;
  },
  Subtraction: (props) => {
    const { x, y } = operands(props);
    return x - y;
  },
  Multiplication: (props) => {
    const { x, y } = operands(props);
    return x * y;
  },
  Division: (props) => {
    const { x, y } = operands(props);
    if (y === 0) throw new RangeError(`Division by zero: ${x} / 0 is undefined.`);
    return x / y;
  },
};
