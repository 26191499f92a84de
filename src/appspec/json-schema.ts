/**
 * The JSON Schema of slipway.yaml as published for editors (`# yaml-language-server: $schema=…`)
 * and printed by `slipway schema`: the TypeBox AppSpec with an identity and a dialect.
 */
import { AppSpec } from './schema.ts';

export const SCHEMA_ID = 'https://slipway.dev/schema/slipway.schema.json';

/** A plain-JSON copy of the AppSpec schema, with `$schema`, `$id` and `title` set. */
export function specJsonSchema(): Record<string, unknown> {
  // JSON round trip drops TypeBox's symbol-keyed metadata and yields a fresh, mutable object.
  const body = JSON.parse(JSON.stringify(AppSpec)) as Record<string, unknown>;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: SCHEMA_ID,
    title: 'slipway application (slipway.yaml)',
    ...body,
  };
}
