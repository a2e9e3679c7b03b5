// The events of the code handlers built into dispatch: the four arithmetic
// examples, each on two finite numbers. dispatch validates their props with
// these schemas; clients type and check their enqueues with them.
import { defineEvents, defineSchema } from './schema.ts';

const operands = defineSchema({ x: 'number', y: 'number' });

export const builtinEvents = defineEvents({
  Addition: operands,
  Subtraction: operands,
  Multiplication: operands,
  Division: operands,
});
