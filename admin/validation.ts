/**
 * How the admin API checks requests. Bodies are checked as they arrived,
 * without type coercion: `{"tenantId": 42}` is a wrong type and gets a 400,
 * where Fastify's default (Ajv with `coerceTypes`) would quietly create
 * tenant "42" (found by the fuzz run, test/fuzz/). Defaults still apply.
 * Query strings, params and headers arrive as text, so they are converted to
 * their schema's types first (`?limit=10` is a number).
 */
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import Value from 'typebox/value';

export const checkRequestPart: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = Compile(schema);
  const convert = httpPart !== 'body';
  return (input: unknown) => {
    const value = Value.Default(schema, convert ? Value.Convert(schema, input) : input);
    return check.Check(value) ? { value } : { error: [...check.Errors(value)] };
  };
};
